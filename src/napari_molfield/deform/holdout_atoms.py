"""Latents of left-out frames for the ``"atoms"`` decoder, from their fields alone.

As for the warp decoder (`holdout.fit_latents`): the network is frozen and each frame's
latent is fitted to its Eq. 1 field at training points (near its atoms); the frame's
atoms only sample that field. The decoded field of a latent is Eq. 1 of its decoded
atoms, written here in torch over each point's nearest atoms so that it has a gradient.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass

import numpy as np
import torch

from ..nn.atom_decoder import AtomDecoder
from ..nn.loop import adam
from .model import DeformModel

#: Atoms around each training point that its field value sums (the kernel's reach is a
#: few Å; 32 atoms of a protein fill ~5 Å around a point).
NEIGHBOURS = 32
#: Standard deviation (Å) of the training points around the frame's atoms.
NEAR_SIGMA = 1.0


@dataclass(frozen=True)
class LatentProgress:
    """One step of the held-out latents' fit: its field MSE (normalised) and time."""

    step: int
    steps: int
    loss: float
    elapsed: float


def atom_latents(model: DeformModel, coords: np.ndarray, *, steps: int, points: int,
                 lr: float, seed: int) -> Generator[LatentProgress, None, np.ndarray]:
    """Latents ``[H, L]`` of frames ``coords`` ``[H, A, 3]`` fitted to their fields.

    Each starts at the fitted latent whose decoded field is closest at the frame's
    points, then Adam on the field MSE (normalised) with the decoder frozen.
    """
    from ..fields.sample import sample_points

    t0 = time.perf_counter()
    net = model.network
    assert isinstance(net, AtomDecoder)
    rng = np.random.default_rng(seed)
    box, beta = model.region, model.beta
    scale = model.scale(0)
    frames = np.asarray(coords, dtype=np.float64)
    pts = np.stack([_points(x, points, rng) for x in frames])  # [H, P, 3]
    y = np.stack([sample_points(model.table(0, coords=x), p, beta=beta) / scale
                  for x, p in zip(frames, pts, strict=True)])
    fitted = [i for i, it in enumerate(model.items) if not it.get("held_out")]
    cand = model.latents.detach()[fitted]
    with torch.no_grad():
        cand_xyz = [box.from_unit(x) for x in net(cand).double().cpu().numpy()]
    start = []
    for p, v in zip(pts, y, strict=True):
        err = [np.mean((sample_points(model.table(0, coords=x), p, beta=beta) / scale - v)
                       ** 2) for x in cand_xyz]
        start.append(int(np.argmin(err)))
    table = model.table(0)
    onehot = np.zeros((len(table.channel), len(scale)), np.float32)
    live = (table.channel >= 0) & (table.weight > 0)
    onehot[live, table.channel[live]] = (np.exp(beta) * table.weight[live]
                                         / scale[table.channel[live]])
    # each point's nearest atoms in its starting structure (they move little)
    from scipy.spatial import cKDTree

    nbr = np.stack([cKDTree(cand_xyz[s]).query(p, NEIGHBOURS)[1]
                    for s, p in zip(start, pts, strict=True)])  # [H, P, M]
    f32 = {"dtype": torch.float32, "device": model.device}
    t_pts = torch.as_tensor(pts, **f32)
    t_y = torch.as_tensor(y, **f32)
    t_nbr = torch.as_tensor(nbr, dtype=torch.long, device=model.device)
    t_hot = torch.as_tensor(onehot, **f32)[t_nbr]  # [H, P, M, C]
    t_inv = torch.as_tensor(beta / table.radius**2, **f32)[t_nbr]  # [H, P, M]
    half = box.edge / 2
    centre = torch.as_tensor(box.centre, **f32)
    z = torch.nn.Parameter(cand[start].clone())
    opt = adam([{"params": [z], "lr": lr}])
    was = [p.requires_grad for p in net.parameters()]
    for p in net.parameters():
        p.requires_grad_(False)
    h_idx = torch.arange(len(frames), device=model.device)[:, None, None]
    try:
        for s in range(int(steps)):
            xyz = net(z) * half + centre  # [H, A, 3] Å
            near = xyz[h_idx, t_nbr]  # [H, P, M, 3]
            d2 = torch.sum((near - t_pts[:, :, None]) ** 2, -1)
            pred = torch.sum(torch.exp(-t_inv * d2)[..., None] * t_hot, dim=2)
            loss = torch.mean((pred - t_y) ** 2)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            yield LatentProgress(s + 1, int(steps), float(loss.detach()),
                                 time.perf_counter() - t0)
    finally:
        for p, w in zip(net.parameters(), was, strict=True):
            p.requires_grad_(w)
    return z.detach().cpu().numpy().astype(np.float32)


def _points(xyz: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points scattered around random atoms of ``xyz`` (`NEAR_SIGMA` Å)."""
    pick = rng.integers(0, len(xyz), n)
    return xyz[pick] + rng.normal(0.0, NEAR_SIGMA, (n, 3))


__all__ = ["NEIGHBOURS", "LatentProgress", "atom_latents"]
