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

    ``grid_y`` ``[I, P, C]`` are the targets at the grid points: the train-resolution voxel
    centres of molecules (``P = N³``; the unit grid ``grid_x`` ``[P, 3]`` is shared by all
    items), or a map's own voxel centres (``grid_x`` ``[I, P, 3]``, one set per item).
    ``rand_x`` ``[I, M, 3]`` and ``rand_y`` ``[I, M, C]`` hold the uniform points (first
    ``n_uniform``) then the near-atom points. ``n_eval``: the PSNR during a fit is measured
    on the first ``n_eval`` grid points of each item (all when ``None``).
    """

    grid_x: Any  # float32 numpy arrays, or torch tensors after `to`
    grid_y: Any
    rand_x: Any
    rand_y: Any
    n_uniform: int
    n_eval: int | None = None

    def to(self, device: Any) -> PointPools:
        """The same pools as float32 torch tensors on ``device``."""
        import torch

        def f32(values: Any) -> torch.Tensor:
            return torch.as_tensor(values, dtype=torch.float32, device=device)

        return PointPools(f32(self.grid_x), f32(self.grid_y), f32(self.rand_x),
                          f32(self.rand_y), self.n_uniform, self.n_eval)

    def grid_points(self, item: int) -> Any:
        """The grid points of ``item`` (``[P, 3]``; the shared grid of molecules)."""
        return self.grid_x if self.grid_x.ndim == 2 else self.grid_x[item]

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


#: Most voxels of one map in its training pool (128³ maps fit whole); a larger map trains
#: on a random subset of its voxels (plus trilinear points anywhere).
MAX_MAP_VOXELS = 2**22


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
    """The pools of density maps (`Field` objects): their own voxels, exactly.

    The grid points of an item are the map's voxel centres with the map's values (a map is
    its voxels: between them any value is an interpolation): all of them in a random
    order, repeated to the length of the largest map's (at most `MAX_MAP_VOXELS`; a larger
    map keeps a random subset), so the first ``min(voxels, resolution³)`` points of the
    smallest map, on which the fit's PSNR is measured, are distinct voxels. Uniform
    points anywhere in the box hold trilinear samples of the map (zero outside it).
    Near-density points are voxel centres drawn with probability proportional to the
    distance of their normalised value from the map's median (its background: positive
    and negative features alike), plus Gaussian jitter of σ = ``near_sigma`` voxels,
    again with trilinear targets.
    """
    from .interp import GridSampler
    from .limits import check_memory

    n_vox = [int(np.prod(m.resolution)) for m in maps]
    size = min(max(n_vox), MAX_MAP_VOXELS)
    n_ch = len(maps[0].channels)
    check_memory(4.0 * len(maps) * (size * (3 + n_ch) + (n_uniform + n_near) * (3 + n_ch)),
                 f"Training points for {len(maps)} map(s) of up to {max(n_vox):,} voxels",
                 "fit fewer maps at once, or coarser maps")
    gx, gy, rx, ry = [], [], [], []
    for field, box, scale, n in zip(maps, boxes, scales, n_vox, strict=True):
        inv = (1.0 / np.asarray(scale, dtype=np.float64)).astype(np.float32)
        sampler = GridSampler(field, order=1)
        h = np.asarray(field.voxel_size, dtype=np.float64)
        order = rng.permutation(n)
        pick = np.resize(order, size)  # repeated in the same order when the map is smaller
        ijk = np.stack(np.unravel_index(pick, field.resolution), axis=-1)
        gx.append(box.to_unit(field.origin + ijk * h))
        values = np.asarray(field.values, dtype=np.float32).reshape(n_ch, -1)
        gy.append(values[:, pick].T * inv)
        uni = rng.uniform(-1.0, 1.0, size=(n_uniform, 3))
        near = rng.uniform(-1.0, 1.0, size=(n_near, 3))
        if n_near:
            weight = np.zeros(n)
            for c in range(n_ch):
                v = values[c] * inv[c]
                np.maximum(weight, np.abs(v - np.median(v)), out=weight)
            total = weight.sum()
            if total > 0 and np.isfinite(total):
                at = rng.choice(n, size=n_near, p=weight / total)
                ijk = np.stack(np.unravel_index(at, field.resolution), axis=-1)
                xyz = field.origin + ijk * h + rng.normal(size=(n_near, 3)) * (near_sigma * h)
                near = np.clip(box.to_unit(xyz), -1.0, 1.0)
        pts = np.concatenate([uni, near])
        rx.append(pts)
        ry.append(sampler(box.from_unit(pts)) * inv)
    f32 = np.float32
    return PointPools(np.stack(gx).astype(f32), np.stack(gy).astype(f32),
                      np.stack(rx).astype(f32), np.stack(ry).astype(f32), n_uniform,
                      n_eval=min(min(n_vox), size, int(resolution) ** 3))


__all__ = ["MAX_MAP_VOXELS", "PointPools", "build_map_pools", "build_pools"]
