"""Bad fields give one MolfieldError sentence and write nothing; files read back in RDKit."""

from __future__ import annotations

import numpy as np
import pytest

import napari_molfield as mf
from napari_molfield import MolfieldError
from napari_molfield.atoms import atoms_from_field, bonded_molecule, write_atoms
from napari_molfield.fields.field import Field

from .conftest import DATA, rdkit_from_sdf


def _like(field: Field, values: np.ndarray, channels=None) -> Field:
    return Field(values, field.origin, field.spacing, channels or field.channels, field.box,
                 dict(field.meta))


def _one_sentence(exc: pytest.ExceptionInfo) -> str:
    msg = str(exc.value)
    assert "\n" not in msg and msg.endswith(".")
    return msg


@pytest.fixture(scope="module")
def caffeine_result(caffeine_field):
    return atoms_from_field(caffeine_field)


def _write_after(field: Field, path) -> None:
    write_atoms(atoms_from_field(field), path)


def test_empty_field(caffeine_field, tmp_path):
    with pytest.raises(MolfieldError, match="no atom density") as exc:
        _write_after(_like(caffeine_field, np.zeros_like(caffeine_field.values)),
                     tmp_path / "x.sdf")
    _one_sentence(exc)
    assert list(tmp_path.iterdir()) == []


def test_property_channels_only(caffeine, tmp_path):
    field = mf.sample_field(caffeine, 32, ["electronegativity", "ws_density", "other"])
    with pytest.raises(MolfieldError, match="are not elements") as exc:
        _write_after(field, tmp_path / "x.sdf")
    _one_sentence(exc)
    assert list(tmp_path.iterdir()) == []


def test_noisy_field(caffeine_field, tmp_path):
    rng = np.random.default_rng(1)
    noisy = caffeine_field.values + rng.normal(0, 3.0, caffeine_field.values.shape)
    with pytest.raises(MolfieldError, match="too noisy") as exc:
        _write_after(_like(caffeine_field, noisy.astype(np.float32)), tmp_path / "x.sdf")
    _one_sentence(exc)
    assert list(tmp_path.iterdir()) == []


def test_nan_field(caffeine_field):
    bad = caffeine_field.values.copy()
    bad[0, 3, 3, 3] = np.nan
    with pytest.raises(MolfieldError, match="NaN"):
        atoms_from_field(_like(caffeine_field, bad))


def test_bad_scale_and_beta(caffeine_field):
    with pytest.raises(MolfieldError, match="scales"):
        atoms_from_field(caffeine_field, scale=[1.0, -1.0, 1.0, 1.0])
    with pytest.raises(MolfieldError, match="β"):
        atoms_from_field(caffeine_field, beta=0.0)


@pytest.mark.parametrize("suffix", [".sdf", ".mol", ".pdb", ".xyz"])
def test_write_and_read_back_with_rdkit(caffeine_result, tmp_path, suffix):
    from rdkit import Chem

    from napari_molfield.atoms import bond_graph_key

    path = write_atoms(caffeine_result, tmp_path / f"caffeine{suffix}")
    assert path.exists() and [p.name for p in tmp_path.iterdir()] == [path.name]
    if suffix == ".xyz":
        mol = Chem.MolFromXYZFile(str(path))
        from rdkit.Chem import rdDetermineBonds

        rdDetermineBonds.DetermineBonds(mol, charge=0)
    elif suffix == ".pdb":
        mol = Chem.MolFromPDBFile(str(path), removeHs=False)
    else:
        mol = Chem.MolFromMolFile(str(path), removeHs=False)
    assert mol is not None and mol.GetNumAtoms() == 24
    np.testing.assert_allclose(mol.GetConformer().GetPositions(), caffeine_result.coords,
                               atol=1e-3)
    truth = rdkit_from_sdf(DATA / "freesolv_mobley_7378987.sdf")
    assert bond_graph_key(mol) == bond_graph_key(truth)
    if suffix in (".sdf", ".mol", ".xyz"):
        assert Chem.MolToSmiles(Chem.RemoveHs(mol)) == "Cn1c(=O)c2c(ncn2C)n(C)c1=O"


def test_write_refuses_and_leaves_nothing(caffeine_result, tmp_path):
    with pytest.raises(MolfieldError, match="use one of"):
        write_atoms(caffeine_result, tmp_path / "x.cif")
    with pytest.raises(MolfieldError, match="does not exist"):
        write_atoms(caffeine_result, tmp_path / "missing" / "x.sdf")
    import copy

    no_mol = copy.copy(caffeine_result)
    no_mol.mol, no_mol.sanitize_message = None, "no connectivity could be determined"
    with pytest.raises(MolfieldError, match="no molecule could be built"):
        write_atoms(no_mol, tmp_path / "x.sdf")
    assert list(tmp_path.iterdir()) == []
    write_atoms(no_mol, tmp_path / "x.xyz")  # atoms alone are enough for XYZ
    assert [p.name for p in tmp_path.iterdir()] == ["x.xyz"]


def test_unsanitised_molecule_is_written_with_its_reason(tmp_path):
    from rdkit import Chem

    from napari_molfield.atoms import RecoveredAtoms

    # a carbon with six hydrogens at 1.09 Å: more neighbours than carbon allows
    d = 1.09 * np.vstack([np.eye(3), -np.eye(3)])
    elements = np.array(["C"] + ["H"] * 6, dtype=object)
    xyz = np.vstack([[0, 0, 0], d])
    mol, message = bonded_molecule(elements, xyz)
    assert message.startswith("valence problem: C1 has 6 neighbours")
    result = RecoveredAtoms(elements, xyz, np.zeros(7, int), ("C",), [], np.ones(1), 0.0,
                            np.zeros(1), mol, message)
    assert not result.valid and result.smiles is None
    path = write_atoms(result, tmp_path / "bad.sdf")
    back = Chem.MolFromMolFile(str(path), removeHs=False, sanitize=False)
    assert back.GetNumAtoms() == 7 and back.GetNumBonds() == 6
    assert "valence problem" in path.read_text()


def test_result_helpers(caffeine_result):
    r = caffeine_result
    assert r.formula() == "C8H10N4O2"
    assert r.valid and "valid molecule" in r.summary()
    m = r.to_molecule("back")
    assert m.n_atoms == 24 and m.smiles == "Cn1c(=O)c2c(ncn2C)n(C)c1=O"
    assert set(r.channel.tolist()) == {0, 1, 2, 3}
    assert r.seconds > 0
