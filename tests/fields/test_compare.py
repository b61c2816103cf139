"""A molecule and its map: Eq. 1 on a map's grid and ChimeraX-style fit metrics."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.readers import read_molecules
from napari_molfield.errors import MolfieldError
from napari_molfield.fields.channels import AtomTable, ChannelSpec
from napari_molfield.fields.compare import fit_metrics, model_on_grid
from napari_molfield.fields.field import Field
from napari_molfield.fields.interp import grid_points
from napari_molfield.fields.io import write_field
from napari_molfield.fields.maps import read_map
from napari_molfield.fields.sample import sample_field, sample_points


@pytest.fixture(scope="module")
def pocket():
    from .conftest import DATA

    return read_molecules(DATA / "1iep_sti_pocket.pdb")[0]


@pytest.fixture(scope="module")
def pocket_map(pocket, tmp_path_factory):
    """The pocket's Eq. 1 ``all`` channel written with our writer and read back as a map."""
    path = tmp_path_factory.mktemp("maps") / "pocket.mrc"
    write_field(sample_field(pocket, 48, "all"), path)
    return read_map(path)


def test_model_on_an_anisotropic_grid(pocket):
    grid = Field(np.zeros((1, 11, 9, 7), np.float32), pocket.coords[0].mean(axis=0) - 4,
                 (0.8, 0.9, 1.3), ("g",))
    model = model_on_grid(pocket, grid, "C,N,O")
    assert model.channels == ("C", "N", "O") and model.resolution == grid.resolution
    np.testing.assert_allclose(model.voxel_size, grid.voxel_size)
    table = ChannelSpec.parse("C,N,O").assign(pocket)
    want = sample_points(table, grid_points(grid))
    np.testing.assert_allclose(np.moveaxis(model.values, 0, -1), want, rtol=1e-6, atol=1e-6)


def test_model_matches_its_own_map(pocket, pocket_map):
    fit = fit_metrics(pocket_map, pocket)
    assert fit.correlation == pytest.approx(1.0, abs=1e-6)
    assert fit.correlation_about_mean == pytest.approx(1.0, abs=1e-5)
    assert fit.n_atoms == pocket.n_atoms and fit.atoms_inside == 1.0
    assert fit.n_points > 1000 and fit.overlap > 0
    assert "correlation about mean" in fit.summary()
    assert set(fit.to_dict()) >= {"correlation", "overlap", "atoms_inside"}


def test_a_shifted_model_fits_worse(pocket, pocket_map):
    t = ChannelSpec.parse("all").assign(pocket)
    moved = AtomTable(t.xyz + np.array([1.5, 0.0, 0.0]), t.radius, t.channel, t.weight, t.channels)
    fit = fit_metrics(pocket_map, moved)
    assert fit.correlation_about_mean < 0.7
    assert fit.atoms_inside < 1.0


def test_a_field_on_the_grid_and_explicit_atoms(pocket, pocket_map):
    same = Field(pocket_map.values, pocket_map.origin, pocket_map.voxel_size, ("model",))
    fit = fit_metrics(pocket_map, same, atoms=pocket.coords[0])
    assert fit.correlation == pytest.approx(1.0, abs=1e-6) and fit.atoms_inside == 1.0
    assert np.isnan(fit_metrics(pocket_map, same).atoms_inside)
    off = Field(pocket_map.values, pocket_map.origin + 0.5, pocket_map.voxel_size, ("m",))
    with pytest.raises(MolfieldError, match="not on the map's grid"):
        fit_metrics(pocket_map, off)
