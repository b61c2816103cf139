"""Minibatches from `PointPools` and the PSNR on their train grid (both fits use them)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ..fields.metrics import psnr_from_mse
from ..fields.pools import PointPools

#: ``predictor(i)`` gives item ``i``'s field: ``[1, P, 3]`` unit points → ``[1, P, C]``.
Predictor = Callable[[int], Callable[[torch.Tensor], torch.Tensor]]


def split_batch(per_item: int, fractions: tuple[float, float, float], n_uniform: int,
                n_near: int) -> tuple[int, int, int]:
    """Grid, uniform and near-atom points per item and step.

    ``fractions`` are the grid, uniform and near-atom shares of the settings; a pool that
    is empty (``n_uniform`` or ``n_near`` 0) gets none, its share going to the others.
    """
    fr = np.array(fractions, dtype=float)
    if n_uniform == 0:
        fr[1] = 0
    if n_near == 0:
        fr[2] = 0
    fr = fr / fr.sum()
    n_grid = round(per_item * fr[0])
    n_uni = round(per_item * fr[1])
    n_near_b = max(0, per_item - n_grid - n_uni) if fr[2] > 0 else 0
    if fr[2] == 0:
        n_uni = per_item - n_grid
    return n_grid, n_uni, n_near_b


def minibatch(pools: PointPools, ids: torch.Tensor, counts: tuple[int, int, int],
              gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``[B, P, 3]`` points and ``[B, P, C]`` targets of items ``ids``: ``counts`` grid,
    uniform and near-atom points each, drawn with ``gen`` (on the CPU, then moved to the
    pools' device)."""
    dev = pools.grid_x.device
    b = len(ids)
    ids_d = ids.to(dev)[:, None]
    n_grid, n_uni, n_near = counts
    xs, ys = [], []
    if n_grid:
        gi = torch.randint(0, pools.grid_y.shape[1], (b, n_grid), generator=gen).to(dev)
        xs.append(pools.grid_x[gi] if pools.grid_x.ndim == 2 else pools.grid_x[ids_d, gi])
        ys.append(pools.grid_y[ids_d, gi])
    n_all = pools.rand_x.shape[1]
    for n, lo, hi in ((n_uni, 0, pools.n_uniform), (n_near, pools.n_uniform, n_all)):
        if n and hi > lo:
            ri = torch.randint(lo, hi, (b, n), generator=gen).to(dev)
            xs.append(pools.rand_x[ids_d, ri])
            ys.append(pools.rand_y[ids_d, ri])
    return torch.cat(xs, dim=1), torch.cat(ys, dim=1)


@torch.no_grad()
def grid_psnr(pools: PointPools, ids: list[int], predictor: Predictor,
              chunk: int = 65536) -> float:
    """PSNR (`psnr_from_mse`) of one MSE over every voxel and channel of the train grid of
    items ``ids`` (its first ``pools.n_eval`` points); ``nan`` when the error is not
    finite."""
    mse_sum, count = 0.0, 0
    n = pools.grid_y.shape[1] if pools.n_eval is None else pools.n_eval
    for i in ids:
        field = predictor(i)
        grid = pools.grid_points(i)
        for a in range(0, n, chunk):
            b = min(a + chunk, n)
            d = field(grid[None, a:b]) - pools.grid_y[i : i + 1, a:b]
            mse_sum += float(torch.sum(d.double() ** 2))
            count += d.numel()
    return psnr_from_mse(mse_sum / max(count, 1))


__all__ = ["Predictor", "grid_psnr", "minibatch", "split_batch"]
