"""Training points with exact Eq. 1 targets: the train-resolution grid, uniform points and
near-atom points (shared by the auto-decoder fit and the auto-encoder training)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .box import Box, unit_grid
from .channels import AtomTable


@dataclass(eq=False)
class PointPools:
    """Unit-frame points and normalised exact targets for ``I`` items.

    ``grid_y`` ``[I, N³, C]`` are the targets at the train-resolution voxel centres (the
    unit grid ``grid_x`` ``[N³, 3]`` is shared by all items); ``rand_x`` ``[I, M, 3]`` and
    ``rand_y`` ``[I, M, C]`` hold the uniform points (first ``n_uniform``) then the
    near-atom points.
    """

    grid_x: Any  # float32 numpy arrays, or torch tensors after `to`
    grid_y: Any
    rand_x: Any
    rand_y: Any
    n_uniform: int

    def to(self, device: Any) -> PointPools:
        """The same pools as float32 torch tensors on ``device``."""
        import torch

        def f32(values: Any) -> torch.Tensor:
            return torch.as_tensor(values, dtype=torch.float32, device=device)

        return PointPools(f32(self.grid_x), f32(self.grid_y), f32(self.rand_x),
                          f32(self.rand_y), self.n_uniform)

    @property
    def n_near(self) -> int:
        """Near-atom points per item."""
        return self.rand_x.shape[1] - self.n_uniform


def build_pools(
    tables: list[AtomTable],
    boxes: list[Box],
    scales: list[np.ndarray],
    resolution: int,
    *,
    n_uniform: int,
    n_near: int,
    near_sigma: float,
    beta: float,
    rng: np.random.Generator,
) -> PointPools:
    """Sample the pools of every item and evaluate Eq. 1 there exactly (`sample_points`).

    Near-atom points are atom centres plus Gaussian jitter of σ = ``near_sigma`` × radius,
    clipped to the box; centres are drawn so every channel gets the same share (a
    67-atom ligand channel is learnt as fast as a 4000-atom protein one).
    """
    from .sample import sample_points, sample_table

    grid = unit_grid(resolution)
    gy, rx, ry = [], [], []
    for table, box, scale in zip(tables, boxes, scales, strict=True):
        inv = (1.0 / np.asarray(scale, dtype=np.float64)).astype(np.float32)
        g = sample_table(table, box, resolution, beta=beta)  # [C, N, N, N]
        gy.append(g.reshape(g.shape[0], -1).T * inv)
        uni = rng.uniform(-1.0, 1.0, size=(n_uniform, 3))
        used = table.used()
        if n_near and len(used.radius):
            # every channel gets the same share of points, however few atoms feed it
            counts = np.bincount(used.channel, minlength=used.n_channels).astype(float)
            prob = 1.0 / counts[used.channel]
            pick = rng.choice(len(used.radius), size=n_near, p=prob / prob.sum())
            jitter = rng.normal(size=(n_near, 3)) * (near_sigma * used.radius[pick, None])
            near = np.clip(box.to_unit(used.xyz[pick] + jitter), -1.0, 1.0)
        else:
            near = rng.uniform(-1.0, 1.0, size=(n_near, 3))
        pts = np.concatenate([uni, near])
        rx.append(pts)
        ry.append(sample_points(table, box.from_unit(pts), beta=beta) * inv)
    f32 = np.float32
    return PointPools(grid.astype(f32), np.stack(gy).astype(f32), np.stack(rx).astype(f32),
                      np.stack(ry).astype(f32), n_uniform)



def build_map_pools(
    maps: list[Any],
    boxes: list[Box],
    scales: list[np.ndarray],
    resolution: int,
    *,
    n_uniform: int,
    n_near: int,
    near_sigma: float,
    rng: np.random.Generator,
) -> PointPools:
    """The pools of density maps (`Field` objects): trilinear samples, zero outside a map.

    Near-density points are voxel centres drawn with probability proportional to the
    positive normalised density, plus Gaussian jitter of σ = ``near_sigma`` voxels.
    """
    from .interp import GridSampler

    grid = unit_grid(resolution)
    gy, rx, ry = [], [], []
    for field, box, scale in zip(maps, boxes, scales, strict=True):
        inv = (1.0 / np.asarray(scale, dtype=np.float64)).astype(np.float32)
        sampler = GridSampler(field, order=1)
        gy.append(sampler(box.from_unit(grid)) * inv)
        uni = rng.uniform(-1.0, 1.0, size=(n_uniform, 3))
        near = rng.uniform(-1.0, 1.0, size=(n_near, 3))
        if n_near:
            weight = np.zeros(int(np.prod(field.resolution)))
            for c in range(len(field.channels)):
                v = np.asarray(field.values[c], dtype=np.float32).reshape(-1) * inv[c]
                np.maximum(weight, v, out=weight)
            total = weight.sum()
            if total > 0:
                pick = rng.choice(weight.size, size=n_near, p=weight / total)
                ijk = np.stack(np.unravel_index(pick, field.resolution), axis=-1)
                h = np.asarray(field.voxel_size, dtype=np.float64)
                xyz = field.origin + ijk * h + rng.normal(size=(n_near, 3)) * (near_sigma * h)
                near = np.clip(box.to_unit(xyz), -1.0, 1.0)
        pts = np.concatenate([uni, near])
        rx.append(pts)
        ry.append(sampler(box.from_unit(pts)) * inv)
    f32 = np.float32
    return PointPools(grid.astype(f32), np.stack(gy).astype(f32), np.stack(rx).astype(f32),
                      np.stack(ry).astype(f32), n_uniform)


__all__ = ["PointPools", "build_map_pools", "build_pools"]
