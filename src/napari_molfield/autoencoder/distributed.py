"""Several processes under ``torchrun``: joining the group, devices per rank, shared data."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch

from ..nn.device import pick_device
from .datasets import Dataset, as_dataset
from .model import AEModel


@dataclass(frozen=True)
class DistInfo:
    """Rank, world size and local rank of this process (1 process: 0, 1, 0)."""

    rank: int = 0
    world: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        """Whether this process reports and writes files."""
        return self.rank == 0


def init_distributed(device: str = "auto") -> DistInfo:
    """Join the ``torchrun`` process group when ``WORLD_SIZE > 1`` (idempotent).

    NCCL when CUDA is used, gloo on CPU; each rank on CUDA uses ``cuda:LOCAL_RANK``.
    """
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return DistInfo()
    import torch.distributed as dist

    rank = int(os.environ["RANK"])
    local = int(os.environ.get("LOCAL_RANK", rank))
    if not dist.is_initialized():
        dev = pick_device(device)
        backend = "nccl" if dev.type == "cuda" else "gloo"
        if dev.type == "cuda":
            torch.cuda.set_device(local)
        dist.init_process_group(backend=backend)
    return DistInfo(dist.get_rank(), dist.get_world_size(), local)


def rank_device(device: str, info: DistInfo) -> torch.device:
    dev = pick_device(device)
    if dev.type == "cuda" and info.world > 1:
        return torch.device("cuda", info.local_rank)
    return dev


def load_ranked(data: Any, model: AEModel, cache_dir: Any, dist: DistInfo) -> Dataset:
    """Rank 0 fills the conformer cache first, then the other ranks read it."""
    if dist.world == 1:
        return as_dataset(data, list(model.channels), model.box_edge, model.conformer_seed,
                             cache_dir)
    import torch.distributed as dist_

    ds = None
    if dist.is_main:
        ds = as_dataset(data, list(model.channels), model.box_edge, model.conformer_seed,
                           cache_dir)
    dist_.barrier()
    if ds is None:
        ds = as_dataset(data, list(model.channels), model.box_edge, model.conformer_seed,
                           cache_dir)
    return ds


__all__ = ["DistInfo", "init_distributed", "load_ranked", "rank_device"]
