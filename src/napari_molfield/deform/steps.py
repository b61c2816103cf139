"""What the deformable field gives the training loop (`nn.loop.train`): its losses and its
PSNR."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from ..fields.pools import PointPools
from ..nn.batches import grid_psnr, minibatch
from ..nn.deform_net import DeformNet
from ..nn.loop import StepLoss
from .config import DeformFitConfig


@dataclass(eq=False)
class AtomTargets:
    """Network-frame atoms of every conformer ``[K, A, 3]`` and of the template ``[A, 3]``;
    ``half`` is the half edge of the box in Å (network units → Å)."""

    conformers: torch.Tensor
    template: torch.Tensor
    half: float


def step_loss(net: DeformNet, latents: torch.Tensor, pools: PointPools, atoms: AtomTargets,
              fcfg: DeformFitConfig, b_items: int, counts: tuple[int, int, int],
              gen: torch.Generator) -> StepLoss:
    """The losses of one minibatch of ``b_items`` random conformers (all when there are no
    more): the field MSE (the reported value), the atom correspondences and the weighted
    path, smoothness and size terms; ``atom_rmsd`` (Å) rides along."""
    k = latents.shape[0]
    ids = torch.randperm(k, generator=gen)[:b_items] if k > b_items else torch.arange(k)
    x, y = minibatch(pools, ids, counts, gen)
    z = latents[ids.to(x.device)]
    d = net.displacement(x, z)
    field_loss = torch.mean((net.template_values(x + d) - y) ** 2)
    a_loss = atom_loss(net, atoms, ids, latents, fcfg.atom_points, gen)
    loss = field_loss + fcfg.atom_weight * a_loss
    if fcfg.path_weight > 0:
        loss = loss + fcfg.path_weight * path_loss(
            net, atoms, latents, fcfg.path_samples, fcfg.atom_points, gen)
    if fcfg.smooth_weight > 0:
        sub = slice(None, None, 8)
        loss = loss + fcfg.smooth_weight * smooth_loss(net, x[:, sub], d[:, sub], z,
                                                       fcfg.smooth_step / atoms.half, gen)
    if fcfg.small_weight > 0:
        loss = loss + fcfg.small_weight * torch.mean(torch.sum(d**2, -1)) * atoms.half**2
    rmsd = math.sqrt(max(float(a_loss.detach()), 0.0))
    return StepLoss(loss, float(field_loss.detach()), {"atom_rmsd": rmsd})


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
    tmods = net.template_mods()

    def field(i: int) -> Callable[[torch.Tensor], torch.Tensor]:
        wmods = net.warp.modulations(latents[i : i + 1].detach())
        return lambda u: net.template_values(u + net.warp.forward_modulated(u, wmods), tmods)

    return grid_psnr(pools, ids, field, chunk)


__all__ = ["AtomTargets", "atom_loss", "evaluate", "path_loss", "smooth_loss", "step_loss"]
