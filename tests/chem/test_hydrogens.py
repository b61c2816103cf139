"""Adding hydrogens with coordinates."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from napari_molfield.chem import add_hydrogens, from_smiles, read_molecules


def _nearest_heavy(m, k: int = 0) -> np.ndarray:
    h = m.elements == "H"
    d = np.linalg.norm(m.coords[k][h][:, None] - m.coords[k][~h][None], axis=-1)
    return d.min(axis=1)


def test_pocket_complex(data_dir: Path) -> None:
    (m,) = read_molecules(data_dir / "1iep_sti_pocket.pdb")
    h = add_hydrogens(m)
    n = m.n_atoms
    np.testing.assert_array_equal(h.elements[:n], m.elements)
    np.testing.assert_allclose(h.coords[:, :n], m.coords)
    d = _nearest_heavy(h)
    assert d.min() > 0.9 and d.max() < 1.45
    # imatinib C29H31N7O: 31 hydrogens (±1 for the protonation of the piperazine)
    sti_h = (h.residue_names == "STI") & (h.elements == "H")
    assert 29 <= sti_h.sum() <= 32
    assert h.ligand_mask[sti_h].all() and h.hetero[sti_h].all()
    assert not h.ligand_mask[(h.residue_names != "STI")].any()
    assert (h.atom_names[n:] != "").all()
    assert add_hydrogens(h) is h


def test_all_conformers_get_hydrogens(data_dir: Path) -> None:
    (m,) = read_molecules(data_dir / "1l2y.pdb")
    heavy = m.subset(m.elements != "H", conformers=[0, 10, 20])
    h = add_hydrogens(heavy)
    assert h.n_conformers == 3
    assert abs(h.n_atoms - m.n_atoms) <= 2
    for k in range(3):
        d = _nearest_heavy(h, k)
        assert d.max() < 1.45
    assert not np.allclose(h.coords[0, heavy.n_atoms :], h.coords[1, heavy.n_atoms :])


def test_small_molecule_with_smiles() -> None:
    m = from_smiles("c1ccccc1O", n_conformers=2)
    heavy = m.subset(m.elements != "H")
    h = add_hydrogens(heavy)
    assert (h.elements == "H").sum() == 6
    assert _nearest_heavy(h, 1).max() < 1.2
