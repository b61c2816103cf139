"""The deformable fit on the shared training loop: records, history, divergence, warnings."""

from __future__ import annotations

import math
import warnings

import pytest
import torch

from napari_molfield.deform.fit import fit_deform
from napari_molfield.errors import MolfieldError

from .conftest import TINY


def test_records_cadence_and_history(moving):
    with warnings.catch_warnings():  # 7 steps may end below step 0 (restored: not tested here)
        warnings.simplefilter("ignore", RuntimeWarning)
        recs = list(fit_deform(moving, steps=7, eval_every=3, seed=0, warmup=5, **TINY))
    assert [r.step for r in recs] == list(range(8))
    assert math.isnan(recs[0].loss) and math.isnan(recs[0].atom_rmsd)
    assert all(r.atom_rmsd >= 0 and r.loss >= 0 for r in recs[1:])
    assert [r.step for r in recs if r.evaluated] == [0, 3, 6, 7]
    hist = recs[-1].model.history
    assert [h["step"] for h in hist if "restored" not in h] == [0, 3, 6, 7]
    assert hist[1]["atom_rmsd"] == pytest.approx(recs[3].atom_rmsd)
    assert hist[1]["loss"] == pytest.approx(recs[3].loss)


def test_seeded_records_repeat(moving):
    kw = dict(steps=6, seed=4, warmup=5, **TINY)
    a = [(r.loss, r.psnr, r.atom_rmsd) for r in fit_deform(moving, **kw)]
    b = [(r.loss, r.psnr, r.atom_rmsd) for r in fit_deform(moving, **kw)]
    assert a[1:] == b[1:] and a[0][1] == b[0][1]


def test_divergence_raises_and_keeps_finite_weights(moving):
    # no warm-up: it runs before the loop (set-up) and has no divergence check of its own
    gen = fit_deform(moving, steps=50, seed=0, lr=1e6, lr_warp=1e6, lr_latent=1e6, warmup=0,
                     **TINY)
    first = next(gen)
    with pytest.raises(MolfieldError, match="diverged") as err:
        for _ in gen:
            pass
    model = first.model
    assert err.value.model is model
    assert all(torch.isfinite(p).all() for p in model.network.parameters())
    assert torch.isfinite(model.latents).all()


def test_the_keep_best_warning_points_at_the_caller(moving, monkeypatch):
    import napari_molfield.deform.fit as fit_mod

    scores = iter([20.0, 30.0, 21.0])
    monkeypatch.setattr(fit_mod, "evaluate", lambda *_a, **_k: next(scores))
    with pytest.warns(RuntimeWarning, match="deformable fit got worse after step 2") as rec:
        for _ in fit_deform(moving, steps=4, eval_every=2, seed=0, warmup=5, **TINY):
            pass
    assert rec[0].filename == __file__
