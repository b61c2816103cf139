"""Fitting: quality, reproducibility, early stop, divergence, settings."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from napari_molfield.autodecoder.config import FitConfig, get_preset
from napari_molfield.autodecoder.decode import decode, truth_field
from napari_molfield.autodecoder.fit import fit, fit_model
from napari_molfield.errors import MolfieldError
from napari_molfield.fields.metrics import psnr
from napari_molfield.nn.config import ModelConfig

from .conftest import exact_field


def test_tiny_fit_reaches_psnr(tiny_model):
    m = tiny_model
    assert m.history[-1]["psnr"] > 35
    for n in (16, 24):
        dec, truth = decode(m, 0, n), truth_field(m, 0, n)
        assert dec.values.shape == (3, n, n, n)
        assert psnr(dec.values, truth.values) > 33


def test_truth_matches_reference_and_scale(tiny_model, water_methanol):
    m = tiny_model
    t = truth_field(m, 0, 12)
    tab = m.table(0)
    ref = exact_field(tab.xyz, tab.radius, tab.channel, tab.weight, 3, m.beta,
                      m.box(0).grid_points(12)) / m.scale(0)
    np.testing.assert_allclose(t.values.reshape(3, -1).T, ref, atol=2e-4)
    assert t.meta["scale"] == list(m.items[0]["scale"])
    at_atoms = exact_field(tab.xyz, tab.radius, tab.channel, tab.weight, 3, m.beta, tab.xyz)
    peaks = [at_atoms[tab.channel == c, c].max() for c in range(3)]
    np.testing.assert_allclose(m.scale(0), peaks, rtol=1e-4)


def test_progress_records_and_early_stop(water_methanol, tmp_path):
    gen = fit(water_methanol, channels="C,O", resolution=8, preset="tiny", steps=1000,
              eval_every=5, device="cpu")
    first = next(gen)
    assert first.step == 0 and math.isnan(first.loss) and first.psnr is not None
    for p in gen:
        assert p.model is first.model and p.lr > 0 and p.elapsed >= 0
        if p.step == 12:
            break
    gen.close()
    m = p.model
    early = decode(m, 0, 8).values
    assert early.shape == (2, 8, 8, 8)
    from napari_molfield.autodecoder.checkpoint import load_model, save_model

    back = load_model(save_model(m, tmp_path / "early.safetensors"))
    np.testing.assert_allclose(decode(back, 0, 8).values, early, atol=1e-6)


def test_seeded_fits_are_reproducible(water_methanol):
    kw = dict(channels="C", resolution=8, preset="tiny", steps=20, seed=3, device="cpu")
    a, b = fit_model(water_methanol, **kw), fit_model(water_methanol, **kw)
    for pa, pb in zip(a.network.parameters(), b.network.parameters(), strict=True):
        assert torch.equal(pa, pb)
    assert torch.equal(a.latents, b.latents)


def test_divergence_raises_and_keeps_finite_weights(water_methanol):
    gen = fit(water_methanol, channels="C,O", resolution=8, preset="tiny", steps=200,
              lr=1e6, lr_latent=1e6, device="cpu")
    first = next(gen)
    with pytest.raises(MolfieldError, match="diverged") as err:
        for _ in gen:
            pass
    m = first.model
    assert err.value.model is m
    assert all(torch.isfinite(p).all() for p in m.network.parameters())
    assert np.isfinite(decode(m, 0, 8).values).all()


def test_conformers_are_items_with_one_box(water_methanol):
    from napari_molfield.chem.molecule import Molecule

    xyz = water_methanol.coords[0]
    two = Molecule(water_methanol.elements, np.stack([xyz, xyz + 0.5]), name="m2")
    m = fit_model([two, water_methanol], channels="C", resolution=8, preset="tiny", steps=5,
                  device="cpu")
    assert m.n_items == 3 and m.latents.shape == (3, m.config.latent_dim)
    assert m.items[0]["box"] == m.items[1]["box"] != m.items[2]["box"]
    assert [it["conformer"] for it in m.items] == [0, 1, 0]
    assert m.item_index(m.items[2]["name"]) == 2


def test_bad_settings(water_methanol):
    with pytest.raises(MolfieldError, match="preset"):
        fit(water_methanol, preset="huge")
    with pytest.raises(MolfieldError, match="setting"):
        fit(water_methanol, widht=3)
    with pytest.raises(MolfieldError, match="resolution"):
        fit(water_methanol, resolution=1)
    with pytest.raises(MolfieldError, match="ligand"):
        fit(water_methanol, channels="C", split=True)
    with pytest.raises(MolfieldError):
        fit([])
    with pytest.raises(MolfieldError, match="modulation"):
        ModelConfig(modulation="film")
    with pytest.raises(MolfieldError):
        FitConfig(frac_grid=0, frac_uniform=0, frac_near=0)


def test_config_round_trip():
    for name in ("tiny", "cpu", "gpu"):
        pre = get_preset(name)
        assert ModelConfig.from_dict(pre.model.to_dict()) == pre.model
        assert FitConfig.from_dict(pre.fit.to_dict()) == pre.fit
    with pytest.raises(MolfieldError, match="Unknown"):
        ModelConfig.from_dict({"nope": 1})
