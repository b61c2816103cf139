"""The pieces of one auto-decoder step: optimiser, minibatches, evaluation, snapshots."""

from __future__ import annotations

import math
from typing import Any

import torch

from ..fields.pools import PointPools
from .model import FittedModel


def adam(groups: list[dict[str, Any]]) -> torch.optim.Adam:
    """Fused Adam where this torch has it (CPU since torch 2.4), else the default one."""
    try:
        return torch.optim.Adam(groups, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(groups)


def minibatch(
    pools: PointPools,
    ids: torch.Tensor,
    n_grid: int,
    n_uni: int,
    n_near: int,
    gen: torch.Generator,
    dev: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``[B, P, 3]`` points and ``[B, P, C]`` targets drawn from the pools of ``ids``."""
    b = len(ids)
    ids_d = ids.to(dev)
    xs, ys = [], []
    if n_grid:
        gi = torch.randint(0, pools.grid_x.shape[0], (b, n_grid), generator=gen).to(dev)
        xs.append(pools.grid_x[gi])
        ys.append(pools.grid_y[ids_d[:, None], gi])
    for n, lo, hi in ((n_uni, 0, pools.n_uniform),
                      (n_near, pools.n_uniform, pools.rand_x.shape[1])):
        if n and hi > lo:
            ri = torch.randint(lo, hi, (b, n), generator=gen).to(dev)
            xs.append(pools.rand_x[ids_d[:, None], ri])
            ys.append(pools.rand_y[ids_d[:, None], ri])
    return torch.cat(xs, dim=1), torch.cat(ys, dim=1)


@torch.no_grad()
def evaluate(model: FittedModel, pools: PointPools, ids: list[int], chunk: int = 65536) -> float:
    """PSNR over every voxel and channel of the train grid of items ``ids``."""
    net = model.network
    mse_sum, count = 0.0, 0
    for i in ids:
        mods = net.modulations(model.latents[i : i + 1].detach())
        for a in range(0, pools.grid_x.shape[0], chunk):
            x = pools.grid_x[None, a : a + chunk]
            y = pools.grid_y[i : i + 1, a : a + chunk]
            d = net.forward_modulated(x, mods) - y
            mse_sum += float(torch.sum(d.double() ** 2))
            count += d.numel()
    mse = mse_sum / max(count, 1)
    if not math.isfinite(mse):
        return math.nan
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def snapshot(model: FittedModel) -> dict[str, torch.Tensor]:
    snap = {k: v.detach().clone() for k, v in model.network.state_dict().items()}
    snap["__latents__"] = model.latents.detach().clone()
    return snap


@torch.no_grad()
def restore(model: FittedModel, snap: dict[str, torch.Tensor]) -> None:
    model.network.load_state_dict({k: v for k, v in snap.items() if k != "__latents__"})
    model.latents.copy_(snap["__latents__"])


__all__ = ["adam", "evaluate", "minibatch", "restore", "snapshot"]
