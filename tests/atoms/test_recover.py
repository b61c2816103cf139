"""Atoms back out of exact Eq. 1 fields of real molecules."""

from __future__ import annotations

import numpy as np
import pytest

import napari_molfield as mf
from napari_molfield.atoms import (
    atoms_from_callable,
    atoms_from_field,
    bond_graph_key,
    match_atoms,
)
from napari_molfield.atoms.place import fit_counts
from napari_molfield.atoms.refine import Problem
from napari_molfield.fields.channels import ChannelSpec

from .conftest import DATA, exact_field, normalised, rdkit_from_sdf

TOL = 0.05  # Å


def assert_recovered(result, molecule, true_mol=None):
    """Every atom within `TOL` of a recovered atom of its element, counts and bonds equal."""
    true_el = molecule.elements.astype(str)
    assert sorted(result.elements.astype(str)) == sorted(true_el)
    i, _, d = match_atoms(true_el, molecule.coords[0], result.elements, result.coords, TOL)
    assert len(i) == molecule.n_atoms, f"only {len(i)}/{molecule.n_atoms} atoms within {TOL} Å"
    assert d.max() < TOL
    assert result.mol is not None
    if true_mol is not None:
        assert bond_graph_key(result.mol) == bond_graph_key(true_mol)


@pytest.mark.parametrize(
    ("name", "resolution", "mode"),
    [
        ("freesolv_mobley_7378987", 48, "raw"),  # caffeine
        ("freesolv_mobley_1527293", 48, "normalised"),  # flurbiprofen, F
        ("freesolv_mobley_2078467", 64, "raw"),  # ibuprofen
        ("freesolv_mobley_2269032", 48, "unknown scale"),  # naproxen
        ("biotite_TYR", 48, "unknown scale"),
    ],
)
def test_exact_fields_of_sdf_molecules(name, resolution, mode):
    path = DATA / f"{name}.sdf"
    mol = mf.read_molecules(path)[0]
    field = exact_field(mol, resolution)
    if mode != "raw":
        field = normalised(field, mol, keep_scale=mode == "normalised")
    result = atoms_from_field(field)
    assert_recovered(result, mol, rdkit_from_sdf(path))
    assert result.valid, result.sanitize_message
    assert result.residual < 1e-3
    assert result.smiles == mol.smiles.replace("[C@H]", "C").replace("[C@@H]", "C")
    for cc in result.counts:
        assert cc.count == int((mol.elements == cc.channel.element).sum())
    if mode == "unknown scale":
        assert any("no scale given" in n for n in result.notes)


def test_default_channels_halogens_and_a_group_channel():
    mol = mf.from_smiles("ClC(Cl)(Cl)CBr")
    field = mf.sample_field(mol, 48, ["H", "C", "Cl", "Br+I"])
    result = atoms_from_field(field)
    assert_recovered(result, mol)
    assert result.valid and result.smiles == "ClC(Cl)(Cl)CBr"
    assert any("'Br+I' mixes Br, I" in n for n in result.notes)


def test_charged_molecule_needs_its_charge():
    path = DATA / "biotite_HWB.sdf"  # a flavylium cation
    mol = mf.read_molecules(path)[0]
    field = exact_field(mol, 48)
    neutral = atoms_from_field(field, bonds=True)
    assert not neutral.valid and "charge 0" in neutral.sanitize_message
    assert neutral.mol is not None  # connectivity only
    result = atoms_from_field(field, charge=1)
    assert_recovered(result, mol, rdkit_from_sdf(path))
    assert result.valid, result.sanitize_message


def test_heavy_atoms_only_give_connectivity_and_say_why(caffeine):
    heavy = caffeine.subset(caffeine.elements != "H")
    result = atoms_from_field(mf.sample_field(heavy, 48, ["C", "N", "O"]))
    assert_recovered(result, heavy)
    assert not result.valid
    assert "hydrogens" in result.sanitize_message or "radical" in result.sanitize_message


def test_neural_field_callable_on_the_same_code_path(caffeine):
    torch = pytest.importorskip("torch")
    channels = ["C", "H", "N", "O", "S"]  # S stays empty
    table = ChannelSpec.parse(channels).assign(caffeine, 0)
    box = mf.Box.around(caffeine.coords, 4.0)
    calls = []

    def f(points):
        assert isinstance(points, torch.Tensor) and points.shape[1] == 3
        calls.append(len(points))
        return torch.from_numpy(mf.sample_points(table, points.numpy(), tol=1e-7))

    result = atoms_from_callable(f, box, channels, resolution=40, batch=20000)
    assert_recovered(result, caffeine, rdkit_from_sdf(DATA / "freesolv_mobley_7378987.sdf"))
    assert result.valid
    assert len(calls) > 4  # the grid in batches, then points around the atoms
    *_, d = match_atoms(caffeine.elements, caffeine.coords[0], result.elements,
                          result.coords)
    assert d.max() < 1e-3  # exact function, fine local points: near-exact positions


def test_callable_takes_defaults_from_a_field(caffeine, caffeine_field):
    torch = pytest.importorskip("torch")
    table = ChannelSpec.parse(list(caffeine_field.channels)).assign(caffeine, 0)
    scale = np.array([2.0, 3.0, 4.0, 5.0])

    def f(points):  # a "decoder" that outputs field / scale
        return torch.from_numpy(mf.sample_points(table, points.numpy()) / scale)

    result = atoms_from_callable(f, caffeine_field, scale=scale, local_spacing=None)
    assert_recovered(result, caffeine)
    np.testing.assert_allclose(result.scale, scale)


def test_polish_fixes_a_count_that_is_one_off(caffeine, caffeine_field):
    c = caffeine_field.channels.index("C")
    f = caffeine_field
    axes = [f.origin[d] + f.spacing * np.arange(f.values.shape[1]) for d in range(3)]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)
    problem = Problem(pts, f.values[c].reshape(-1, 1), np.full(len(pts), f.spacing**3),
                      [1.7], [1.0], 2.0)
    for wrong in (7, 9):
        xyz, _, counts = fit_counts(problem, np.array([wrong]), [np.zeros((0, 3))])
        assert counts.tolist() == [8]
        carbons = caffeine.coords[0][caffeine.elements == "C"]
        assert len(match_atoms(["C"] * 8, carbons, ["C"] * len(xyz), xyz, TOL)[0]) == 8


def test_noisy_field_still_gives_the_molecule(caffeine, caffeine_field):
    from napari_molfield.fields.field import Field

    rng = np.random.default_rng(3)
    sigma = 0.01 * float(caffeine_field.values.max())
    noisy = caffeine_field.values + rng.normal(0, sigma, caffeine_field.values.shape)
    field = Field(noisy.astype(np.float32), caffeine_field.origin, caffeine_field.spacing,
                  caffeine_field.channels, caffeine_field.box, caffeine_field.meta)
    result = atoms_from_field(field)
    assert_recovered(result, caffeine, rdkit_from_sdf(DATA / "freesolv_mobley_7378987.sdf"))
    assert result.valid and 0.01 < result.residual < 0.5
