"""Field files: exact .npz round trips, MRC placement, atomic writes."""

from __future__ import annotations

import os

import gemmi
import numpy as np
import pytest

from napari_molfield.errors import MolfieldError
from napari_molfield.fields.channels import ChannelSpec
from napari_molfield.fields.field import Field
from napari_molfield.fields.io import read_field, read_field_atoms, write_field
from napari_molfield.fields.sample import sample_field


@pytest.fixture
def field(random_molecule) -> Field:
    return sample_field(random_molecule, 10, "C,N,ligand:O")


def test_npz_round_trip(field, random_molecule, tmp_path):
    table = ChannelSpec.parse("C,N,ligand:O").assign(random_molecule)
    path = tmp_path / "f.npz"
    assert write_field(field, path, atoms=table) == [path]
    back = read_field(path)
    assert back.channels == field.channels and back.box == field.box
    np.testing.assert_array_equal(back.values, field.values)
    np.testing.assert_array_equal(back.origin, field.origin)
    assert back.spacing == field.spacing and back.meta == field.meta
    atoms = read_field_atoms(path)
    for name in ("xyz", "radius", "channel", "weight"):
        np.testing.assert_array_equal(getattr(atoms, name), getattr(table, name))
    with np.load(path) as z:
        assert {"values", "origin", "spacing", "channels", "beta", "atom_xyz"} <= set(z)
    write_field(field, tmp_path / "g.npz")
    assert read_field_atoms(tmp_path / "g.npz") is None


def test_mrc_placement(field, tmp_path):
    one = Field(field.values[:1], field.origin, field.spacing, field.channels[:1])
    path = tmp_path / "carbon.mrc"
    assert write_field(one, path) == [path]
    m = gemmi.read_ccp4_map(str(path), setup=True)
    g = m.grid
    assert (g.nu, g.nv, g.nw) == (10, 10, 10)
    assert [m.header_i32(w) for w in (17, 18, 19)] == [1, 2, 3]  # x fastest
    np.testing.assert_allclose(g.spacing, field.spacing, rtol=1e-6)
    origin = np.array([m.header_float(w) for w in (50, 51, 52)])
    start = np.array([m.header_i32(w) for w in (5, 6, 7)])
    for i, j, k in [(0, 0, 0), (9, 0, 3), (2, 7, 5)]:
        pos = origin + g.spacing[0] * (start + np.array([i, j, k]))
        np.testing.assert_allclose(pos, field.origin + field.spacing * np.array([i, j, k]),
                                   atol=1e-4)
        assert g.get_value(i, j, k) == field.values[0, i, j, k]
    back = read_field(path)
    np.testing.assert_array_equal(back.values, one.values)
    np.testing.assert_allclose(back.origin, field.origin, atol=1e-4)


def test_mrc_one_file_per_channel(field, tmp_path):
    paths = write_field(field, tmp_path / "mol.ccp4")
    assert [p.name for p in paths] == ["mol_C.ccp4", "mol_N.ccp4", "mol_ligand-O.ccp4"]
    for c, p in enumerate(paths):
        np.testing.assert_array_equal(read_field(p).values[0], field.values[c])
    assert not (tmp_path / "mol.ccp4").exists()


def test_bad_paths(field, tmp_path):
    with pytest.raises(MolfieldError, match="unknown field file type"):
        write_field(field, tmp_path / "f.tiff")
    with pytest.raises(MolfieldError, match="unknown field file type"):
        read_field(tmp_path / "f.txt")
    with pytest.raises(MolfieldError, match="no such file"):
        read_field(tmp_path / "missing.npz")
    with pytest.raises(MolfieldError, match="does not exist"):
        write_field(field, tmp_path / "nope" / "f.npz")
    (tmp_path / "junk.npz").write_bytes(b"not a zip")
    with pytest.raises(MolfieldError, match=r"junk\.npz"):
        read_field(tmp_path / "junk.npz")


def test_failed_write_leaves_nothing(field, tmp_path, monkeypatch):
    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(MolfieldError, match="disk full"):
        write_field(field, tmp_path / "f.npz")
    assert os.listdir(tmp_path) == []
    monkeypatch.undo()
    old = tmp_path / "keep.npz"
    write_field(field, old)
    before = old.read_bytes()
    monkeypatch.setattr(gemmi.Ccp4Map, "write_ccp4_map", boom)
    with pytest.raises(MolfieldError):
        write_field(field, tmp_path / "m.mrc")
    assert sorted(os.listdir(tmp_path)) == ["keep.npz"]
    assert old.read_bytes() == before
