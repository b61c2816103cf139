"""Sampling of Eq. 1 on grids and at points against an exact all-pairs reference."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.molecule import Molecule
from napari_molfield.errors import MolfieldError
from napari_molfield.fields.box import Box
from napari_molfield.fields.channels import AtomTable, ChannelSpec
from napari_molfield.fields.sample import (
    DEFAULT_BETA,
    DEFAULT_TOL,
    channel_peaks,
    check_memory,
    sample_field,
    sample_points,
    sample_table,
)

from .conftest import exact_grid, exact_points

TIGHT = 1e-10


def _tabulated(mol: Molecule) -> Molecule:
    """The atoms with a tabulated Miedema density (the table lacks O, S, halogens)."""
    return mol.subset(np.isin(mol.elements, ["C", "N", "H", "P"]))


def _close(got, want, rel):
    scale = max(float(np.abs(want).max()), 1e-30)
    np.testing.assert_allclose(got, want, rtol=0, atol=rel * scale)


@pytest.mark.parametrize("channels", [None, "C+N,O,other", "all,electronegativity"])
@pytest.mark.parametrize("n", [2, 13, 24])
def test_grid_matches_exact(random_molecule, channels, n):
    spec = ChannelSpec.parse(channels)
    table = spec.assign(random_molecule)
    box = Box.around(random_molecule.coords, 1.0)  # atoms close to the box faces
    want = exact_grid(table, box, n, 1.7)
    got = sample_table(table, box, n, beta=1.7, tol=TIGHT)
    assert got.dtype == np.float32 and got.shape == (len(spec), n, n, n)
    _close(got, want, 2e-6)
    default = sample_table(table, box, n, beta=1.7)
    _close(default, want, 1e-3)


def test_atoms_outside_box_and_small_box(random_molecule):
    table = ChannelSpec.parse("all").assign(random_molecule)
    box = Box((2.0, -1.0, 0.5), 4.0)  # many atoms lie outside, some just outside
    want = exact_grid(table, box, 20, DEFAULT_BETA)
    got = sample_table(table, box, 20, tol=TIGHT)
    _close(got, want, 2e-6)
    far = Box((100.0, 100.0, 100.0), 5.0)
    assert not sample_table(table, far, 8).any()


def test_single_atom_peak_and_symmetry():
    mol = Molecule(elements=["C"], coords=[[0.3, -0.2, 0.1]])
    box = Box((0.3, -0.2, 0.1), 9.0)
    f = sample_field(mol, 9, "C", box=box)  # odd N: the atom sits on the central voxel
    c = f.channel("C")
    assert c[4, 4, 4] == pytest.approx(np.exp(DEFAULT_BETA), rel=1e-6)
    np.testing.assert_allclose(c, c[::-1, ::-1, ::-1], rtol=1e-6)
    np.testing.assert_allclose(c, np.transpose(c, (2, 0, 1)), rtol=1e-6)


def test_split_channels_and_conformers(random_molecule):
    f = sample_field(random_molecule, 16, "C,O", split=True, conformer=1, tol=TIGHT)
    assert f.channels == ("ligand:C", "ligand:O", "protein:C", "protein:O")
    box = Box.around(random_molecule.coords, 4.0)
    assert f.box == box
    table = ChannelSpec.parse("C,O", split=True).assign(random_molecule, 1)
    _close(f.values, exact_grid(table, box, 16, DEFAULT_BETA), 2e-6)
    f0 = sample_field(random_molecule, 16, "C,O", split=True, conformer=0)
    assert f0.box == f.box and not np.allclose(f0.values, f.values)
    assert f.meta["conformer"] == 1 and f.meta["beta"] == DEFAULT_BETA
    assert f.meta["tol"] == TIGHT and f.meta["channels"] == list(f.channels)
    np.testing.assert_allclose(f.origin, box.origin(16))
    assert f.spacing == pytest.approx(box.spacing(16))


def test_grid_equals_points_on_grid(random_molecule):
    table = ChannelSpec.parse(None).assign(random_molecule)
    box = Box.around(random_molecule.coords, 3.0)
    for n in (7, 32):
        grid = sample_table(table, box, n)
        pts = sample_points(table, box.grid_points(n))
        assert pts.shape == (n, n, n, table.n_channels)
        _close(np.moveaxis(pts, -1, 0), grid, 1e-6)


def test_points_match_exact(random_molecule):
    rng = np.random.default_rng(3)
    pts = rng.uniform(-9, 9, (3000, 3))
    pts[:5] = random_molecule.coords[0, :5]  # on atoms
    pts[5] = [1e6, -1e6, 1e9]  # far away
    table = ChannelSpec.parse("C,N,O,H,other,en").assign(random_molecule)
    want = exact_points(table, pts, 2.5)
    _close(sample_points(table, pts, beta=2.5, tol=TIGHT), want, 2e-6)
    _close(sample_points(table, pts, beta=2.5), want, 1e-3)
    mol_pts = sample_points(random_molecule, pts, channels="C,N,O,H,other,en",
                            beta=2.5, tol=TIGHT)
    _close(mol_pts, want, 2e-6)
    assert sample_points(table, np.zeros((0, 3))).shape == (0, table.n_channels)


def test_density_weighted_channel(random_molecule):
    mol = _tabulated(random_molecule)
    table = ChannelSpec.parse("C,ws_density").assign(mol)
    box = Box.around(mol.coords, 2.0)
    _close(sample_table(table, box, 12, tol=TIGHT), exact_grid(table, box, 12, DEFAULT_BETA),
           2e-6)


def test_channel_peaks(random_molecule):
    table = ChannelSpec.parse("C,N,F,electronegativity").assign(random_molecule)
    peaks = channel_peaks(table, 2.0)
    centres = exact_points(table, table.xyz, 2.0)
    for c in range(table.n_channels):
        own = table.channel == c
        want = np.abs(centres[own, c]).max() if own.any() else 1.0
        assert peaks[c] == pytest.approx(want, rel=1e-6)
    assert peaks[2] == 1.0  # no fluorine
    one = Molecule(elements=["O"], coords=[[1.0, 2.0, 3.0]])
    assert channel_peaks(ChannelSpec.parse("O").assign(one), 3.0)[0] == pytest.approx(
        np.exp(3.0)
    )


def test_empty_and_unused_entries():
    table = AtomTable(
        np.zeros((3, 3)), np.array([1.5, 1.5, 1.5]), np.array([-1, 0, 0], np.int32),
        np.array([1.0, 0.0, 2.0]), ("a",),
    )
    box = Box((0, 0, 0), 6.0)
    got = sample_table(table, box, 6)
    _close(got, exact_grid(table.used(), box, 6, DEFAULT_BETA), 1e-3)
    none = AtomTable(np.zeros((0, 3)), np.zeros(0), np.zeros(0, np.int32), np.zeros(0), ("a",))
    assert not sample_table(none, box, 4).any()
    assert channel_peaks(none, 2.0).tolist() == [1.0]


def test_errors(random_molecule):
    for bad in (1, 0, -4, 16.0, "32", True):
        with pytest.raises(MolfieldError, match="resolution"):
            sample_field(random_molecule, bad)
    with pytest.raises(MolfieldError, match="conformer"):
        sample_field(random_molecule, 8, conformer=5)
    with pytest.raises(MolfieldError, match="β"):
        sample_field(random_molecule, 8, beta=0)
    with pytest.raises(MolfieldError, match="tolerance"):
        sample_field(random_molecule, 8, tol=2.0)
    with pytest.raises(MolfieldError, match="GiB"):
        sample_field(random_molecule, 100_000)
    with pytest.raises(MolfieldError, match=r"needs \d+\.\d+ GiB"):
        check_memory(9, 4096)
    with pytest.raises(MolfieldError, match="shape"):
        sample_points(random_molecule, np.zeros((4, 2)))


def test_default_tol_documented():
    assert 0 < DEFAULT_TOL <= 1e-4
