"""Encoding a known molecule: refinement on by default, zero-field baselines in every
report, atoms back in the file's own frame with the molecule's own channel scales."""

from __future__ import annotations

import numpy as np
import pytest
from rdkit import Chem
from rdkit.Chem import AllChem

from napari_molfield.cli.main import main

SHIFT = np.array([10.0, -5.0, 3.0])


@pytest.fixture(scope="module")
def shifted_sdf(tmp_path_factory):
    """Paracetamol embedded by RDKit, then moved 12 Å away from the origin."""
    mol = Chem.AddHs(Chem.MolFromSmiles("CC(=O)Nc1ccc(O)cc1"))
    assert AllChem.EmbedMolecule(mol, randomSeed=7) == 0
    conf = mol.GetConformer()
    xyz = conf.GetPositions()
    xyz -= xyz.mean(0)
    for i, p in enumerate(xyz + SHIFT):
        conf.SetAtomPosition(i, p.tolist())
    path = tmp_path_factory.mktemp("para") / "para.sdf"
    Chem.MolToMolFile(mol, str(path))
    return path


def test_encode_writes_the_zero_field_next_to_each_psnr(shifted_sdf, tmp_path, capsys):
    out = tmp_path / "z.npz"
    assert main(["encode", "default", str(shifted_sdf), "CCO", "-o", str(out),
                 "--refine", "5"]) == 0
    line = capsys.readouterr().out
    assert "zero field" in line and "5 refinement steps" in line
    with np.load(out) as z:
        assert z["latents"].shape[0] == 2 and int(z["refine_steps"]) == 5
        for key in ("psnr", "psnr_occupied", "zero", "zero_occupied"):
            assert z[key].shape == (2,) and np.isfinite(z[key]).all()
        # the zero field is the baseline of the same voxels: the decode must beat it
        assert (z["psnr_occupied"] > z["zero_occupied"]).all()
        assert (z["zero_occupied"] < z["zero"]).all()  # occupied channels: less empty space


def test_encode_refuses_a_wrong_output_before_any_work(tmp_path, capsys):
    assert main(["encode", "default", "CCO", "-o", str(tmp_path / "z.csv")]) == 2
    assert "must end in .npz" in capsys.readouterr().err


def test_refinement_brings_the_decode_closer(shifted_sdf):
    from napari_molfield import models
    from napari_molfield.autoencoder.encode import evaluate_molecules, molecules_from

    ae = models.load("default")
    mols, _ = molecules_from([str(shifted_sdf)], ae)
    alone = evaluate_molecules(ae, mols, refine_steps=0)["per_molecule"]["psnr_occupied"]
    refined = evaluate_molecules(ae, mols, refine_steps=30)["per_molecule"]["psnr_occupied"]
    assert refined[0] > alone[0]


def test_atoms_of_an_encoded_file_land_in_its_frame(shifted_sdf, tmp_path):
    out = tmp_path / "atoms.sdf"
    assert main(["atoms", "default", "--smiles", str(shifted_sdf), "-o", str(out),
                 "--refine", "10"]) == 0
    got = Chem.MolFromMolFile(str(out), removeHs=False, sanitize=False)
    xyz = got.GetConformer().GetPositions()
    # the molecule's own frame: centred near SHIFT, not at the origin (12 Å away)
    assert np.linalg.norm(xyz.mean(0) - SHIFT) < 1.5, xyz.mean(0)
    truth = Chem.MolFromMolFile(str(shifted_sdf), removeHs=False).GetConformer().GetPositions()
    near = np.linalg.norm(xyz[:, None] - truth[None], axis=-1).min(axis=1)
    assert np.median(near) < 1.0, near
