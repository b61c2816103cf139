"""SMILES → 3D molecules, descriptors."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.smiles import descriptors, from_smiles, molecule_to_rdkit
from napari_molfield.errors import MolfieldError


def test_from_smiles_conformers_and_hydrogens() -> None:
    m = from_smiles("CCO", n_conformers=3, seed=7, name="ethanol")
    assert m.name == "ethanol" and m.smiles == "CCO"
    assert m.coords.shape == (3, 9, 3)
    assert list(m.elements).count("H") == 6
    assert m.conformer_names == ["conformer 1", "conformer 2", "conformer 3"]


def test_seed_is_reproducible() -> None:
    a = from_smiles("c1ccccc1CC(=O)N", n_conformers=2, seed=3)
    b = from_smiles("c1ccccc1CC(=O)N", n_conformers=2, seed=3)
    c = from_smiles("c1ccccc1CC(=O)N", n_conformers=2, seed=4)
    np.testing.assert_allclose(a.coords, b.coords)
    assert not np.allclose(a.coords, c.coords)


def test_invalid_smiles() -> None:
    with pytest.raises(MolfieldError, match=r"invalid SMILES 'C1CC'"):
        from_smiles("C1CC")
    with pytest.raises(MolfieldError, match="n_conformers"):
        from_smiles("C", n_conformers=0)


def test_uff_fallback_warns() -> None:
    with pytest.warns(UserWarning, match="MMFF94"):
        m = from_smiles("[Se]1C=CC=C1", seed=1)
    assert m.n_atoms == 9


def test_descriptors_and_rdkit_roundtrip() -> None:
    m = from_smiles("CC(=O)Oc1ccccc1C(=O)O", n_conformers=2)
    d = descriptors(m)
    assert set(d) == {"MolMR", "ExactMolWt", "TPSA", "MolLogP", "NumRotatableBonds"}
    assert d["ExactMolWt"] == pytest.approx(180.042, abs=1e-3)
    assert d["TPSA"] == pytest.approx(63.6, abs=0.1)
    mol = molecule_to_rdkit(m)
    assert mol.GetNumConformers() == 2
    np.testing.assert_allclose(mol.GetConformer(1).GetPositions(), m.coords[1])
    m.smiles = None
    assert descriptors(m) == {}
