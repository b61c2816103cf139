"""Reading every supported format."""

from __future__ import annotations

import shutil
from pathlib import Path

import gemmi
import numpy as np
import pytest
from rdkit import Chem

from napari_molfield.chem import SUPPORTED_EXTENSIONS, can_read, read_molecules


def test_multimodel_pdb(data_dir: Path) -> None:
    (m,) = read_molecules(data_dir / "1l2y.pdb")
    assert m.coords.shape == (38, 304, 3)
    assert m.name == "1L2Y"
    assert m.conformer_names[0] == "model 1" and m.conformer_names[-1] == "model 38"
    assert m.residue_names[0] == "ASN" and m.chains[0] == "A" and m.atom_names[0] == "N"
    assert not m.ligand_mask.any() and not m.hetero.any()
    assert not np.allclose(m.coords[0], m.coords[1])
    sep = read_molecules(data_dir / "1l2y.pdb", conformers="separate")
    assert len(sep) == 38 and sep[5].n_conformers == 1


def test_mmcif_and_gz(data_dir: Path, tmp_path: Path) -> None:
    st = gemmi.read_structure(str(data_dir / "1iep_sti_pocket.pdb"))
    st.setup_entities()
    cif = tmp_path / "pocket.CIF"
    st.make_mmcif_document().write_file(str(cif))
    (a,) = read_molecules(data_dir / "1iep_sti_pocket.pdb")
    (b,) = read_molecules(cif)
    assert b.n_atoms == a.n_atoms
    np.testing.assert_allclose(b.coords, a.coords, atol=1e-3)
    gz = tmp_path / "pocket.pdb.gz"
    import gzip

    gz.write_bytes(gzip.compress((data_dir / "1iep_sti_pocket.pdb").read_bytes()))
    assert can_read(gz)
    (c,) = read_molecules(gz)
    np.testing.assert_allclose(c.coords, a.coords)


def test_ligand_split_and_waters(data_dir: Path) -> None:
    path = data_dir / "1iep_sti_pocket.pdb"
    (m,) = read_molecules(path)
    assert set(m.residue_names[m.ligand_mask]) == {"STI"}
    assert m.ligand_mask.sum() == 37  # imatinib heavy atoms
    assert "HOH" not in set(m.residue_names)
    assert "CL" in set(m.residue_names) and m.hetero[m.residue_names == "CL"].all()
    assert m.b_factors.max() > 0
    (w,) = read_molecules(path, keep_waters=True)
    assert "HOH" in set(w.residue_names) and not w.ligand_mask[w.residue_names == "HOH"].any()
    (c,) = read_molecules(path, ligand="cl")
    assert set(c.residue_names[c.ligand_mask]) == {"CL"}
    (both,) = read_molecules(path, ligand=["STI", "CL"])
    assert both.ligand_mask.sum() == 37 + (m.residue_names == "CL").sum()


def test_multimodel_with_different_atoms(tmp_path: Path, data_dir: Path) -> None:
    lines = (data_dir / "1l2y.pdb").read_text().splitlines()
    out, model, dropped = [], 0, False
    for line in lines:
        if line.startswith("MODEL"):
            model += 1
        if model == 2 and line.startswith("ATOM") and not dropped:
            dropped = True
            continue
        if model > 2 and line.startswith("MODEL"):
            break
        out.append(line)
    p = tmp_path / "two.pdb"
    p.write_text("\n".join([*out, "ENDMDL", "END", ""]))
    with pytest.warns(UserWarning, match="common"):
        (m,) = read_molecules(p)
    assert m.coords.shape == (2, 303, 3)


def test_sdf_records_names_properties(data_dir: Path, tmp_path: Path) -> None:
    files = ["freesolv_mobley_2078467.sdf", "biotite_TYR.sdf", "freesolv_mobley_7378987.sdf"]
    multi = tmp_path / "multi.sdf"
    multi.write_text("".join((data_dir / f).read_text() for f in files))
    mols = read_molecules(multi)
    assert [m.n_atoms for m in mols] == [33, 24, 24]
    assert mols[0].name == "mobley_2078467"
    assert mols[0].smiles == "CC(C)Cc1ccc([C@H](C)C(=O)O)cc1"
    assert all(m.has_hydrogens for m in mols)


def test_sdf_sd_tags_become_floats(tmp_path: Path) -> None:
    mol = Chem.AddHs(Chem.MolFromSmiles("CO"))
    from rdkit.Chem import AllChem

    AllChem.EmbedMolecule(mol, randomSeed=1)
    mol.SetProp("_Name", "methanol")
    mol.SetProp("dG", "-5.1")
    mol.SetProp("note", "test")
    p = tmp_path / "m.sdf"
    with Chem.SDWriter(str(p)) as w:
        w.write(mol)
    (m,) = read_molecules(p)
    assert m.properties["dG"] == pytest.approx(-5.1) and m.properties["note"] == "test"


def test_sdf_conformers_merged(tmp_path: Path) -> None:
    from rdkit.Chem import AllChem

    mol = Chem.AddHs(Chem.MolFromSmiles("CCCO"))
    AllChem.EmbedMultipleConfs(mol, 3, randomSeed=2)
    p = tmp_path / "confs.SDF"
    with Chem.SDWriter(str(p)) as w:
        for cid in range(3):
            w.write(mol, confId=cid)
    (m,) = read_molecules(p)
    assert m.n_conformers == 3
    np.testing.assert_allclose(m.coords[2], mol.GetConformer(2).GetPositions(), atol=1e-4)
    assert len(read_molecules(p, conformers="separate")) == 3


def test_sdf_unsanitizable_falls_back(tmp_path: Path) -> None:
    block = Chem.MolToMolBlock(Chem.MolFromSmiles("C"))
    # Pentavalent carbon: a valence error on sanitisation, coordinates still fine.
    mol = Chem.RWMol(Chem.MolFromSmiles("C"))
    for _ in range(5):
        i = mol.AddAtom(Chem.Atom(9))
        mol.AddBond(0, i, Chem.BondType.SINGLE)
    m0 = mol.GetMol()
    m0.UpdatePropertyCache(strict=False)
    from rdkit.Chem import rdDepictor

    rdDepictor.Compute2DCoords(m0)
    block = Chem.MolToMolBlock(m0, kekulize=False)
    p = tmp_path / "bad.mol"
    p.write_text(block)
    with pytest.warns(UserWarning, match="unsanitised"):
        (m,) = read_molecules(p)
    assert m.n_atoms == 6 and m.smiles is None


def test_mol_mol2_xyz_from_sdf(data_dir: Path, tmp_path: Path) -> None:
    src = Chem.MolFromMolFile(str(data_dir / "biotite_TYR.sdf"), removeHs=False)
    ref = src.GetConformer().GetPositions()
    molf = tmp_path / "tyr.mol"
    Chem.MolToMolFile(src, str(molf))
    (a,) = read_molecules(molf)
    np.testing.assert_allclose(a.coords[0], ref, atol=1e-3)

    # MOL2, two records (RDKit cannot write MOL2; a minimal Tripos writer is used).
    mol2 = tmp_path / "two.mol2"
    mol2.write_text(_mol2(src, "tyr1") + _mol2(src, "tyr2", shift=1.0))
    mols = read_molecules(mol2, conformers="separate")
    assert [m.name for m in mols] == ["tyr1", "tyr2"]
    np.testing.assert_allclose(mols[1].coords[0], ref + 1.0, atol=1e-3)
    (merged,) = read_molecules(mol2)
    assert merged.n_conformers == 2

    xyz = tmp_path / "tyr.xyz"
    block = Chem.MolToXYZBlock(src)
    shifted = Chem.Mol(src)
    conf = shifted.GetConformer()
    for i in range(shifted.GetNumAtoms()):
        p = conf.GetAtomPosition(i)
        conf.SetAtomPosition(i, (p.x + 2.0, p.y, p.z))
    xyz.write_text(block + Chem.MolToXYZBlock(shifted))
    (x,) = read_molecules(xyz)
    assert x.n_conformers == 2 and list(x.elements) == [a.GetSymbol() for a in src.GetAtoms()]
    np.testing.assert_allclose(x.coords[1, :, 0], ref[:, 0] + 2.0, atol=1e-4)


def _mol2(mol: Chem.Mol, name: str, shift: float = 0.0) -> str:
    pos = mol.GetConformer().GetPositions() + shift
    atoms, bonds = [], []
    for a in mol.GetAtoms():
        sym = a.GetSymbol()
        if sym == "C":
            typ = "C.ar" if a.GetIsAromatic() else "C.3"
        elif sym == "O":
            typ = "O.2" if any(b.GetBondTypeAsDouble() == 2 for b in a.GetBonds()) else "O.3"
        elif sym == "N":
            typ = "N.4" if a.GetFormalCharge() == 1 else "N.3"
        else:
            typ = sym
        x, y, z = pos[a.GetIdx()]
        i = a.GetIdx() + 1
        atoms.append(f"{i} {sym}{i} {x:.4f} {y:.4f} {z:.4f} {typ} 1 TYR 0.0")
    for b in mol.GetBonds():
        t = "ar" if b.GetIsAromatic() else str(int(b.GetBondTypeAsDouble()))
        bonds.append(f"{b.GetIdx() + 1} {b.GetBeginAtomIdx() + 1} {b.GetEndAtomIdx() + 1} {t}")
    return "\n".join(
        ["@<TRIPOS>MOLECULE", name, f"{len(atoms)} {len(bonds)} 0 0 0", "SMALL", "NO_CHARGES",
         "", "@<TRIPOS>ATOM", *atoms, "@<TRIPOS>BOND", *bonds, ""]
    )


def test_smiles_file(tmp_path: Path) -> None:
    p = tmp_path / "list.smi"
    p.write_text("# a comment\n\nCCO ethanol\nc1ccccc1   benzene ring\nO\n")
    mols = read_molecules(p, n_conformers=2, seed=5)
    assert [m.name for m in mols] == ["ethanol", "benzene ring", "O"]
    assert all(m.n_conformers == 2 for m in mols)
    again = read_molecules(p, n_conformers=2, seed=5)
    np.testing.assert_allclose(mols[1].coords, again[1].coords)


def test_supported_extensions_and_can_read(data_dir: Path, tmp_path: Path) -> None:
    assert {".pdb", ".cif", ".sdf", ".mol", ".mol2", ".xyz", ".smi"} <= set(SUPPORTED_EXTENSIONS)
    assert can_read(data_dir / "1l2y.pdb") and can_read(str(data_dir / "biotite_TYR.sdf"))
    up = tmp_path / "TYR.SDF"
    shutil.copy(data_dir / "biotite_TYR.sdf", up)
    assert can_read(up)
    assert not can_read(tmp_path / "missing.pdb")
    assert not can_read(tmp_path)
    (tmp_path / "x.txt").write_text("hello")
    assert not can_read(tmp_path / "x.txt")
    assert not can_read(["a.pdb"]) and not can_read(None)


def test_add_hydrogens_option(data_dir: Path) -> None:
    (m,) = read_molecules(data_dir / "1iep_sti_pocket.pdb", add_hydrogens=True)
    assert m.has_hydrogens
