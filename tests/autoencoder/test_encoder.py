"""Encoder shapes, checkpoint round trip, wrong kind, channel mismatch."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from napari_molfield.autoencoder.checkpoint import load_autoencoder, save_autoencoder
from napari_molfield.autoencoder.encode import decode_latent
from napari_molfield.autoencoder.model import AEModel, AutoEncoder
from napari_molfield.errors import MolfieldError
from napari_molfield.nn.config import ModelConfig
from napari_molfield.nn.encoder import ConvEncoder, EncoderConfig


def _model(channels=("H", "C", "O")) -> AEModel:
    torch.manual_seed(0)
    c = len(channels)
    net = AutoEncoder(EncoderConfig(c, 8, 16, 4, 2),
                      ModelConfig(out_channels=c, latent_dim=8, width=16, depth=2))
    return AEModel(net, tuple(channels), 16, 20.0, 2.0, meta={"split": {"train": ["a"]}},
                   dataset_latents=np.ones((1, 8), np.float32))


def test_encoder_shapes():
    enc = ConvEncoder(EncoderConfig(9, 32, 32, 8, 3))
    assert enc(torch.rand(2, 9, 32, 32, 32)).shape == (2, 32)
    with pytest.raises(MolfieldError, match="expects grids"):
        enc(torch.rand(2, 9, 16, 16, 16))
    with pytest.raises(MolfieldError, match="multiple"):
        EncoderConfig(9, 32, 30, 8, 3)
    m = _model()
    vals, z = m.net(torch.rand(3, 3, 16, 16, 16), torch.rand(3, 100, 3))
    assert vals.shape == (3, 100, 3) and z.shape == (3, 8)
    # chunked decoding equals one pass
    grid = torch.rand(500, 3) * 2 - 1
    np.testing.assert_allclose(m.net.decode(z, grid, chunk=64).detach(),
                               m.net.decode(z, grid).detach(), atol=1e-6)


def test_checkpoint_round_trip(tmp_path):
    m = _model()
    path = save_autoencoder(m, tmp_path / "ae.safetensors")
    back = load_autoencoder(path)
    assert back.channels == m.channels and back.resolution == 16 and back.box_edge == 20.0
    assert back.meta["split"] == {"train": ["a"]}
    np.testing.assert_array_equal(back.dataset_latents, m.dataset_latents)
    for a, b in zip(m.net.state_dict().values(), back.net.state_dict().values(), strict=True):
        torch.testing.assert_close(a, b)
    z = np.zeros(8, np.float32)
    f = decode_latent(back, z, 12, centre=(1, 2, 3))
    assert f.values.shape == (3, 12, 12, 12) and f.box.centre == (1.0, 2.0, 3.0)
    np.testing.assert_allclose(f.values, decode_latent(m, z, 12).values, atol=1e-6)
    with pytest.raises(MolfieldError, match="latent of length"):
        decode_latent(back, np.zeros(3), 8)


def test_bad_checkpoints(tmp_path):
    from safetensors.torch import save_file

    p = tmp_path / "other.safetensors"
    save_file({"x": torch.zeros(1)}, str(p),
              metadata={"molfield": '{"format": "napari-molfield/auto-decoder", "version": 1}'})
    with pytest.raises(MolfieldError, match="not an auto-encoder"):
        load_autoencoder(p)
    junk = tmp_path / "junk.safetensors"
    junk.write_bytes(b"not a model")
    with pytest.raises(MolfieldError, match="not a readable"):
        load_autoencoder(junk)
    with pytest.raises(MolfieldError, match="no such model"):
        load_autoencoder(tmp_path / "missing.safetensors")
