"""Damaged files give one sentence; files MD tools read are read as they read them.

The cases of issue 22 and the bugs the fuzz harness (tests/fuzz) found, each pinned by a
test: a PDB cut inside an atom record, coordinates that are not numbers, a chain written
twice, repeated MODEL numbers, MODEL without ENDMDL, a MOL2 comment block, a
coarse-grained PDB, corrupt compressed streams, bytes that are not UTF-8.
"""

from __future__ import annotations

import gzip
import warnings
from pathlib import Path

import numpy as np
import pytest

from napari_molfield.chem import Molecule, read_molecules
from napari_molfield.chem.guess_elements import guess_element
from napari_molfield.errors import MolfieldError

EDGE = Path(__file__).resolve().parents[1] / "data" / "edge_cases"


def _read(path: Path, **kw: object) -> list[Molecule]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return read_molecules(path, **kw)


def _refused(path: Path, match: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MolfieldError, match=match) as info:
            read_molecules(path)
    text = str(info.value)
    assert "\n" not in text and path.name in text
    return text


def test_pdb_cut_inside_its_first_atom_record(tmp_path: Path, data_dir: Path) -> None:
    text = (data_dir / "1iep_sti_pocket.pdb").read_text()
    start = text.index("\nATOM") + 1
    record = text[start: text.index("\n", start)]
    p = tmp_path / "truncated.pdb"
    for cut in range(start + 1, start + len(record) + 1):
        p.write_text(text[:cut])
        if cut - start < 4:  # "ATO" is no record
            _refused(p, r"truncated\.pdb: the file contains no atoms")
        elif cut - start < 54:  # coordinates incomplete: one sentence naming the line
            _refused(p, r"truncated\.pdb, line 3: the ATOM record ends at column \d+")
        else:  # the coordinates are whole: the atom is read where it is
            (m,) = _read(p)
            assert m.n_atoms == 1 and m.elements[0] == "N"
            assert np.allclose(m.coords[0, 0], [18.630, 64.773, 9.241])


def test_pdb_cut_at_a_line_boundary_says_so(tmp_path: Path) -> None:
    """A PDB cut between two records still parses: the atoms read come with one warning
    naming how many and where the file stopped; whole files (END, or TER last) none."""
    text = (Path(__file__).resolve().parents[2] / "sample_data" / "1iep.pdb").read_text()
    lines = text.splitlines(keepends=True)
    atoms = [k for k, line in enumerate(lines) if line.startswith("ATOM")]
    p = tmp_path / "cut.pdb"
    p.write_text("".join(lines[: atoms[553] + 1]))
    with pytest.warns(UserWarning, match=rf"cut\.pdb: the file stops after 554 atom records, "
                      rf"at line {atoms[553] + 1}, with no END record"):
        (m,) = read_molecules(p)
    assert m.n_atoms == 554
    for whole in (EDGE.parent / "structures" / "elements.pdb", EDGE / "chains_repeat.pdb"):
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)
            warnings.filterwarnings("ignore", message=".*(duplicate|guess|read once).*")
            read_molecules(whole)


def test_coordinate_that_is_not_a_number_is_refused(tmp_path: Path) -> None:
    # gemmi alone reads "  1.2x3 " as 1.2 and a blank coordinate as 0
    good = "ATOM      1  N   GLY A   1      -1.195   0.201   0.000  1.00  0.00           N\n"
    p = tmp_path / "letters.pdb"
    p.write_text(good[:30] + "  1.2x3 " + good[38:])
    _refused(p, r"line 1: the x coordinate .* reads '1\.2x3', not a number")
    p.write_text(good[:38] + " " * 8 + good[46:])
    _refused(p, r"line 1: the y coordinate")
    p.write_text(good.replace("ATOM  ", "atom  "))  # any case, as gemmi reads it
    (m,) = _read(p)
    assert np.allclose(m.coords[0, 0], [-1.195, 0.201, 0.0])


def test_molecule_refuses_annotations_it_cannot_hold() -> None:
    with pytest.raises(MolfieldError, match="per-atom annotations"):
        Molecule(["C", "O"], np.zeros((2, 3)), residue_numbers=[1, None])
    with pytest.raises(MolfieldError, match="per-atom annotations"):
        Molecule(["C", "O"], np.zeros((2, 3)), b_factors=[1.0])


def test_chains_written_twice_are_read_once() -> None:
    import MDAnalysis as mda

    path = EDGE / "chains_repeat.pdb"
    with pytest.warns(UserWarning, match="11 exact duplicate atom"):
        (m,) = read_molecules(path)
    assert m.n_atoms == 22
    assert list(dict.fromkeys(m.chains)) == ["A", "B", "C", "D"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = mda.Universe(str(path))
    assert len(u.atoms) == 33  # MDAnalysis keeps the repeats ...
    unique = np.unique(np.round(u.atoms.positions.astype(float), 3), axis=0)
    # ... which are the same 22 positions
    assert np.allclose(np.unique(np.round(m.coords[0], 3), axis=0), unique, atol=1e-3)


def test_models_with_repeated_numbers_are_read_in_file_order() -> None:
    import MDAnalysis as mda

    path = EDGE / "models_repeated_number.pdb"
    with pytest.warns(UserWarning, match="MODEL numbers repeat"):
        (m,) = read_molecules(path)
    assert m.n_conformers == 2 and m.conformer_names == ["model 1", "model 2"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = mda.Universe(str(path))
    frames = np.array([u.atoms.positions.copy() for _ in u.trajectory])
    assert np.allclose(m.coords, frames, atol=1e-3)


def test_model_without_endmdl_ends_at_the_next_model() -> None:
    (m,) = _read(EDGE / "models_no_endmdl.pdb")
    assert m.n_conformers == 3 and m.n_atoms == 4
    assert np.allclose(m.coords[:, 0, 0], [-1.195, -1.095, -0.995])
    assert [mol.n_atoms for mol in _read(EDGE / "models_no_endmdl.pdb",
                                          conformers="separate")] == [4, 4, 4]


def test_mol2_with_a_comment_block_in_its_header() -> None:
    import MDAnalysis as mda

    (m,) = _read(EDGE / "comment_header.mol2")
    (ref,) = _read(EDGE.parent / "structures" / "Molecule.mol2")
    assert m.name == ref.name == "FXA101_1"
    assert m.n_atoms == 49 and np.allclose(m.coords, ref.coords)
    assert list(m.elements) == list(ref.elements)
    u = mda.Universe(str(EDGE / "comment_header.mol2"))
    assert np.allclose(m.coords[0], u.atoms.positions, atol=1e-3)


def test_coarse_grained_pdb_is_read_as_dummy_beads() -> None:
    import MDAnalysis as mda

    path = EDGE / "cg_martini.pdb"
    with pytest.warns(UserWarning, match="all 10 atom.*'other' channel"):
        (m,) = read_molecules(path)
    assert set(m.elements) == {"X"}  # not boron (BB) and sulfur (SC1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        u = mda.Universe(str(path))
    assert list(u.atoms.names) == list(m.atom_names)
    assert np.allclose(m.coords[0], u.atoms.positions, atol=1e-3)


@pytest.mark.parametrize(("residue", "name", "element"), [
    ("ALA", "BB", "X"), ("LYS", "SC1", "X"), ("DA", "BB1", "X"), ("SOL", "W", "X"),
    ("CYS", "SG", "S"), ("MET", "SD", "S"), ("ARG", "NH1", "N"), ("G", "P", "P"),
    ("ALA", "1HB", "H"), ("SEC", "SE", "Se"),
])
def test_beads_of_standard_residues_are_not_elements(residue: str, name: str,
                                                     element: str) -> None:
    assert guess_element(residue, name) == element


def test_pqr_coordinates_beyond_pdb_columns(tmp_path: Path) -> None:
    p = tmp_path / "far.pqr"
    p.write_text("ATOM      1  N   GLY A   1   -1234.567  10.000 12345.678  0.10 1.80\n"
                 "ATOM      2  CA  GLY A   1       1.000   2.000    3.000  0.20 1.90\n")
    (m,) = _read(p)
    assert np.allclose(m.coords[0], [[-1234.567, 10.0, 12345.678], [1, 2, 3]], atol=0.01)
    p.write_text("ATOM      1  N   GLY A   1   -123456789.5  1.0 2.0  0.10 1.80\n")
    _refused(p, r"far\.pqr, line 1: expected a PQR atom record")


def test_corrupt_compressed_streams(tmp_path: Path, data_dir: Path) -> None:
    from napari_molfield.fields.maps import read_map

    good = gzip.compress((data_dir / "biotite_TYR.sdf").read_bytes(), mtime=0)
    bad = bytearray(good)
    bad[12] ^= 0x55  # a deflate stream gzip cannot decode (zlib.error, not OSError)
    p = tmp_path / "tyr.sdf.gz"
    p.write_bytes(bytes(bad))
    _refused(p, r"tyr\.sdf\.gz: the gzip-compressed file is corrupted \(Error -3")
    dx = bytearray((data_dir / "maps" / "test.dx.gz").read_bytes())
    dx[18] ^= 0x55
    q = tmp_path / "test.dx.gz"
    q.write_bytes(bytes(dx))
    with pytest.raises(MolfieldError, match=r"test\.dx\.gz: cannot read the file"):
        read_map(q)


def test_bytes_that_are_not_utf8(tmp_path: Path, data_dir: Path) -> None:
    raw = (data_dir / "1iep_sti_pocket.pdb").read_bytes()
    i = raw.index(b"ATOM      2  CA")
    p = tmp_path / "latin.pdb"
    p.write_bytes(raw[: i + 14] + b"\xef" + raw[i + 15:])  # inside an atom name
    (m,) = _read(p)
    assert m.atom_names[1] == "C?" and m.n_atoms == 247
    sdf = (data_dir / "biotite_TYR.sdf").read_bytes()
    j = sdf.index(b" N   0")
    q = tmp_path / "latin.sdf"
    q.write_bytes(sdf[:j + 1] + b"\xef\xbf" + sdf[j + 3:])  # an element RDKit cannot read
    _refused(q, r"latin\.sdf: RDKit cannot parse")


@pytest.mark.parametrize("counts", ["-1 0 1", "2 0 1", "1 -3 1", "1 5 1"])
def test_mol2_counts_beyond_their_sections(tmp_path: Path, counts: str) -> None:
    # RDKit trusts the counts: "-1" atoms allocated 16 GB for 30 s before failing
    lines = (EDGE.parent / "structures" / "sodium_ion.mol2").read_text().splitlines()
    lines[2] = counts
    p = tmp_path / "ion.mol2"
    p.write_text("\n".join(lines) + "\n")
    _refused(p, r"ion\.mol2: the MOL2 header promises -?\d+ atoms and -?\d+ bonds, but the "
                r"ATOM and BOND sections hold 1 and 0 lines")


def test_exact_duplicates_in_gro_and_xyz(tmp_path: Path) -> None:
    gro = tmp_path / "dup.gro"
    lines = ["two glycine atoms, the second written twice", "    3",
             "    1GLY      N    1   0.100   0.200   0.300",
             "    1GLY     CA    2   0.250   0.200   0.300",
             "    1GLY     CA    3   0.250   0.200   0.300",
             "   1.00000   1.00000   1.00000"]
    gro.write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"dup\.gro: 1 exact duplicate atom"):
        (m,) = read_molecules(gro)
    assert list(m.atom_names) == ["N", "CA"]
    assert np.allclose(m.coords[0], [[1, 2, 3], [2.5, 2, 3]])
    xyz = tmp_path / "dup.xyz"
    xyz.write_text("4\nwater twice\nO 0 0 0\nH 0.96 0 0\nO 0 0 0\nH 0 0.96 0\n")
    with pytest.warns(UserWarning, match=r"dup\.xyz: 1 exact duplicate atom\(s\) \(same "
                      r"element and coordinates\)"):
        (w,) = read_molecules(xyz)
    assert list(w.elements) == ["O", "H", "H"]
    # two atoms of one element at different places are two atoms
    xyz.write_text("2\nH2\nH 0 0 0\nH 0.74 0 0\n")
    assert _read(xyz)[0].n_atoms == 2
