"""Every bad input gives one MolfieldError with a helpful message."""

from __future__ import annotations

from pathlib import Path

import pytest

from napari_molfield.chem import read_molecules
from napari_molfield.errors import MolfieldError


def _raises(path: Path, match: str, **kw: object) -> str:
    with pytest.raises(MolfieldError, match=match) as info:
        read_molecules(path, **kw)
    assert path.name in str(info.value)
    return str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    _raises(tmp_path / "nothere.pdb", "no such file")


def test_unknown_extension(tmp_path: Path) -> None:
    p = tmp_path / "a.docx"
    p.write_text("x")
    _raises(p, "unknown file type '.docx'")


@pytest.mark.parametrize("ext", [".pdb", ".cif", ".sdf", ".mol", ".mol2", ".xyz", ".smi"])
def test_empty_file(tmp_path: Path, ext: str) -> None:
    p = tmp_path / f"empty{ext}"
    p.write_text("  \n")
    _raises(p, "empty")


@pytest.mark.parametrize("ext", [".pdb", ".sdf", ".xyz"])
def test_binary_file(tmp_path: Path, ext: str) -> None:
    p = tmp_path / f"garbage{ext}"
    p.write_bytes(bytes(range(256)) * 20)
    _raises(p, "not a text file")


def test_garbage_text(tmp_path: Path) -> None:
    p = tmp_path / "words.sdf"
    p.write_text("this is not a molecule\nat all\n")
    _raises(p, "RDKit cannot parse")
    p = tmp_path / "words.mol2"
    p.write_text("hello\n")
    _raises(p, "no @<TRIPOS>MOLECULE")
    p = tmp_path / "words.cif"
    p.write_text("data_x\nloop_\n_foo.bar\n'unterminated\n")
    _raises(p, "not a valid PDB/mmCIF|no atoms")


def test_truncated_pdb_without_atoms(tmp_path: Path, data_dir: Path) -> None:
    p = tmp_path / "trunc.pdb"
    p.write_text("".join((data_dir / "1l2y.pdb").read_text().splitlines(True)[:20]))
    _raises(p, "no atoms")


def test_pdb_with_nan_coordinates(tmp_path: Path) -> None:
    p = tmp_path / "nan.pdb"
    p.write_text(
        "ATOM      1  CA  ALA A   1         nan   1.000   2.000  1.00  0.00           C\n"
    )
    _raises(p, "NaN or infinite")


def test_unknown_element(tmp_path: Path) -> None:
    # One unknown atom is kept as "X" (the 'other' channel); only a file with no known
    # atom is refused.
    p = tmp_path / "odd.xyz"
    p.write_text("2\nodd\nC 0 0 0\nQq 1 0 0\n")
    with pytest.warns(UserWarning, match="'Qq'.*'other' channel"):
        (m,) = read_molecules(p)
    assert list(m.elements) == ["C", "X"]
    p = tmp_path / "none.xyz"
    p.write_text("2\nodd\nQq 0 0 0\nQq 1 0 0\n")
    _raises(p, "no atom has a known element.*'Qq'")


def test_xyz_problems(tmp_path: Path) -> None:
    p = tmp_path / "short.xyz"
    p.write_text("3\ncomment\nC 0 0 0\n")
    _raises(p, "ends before")
    p = tmp_path / "bad.xyz"
    p.write_text("1\ncomment\nC zero 0 0\n")
    _raises(p, "line 3")
    p = tmp_path / "inf.xyz"
    p.write_text("1\ncomment\nC inf 0 0\n")
    _raises(p, "NaN or infinite")


def test_zero_atom_sdf(tmp_path: Path) -> None:
    p = tmp_path / "zero.sdf"
    p.write_text(
        "zero\n  RDKit          3D\n\n  0  0  0  0  0  0  0  0  0  0999 V2000\nM  END\n$$$$\n"
    )
    _raises(p, "no atoms")


def test_invalid_smiles_reports_line(tmp_path: Path) -> None:
    p = tmp_path / "bad.smi"
    p.write_text("CCO ok\n\nC1CC broken\n")
    msg = _raises(p, "line 3")
    assert "C1CC" in msg


def test_ligand_absent(data_dir: Path) -> None:
    with pytest.raises(MolfieldError, match=r"no residue named XYZ.*STI"):
        read_molecules(data_dir / "1iep_sti_pocket.pdb", ligand="XYZ")


def test_bad_conformer_mode(data_dir: Path) -> None:
    with pytest.raises(MolfieldError, match="conformers"):
        read_molecules(data_dir / "1l2y.pdb", conformers="all")
