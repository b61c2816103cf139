"""Training batches of the auto-encoder: precomputed targets, or rotated ones on the fly.

Targets are precomputed once per molecule (grid at the training resolution, divided by
the per-channel peaks of `channel_peaks`, plus near-atom points with exact targets from
`sample_points`, via the auto-decoder's point pools). Fields are computed on the fly
instead (:func:`is_dynamic`) when every step draws something new: random rotations
(``rotate``), 180° flips in the canonical frame (``flip_prob``), or one of several
conformers per molecule. Models with a canonical frame see every molecule in it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from ..chem.molecule import Molecule
from ..fields.box import unit_grid
from ..fields.pools import build_pools
from ..fields.sample import sample_points
from .config import TrainConfig
from .distributed import DistInfo
from .frames import proper_flips
from .inputs import field_inputs, normalised_grids, random_rotations
from .model import AEModel

#: Fraction of each molecule's grid points drawn among voxels where some channel > 1e-3.
OCCUPIED_THRESHOLD = 1e-3


@dataclass(eq=False)
class TrainData:
    """Molecules with their precomputed targets (on one device)."""

    molecules: list[Molecule]
    grid_y: torch.Tensor  # [M, N³, C] normalised grid targets (empty with rotate)
    near_x: torch.Tensor  # [M, P, 3] unit frame
    near_y: torch.Tensor  # [M, P, C]
    occupied_voxels: torch.Tensor  # [M, N³] float mask
    occupied: np.ndarray  # [M, C]


def precompute(mols: list[Molecule], model: AEModel, pool_near: int, seed: int,
               device: torch.device, grids: bool = True) -> TrainData:
    """Targets of ``mols`` on ``device`` (only the occupancy table when ``grids`` is False)."""
    inp = field_inputs(mols, model.channels, model.box_edge, model.beta,
                       canonical=model.canonical)
    n = model.resolution
    if not grids:
        e = torch.zeros(0)
        return TrainData(mols, e, e, e, e, inp.occupied)
    pools = build_pools(
        inp.tables, inp.boxes, list(inp.scales), n, n_uniform=0, n_near=pool_near,
        near_sigma=0.5, beta=model.beta, rng=np.random.default_rng([seed, 7]),
    ).to(device)
    occ = (pools.grid_y.amax(dim=2) > OCCUPIED_THRESHOLD).float()
    return TrainData(mols, pools.grid_y, pools.rand_x, pools.rand_y, occ, inp.occupied)


def is_dynamic(config: TrainConfig, mols: list[Molecule]) -> bool:
    """Whether batches are computed on the fly (augmentation or several conformers)."""
    return bool(config.rotate or config.flip_prob > 0
                or any(m.n_conformers > 1 for m in mols))


class BatchSampler:
    """This rank's share of the global batch of a step: ``sampler(step) → (grids, x, y)``."""

    def __init__(self, model: AEModel, data: TrainData, config: TrainConfig, dist: DistInfo,
                 device: torch.device) -> None:
        self.model = model
        self.data = data
        self.config = config
        self.dist = dist
        self.device = device
        self.dynamic = is_dynamic(config, data.molecules)

    def __call__(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """This rank's grids, points and targets of the global batch of ``step``."""
        c, d = self.config, self.data
        rng = np.random.default_rng([c.seed, step, 11])
        m = len(d.molecules)
        items = rng.choice(m, size=c.batch_items, replace=c.batch_items > m)
        per = c.batch_items // self.dist.world
        lo = self.dist.rank * per
        mine = items[lo : lo + per]
        n_near = round(c.batch_points * c.frac_near)
        n_grid = c.batch_points - n_near
        n_occ = round(n_grid * c.frac_occupied)
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        # indices for the whole global batch (identical on every rank), then my share
        if self.dynamic:
            return self._dynamic(items, lo, per, step)
        n3 = d.grid_y.shape[1]
        uni = torch.randint(0, n3, (c.batch_items, n_grid - n_occ), generator=gen)
        occ_w = d.occupied_voxels[torch.as_tensor(items)].cpu() + 1e-6
        occ = torch.multinomial(occ_w, n_occ, replacement=True, generator=gen)
        near = torch.randint(0, d.near_x.shape[1], (c.batch_items, n_near), generator=gen)
        sl = slice(lo, lo + per)
        idx = torch.as_tensor(mine, device=d.grid_y.device)
        vox = torch.cat([uni[sl], occ[sl]], dim=1).to(d.grid_y.device)
        near = near[sl].to(d.grid_y.device)
        grid_x = self._unit_grid()
        x = torch.cat([grid_x[vox], d.near_x[idx[:, None], near]], dim=1)
        gy = d.grid_y[idx]  # [b, N³, C]
        y = torch.cat([torch.gather(gy, 1, vox[..., None].expand(-1, -1, gy.shape[2])),
                       d.near_y[idx[:, None], near]], dim=1)
        n = self.model.resolution
        grids = gy.transpose(1, 2).reshape(len(mine), -1, n, n, n)
        return grids.to(self.device), x.to(self.device), y.to(self.device)

    def _dynamic(self, items: np.ndarray, lo: int, per: int, step: int
                 ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        c, mdl = self.config, self.model
        mols = [self.data.molecules[i] for i in items[lo : lo + per]]
        r13 = np.random.default_rng([c.seed, step, 13])
        rot = random_rotations(len(items), r13)[lo : lo + per] if c.rotate else None
        conf = [int(r13.integers(self.data.molecules[i].n_conformers)) for i in items]
        flips = None
        if mdl.canonical and c.flip_prob > 0:
            turn = np.where(r13.random(len(items)) < c.flip_prob,
                            r13.integers(1, 4, len(items)), 0)
            flips = proper_flips()[turn][lo : lo + per]
        inp = field_inputs(mols, mdl.channels, mdl.box_edge, mdl.beta, rot,
                           canonical=mdl.canonical, conformers=conf[lo : lo + per], flips=flips)
        grids = normalised_grids(inp, mdl.resolution, mdl.beta)
        n3 = mdl.resolution**3
        n_near = round(c.batch_points * c.frac_near)
        n_grid = c.batch_points - n_near
        n_occ = round(n_grid * c.frac_occupied)
        gx = self._unit_grid().cpu().numpy()
        xs, ys = [], []
        for i, (g, t, b, s) in enumerate(zip(grids, inp.tables, inp.boxes, inp.scales,
                                             strict=True)):
            r = np.random.default_rng([c.seed, step, 17, lo + i])
            flat = g.reshape(g.shape[0], -1).T
            occ = np.flatnonzero(flat.max(axis=1) > OCCUPIED_THRESHOLD)
            vox = np.concatenate([r.integers(0, n3, n_grid - n_occ),
                                  occ[r.integers(0, max(len(occ), 1), n_occ)] if len(occ)
                                  else r.integers(0, n3, n_occ)])
            used = t.used()
            pick = r.integers(0, max(len(used.radius), 1), n_near)
            near = (used.xyz[pick] + r.normal(size=(n_near, 3)) * 0.5 * used.radius[pick, None]
                    if len(used.radius) else r.uniform(-1, 1, (n_near, 3)))
            near_u = np.clip(b.to_unit(near), -1, 1)
            ny = sample_points(t, b.from_unit(near_u), beta=mdl.beta) / s.astype(np.float32)
            xs.append(np.concatenate([gx[vox], near_u]))
            ys.append(np.concatenate([flat[vox], ny]))
        f32 = {"dtype": torch.float32, "device": self.device}
        return (torch.as_tensor(grids, **f32), torch.as_tensor(np.stack(xs), **f32),
                torch.as_tensor(np.stack(ys), **f32))

    def _unit_grid(self) -> torch.Tensor:
        if not hasattr(self, "_grid"):
            self._grid = torch.as_tensor(unit_grid(self.model.resolution), dtype=torch.float32,
                                         device=self.data.grid_y.device
                                         if self.data.grid_y.numel() else self.device)
        return self._grid


__all__ = ["OCCUPIED_THRESHOLD", "BatchSampler", "is_dynamic", "precompute"]
