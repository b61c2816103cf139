"""Training batches of the auto-encoder: cached items, or targets recomputed per step.

By default (``TrainConfig.batch_cache``) every molecule conformer is computed once, on the
first step that draws it (:class:`ItemCache`): its grid at the training resolution,
divided by the per-channel peaks of `channel_peaks` and kept as one crop per channel
around its non-zero voxels (lossless; Eq. 1 is cut off beyond ``DEFAULT_TOL``, so the
crops are small), and a pool of near-atom points with exact targets (`build_pools`: atom
centres plus jitter, every channel with the same share, as the precomputed path draws
them; the recomputing path draws atoms uniformly). The 180° turns about the canonical
frame's axes (``flip_prob``) are sign changes of two coordinates: the box is centred on
the atoms and the grid is voxel-centred, so a turn maps the grid onto itself by reversing
two axes, and a near-atom point ``x`` onto ``x`` with two signs changed, the target
unchanged. A step then only copies crops and picks points.

Random rotations (``rotate``) change every field, so those batches are recomputed at
every step, as are all augmented batches with ``batch_cache=False`` (kept for
benchmarks); without augmentation and one conformer per molecule, that path precomputes
all grids (`precompute`). Models with a canonical frame see every molecule in it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from ..chem.molecule import Molecule
from ..fields.box import unit_grid
from ..fields.pools import build_pools
from ..fields.sample import sample_points
from ..nn.atom_slots import SlotConfig
from .config import TrainConfig
from .distributed import DistInfo
from .frames import proper_flips
from .inputs import field_inputs, normalised_grids, random_rotations
from .model import AEModel
from .slot_targets import item_atoms

#: Fraction of each molecule's grid points drawn among voxels where some channel > 1e-3.
OCCUPIED_THRESHOLD = 1e-3
#: Bytes of cached items beyond which `ItemCache` computes new items at each use.
CACHE_LIMIT = 4 * 2**30


@dataclass(eq=False)
class TrainData:
    """Molecules with their precomputed targets (on one device; empty tensors unless every
    grid is precomputed)."""

    molecules: list[Molecule]
    grid_y: torch.Tensor  # [M, N³, C] normalised grid targets
    near_x: torch.Tensor  # [M, P, 3] unit frame
    near_y: torch.Tensor  # [M, P, C]
    occupied_voxels: torch.Tensor  # [M, N³] float mask


def precompute(mols: list[Molecule], model: AEModel, pool_near: int, seed: int,
               device: torch.device, grids: bool = True) -> TrainData:
    """Targets of ``mols`` on ``device`` (none when ``grids`` is False)."""
    if not grids:
        e = torch.zeros(0)
        return TrainData(mols, e, e, e, e)
    inp = field_inputs(mols, model.channels, model.box_edge, model.beta,
                       canonical=model.canonical)
    n = model.resolution
    pools = build_pools(
        inp.tables, inp.boxes, list(inp.scales), n, n_uniform=0, n_near=pool_near,
        near_sigma=0.5, beta=model.beta, rng=np.random.default_rng([seed, 7]),
    ).to(device)
    occ = (pools.grid_y.amax(dim=2) > OCCUPIED_THRESHOLD).float()
    return TrainData(mols, pools.grid_y, pools.rand_x, pools.rand_y, occ)


def is_dynamic(config: TrainConfig, mols: list[Molecule]) -> bool:
    """Whether batches are computed on the fly (augmentation or several conformers)."""
    return bool(config.rotate or config.flip_prob > 0
                or any(m.n_conformers > 1 for m in mols))


def batch_mode(config: TrainConfig, mols: list[Molecule]) -> str:
    """``"cached"`` (:class:`ItemCache`), ``"dynamic"`` (recomputed at every step) or
    ``"static"`` (every grid precomputed by `precompute`)."""
    if config.batch_cache and not config.rotate:
        return "cached"
    return "dynamic" if is_dynamic(config, mols) else "static"


@dataclass(eq=False)
class CachedItem:
    """One molecule conformer as training sees it, before any flip.

    Attributes
    ----------
    crops
        ``(channel, first voxel (i, j, k), values [a, b, c])`` of every channel the
        molecule reaches; the normalised grid is zero outside them.
    near_x, near_y
        ``[P, 3]`` unit-frame near-atom points and their ``[P, C]`` normalised targets.
    atoms
        ``[A, 6]`` atom rows for an atom-slot decoder (`slot_targets.item_atoms`; empty
        for other decoders).
    """

    crops: list[tuple[int, tuple[int, int, int], torch.Tensor]]
    near_x: torch.Tensor
    near_y: torch.Tensor
    atoms: torch.Tensor = field(default_factory=lambda: torch.zeros(0, 6))

    @property
    def nbytes(self) -> int:
        """Bytes of the tensors."""
        ts = [v for _, _, v in self.crops] + [self.near_x, self.near_y]
        return sum(t.element_size() * t.numel() for t in ts)

    def write(self, out: torch.Tensor, signs: np.ndarray) -> None:
        """Write the grid turned by ``diag(signs)`` (each ±1) into the zeroed ``out``
        ``[C, N, N, N]``: every axis with sign −1 is reversed."""
        n = out.shape[-1]
        dims = [d for d in range(3) if signs[d] < 0]
        for c, lo, v in self.crops:
            box = tuple(slice(n - a - w, n - a) if sg < 0 else slice(a, a + w)
                        for a, w, sg in zip(lo, v.shape, signs, strict=True))
            out[(c, *box)] = v.flip(dims) if dims else v


class Slabs:
    """Float32 tensors carved out of 64 MiB blocks, for data kept for the whole run.

    Kept among a step's temporaries in the malloc heap, thousands of small long-lived
    arrays pin the space those leave behind (measured: the resident size grew ~5× faster
    than the cache); blocks this large are mapped apart from the heap.
    """

    BLOCK = 16 * 2**20  # float32 values

    def __init__(self) -> None:
        self.blocks: list[torch.Tensor] = []
        self.used = 0  # values used in the last block
        self.used_total = 0

    def put(self, values: np.ndarray) -> torch.Tensor:
        """A copy of ``values`` (float32) in the current block."""
        n = int(values.size)
        if not self.blocks or self.used + n > self.blocks[-1].numel():
            self.blocks.append(torch.empty(max(self.BLOCK, n)))
            self.used = 0
        out = self.blocks[-1][self.used : self.used + n].view(values.shape)
        out.copy_(torch.from_numpy(np.ascontiguousarray(values, dtype=np.float32)))
        self.used += n
        self.used_total += n
        return out

    @property
    def reserved(self) -> int:
        """Bytes of the blocks (filled only as far as used)."""
        return sum(4 * b.numel() for b in self.blocks)


class ItemCache:
    """Grids and near-atom pools of molecule conformers, computed on first use.

    Item ``(index, conformer)`` draws its pool with its own seed, so what it holds does
    not depend on when, or in which process, it is first used. The tensors live in
    :class:`Slabs`; once they fill ``max_bytes``, further items are computed at each use
    (about 0.23 MB an item at 32³ with 4096 near points: 2.1 GB for 9,378).
    """

    def __init__(self, model: AEModel, molecules: list[Molecule], pool_near: int,
                 seed: int, max_bytes: int = CACHE_LIMIT) -> None:
        self.model = model
        self.molecules = molecules
        self.pool_near = pool_near
        self.seed = seed
        self.max_bytes = max_bytes
        self.items: dict[tuple[int, int], CachedItem] = {}
        self.slabs = Slabs()

    def __len__(self) -> int:
        return len(self.items)

    @property
    def nbytes(self) -> int:
        """Bytes held by the cached tensors."""
        return sum(item.nbytes for item in self.items.values())

    def get(self, index: int, conformer: int) -> CachedItem:
        """Conformer ``conformer`` of molecule ``index`` (computed now if new)."""
        key = (int(index), int(conformer))
        item = self.items.get(key)
        if item is None:
            keep = 4 * self.slabs.used_total < self.max_bytes
            item = self.build(*key, keep=keep)
            if keep:
                self.items[key] = item
        return item

    def build(self, index: int, conformer: int, keep: bool = False) -> CachedItem:
        """Compute an item (Eq. 1 on the grid and at its near-atom pool), in the slabs
        when ``keep`` (it is not put in the cache)."""

        def put(values: np.ndarray) -> torch.Tensor:
            if keep:
                return self.slabs.put(values)
            return torch.from_numpy(np.array(values, dtype=np.float32, order="C"))

        mdl = self.model
        inp = field_inputs([self.molecules[index]], mdl.channels, mdl.box_edge, mdl.beta,
                           canonical=mdl.canonical, conformers=[conformer])
        n = mdl.resolution
        pools = build_pools(
            inp.tables, inp.boxes, list(inp.scales), n, n_uniform=0, n_near=self.pool_near,
            near_sigma=0.5, beta=mdl.beta,
            rng=np.random.default_rng([self.seed, 7, index, conformer]),
        )
        grid = pools.grid_y[0].T.reshape(-1, n, n, n)
        crops = []
        for c, g in enumerate(grid):
            spans = [np.flatnonzero(g.any(axis=tuple(a for a in range(3) if a != d)))
                     for d in range(3)]
            if not len(spans[0]):
                continue
            lo = (int(spans[0][0]), int(spans[1][0]), int(spans[2][0]))
            hi = [int(sp[-1]) + 1 for sp in spans]
            crops.append((c, lo, put(g[lo[0] : hi[0], lo[1] : hi[1], lo[2] : hi[2]])))
        cfg, atoms = mdl.net.decoder_config, torch.zeros(0, 6)
        if isinstance(cfg, SlotConfig):
            atoms = torch.from_numpy(item_atoms(inp.tables[0], inp.boxes[0], inp.scales[0],
                                                np.asarray(cfg.radii), mdl.beta))
        return CachedItem(crops, put(pools.rand_x[0]), put(pools.rand_y[0]), atoms)


class BatchSampler:
    """This rank's share of the global batch of a step: ``sampler(step) → (grids, x, y)``."""

    def __init__(self, model: AEModel, data: TrainData, config: TrainConfig, dist: DistInfo,
                 device: torch.device) -> None:
        self.model = model
        self.data = data
        self.config = config
        self.dist = dist
        self.device = device
        self.mode = batch_mode(config, data.molecules)
        self.cache = ItemCache(model, data.molecules, config.pool_near, config.seed)
        #: Atom rows ``[A, 6]`` of each item of the last batch (cached mode; flipped like
        #: its grid): the targets of an atom-slot decoder.
        self.atoms: list[torch.Tensor] = []

    def __call__(self, step: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """This rank's grids, points and targets of the global batch of ``step``."""
        c = self.config
        rng, items = self._items(step)
        per = c.batch_items // self.dist.world
        lo = self.dist.rank * per
        # draws for the whole global batch (identical on every rank), then my share
        if self.mode == "cached":
            return self._cached(items, lo, per, step)
        if self.mode == "dynamic":
            return self._dynamic(items, lo, per, step)
        return self._static(items, lo, per, rng)

    def plan(self, step: int) -> tuple[np.ndarray, list[int], np.ndarray]:
        """Molecule indices, conformers and flip signs ``[I, 3]`` (±1, the diagonal of
        the turn in the canonical frame) of the whole global batch of ``step``; the
        cached and the recomputing paths draw the same ones (except under ``rotate``)."""
        items = self._items(step)[1]
        return (items, *self._augmentation(items, step))

    def _items(self, step: int) -> tuple[np.random.Generator, np.ndarray]:
        c = self.config
        rng = np.random.default_rng([c.seed, step, 11])
        m = len(self.data.molecules)
        return rng, rng.choice(m, size=c.batch_items, replace=c.batch_items > m)

    def _counts(self) -> tuple[int, int, int]:
        """Near-atom, voxel and occupied-voxel points per item."""
        c = self.config
        n_near = round(c.batch_points * c.frac_near)
        n_grid = c.batch_points - n_near
        return n_near, n_grid, round(n_grid * c.frac_occupied)

    def _augmentation(self, items: np.ndarray, step: int) -> tuple[list[int], np.ndarray]:
        """Conformer and flip signs ``[I, 3]`` of every item (the draws of `_dynamic`)."""
        c = self.config
        r13 = np.random.default_rng([c.seed, step, 13])
        conf = [int(r13.integers(self.data.molecules[i].n_conformers)) for i in items]
        signs = np.ones((len(items), 3))
        if self.model.canonical and c.flip_prob > 0:
            turn = np.where(r13.random(len(items)) < c.flip_prob,
                            r13.integers(1, 4, len(items)), 0)
            signs = np.diagonal(proper_flips()[turn], axis1=1, axis2=2).copy()
        return conf, signs

    def _cached(self, items: np.ndarray, lo: int, per: int, step: int
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        c, n = self.config, self.model.resolution
        conf, signs = self._augmentation(items, step)
        n_near, n_grid, n_occ = self._counts()
        grids = torch.zeros(per, len(self.model.channels), n, n, n)
        gx = self._cpu_grid()
        xs, ys = [], []
        self.atoms = []
        for j in range(per):
            g = lo + j
            item = self.cache.get(int(items[g]), conf[g])
            item.write(grids[j], signs[g])
            if len(item.atoms):  # x, y, z flipped like the grid
                self.atoms.append(item.atoms * torch.tensor([*signs[g], 1, 1, 1]).float())
            flat = grids[j].view(grids.shape[1], -1)
            occ = torch.nonzero(flat.amax(dim=0) > OCCUPIED_THRESHOLD).squeeze(1).numpy()
            r = np.random.default_rng([c.seed, step, 17, g])
            vox = torch.as_tensor(np.concatenate([
                r.integers(0, n**3, n_grid - n_occ),
                occ[r.integers(0, len(occ), n_occ)] if len(occ) else r.integers(0, n**3, n_occ),
            ]))
            near = torch.as_tensor(r.integers(0, len(item.near_y), n_near))
            sign = torch.as_tensor(signs[g], dtype=torch.float32)
            xs.append(torch.cat([gx[vox], item.near_x[near] * sign]))
            ys.append(torch.cat([flat[:, vox].T, item.near_y[near]]))
        return (grids.to(self.device), torch.stack(xs).to(self.device),
                torch.stack(ys).to(self.device))

    def _static(self, items: np.ndarray, lo: int, per: int, rng: np.random.Generator
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        c, d = self.config, self.data
        n_near, n_grid, n_occ = self._counts()
        gen = torch.Generator().manual_seed(int(rng.integers(2**62)))
        mine = items[lo : lo + per]
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
        n_near, n_grid, n_occ = self._counts()
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

    def _cpu_grid(self) -> torch.Tensor:
        if not hasattr(self, "_cpu"):
            self._cpu = torch.as_tensor(unit_grid(self.model.resolution), dtype=torch.float32)
        return self._cpu

    def _unit_grid(self) -> torch.Tensor:
        if not hasattr(self, "_grid"):
            self._grid = torch.as_tensor(unit_grid(self.model.resolution), dtype=torch.float32,
                                         device=self.data.grid_y.device
                                         if self.data.grid_y.numel() else self.device)
        return self._grid


__all__ = ["CACHE_LIMIT", "OCCUPIED_THRESHOLD", "BatchSampler", "CachedItem", "ItemCache",
           "Slabs", "TrainData", "batch_mode", "is_dynamic", "precompute"]
