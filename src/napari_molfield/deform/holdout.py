"""Frames left out of a deformable fit, and the latents they get afterwards.

``molfield fit TOPOLOGY --trajectory TRAJ --holdout K`` leaves every K-th frame out of the
fit; once the network is trained, each left-out frame gets a latent by optimising that
latent alone (network frozen) on the frame's **field** — what a user holding only a
density of that state could do. Its decoded field and atoms then say whether the model
generalises between the frames it saw::

    held = holdout_frames(98, 7)                 # [6, 13, …]: never the first or last
    z = fitted_latents(model, coords[held])      # [H, L], field loss only
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import replace

import numpy as np
import torch

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from ..fields.pools import build_pools
from ..nn.batches import minibatch, split_batch
from ..nn.deform_net import DeformNet
from ..nn.loop import adam
from .holdout_atoms import LatentProgress, atom_latents
from .model import DeformModel

#: Steps, points per frame and step, and learning rate of a held-out latent's fit.
LATENT_STEPS = 100
LATENT_POINTS = 1024
LATENT_LR = 2e-2


def holdout_frames(n_frames: int, every: int) -> list[int]:
    """Indices of the frames left out: every ``every``-th one, never the first or the last
    (a held-out frame always has fitted neighbours on both sides).

    Raises
    ------
    MolfieldError
        When ``every`` < 2 or no frame would be left out (or none fitted).
    """
    if isinstance(every, bool) or not isinstance(every, (int, np.integer)) or every < 2:
        raise MolfieldError(f"--holdout takes an integer K ≥ 2 (every K-th frame), got {every}.")
    held = list(range(every - 1, n_frames - 1, every))
    if not held:
        raise MolfieldError(
            f"--holdout {every} leaves no frame out of {n_frames}: use a smaller K.")
    return held


def fit_latents(model: DeformModel, coords: np.ndarray, *, steps: int = LATENT_STEPS,
                points: int = LATENT_POINTS, lr: float = LATENT_LR, seed: int = 0,
                ) -> Generator[LatentProgress, None, np.ndarray]:
    """Latents ``[H, L]`` of new conformers ``coords`` ``[H, A, 3]`` of the model's atoms,
    fitted to their Eq. 1 fields with the network frozen.

    Each latent starts at the fitted latent whose decode is closest to the frame's field
    (a search over the model's own items), then Adam on the field MSE at training points
    drawn as in the fit (grid, uniform and near-atom points). The atoms of the frame are
    used only to sample its field.
    """
    import time

    from ..fields.channels import ChannelSpec

    xyz = np.asarray(coords, dtype=np.float64)
    if xyz.ndim != 3 or xyz.shape[1:] != (model.n_atoms, 3):
        raise MolfieldError(
            f"Held-out frames must hold the model's {model.n_atoms} atoms, got {xyz.shape}.")
    if model.decodes_atoms:
        return (yield from atom_latents(model, xyz, steps=steps, points=points, lr=lr,
                                        seed=seed))
    t0 = time.perf_counter()
    mol = model.molecule()
    spec = ChannelSpec.parse(list(model.channels))
    frames = Molecule(mol.elements, xyz, ligand_mask=mol.ligand_mask, name=mol.name)
    tables = [spec.assign(frames, i) for i in range(len(xyz))]
    scale = np.asarray(model.items[0]["scale"], dtype=np.float64)
    rng = np.random.default_rng(seed)
    gen = torch.Generator().manual_seed(seed)
    n = model.train_resolution
    pools = build_pools(tables, [model.region] * len(xyz), [scale] * len(xyz), n,
                        n_uniform=n**3 // 2, n_near=n**3 // 2, near_sigma=1.0,
                        beta=model.beta, rng=rng).to(model.device)
    counts = split_batch(points, (0.4, 0.2, 0.4), pools.n_uniform, pools.n_near)
    net = model.network
    assert isinstance(net, DeformNet)
    ids = torch.arange(len(xyz))
    x, y = minibatch(pools, ids, counts, gen)
    start = _nearest_latents(model, x, y)
    z = torch.nn.Parameter(start.clone())
    opt = adam([{"params": [z], "lr": lr}])
    was = [p.requires_grad for p in net.parameters()]
    for p in net.parameters():
        p.requires_grad_(False)
    with torch.no_grad():
        tmods = net.template_mods()
    try:
        for s in range(int(steps)):
            x, y = minibatch(pools, ids, counts, gen)
            loss = torch.mean((net.template_values(x + net.displacement(x, z), tmods) - y) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            yield LatentProgress(s + 1, int(steps), float(loss.detach()),
                                 time.perf_counter() - t0)
    finally:
        for p, w in zip(net.parameters(), was, strict=True):
            p.requires_grad_(w)
    return z.detach().cpu().numpy().astype(np.float32)


@torch.no_grad()
def _nearest_latents(model: DeformModel, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """For each frame's points ``x`` ``[H, P, 3]`` and values ``y``, the fitted latent whose
    field is closest there ``[H, L]``."""
    net = model.network
    assert isinstance(net, DeformNet)
    fitted = [i for i, it in enumerate(model.items) if not it.get("held_out")]
    cand = model.latents.detach()[fitted]
    tmods = net.template_mods()
    best = torch.empty(x.shape[0], cand.shape[1], device=x.device)
    for h in range(x.shape[0]):
        xs = x[h : h + 1].expand(len(cand), -1, -1)
        err = torch.mean((net.template_values(xs + net.displacement(xs, cand), tmods)
                          - y[h : h + 1]) ** 2, dim=(1, 2))
        best[h] = cand[int(torch.argmin(err))]
    return best


def with_held_out(model: DeformModel, full: Molecule, held: list[int],
                  latents: np.ndarray) -> DeformModel:
    """The model over every frame of ``full`` in order: the fitted ones as they were, the
    ``held`` ones with ``latents`` and ``"held_out": True`` in their item."""
    k = full.n_conformers
    fitted = [i for i in range(k) if i not in set(held)]
    if len(fitted) != model.n_items or len(held) != len(latents):
        raise MolfieldError("The held-out frames do not match the fitted model.")
    z = torch.empty(k, model.config.latent_dim, dtype=model.latents.dtype)
    z[fitted] = model.latents.detach().cpu()
    z[held] = torch.as_tensor(latents, dtype=z.dtype)
    assert full.conformer_names is not None
    items: list[dict] = [dict()] * k
    for j, i in enumerate(fitted):
        items[i] = dict(model.items[j], conformer=i, held_out=False)
    for i in held:
        name = full.conformer_names[i]
        items[i] = dict(model.items[0], conformer=i, conformer_name=name, held_out=True,
                        name=name if name.startswith(full.name) else f"{full.name} [{name}]")
    return replace(model, latents=z.to(model.device), items=items,
                   coords=full.coords.astype(model.coords.dtype))


def held_out_items(model: DeformModel) -> list[int]:
    """Indices of the model's items that were left out of its fit."""
    return [i for i, it in enumerate(model.items) if it.get("held_out")]


__all__ = ["LATENT_STEPS", "LatentProgress", "fit_latents", "held_out_items",
           "holdout_frames", "with_held_out"]
