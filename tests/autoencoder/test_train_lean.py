"""What makes a training step cheaper: the lean encoder options, the channels-last layout,
and one thread count for torch and numba."""

from __future__ import annotations

import numba
import numpy as np
import pytest
import torch

from napari_molfield.autoencoder.train import set_cpu_threads
from napari_molfield.errors import MolfieldError
from napari_molfield.nn.encoder import ConvEncoder, EncoderConfig


@pytest.mark.parametrize(("stem", "first_mix"), [(4, True), (2, True), (2, False)])
def test_encoder_options(stem, first_mix):
    cfg = EncoderConfig(9, 16, 16, 4, 2, stem=stem, first_mix=first_mix)
    assert EncoderConfig.from_dict(cfg.to_dict()) == cfg
    enc = ConvEncoder(cfg)
    assert enc(torch.rand(3, 9, 16, 16, 16)).shape == (3, 16)
    assert isinstance(enc.mix[0], torch.nn.Conv3d) == first_mix
    assert enc.down[0].kernel_size == (stem,) * 3


def test_old_configs_keep_their_layers():
    old = {"in_channels": 9, "latent_dim": 8, "resolution": 16, "base": 4, "levels": 2}
    enc = ConvEncoder(EncoderConfig.from_dict(old))
    assert enc.down[0].kernel_size == (4, 4, 4) and isinstance(enc.mix[0], torch.nn.Conv3d)
    with pytest.raises(MolfieldError, match="stem"):
        EncoderConfig(9, 8, 16, 4, 2, stem=3)


def test_channels_last_gives_the_same_latents():
    torch.manual_seed(0)
    enc = ConvEncoder(EncoderConfig(9, 16, 16, 4, 2))
    g = torch.rand(2, 9, 16, 16, 16)
    h = g
    for down, mix in zip(enc.down, enc.mix, strict=True):  # the plain layout, by hand
        h = torch.nn.functional.silu(down(h))
        h = h + torch.nn.functional.silu(mix(h))
    torch.testing.assert_close(enc(g), enc.head(h.flatten(1)), rtol=1e-5, atol=1e-6)


def test_numba_kernels_leave_torch_threads_alone():
    from napari_molfield.chem.molecule import Molecule
    from napari_molfield.fields.channels import ChannelSpec
    from napari_molfield.fields.sample import sample_points

    before = torch.get_num_threads(), numba.get_num_threads()
    try:
        set_cpu_threads(1)
        mol = Molecule(np.array(["C"]), np.zeros((1, 3)))
        pts = np.random.default_rng(0).random((2000, 3))
        sample_points(ChannelSpec.parse(None).assign(mol, 0), pts)
        assert torch.get_num_threads() == 1 and numba.get_num_threads() == 1
    finally:
        torch.set_num_threads(before[0])
        numba.set_num_threads(before[1])


def test_cpu_budget_clock(small_dataset):
    from napari_molfield.autoencoder.config import TrainConfig
    from napari_molfield.autoencoder.train import train

    run = train(small_dataset, preset="tiny", resolution=16, box_edge=16.0, batch_items=2,
                batch_points=128, steps=None, time_budget=1.0, budget_clock="cpu",
                eval_every=10**6, device="cpu", threads=1)
    lrs = [p.lr for p in run]
    assert run.model.meta["cpu_elapsed"] >= 1.0 and len(lrs) > 2
    assert lrs[-1] < 0.5 * lrs[0]  # the cosine schedule follows the CPU clock
    with pytest.raises(MolfieldError, match="budget clock"):
        TrainConfig(budget_clock="gpu")
