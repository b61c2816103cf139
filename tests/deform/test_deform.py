"""The deformable model: displacements, atoms along the path, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.molecule import Molecule
from napari_molfield.chem.readers import read_molecules
from napari_molfield.deform.checkpoint import load_deform, save_deform
from napari_molfield.deform.decode import atoms_at, decode_deform, displacement, truth_field
from napari_molfield.deform.ensemble import ensemble_molecule, is_ensemble
from napari_molfield.deform.fit import fit_deform, fit_deform_model
from napari_molfield.deform.interpolate import interpolator
from napari_molfield.errors import MolfieldError
from napari_molfield.fields.metrics import psnr

from .conftest import ELEMENTS, TINY, XYZ

#: Å: a PDB file keeps three decimals.
PDB_TOL = 1.5e-3
#: Å. The tiny fit's displacement field alone puts every atom of each conformer within
#: 0.44 Å of its input atom (seen: 0.03–0.44), while each input atom lies 1.6–2.2 Å from
#: the template: a zero displacement field, which leaves the atoms on the template,
#: misses by more than `NETWORK_TOL` and moves them by less than `MOVED`.
NETWORK_TOL, MOVED = 0.75, 1.0


def test_identical_conformers_give_no_displacement():
    mol = Molecule(ELEMENTS, np.stack([XYZ, XYZ, XYZ]), name="still")
    model = fit_deform_model(mol, steps=60, seed=1, **TINY)
    grid = model.region.grid_points(8).reshape(-1, 3)
    for k in range(3):
        d_atoms = np.linalg.norm(displacement(model, XYZ, k), axis=-1)
        d_grid = np.linalg.norm(displacement(model, grid, k), axis=-1)
        assert d_atoms.max() < 0.1, d_atoms
        assert d_grid.mean() < 0.1 and d_grid.max() < 0.3


def test_keys_give_back_their_atoms_also_through_a_pdb_file(moving, moving_model, tmp_path):
    interp = interpolator(moving_model, None, 12)
    assert interp.moves_atoms and interp.key_times.tolist() == [0.0, 1.0]
    for k, t in enumerate((0.0, 1.0)):
        assert np.abs(interp.atoms(t) - moving.coords[k]).max() < 1e-4
    path = interp.write_atoms(tmp_path / "movie.pdb", 5)
    back = read_molecules(path)[0]
    assert back.n_conformers == 5 and back.n_atoms == 6
    assert list(back.elements) == ELEMENTS
    assert np.abs(back.coords[0] - moving.coords[0]).max() < PDB_TOL
    assert np.abs(back.coords[-1] - moving.coords[1]).max() < PDB_TOL


def test_reversed_path_and_the_shared_interface(moving, moving_model, tmp_path):
    interp = interpolator(moving_model, [1, 0], 10, mode="slerp", names=["end", "start"])
    assert interp.names == ["end", "start"] and interp.mode == "slerp"
    assert np.abs(interp.atoms(0.0) - moving.coords[1]).max() < 1e-4  # key 0 is item 1
    assert np.abs(interp.atoms(1.0) - moving.coords[0]).max() < 1e-4
    np.testing.assert_allclose(interp.latent(0.0), moving_model.latent(1).numpy(), atol=1e-6)
    assert interp.box(0.4) == moving_model.region
    np.testing.assert_allclose(interp.scale(0.4), moving_model.scale(0))
    np.testing.assert_allclose(interp.values_of(interp.latent(0.5)), interp.values(0.5))
    d = interp.arrays([0.0, 1.0])
    assert d["values"].shape == (2, len(moving_model.channels), 10, 10, 10)
    with pytest.raises(MolfieldError, match=r"written as \.pdb"):
        interp.write_atoms(tmp_path / "x.xyz", 2)
    with pytest.raises(MolfieldError, match="use atoms or all"):
        interpolator(moving_model, None, 10, support="near")


def test_the_displacement_field_carries_the_atoms_to_each_conformer(moving, moving_model):
    """`atoms_at` alone (no per-key residual, which would hide a field that moves nothing)
    lands the template's atoms on the true atoms of each conformer."""
    template = moving_model.template_xyz
    away = [k for k in range(2)
            if np.linalg.norm(moving.coords[k] - template, axis=-1).min() > MOVED]
    assert away, "no conformer lies away from the template: nothing to test"
    for k in away:
        atoms = atoms_at(moving_model, moving_model.latent(k))
        miss = np.linalg.norm(atoms - moving.coords[k], axis=-1)
        moved = np.linalg.norm(atoms - template, axis=-1)
        assert miss.max() < NETWORK_TOL, (k, miss)
        assert moved.min() > MOVED, (k, moved)


def test_rigid_motion_atoms_at_half_lie_between_the_ends(moving, moving_model):
    # (the linear morph of the ends passes this too: the test above is the one that needs
    # the displacement field to move the atoms)
    a, b = moving.coords
    mid = interpolator(moving_model, None, 12).atoms(0.5)
    seg = b - a
    s = ((mid - a) * seg).sum(-1) / (seg * seg).sum(-1)  # where along each atom's path
    off = np.linalg.norm(mid - (a + s[:, None] * seg), axis=-1)  # away from the path
    assert ((s > 0.2) & (s < 0.8)).all(), s
    assert off.max() < 0.4, off


def test_half_frame_moves_density_rather_than_fading_it(moving, moving_model):
    interp = interpolator(moving_model, None, 12, support="all")
    morph = moving.coords.mean(0)
    truth_mid = truth_field(moving_model, 0, 12, coords=morph).values
    ends = [truth_field(moving_model, k, 12).values for k in (0, 1)]
    fade = 0.5 * (ends[0] + ends[1])
    mid = interp.values(0.5)
    # the frame is closer to the morphed atoms' field than even the exact cross-fade is
    assert psnr(mid, truth_mid) > psnr(fade, truth_mid) + 0.5
    dense = decode_deform(moving_model, 0, 12, skip_empty=False).values
    assert np.allclose(interp.values(0.0), dense, atol=1e-4)


def test_support_frames_match_the_full_decode_inside_the_support(moving_model):
    fast = interpolator(moving_model, None, 12)
    full = interpolator(moving_model, None, 12, support="all")
    assert 0 < fast.support_fraction < 1
    inside = np.zeros(12**3, bool)
    inside[fast.index] = True
    a, b = fast.values(0.3), full.values(0.3)
    assert np.allclose(a[:, inside.reshape(12, 12, 12)], b[:, inside.reshape(12, 12, 12)],
                       atol=1e-5)
    f, xyz = fast.field(0.3), fast.atoms(0.3)
    assert f.meta["t"] == pytest.approx(0.3) and xyz.shape == (6, 3)
    assert f.meta["model"] == "deformable" and f.meta["items"] == [0, 1]


def test_checkpoint_round_trip(moving_model, tmp_path):
    from napari_molfield.autodecoder.checkpoint import load_model
    from napari_molfield.nn.checkpoint import DEFORMABLE, checkpoint_format

    path = save_deform(moving_model, tmp_path / "m.safetensors")
    assert checkpoint_format(path) == DEFORMABLE
    back = load_deform(path)
    assert back.items == moving_model.items and back.channels == moving_model.channels
    assert np.array_equal(back.coords, moving_model.coords)
    assert back.atoms == moving_model.atoms
    assert np.allclose(decode_deform(back, 1, 10).values,
                       decode_deform(moving_model, 1, 10).values, atol=1e-6)
    with pytest.raises(MolfieldError, match="deformable ensemble model, not a fitted"):
        load_model(path)


def test_different_atoms_are_one_sentence():
    other = Molecule(["C", "O", "H", "H", "H", "N"], XYZ, name="other")
    same = Molecule(ELEMENTS, XYZ + 1.0, name="same")
    assert not is_ensemble([same, other]) and is_ensemble([same, same])
    with pytest.raises(MolfieldError, match=r"atom 6 is H in one and N in the other") as err:
        ensemble_molecule([same, other])
    assert str(err.value).count(". ") == 0
    with pytest.raises(MolfieldError, match="at least two conformers"):
        fit_deform(same, **TINY)


def test_a_fit_that_gets_worse_keeps_its_best_weights(moving, monkeypatch):
    """Evaluations 20, 30, 22, 21 dB: the model goes back to the step of 30 dB, says so."""
    import torch

    import napari_molfield.deform.fit as fit_mod
    import napari_molfield.nn.loop as loop_mod

    scores = iter([20.0, 30.0, 22.0, 21.0])
    saved = {}
    real_snapshot = loop_mod.snapshot

    def fake_evaluate(*_a, **_k):
        return next(scores)

    def spy_snapshot(net, latents):
        snap = real_snapshot(net, latents)
        saved[len(saved)] = snap
        return snap

    monkeypatch.setattr(fit_mod, "evaluate", fake_evaluate)
    monkeypatch.setattr(loop_mod, "snapshot", spy_snapshot)
    with pytest.warns(RuntimeWarning, match="worse after step 100"):
        model = fit_mod.fit_deform_model(moving, resolution=12, preset="tiny", steps=300,
                                         eval_every=100, device="cpu", seed=0)
    assert model.history[-1]["restored"] == 100 and model.history[-1]["psnr"] == 30.0
    best = saved[1]  # snapshots: step 0, then 100 (30 dB), 200, 300
    for name, value in model.network.state_dict().items():
        assert torch.equal(value, best[name]), name
    assert torch.equal(model.latents, best["__latents__"])
