"""The canonical frame: encodings that do not depend on the input's orientation, decoded
fields back in the user's frame, and the offline training corpus."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.autoencoder.frames import (
    Frame,
    atom_weights,
    canonical_frame,
    proper_flips,
)
from napari_molfield.autoencoder.inputs import random_rotations
from napari_molfield.chem.molecule import Molecule
from napari_molfield.chem.smiles import from_smiles

SHAPES = {
    "ibuprofen": "CC(C)Cc1ccc(cc1)C(C)C(=O)O",  # asymmetric
    "benzene": "c1ccccc1",  # planar, degenerate in-plane axes, no skewness
    "methane": "C",  # spherical top
    "ethane": "CC",  # mirror planes: skewness zero on every axis
    "carbon dioxide": "O=C=O",  # linear
    "chloroform": "ClC(Cl)Cl",  # symmetric top
    "L-alanine": "C[C@H](N)C(=O)O",
}


def rotated(mol: Molecule, rot: np.ndarray, shift: np.ndarray) -> Molecule:
    c = mol.coords[0]
    return Molecule(list(mol.elements), (c - c.mean(0)) @ rot.T + shift, name=mol.name,
                    smiles=mol.smiles)


@pytest.mark.parametrize("smiles", list(SHAPES.values()), ids=list(SHAPES))
def test_frame_follows_any_rotation(smiles):
    mol = from_smiles(smiles)
    w = atom_weights(mol.elements)
    x = mol.coords[0]
    ref = canonical_frame(x, w)
    assert np.isclose(np.linalg.det(ref.axes), 1.0)
    np.testing.assert_allclose(ref.axes @ ref.axes.T, np.eye(3), atol=1e-12)
    c0 = ref.to_canonical(x)
    np.testing.assert_allclose(ref.from_canonical(c0), x, atol=1e-10)
    rng = np.random.default_rng(1)
    for rot, shift in zip(random_rotations(12, rng), rng.normal(0, 20, (12, 3)), strict=True):
        y = rotated(mol, rot, shift).coords[0]
        np.testing.assert_allclose(canonical_frame(y, w).to_canonical(y), c0, atol=1e-6)


def test_principal_axes_are_sorted_and_signed_by_skewness():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 3)) * [4.0, 2.0, 1.0]
    x[:, 0] = np.abs(x[:, 0]) ** 1.5  # a long tail towards +x
    x[:, 1] = -np.abs(x[:, 1]) ** 1.5  # and towards −y
    f = canonical_frame(x)
    c = f.to_canonical(x)
    var = c.var(axis=0)
    assert var[0] > var[1] > var[2]
    assert ((c[:, 0] - c[:, 0].mean()) ** 3).mean() > 0
    assert ((c[:, 1] - c[:, 1].mean()) ** 3).mean() > 0
    assert abs(f.axes[0] @ [1, 0, 0]) > 0.99 and abs(f.axes[1] @ [0, 1, 0]) > 0.99
    assert f.axes[1] @ [0, 1, 0] < 0  # the tail pointed to −y: the axis is turned round


def test_mirror_images_stay_apart():
    mol = from_smiles(SHAPES["L-alanine"])
    w = atom_weights(mol.elements)
    x = mol.coords[0]
    m = x * [-1, 1, 1]
    a = canonical_frame(x, w).to_canonical(x)
    b = canonical_frame(m, w).to_canonical(m)
    assert np.abs(a - b).max() > 0.5  # not superposable: the frame does not mirror
    np.testing.assert_allclose(np.sort(np.linalg.norm(a, axis=1)),
                               np.sort(np.linalg.norm(b, axis=1)), atol=1e-9)


def test_flips_are_proper_rotations():
    flips = proper_flips()
    assert flips.shape == (4, 3, 3)
    np.testing.assert_allclose(np.linalg.det(flips), 1.0)
    assert np.allclose(flips[0], np.eye(3))
    f = Frame(np.zeros(3), np.eye(3))
    assert np.allclose(f.to_canonical([[1.0, 2.0, 3.0]]), [[1.0, 2.0, 3.0]])


@pytest.fixture(scope="module")
def tiny_canonical(small_dataset):
    """A tiny canonical-frame auto-encoder trained for a few steps (untrained weights
    suffice for invariance; a few steps make the overlay test meaningful)."""
    from napari_molfield.autoencoder.train import train

    run = train(small_dataset, steps=60, seed=0, preset="tiny", resolution=16,
                box_edge=16.0, batch_items=4, batch_points=512, eval_every=1000,
                eval_items=2, device="cpu", lr=3e-3, lr_encoder=3e-3, canonical=True,
                flip_prob=0.1)
    for _ in run:
        pass
    return run.model


def test_encoding_does_not_depend_on_orientation(tiny_canonical):
    from napari_molfield.autoencoder.encode import encode_molecules

    model = tiny_canonical
    assert model.canonical
    mols = [from_smiles(s, name=n) for n, s in SHAPES.items()]
    ref = encode_molecules(model, mols)
    rng = np.random.default_rng(3)
    rots = random_rotations(len(mols), rng)
    turned = [rotated(m, r, rng.normal(0, 3, 3)) for m, r in zip(mols, rots, strict=True)]
    z = encode_molecules(model, turned)
    drift = np.linalg.norm(z - ref, axis=1)
    spread = np.linalg.norm(ref[:, None] - ref[None], axis=2)
    assert drift.max() < 1e-3 * spread[spread > 0].min(), (drift, spread)


def test_decoded_field_overlays_the_input_in_the_users_frame(tiny_canonical):
    from napari_molfield.autoencoder.encode import encode_molecules
    from napari_molfield.autoencoder.placement import (
        decode_placed,
        decode_points,
        evaluate_placed,
        placement,
    )
    from napari_molfield.fields.sample import sample_table

    model = tiny_canonical
    mol = from_smiles("Oc1ccccc1")  # phenol, a training molecule: the model knows it
    rot = random_rotations(1, np.random.default_rng(5))[0]
    shift = np.array([30.0, -12.0, 4.0])
    turned = rotated(mol, rot, shift)
    z = encode_molecules(model, [turned])[0]
    where = placement(model, turned)
    f = decode_placed(model, z, where, 24)
    # the field sits on the user's atoms: same box as the input, same place
    assert where.user_box.contains(turned.coords[0])
    np.testing.assert_allclose(f.box.centre, where.user_box.centre)
    truth = sample_table(where.table, where.user_box, 24, beta=model.beta)
    c = model.channels.index("C")
    corr = np.corrcoef(truth[c].ravel(), f.values[c].ravel())[0, 1]
    assert corr > 0.5, corr
    # exact: the field at rotated points of the turned molecule = the original's
    ref = placement(model, mol)
    pts = ref.user_box.grid_points(12).reshape(-1, 3)
    x0 = mol.coords[0].mean(0)
    np.testing.assert_allclose(decode_points(model, z, where, (pts - x0) @ rot.T + shift),
                               decode_points(model, z, ref, pts), atol=1e-4)
    ev = evaluate_placed(model, [mol, turned], np.stack([z, z]))
    a, b = ev["per_molecule"]["psnr"]
    assert abs(a - b) < 1.5, (a, b)  # same quality in any orientation (grids differ)
    assert np.isfinite(ev["per_molecule"]["psnr_zero"]).all()  # the baseline is reported


def test_checkpoint_keeps_the_frame(tiny_canonical, tmp_path):
    from napari_molfield.autoencoder.checkpoint import load_autoencoder, save_autoencoder
    from napari_molfield.autoencoder.encode import encode_molecules

    path = save_autoencoder(tiny_canonical, tmp_path / "c.safetensors")
    back = load_autoencoder(path)
    assert back.frame == tiny_canonical.frame and back.canonical
    mol = from_smiles(SHAPES["chloroform"])
    np.testing.assert_allclose(encode_molecules(back, [mol]),
                               encode_molecules(tiny_canonical, [mol]), atol=1e-5)


def test_corpus_keeps_held_out_drugs_out(tmp_path):
    from napari_molfield.autoencoder.corpus import UNSEEN_DRUGS, canonical, drug_like_records

    smi = tmp_path / "extra.smi"
    rows = ["CC(C)Cc1ccc(cc1)C(C)C(=O)O 1", "CCO.Cl 2", "[Na+].CC(=O)[O-] 3",
            "c1ccc2ccccc2c1 4", "C[Hg]C 5", "c1ccc2ccccc2c1 6", "not-a-smiles 7"]
    smi.write_text("\n".join(rows) + "\n")
    kept, problems, looked = drug_like_records(smi, exclude=UNSEEN_DRUGS.values(),
                                               heavy=(3, 36))
    assert looked == 7
    assert [r.name for r in kept] == ["nci_2", "nci_3", "nci_4"]
    assert kept[0].smiles == "CCO" and kept[1].smiles == "CC(=O)[O-]"  # largest fragment
    reasons = {p.name: p.reason for p in problems}
    assert "excluded" in reasons["1"] and "duplicate" in reasons["6"]
    assert "Hg" in reasons["5"] and "parse" in reasons["7"]
    assert all(canonical(s) for s in UNSEEN_DRUGS.values())


def test_unseen_drugs_are_unseen():
    from napari_molfield.autoencoder.corpus import (
        UNSEEN_DRUGS,
        canonical,
        drug_like_records,
        nci_path,
    )
    from napari_molfield.autoencoder.records import read_records

    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    freesolv = {canonical(r.smiles) for r in
                read_records(root / "sample_data" / "freesolv_database.txt")[0]}
    drugs = {canonical(s) for s in UNSEEN_DRUGS.values()}
    assert len(drugs) == 10 and not drugs & freesolv
    kept, _, _ = drug_like_records(nci_path(), exclude=[*freesolv, *drugs], limit=400)
    assert len(kept) == 400 and not {r.smiles for r in kept} & (drugs | freesolv)
