"""The deformable model's ``"atoms"`` decoder: latents → every atom → Eq. 1 (issue 24).

On the 38 NMR models of Trp-cage (1L2Y, 304 atoms with hydrogens): every model's field
comes back far above its zero-field baseline, the field is exactly Eq. 1 of the decoded
atoms, and paths, checkpoints and held-out frames work as for the warp decoder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_molfield import models
from napari_molfield.chem.readers import read_molecules
from napari_molfield.deform.decode import atoms_at, displacement, truth_field
from napari_molfield.deform.fit import fit_deform_model
from napari_molfield.deform.holdout import fit_latents
from napari_molfield.errors import MolfieldError
from napari_molfield.fields.metrics import field_report

DATA = Path(__file__).resolve().parents[1] / "data"
SMALL = {"resolution": 24, "preset": "atoms", "device": "cpu", "latent_dim": 8,
         "atom_width": 64, "seed": 0}


def _rmsd(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.sum((a - b) ** 2, -1))))


@pytest.fixture(scope="module")
def trp_cage():
    return read_molecules(DATA / "1l2y.pdb")[0]


@pytest.fixture(scope="module")
def atom_model(trp_cage):
    return fit_deform_model(trp_cage, steps=300, **SMALL)


def test_every_conformer_field_is_far_above_its_zero_field(atom_model):
    m = atom_model
    assert m.n_items == 38 and m.decodes_atoms and m.config.n_atoms == 304
    z = models.latents(m)
    for i in range(m.n_items):
        r = field_report(models.decode(m, i, 24).values, models.truth(m, i, 24).values)
        assert r.psnr - r.zero_psnr >= 15.0, (i, r.psnr, r.zero_psnr)
        assert _rmsd(atoms_at(m, z[i]), m.coords[i]) < 0.2


def test_the_field_is_eq1_of_the_decoded_atoms_at_any_latent(atom_model):
    m = atom_model
    z = 0.3 * models.latents(m)[2] + 0.7 * models.latents(m)[30]
    xyz = atoms_at(m, z)
    dec = models.decode(m, 0, 20, latent=z)
    np.testing.assert_allclose(dec.values, truth_field(m, 0, 20, coords=xyz).values,
                               atol=1e-6)
    pts = xyz[:5] + 0.3
    from napari_molfield.deform.decode import decode_points

    at_points = decode_points(m, 0, pts, latent=z)
    assert at_points.shape == (5, len(m.channels)) and at_points.max() > 0.1
    with pytest.raises(MolfieldError, match="decodes atoms"):
        displacement(m, pts, 0)


def test_the_fit_starts_from_the_principal_components(trp_cage):
    m = fit_deform_model(trp_cage, steps=0, **SMALL)
    flat = trp_cage.coords.reshape(38, -1)
    centred = flat - flat.mean(0)
    u, s, vt = np.linalg.svd(centred, full_matrices=False)
    pca = (u[:, :8] * s[:8]) @ vt[:8] + flat.mean(0)
    got = np.stack([atoms_at(m, z) for z in models.latents(m)]).reshape(38, -1)
    np.testing.assert_allclose(got, pca, atol=2e-3)
    spread = models.latents(m).std(0)
    assert np.all(np.diff(spread) <= 1e-6)  # axis 1 the ensemble's largest motion


def test_paths_give_back_the_keys_and_render_their_atoms(atom_model, tmp_path):
    m = atom_model
    interp = models.interpolator(m, [3, 20], 20)
    assert interp.moves_atoms
    np.testing.assert_allclose(interp.atoms(0.0), m.coords[3], atol=1e-6)
    np.testing.assert_allclose(interp.atoms(1.0), m.coords[20], atol=1e-6)
    mid = interp.atoms(0.5)
    assert 0.0 < _rmsd(mid, m.coords[3]) < _rmsd(m.coords[20], m.coords[3])
    np.testing.assert_allclose(interp.field(0.5).values,
                               truth_field(m, 3, 20, coords=mid).values, atol=1e-6)
    pdb = interp.write_atoms(tmp_path / "path.pdb", 4)
    assert pdb.read_text().count("ENDMDL") == 4


def test_a_checkpoint_keeps_the_decoder(atom_model, tmp_path):
    back = models.load(models.save(atom_model, tmp_path / "atoms.safetensors"))
    assert back.decodes_atoms and back.config.decoder == "atoms"
    z = models.latents(atom_model)[7]
    np.testing.assert_allclose(atoms_at(back, z), atoms_at(atom_model, z), atol=1e-6)


def test_held_out_models_are_fitted_to_their_fields(trp_cage):
    m = fit_deform_model(trp_cage, steps=300, holdout=5, **SMALL)
    held = models.held_out(m)
    assert held == [4, 9, 14, 19, 24, 29, 34]
    fitted = [i for i in range(38) if i not in held]
    z = models.latents(m)
    for i in held:
        typical = np.median([_rmsd(m.coords[j], m.coords[i]) for j in fitted])
        # NMR models are no continuum: closer than a typical structure the decoder was shown
        assert _rmsd(atoms_at(m, z[i]), m.coords[i]) < typical, i
    losses = [p.loss for p in fit_latents(m, trp_cage.coords[held[:2]], steps=40, seed=0)]
    assert np.isfinite(losses).all() and np.mean(losses[-5:]) < np.mean(losses[:5])


def test_an_unknown_decoder_is_one_sentence(trp_cage):
    with pytest.raises(MolfieldError, match="Unknown decoder 'pixels'"):
        fit_deform_model(trp_cage, steps=1, decoder="pixels", **{
            k: v for k, v in SMALL.items() if k != "preset"})
