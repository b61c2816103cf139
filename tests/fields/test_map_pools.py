"""Training points of density maps: a map's own voxels, exactly, and a few between them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_molfield.autodecoder.targets import map_targets
from napari_molfield.fields.field import Field
from napari_molfield.fields.maps import read_map
from napari_molfield.fields.pools import build_map_pools

MAPS = Path(__file__).resolve().parents[1] / "data" / "maps"


def _pools(maps: list[Field], resolution: int = 32, n_near: int = 500):
    t = map_targets(maps)
    return t, build_map_pools(maps, t.boxes, t.scales, resolution, n_uniform=500,
                              n_near=n_near, near_sigma=1.0, rng=np.random.default_rng(0))


def test_grid_points_are_the_maps_own_voxels() -> None:
    grid = read_map(MAPS / "EMD-3197.map.bz2")  # 20³, positive background, negative values
    t, pools = _pools([grid])
    assert pools.grid_x.shape == (1, 20**3, 3) and pools.n_eval == 20**3
    xyz = t.boxes[0].from_unit(pools.grid_x[0].astype(np.float64))
    ijk = (xyz - grid.origin) / np.asarray(grid.voxel_size)
    assert np.abs(ijk - np.round(ijk)).max() < 1e-3  # voxel centres, not between them
    idx = np.round(ijk).astype(int)
    assert len({tuple(i) for i in idx}) == 20**3  # every voxel once
    values = grid.values[0][idx[:, 0], idx[:, 1], idx[:, 2]] / t.scales[0][0]
    np.testing.assert_allclose(pools.grid_y[0, :, 0], values, rtol=1e-6, atol=1e-6)
    assert (pools.grid_y < 0).any()  # negative values kept


def test_maps_of_other_sizes_fitted_together() -> None:
    big = read_map(MAPS / "EMD-3197.map.bz2")
    small = Field(np.asarray(big.values[:, :6, :5, :4]), big.origin, big.voxel_size,
                  big.channels)
    t, pools = _pools([big, small], resolution=8)
    assert pools.grid_x.shape == (2, 20**3, 3)
    assert pools.n_eval == 6 * 5 * 4  # the PSNR on distinct voxels of every map
    xyz = t.boxes[1].from_unit(pools.grid_x[1, : pools.n_eval].astype(np.float64))
    idx = np.round((xyz - small.origin) / np.asarray(small.voxel_size)).astype(int)
    assert len({tuple(i) for i in idx}) == pools.n_eval
    t, pools = _pools([big], resolution=8)
    assert pools.n_eval == 8**3  # a larger map: N³ of its voxels


def test_near_points_follow_negative_features_too() -> None:
    # a map whose only feature is a hole below a positive background
    values = np.full((1, 16, 16, 16), 1.0, np.float32)
    values[0, 2:5, 2:5, 2:5] = -1.0
    values[0, 12, 12, 12] = 2.0
    hole = Field(values, np.zeros(3), 1.0, ("density",))
    t, pools = _pools([hole], n_near=2000)
    near = t.boxes[0].from_unit(pools.rand_x[0, pools.n_uniform:].astype(np.float64))
    in_hole = np.all((near > 1.0) & (near < 6.0), axis=1).mean()
    assert in_hole > 0.5, in_hole  # was drawn by positive density only: none there


@pytest.mark.parametrize("n_near", [0, 100])
def test_pool_shapes(n_near: int) -> None:
    _, pools = _pools([read_map(MAPS / "test.ccp4")], n_near=n_near)
    assert pools.rand_x.shape == (1, 500 + n_near, 3) and pools.n_uniform == 500
    assert np.isfinite(pools.grid_y).all() and np.isfinite(pools.rand_y).all()
