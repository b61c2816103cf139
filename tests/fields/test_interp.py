"""Sampling gridded fields at arbitrary Å points."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from napari_molfield.errors import MolfieldError
from napari_molfield.fields.field import Field
from napari_molfield.fields.interp import GridSampler, grid_points, random_points, sample_grid


@pytest.fixture
def aniso() -> Field:
    rng = np.random.default_rng(3)
    values = rng.normal(size=(2, 9, 7, 8)).astype(np.float32)
    return Field(values, (-3.0, 2.0, 10.5), (0.5, 0.7, 1.2), ("a", "b"))


def linear(field: Field) -> Field:
    """A field that is linear in x, y, z (trilinear and cubic splines reproduce it)."""
    p = grid_points(field)
    v = 1.5 * p[..., 0] - 0.25 * p[..., 1] + 0.75 * p[..., 2] + 2.0
    return Field(v[None], field.origin, field.voxel_size, ("lin",))


def test_exact_at_voxel_centres(aniso):
    pts = grid_points(aniso)
    for order in (1, 3):
        got = sample_grid(aniso, pts, order=order)
        np.testing.assert_allclose(np.moveaxis(got, -1, 0), aniso.values, atol=2e-5)


@pytest.mark.parametrize("order", [1, 3])
def test_linear_fields_are_reproduced(aniso, order):
    lin = linear(aniso)
    first, last = lin.extent
    margin = 0 if order == 1 else 2.5  # mirror boundaries bend splines near the edges
    pts = random_points(lin, 2000, rng=0)
    pts = pts[((pts > first + margin) & (pts < last - margin)).all(axis=1)]
    want = 1.5 * pts[:, 0] - 0.25 * pts[:, 1] + 0.75 * pts[:, 2] + 2.0
    np.testing.assert_allclose(sample_grid(lin, pts, order=order)[:, 0], want, atol=2e-4)


def test_trilinear_matches_scipy(aniso):
    pts = random_points(aniso, 5000, rng=1)
    idx = ((pts - aniso.origin) / aniso.voxel_size).T
    want = np.stack([ndimage.map_coordinates(v.astype(np.float64), idx, order=1)
                     for v in aniso.values], axis=-1)
    np.testing.assert_allclose(sample_grid(aniso, pts), want, atol=1e-5)
    np.testing.assert_allclose(sample_grid(aniso, pts, channels=["b"])[:, 0], want[:, 1],
                               atol=1e-5)


def test_outside_is_zero_and_shapes(aniso):
    first, last = aniso.extent
    pts = np.array([first - 0.01, last + np.array([0, 0, 0.01]), [1e6, 0, 0], first, last])
    got = GridSampler(aniso, 3)(pts)
    assert (got[:3] == 0).all()
    np.testing.assert_allclose(got[3], aniso.values[:, 0, 0, 0], atol=1e-5)
    np.testing.assert_allclose(got[4], aniso.values[:, -1, -1, -1], atol=1e-5)
    assert sample_grid(aniso, np.zeros((4, 5, 3))).shape == (4, 5, 2)
    with pytest.raises(MolfieldError):
        sample_grid(aniso, np.zeros((4, 2)))
    with pytest.raises(MolfieldError):
        sample_grid(aniso, np.full((1, 3), np.nan))
    with pytest.raises(MolfieldError):
        GridSampler(aniso, order=2)
