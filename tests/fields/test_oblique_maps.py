"""Maps on non-orthogonal cells open in Å, resampled onto an orthogonal grid, with the
values gemmi interpolates (issue 22)."""

from __future__ import annotations

import bz2
import warnings
from pathlib import Path

import gemmi
import numpy as np
import pytest

from napari_molfield.fields.interp import sample_grid
from napari_molfield.fields.maps import read_map
from napari_molfield.fields.oblique import ObliqueGrid, orthogonalisation

DATA = Path(__file__).resolve().parents[1] / "data"
CELL = (21.937, 4.866, 23.477)  # 1YJP, P 1 21 1
ANGLES = (90.0, 107.08, 90.0)
SAMPLING = (44, 10, 48)


def _atoms() -> np.ndarray:
    st = gemmi.read_structure(str(DATA / "structures" / "1YJP.cif"))
    return np.array([[c.atom.pos.x, c.atom.pos.y, c.atom.pos.z] for c in st[0].all()])


@pytest.fixture(scope="module")
def monoclinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A CCP4 map of 1YJP's cell (β = 107.08°): Gaussians on its atoms, one full cell."""
    orth = orthogonalisation(np.array(CELL), np.array(ANGLES))
    idx = np.stack(np.meshgrid(*[np.arange(m) for m in SAMPLING], indexing="ij"), -1)
    pos = (idx / np.array(SAMPLING)) @ orth.T
    atoms = _atoms()
    d2 = ((pos[..., None, :] - atoms) ** 2).sum(-1)
    values = np.exp(-d2 / (2 * 1.2**2)).sum(-1).astype(np.float32) + 0.05
    m = gemmi.Ccp4Map()
    m.grid = gemmi.FloatGrid(values, gemmi.UnitCell(*CELL, *ANGLES), gemmi.SpaceGroup("P1"))
    m.update_ccp4_header(2, True)
    path = tmp_path_factory.mktemp("oblique") / "1yjp_cell.ccp4"
    m.write_ccp4_map(str(path))
    return path


def _gemmi(path: Path, points: np.ndarray) -> np.ndarray:
    m = gemmi.read_ccp4_map(str(path))
    m.setup(float("nan"))
    return np.array([m.grid.interpolate_value(gemmi.Position(*p)) for p in points])


def _interior(grid: ObliqueGrid, points: np.ndarray) -> np.ndarray:
    """Points whose 8 neighbours are in the block (gemmi's periodic wrap not needed)."""
    u = grid.index(points)
    return ((u >= 0) & (u <= grid.shape - 1.001)).all(-1)


def test_monoclinic_map_opens_in_angstrom(monoclinic: Path) -> None:
    with pytest.warns(UserWarning, match=r"cell is not orthogonal \(angles \(90, 107\.1, 90\)°\)"):
        f = read_map(monoclinic)
    r = f.meta["resampled"]
    assert r["axis_angles"] == pytest.approx(ANGLES, abs=1e-3)
    assert np.allclose(f.voxel_size, min(r["voxel_steps"]))
    assert 0 < r["outside_fraction"] < 0.5
    # axes and origin kept: voxel (0, 0, 0) of the cell grid sits at the Å origin, and
    # the box spans the cell's corners
    orth = orthogonalisation(np.array(CELL), np.array(ANGLES))
    last = ((np.array(SAMPLING) - 1) / np.array(SAMPLING)) @ orth.T
    lo, hi = f.extent
    assert (lo <= 1e-6).all() and (hi >= np.minimum(last, 0) - 1e-6).all()
    # every voxel centre inside the map holds gemmi's interpolation there
    h = f.voxel_size
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in f.resolution], indexing="ij"), -1)
    centres = (f.origin + idx * h).reshape(-1, 3)
    header = f.meta["header"]
    grid = ObliqueGrid.from_cell(np.zeros(SAMPLING, np.float32), np.array(header["cell"]),
                       np.array(header["cell_angles"]), np.array(header["sampling"]),
                       np.array(header["start_xyz"]), np.zeros(3))
    keep = _interior(grid, centres)
    rng = np.random.default_rng(0)
    pick = rng.choice(np.flatnonzero(keep), 400, replace=False)
    ref = _gemmi(monoclinic, centres[pick])
    ours = f.values[0].reshape(-1)[pick]
    np.testing.assert_allclose(ours, ref, rtol=1e-3, atol=1e-3 * np.abs(ref).max())
    # outside the map: the map's mean
    assert np.allclose(f.values[0].reshape(-1)[~grid.inside(centres)], r["outside_value"])


def test_values_at_the_atoms_match_gemmi(monoclinic: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = read_map(monoclinic)
    header = f.meta["header"]
    m = gemmi.read_ccp4_map(str(monoclinic))
    values = np.array(m.grid, copy=True)  # [a, b, c] as written
    grid = ObliqueGrid.from_cell(values, np.array(header["cell"]), np.array(header["cell_angles"]),
                       np.array(header["sampling"]), np.array(header["start_xyz"]),
                       np.zeros(3))
    # the atoms of the test structure, moved into the cell by lattice translations
    orth = orthogonalisation(np.array(CELL), np.array(ANGLES))
    frac = _atoms() @ np.linalg.inv(orth).T
    atoms = (frac - np.floor(frac)) @ orth.T
    atoms = atoms[_interior(grid, atoms)]
    assert len(atoms) > 20
    ref = _gemmi(monoclinic, atoms)
    np.testing.assert_allclose(grid(atoms), ref, rtol=1e-3)
    # the opened (orthogonal) field, interpolated once more at atoms a voxel away from the
    # map's edge (nearer, its box voxels outside the map hold the mean): close, not exact
    u = grid.index(atoms)
    away = ((u >= 1) & (u <= grid.shape - 2)).all(-1)
    err = np.abs(sample_grid(f, atoms[away])[:, 0] - ref[away])
    print(f"second interpolation at {away.sum()} atoms: max error "
          f"{err.max() / np.abs(ref).max():.3%} of the map's peak")
    assert err.max() < 0.05 * np.abs(ref).max()


def test_emdb_monoclinic_map_opens(tmp_path: Path) -> None:
    path = DATA / "maps" / "EMD-3001.map.bz2"
    with pytest.warns(UserWarning, match=r"EMD-3001\.map\.bz2: the cell is not orthogonal"):
        f = read_map(path)
    assert f.meta["resampled"]["axis_angles"][1] == pytest.approx(94.326, abs=1e-3)
    assert np.isfinite(f.values).all() and f.values.shape[0] == 1
    plain = tmp_path / "EMD-3001.map"
    plain.write_bytes(bz2.decompress(path.read_bytes()))
    m = gemmi.read_ccp4_map(str(plain))
    assert m.grid.unit_cell.beta == pytest.approx(94.326, abs=1e-3)


@pytest.mark.parametrize("delta", [
    [[0.5, 0.0, 0.0], [0.2, 0.6, 0.0], [0.0, 0.1, 0.4]],  # sheared
    [[-0.5, 0.0, 0.0], [0.0, 0.5, 0.0], [0.0, 0.0, 0.5]],  # x flipped
])
def test_sheared_or_flipped_dx_grid(tmp_path: Path, delta: list[list[float]]) -> None:
    # a linear function is interpolated exactly: every resampled voxel inside the grid
    # holds it
    d = np.array(delta)
    origin = np.array([1.0, -2.0, 3.0])
    shape = (7, 6, 5)
    idx = np.stack(np.meshgrid(*[np.arange(n) for n in shape], indexing="ij"), -1)
    pos = origin + idx @ d
    coef = np.array([0.3, -0.2, 0.5])
    values = pos @ coef + 2.0
    lines = [f"object 1 class gridpositions counts {shape[0]} {shape[1]} {shape[2]}",
             "origin " + " ".join(map(str, origin)),
             *("delta " + " ".join(map(str, row)) for row in d),
             f"object 2 class gridconnections counts {shape[0]} {shape[1]} {shape[2]}",
             f'object 3 class array type "float" rank 0 items {values.size} data follows',
             *(f"{v:.9g}" for v in values.reshape(-1))]
    path = tmp_path / "sheared.dx"
    path.write_text("\n".join(lines) + "\n")
    with pytest.warns(UserWarning, match=r"sheared\.dx: the grid's delta vectors are sheared"):
        f = read_map(path)
    r = f.meta["resampled"]
    assert r["voxel_steps"] == pytest.approx(np.linalg.norm(d, axis=1))
    grid = ObliqueGrid(values.astype(np.float32), d.T, origin)
    cidx = np.stack(np.meshgrid(*[np.arange(n) for n in f.resolution], indexing="ij"), -1)
    centres = f.origin + cidx * f.voxel_size
    inside = grid.inside(centres)
    assert inside.mean() > 0.3
    np.testing.assert_allclose(f.values[0][inside], (centres @ coef + 2.0)[inside], atol=1e-4)
    assert np.allclose(f.values[0][~inside], values.mean())
