"""Frames left out of a deformable fit get latents from their fields alone (issue 24)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield import models
from napari_molfield.chem.molecule import Molecule
from napari_molfield.deform.fit import fit_deform, fit_deform_model
from napari_molfield.deform.holdout import fit_latents, holdout_frames
from napari_molfield.errors import MolfieldError

from .conftest import ELEMENTS, TINY, rigid_motion


def _path(n: int = 9) -> Molecule:
    """Methanol sliding 0 → 4 Å along x in ``n`` frames (a one-dimensional transition)."""
    frames = np.stack([rigid_motion(0.0, 4.0 * k / (n - 1))[1] for k in range(n)])
    return Molecule(ELEMENTS, frames, name="slide", source="test",
                    conformer_names=[f"frame {k}" for k in range(n)])


def test_holdout_frames_leave_out_every_kth_but_never_the_ends():
    assert holdout_frames(10, 3) == [2, 5, 8]
    assert holdout_frames(9, 4) == [3, 7] and holdout_frames(8, 4) == [3]
    for bad in (1, 0, True, 2.5):
        with pytest.raises(MolfieldError, match="K ≥ 2"):
            holdout_frames(10, bad)
    with pytest.raises(MolfieldError, match="leaves no frame out"):
        holdout_frames(3, 5)


@pytest.fixture(scope="module")
def held_model():
    return fit_deform_model(_path(), steps=100, seed=0, holdout=4, **TINY)


def test_the_model_holds_every_frame_in_order_with_the_held_out_marked(held_model, tmp_path):
    m = held_model
    assert m.n_items == 9 and m.coords.shape == (9, 6, 3)
    assert models.held_out(m) == [3, 7]
    assert [n.endswith(f"frame {k}]") for k, n in enumerate(m.item_names)] == [True] * 9
    np.testing.assert_allclose(m.coords, _path().coords)  # the inputs, held-out ones too
    assert np.isfinite(models.latents(m)).all()
    back = models.load(models.save(m, tmp_path / "held.safetensors"))
    assert models.held_out(back) == [3, 7]
    np.testing.assert_allclose(models.latents(back), models.latents(m))


def test_a_held_out_latent_is_fitted_to_its_field(held_model):
    # the network saw frames 0-2, 4-6 and 8 only (a search starts from their latents)
    losses = [p.loss for p in fit_latents(held_model, _path().coords[[3, 7]], steps=60,
                                          seed=0)]
    assert len(losses) == 60 and np.isfinite(losses).all()
    # the field loss at the end is below the loss of the best fitted latent it started from
    assert np.mean(losses[-5:]) < np.mean(losses[:5])


def test_held_out_progress_comes_after_the_fit_and_ends_with_the_whole_model():
    stages = []
    last = None
    for last in fit_deform(_path(), steps=20, seed=0, holdout=4, **TINY):
        if not stages or stages[-1] != last.stage:
            stages.append(last.stage)
    assert stages == ["fit", "held-out", "done"]
    assert last is not None and last.model.n_items == 9


def test_fit_latents_refuses_frames_of_other_atoms(held_model):
    with pytest.raises(MolfieldError, match="6 atoms"):
        next(fit_latents(held_model, np.zeros((1, 5, 3))))
