"""The pieces of one deformable-fit step: minibatches, the losses, evaluation, snapshots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from ..fields.pools import PointPools
from ..nn.deform_net import DeformNet


@dataclass(eq=False)
class AtomTargets:
    """Network-frame atoms of every conformer ``[K, A, 3]`` and of the template ``[A, 3]``;
    ``half`` is the half edge of the box in Å (network units → Å)."""

    conformers: torch.Tensor
    template: torch.Tensor
    half: float


def adam(groups: list[dict[str, Any]]) -> torch.optim.Adam:
    """Fused Adam where this torch has it, else the default one."""
    try:
        return torch.optim.Adam(groups, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(groups)


def minibatch(pools: PointPools, ids: torch.Tensor, counts: tuple[int, int, int],
              gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """``[B, P, 3]`` points and ``[B, P, C]`` targets of items ``ids`` (grid, uniform, near)."""
    dev = pools.grid_x.device
    b = len(ids)
    ids_d = ids.to(dev)[:, None]
    n_grid, n_uni, n_near = counts
    xs, ys = [], []
    if n_grid:
        gi = torch.randint(0, pools.grid_x.shape[0], (b, n_grid), generator=gen).to(dev)
        xs.append(pools.grid_x[gi])
        ys.append(pools.grid_y[ids_d, gi])
    n_all = pools.rand_x.shape[1]
    for n, lo, hi in ((n_uni, 0, pools.n_uniform), (n_near, pools.n_uniform, n_all)):
        if n and hi > lo:
            ri = torch.randint(lo, hi, (b, n), generator=gen).to(dev)
            xs.append(pools.rand_x[ids_d, ri])
            ys.append(pools.rand_y[ids_d, ri])
    return torch.cat(xs, dim=1), torch.cat(ys, dim=1)


def atom_loss(net: DeformNet, atoms: AtomTargets, ids: torch.Tensor, latents: torch.Tensor,
              n_atoms: int, gen: torch.Generator) -> torch.Tensor:
    """Mean ``|x_k + D(x_k, z_k) − x_template|²`` in Å² over random atoms of ``ids``."""
    dev = atoms.conformers.device
    a = torch.randint(0, atoms.template.shape[0], (len(ids), n_atoms), generator=gen).to(dev)
    u = atoms.conformers[ids.to(dev)[:, None], a]
    d = net.displacement(u, latents[ids.to(dev)])
    return torch.mean(torch.sum((u + d - atoms.template[a]) ** 2, -1)) * atoms.half**2


def path_loss(net: DeformNet, atoms: AtomTargets, latents: torch.Tensor, n_paths: int,
              n_atoms: int, gen: torch.Generator) -> torch.Tensor:
    """The correspondence loss at ``lerp(z_i, z_j, s)`` for atoms ``lerp(x_i, x_j, s)``."""
    dev = atoms.conformers.device
    k = atoms.conformers.shape[0]
    i = torch.randint(0, k, (n_paths,), generator=gen)
    j = (i + torch.randint(1, k, (n_paths,), generator=gen)) % k  # j ≠ i
    s = torch.rand(n_paths, generator=gen).to(dev)
    i, j = i.to(dev), j.to(dev)
    a = torch.randint(0, atoms.template.shape[0], (n_paths, n_atoms), generator=gen).to(dev)
    u = torch.lerp(atoms.conformers[i[:, None], a], atoms.conformers[j[:, None], a],
                   s[:, None, None])
    z = torch.lerp(latents[i], latents[j], s[:, None])
    d = net.displacement(u, z)
    return torch.mean(torch.sum((u + d - atoms.template[a]) ** 2, -1)) * atoms.half**2


def smooth_loss(net: DeformNet, x: torch.Tensor, d: torch.Tensor, z: torch.Tensor,
                step: float, gen: torch.Generator) -> torch.Tensor:
    """Mean ``|D(p + δ) − D(p)|² / |δ|²`` over points ``x`` whose ``D`` is ``d``.

    ``step`` is the length scale of δ in network units.
    """
    delta = (torch.randn(x.shape, generator=gen) * step).to(x.device)
    d2 = net.displacement(x + delta, z)
    return torch.mean(torch.sum((d2 - d) ** 2, -1) / torch.sum(delta**2, -1).clamp_min(1e-12))


@torch.no_grad()
def evaluate(net: DeformNet, latents: torch.Tensor, pools: PointPools, ids: list[int],
             chunk: int = 65536) -> float:
    """PSNR over every voxel and channel of the train grid of items ``ids``."""
    mse_sum, count = 0.0, 0
    tmods = net.template_mods()
    for i in ids:
        z = latents[i : i + 1].detach()
        wmods = net.warp.modulations(z)
        for a in range(0, pools.grid_x.shape[0], chunk):
            u = pools.grid_x[None, a : a + chunk]
            v = u + net.warp.forward_modulated(u, wmods)
            d = net.template_values(v, tmods) - pools.grid_y[i : i + 1, a : a + chunk]
            mse_sum += float(torch.sum(d.double() ** 2))
            count += d.numel()
    mse = mse_sum / max(count, 1)
    if not math.isfinite(mse):
        return math.nan
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def snapshot(net: DeformNet, latents: torch.Tensor) -> dict[str, torch.Tensor]:
    """A copy of the weights and latents."""
    snap = {k: v.detach().clone() for k, v in net.state_dict().items()}
    snap["__latents__"] = latents.detach().clone()
    return snap


@torch.no_grad()
def restore(net: DeformNet, latents: torch.Tensor, snap: dict[str, torch.Tensor]) -> None:
    """Put a `snapshot` back."""
    net.load_state_dict({k: v for k, v in snap.items() if k != "__latents__"})
    latents.copy_(snap["__latents__"])


__all__ = ["AtomTargets", "adam", "atom_loss", "evaluate", "minibatch", "path_loss", "restore",
           "smooth_loss", "snapshot"]
