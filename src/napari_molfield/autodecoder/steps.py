"""What the auto-decoder gives the training loop (`nn.loop.train`): its loss and its PSNR."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..fields.metrics import EMPTY_LEVEL
from ..fields.pools import PointPools
from ..nn.batches import grid_psnr, minibatch
from ..nn.loop import StepLoss
from .model import FittedModel


def step_loss(model: FittedModel, pools: PointPools, n_items: int, b_items: int,
              counts: tuple[int, int, int], empty_weight: float,
              gen: torch.Generator) -> StepLoss:
    """The MSE of one minibatch of ``b_items`` random items (all when there are no more).

    With ``empty_weight`` ≠ 1, points whose targets are empty (every channel below
    `EMPTY_LEVEL`) weigh that much in the descended loss; the reported value is the plain
    MSE.
    """
    ids = (torch.randperm(n_items, generator=gen)[:b_items] if n_items > b_items
           else torch.arange(n_items))
    x, y = minibatch(pools, ids, counts, gen)
    pred = model.network(x, model.latents[ids.to(x.device)])
    sq = (pred - y) ** 2
    if empty_weight != 1.0:
        w = torch.where(y.amax(dim=-1, keepdim=True) < EMPTY_LEVEL, empty_weight, 1.0)
        loss = torch.mean(w * sq) / torch.mean(w)
    else:
        loss = torch.mean(sq)
    return StepLoss(loss, float(torch.mean(sq).detach()))


def evaluate(model: FittedModel, pools: PointPools, ids: list[int], chunk: int = 65536) -> float:
    """PSNR over every voxel and channel of the train grid of items ``ids``."""
    net = model.network

    def field(i: int) -> Callable[[torch.Tensor], torch.Tensor]:
        mods = net.modulations(model.latents[i : i + 1].detach())
        return lambda x: net.forward_modulated(x, mods)

    return grid_psnr(pools, ids, field, chunk)


__all__ = ["evaluate", "step_loss"]
