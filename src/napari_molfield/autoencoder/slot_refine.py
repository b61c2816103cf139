"""Refine an atom-slot latent (`nn.atom_slots`) on a known field: the slots the encoder
filled are moved, resized and re-weighted by Adam on the field's squared error.

Eq. 1 has no weights, so this is a fit of a few dozen Gaussians, not a pass through a
network: only the filled slots (amplitude above ``ACTIVE``) take part, every step sees the
voxels where the molecule is (truth above ``FULL``), a few milliseconds a step.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..fields.box import unit_grid
from ..nn.atom_slots import RHO_LIMIT, AtomSlots, slot_arrays

#: A slot takes part in refinement when one of its amplitudes exceeds this.
ACTIVE = 0.05
#: Share of the steps run after slots are added where the residual field shows a missing
#: atom (a local maximum above `BIRTH`, at most `MAX_BIRTHS`) and emptied where their
#: amplitudes fell below `DEATH` (0: no such pass).
BIRTH_SHARE = 0.4
#: With counted atoms: after these shares of the steps, misplaced atoms jump to residual
#: peaks above `MOVE` × one atom's amplitude (`_SlotFit.relocate`).
MOVE_AT = (0.3, 0.6)
MOVE = 0.15
#: Then `KICKS` times: every atom shaken by `KICK` Å per axis and refined again for
#: `KICK_STEPS` × the steps; the shaken fit is kept when its error is lower.
KICKS = 3
KICK = 0.4
KICK_STEPS = 0.4
#: Every step sees every voxel where the truth exceeds `FULL` (a deterministic gradient,
#: which a symmetric trap cannot hide in).
FULL = 0.01
#: Seeds of `place_atoms`' clusters (and peaks it adds) lie at least this far apart, Å.
MERGE = 0.7
BIRTH = 0.3
DEATH = 0.1
MAX_BIRTHS = 12


def refine_slot_latents(decoder: AtomSlots, grids: torch.Tensor, latents: torch.Tensor,
                        steps: int, *, lr: float = 0.02, seed: int = 0,
                        amplitudes: np.ndarray | None = None) -> torch.Tensor:
    """Refined copies of ``latents`` ``[B, L]`` against normalised ``grids``
    ``[B, C, N, N, N]`` (each molecule on its own).

    ``lr`` is Adam's step for amplitudes and for offsets in cell units (0.02 of a 3-Å
    cell: 0.06 Å), half of it for the radius scales; it decays along a cosine to a tenth.

    ``amplitudes`` ``[B, C]``: one atom's amplitude in each channel (``e^β / peak``),
    known when the molecule is. Then each channel's atom count is known too — the
    target's integral over one atom's — and the refinement places exactly that many
    atoms (`place_atoms`): the encoder's slots, clustered into that many, are the start;
    only positions (and radius scales) move.
    """
    out = latents.detach().clone()
    n = grids.shape[-1]
    coords = torch.as_tensor(unit_grid(n), dtype=torch.float32, device=latents.device)
    gen = torch.Generator().manual_seed(seed)
    for i in range(latents.shape[0]):
        start = latents[i]
        fixed = None
        if amplitudes is not None:
            start = place_atoms(decoder, grids[i], latents[i], np.asarray(amplitudes[i]))
            fixed = torch.as_tensor(np.asarray(amplitudes[i]), dtype=torch.float32)
        out[i] = _refine_one(decoder, grids[i].flatten(1).T, start, coords, int(steps),
                             lr, gen, fixed)
    return out


def atom_counts(decoder: AtomSlots, grid: torch.Tensor, amplitudes: np.ndarray
                ) -> np.ndarray:
    """Atoms per channel ``[C]`` of a normalised grid ``[C, N, N, N]`` on the model's box:
    the channel's integral over that of one atom, ``a (π r² / β)^{3/2}`` (exact for
    element channels, whose atoms share a radius)."""
    cfg = decoder.config
    n = grid.shape[-1]
    vox = (2.0 / n) ** 3  # unit-frame voxel volume
    total = grid.detach().double().flatten(1).sum(1).cpu().numpy() * vox
    r = decoder.radii.double().cpu().numpy()
    one = np.asarray(amplitudes, np.float64) * (math.pi * r**2 / cfg.beta) ** 1.5
    return np.rint(np.where(one > 0, total / np.maximum(one, 1e-30), 0.0)).astype(int)


def place_atoms(decoder: AtomSlots, grid: torch.Tensor, latent: torch.Tensor,
                amplitudes: np.ndarray) -> torch.Tensor:
    """A latent with exactly `atom_counts` atoms per channel, each one slot of amplitude
    ``amplitudes[c]``: the encoder's filled slots of each channel are clustered
    (amplitude-weighted k-means, seeded by the strongest slots at least `MERGE` Å apart)
    into that many atoms; when they are too few, the strongest voxels of the residual
    target supply the rest. Laid out as training lays atoms out (`slot_targets.assign`)."""
    from .slot_targets import assign

    counts = atom_counts(decoder, grid, amplitudes)
    centres, _, amps = slot_arrays(decoder, latent)
    unit = decoder.config.box_edge / 2.0
    n = grid.shape[-1]
    coords = unit_grid(n)
    rows = []
    for c in np.nonzero(counts > 0)[0]:
        w = np.clip(amps[:, c], 0.0, None)
        keep = w > ACTIVE * 0.5
        pos = _kmeans(centres[keep], w[keep], int(counts[c]), MERGE / unit)
        if len(pos) < counts[c]:  # the encoder missed atoms: take the target's peaks
            pos = _add_peaks(pos, grid[c].detach().cpu().numpy().reshape(-1), coords,
                             int(counts[c]) - len(pos), 1.0 / unit)
        rows += [[*p, c, 0.0, float(amplitudes[c])] for p in pos]
    table = torch.as_tensor(np.array(rows, np.float32).reshape(-1, 6))
    slots, _, _ = assign([table], decoder.config, latent.device)
    return slots.reshape(-1)


def _kmeans(points: np.ndarray, weights: np.ndarray, k: int, apart: float,
            iters: int = 12) -> np.ndarray:
    """Up to ``k`` amplitude-weighted k-means centres of ``points`` ``[P, 3]``, seeded by
    the heaviest points at least ``apart`` from the seeds before them."""
    if not len(points) or k <= 0:
        return np.zeros((0, 3))
    seeds: list[int] = []
    for i in np.argsort(-weights):
        if all(np.linalg.norm(points[i] - points[j]) >= apart for j in seeds):
            seeds.append(int(i))
        if len(seeds) == k:
            break
    centres = points[seeds].copy()
    for _ in range(iters):
        label = np.linalg.norm(points[:, None] - centres[None], axis=2).argmin(1)
        for j in range(len(centres)):
            m = label == j
            if m.any():
                centres[j] = (points[m] * weights[m, None]).sum(0) / weights[m].sum()
    return centres


def _add_peaks(pos: np.ndarray, values: np.ndarray, coords: np.ndarray, k: int,
               apart: float) -> np.ndarray:
    """``pos`` plus ``k`` of the strongest voxels of ``values`` at least ``apart`` from
    every position kept so far."""
    out = [p for p in pos]
    for i in np.argsort(-values):
        if values[i] <= 0 or k == 0:
            break
        if all(np.linalg.norm(coords[i] - q) >= apart for q in out):
            out.append(coords[i])
            k -= 1
    return np.array(out).reshape(-1, 3)


def _refine_one(decoder: AtomSlots, target: torch.Tensor, latent: torch.Tensor,
                coords: torch.Tensor, steps: int, lr: float,
                gen: torch.Generator, fixed: torch.Tensor | None = None) -> torch.Tensor:
    cfg = decoder.config
    flat = decoder.modulations(latent[None].detach())[0].reshape(-1, cfg.width).clone()
    # channels the molecule has no atoms in are zero: so are their amplitudes
    used = torch.nonzero(target.amax(0) > 0).squeeze(1)
    unused = torch.ones(cfg.out_channels, dtype=torch.bool, device=flat.device)
    unused[used] = False
    flat[:, 4:][:, unused] = 0.0
    if steps <= 0 or not len(used):
        return flat.reshape(-1)
    fit = _SlotFit(decoder, flat, used, target[:, used], coords, lr, gen,
                   fixed_amplitudes=fixed is not None)
    if fixed is not None:  # the atoms are counted and weighed: only positions move
        done = 0
        for share in MOVE_AT:  # run, then move misplaced atoms to where atoms are missing
            part = round(steps * share) - done
            fit.run(part)
            done += part
            fit.relocate(fixed[used])
        fit.run(steps - done)
        for _ in range(KICKS):  # shake every atom and settle again; keep the better fit
            before, saved = fit.loss(), fit.flat.clone()
            fit.shake(KICK / (decoder.config.box_edge / 2.0))
            fit.run(round(steps * KICK_STEPS))
            if fit.loss() >= before:
                fit.flat = saved
        return fit.latent()
    first = steps if BIRTH_SHARE <= 0 else max(1, round(steps * (1.0 - BIRTH_SHARE)))
    fit.run(first)
    if first < steps and fit.births():
        fit.run(steps - first)
    return fit.latent()


class _SlotFit:
    """Adam on the filled slots of one latent (positions in cell units, radius scales,
    amplitudes of the channels in use) against normalised truth ``target`` ``[N³, C']``."""

    def __init__(self, decoder: AtomSlots, flat: torch.Tensor, used: torch.Tensor,
                 target: torch.Tensor, coords: torch.Tensor, lr: float,
                 gen: torch.Generator, fixed_amplitudes: bool = False) -> None:
        self.fixed_amplitudes = fixed_amplitudes
        self.dec, self.flat, self.used, self.target = decoder, flat, used, target
        self.coords, self.lr, self.gen = coords, lr, gen
        self.cell = decoder.config.cell
        self.beta = decoder.config.beta
        self.inv_r2 = 1.0 / decoder.radii[used].to(flat.dtype) ** 2  # [C']
        self.voxels = torch.nonzero(target.amax(1) > FULL).squeeze(1)
        g = decoder.grid
        k = torch.arange(g, dtype=flat.dtype, device=flat.device)
        nodes = torch.stack(torch.meshgrid(k, k, k, indexing="ij"), -1).reshape(g**3, 1, 3)
        self.homes = (-1.0 + (nodes + 0.5 + decoder.homes.to(flat.dtype)) * self.cell
                      ).reshape(-1, 3)  # every slot's home, unit frame
        self.active = torch.nonzero(flat[:, 4 + used].abs().amax(1) > ACTIVE).squeeze(1)

    def field(self, p: torch.Tensor, off: torch.Tensor | None = None,
              rho: torch.Tensor | None = None, amp: torch.Tensor | None = None
              ) -> torch.Tensor:
        """The active slots' field ``[P, C']`` at unit-frame points ``p`` (with the
        active slots' ``off``, ``rho``, ``amp`` in place of the stored ones, if given)."""
        rows = self.flat[self.active]
        off = rows[:, :3] if off is None else off
        rho = rows[:, 3] if rho is None else rho
        amp = rows[:, 4 + self.used] if amp is None else amp
        mu = self.homes[self.active] + off * self.cell
        d2 = ((p[:, None, :] - mu[None]) ** 2).sum(-1)  # [P, K]
        grow = torch.exp(2.0 * rho.clamp(-RHO_LIMIT, RHO_LIMIT))  # [K]
        if self.fixed_amplitudes:  # one channel a slot: one Gaussian, then a matrix product
            inv = self.inv_r2[amp.detach().argmax(1)] / grow
            return torch.exp(-self.beta * d2 * inv) @ amp
        return (amp[None] * torch.exp(-self.beta * d2[..., None] * self.inv_r2
                                      / grow[None, :, None])).sum(1)

    def run(self, steps: int) -> None:
        """``steps`` Adam steps (cosine decay to a tenth; radius scales at half the rate)
        on the voxels where the molecule is."""
        if not len(self.active):
            return
        rows = self.flat[self.active]
        off = rows[:, :3].clone().requires_grad_(True)
        rho = rows[:, 3].clone().requires_grad_(True)
        amp = rows[:, 4 + self.used].clone().requires_grad_(not self.fixed_amplitudes)
        # with counted atoms the amplitudes are known: positions and radius scales move
        moving = [(off, self.lr), (rho, self.lr * 0.5)]
        if not self.fixed_amplitudes:
            moving.append((amp, self.lr))
        opt = _Adam(moving)
        p, truth = self.coords[self.voxels], self.target[self.voxels]
        with torch.enable_grad():
            for step in range(steps):
                loss = torch.mean((self.field(p, off, rho, amp) - truth) ** 2)
                opt.step(loss, 0.1 + 0.45 * (1.0 + math.cos(math.pi * step / steps)))
        with torch.no_grad():
            rows[:, :3] = off
            rows[:, 3] = rho.clamp(-RHO_LIMIT, RHO_LIMIT)
            rows[:, 4 + self.used] = amp
            self.flat[self.active] = rows

    def residual(self) -> np.ndarray:
        """``target − field`` on the whole grid, ``[C', N, N, N]``."""
        n = round(len(self.coords) ** (1 / 3))
        with torch.no_grad():
            res = torch.cat([self.target[a : a + 8192] - self.field(self.coords[a : a + 8192])
                             for a in range(0, len(self.coords), 8192)])
        return res.T.reshape(-1, n, n, n).cpu().numpy()

    def loss(self) -> float:
        """Mean squared error over the whole grid."""
        return float(np.mean(self.residual() ** 2))

    def shake(self, sigma: float) -> None:
        """Move every active slot by a Gaussian step of ``sigma`` (unit frame) per axis:
        symmetric traps (a six-ring turned by 30°, where every atom sits between two)
        are stationary for the gradient, but not for a shaken ring."""
        noise = torch.randn((len(self.active), 3), generator=self.gen) * sigma / self.cell
        self.flat[self.active, :3] += noise.to(self.flat.device)

    def relocate(self, amplitudes: torch.Tensor) -> int:
        """Move atoms stuck where the truth has less than they draw to where it has an
        atom more: for each local maximum of a channel's residual above `MOVE` × one
        atom's amplitude (strongest first), the atom of that channel whose own voxel
        has the most negative residual (below −`MOVE` × its amplitude) jumps there.
        How many moved."""
        from scipy.ndimage import maximum_filter

        r = self.residual()
        n = r.shape[-1]
        rows = self.flat[self.active]
        chan = rows[:, 4 + self.used].argmax(1).cpu().numpy()
        mu = (self.homes[self.active] + rows[:, :3] * self.cell).cpu().numpy()
        vox = np.clip(np.floor((mu + 1.0) * n / 2.0).astype(int), 0, n - 1)
        here = r[chan, vox[:, 0], vox[:, 1], vox[:, 2]]
        a = amplitudes.cpu().numpy()
        peaks = (r == maximum_filter(r, size=(1, 3, 3, 3), mode="constant")) & (
            r > MOVE * a[:, None, None, None])
        moved = 0
        for c, i, j, k in sorted(zip(*np.nonzero(peaks), strict=True), key=lambda t: -r[t]):
            cand = np.nonzero((chan == c) & (here < -MOVE * a[c]))[0]
            if not len(cand):
                continue
            q = cand[np.argmin(here[cand])]
            here[q] = 0.0
            p = self.coords[(i * n + j) * n + k]
            slot = self.active[q]
            self.flat[slot, :3] = (p - self.homes[slot]) / self.cell
            moved += 1
        return moved

    def births(self) -> bool:
        """Slots for atoms the fit still lacks, and none for those it does not need:
        every local maximum of the residual field above `BIRTH` gets a free slot of its
        node at that voxel; active slots whose amplitudes all fell below `DEATH` are
        emptied. Whether anything changed."""
        from scipy.ndimage import maximum_filter

        r = self.residual()
        n = r.shape[-1]
        peaks = (r == maximum_filter(r, size=(1, 3, 3, 3), mode="constant")) & (r > BIRTH)
        changed = False
        amps = self.flat[self.active][:, 4 + self.used].abs().amax(1)
        dead = self.active[amps < DEATH]
        if len(dead):
            self.flat[dead] = 0.0
            self.active = self.active[amps >= DEATH]
            changed = True
        g, s = self.dec.grid, self.dec.slots
        taken = set(self.active.tolist())
        found = sorted(zip(*np.nonzero(peaks), strict=True), key=lambda t: -r[t])
        for c, i, j, k in found[:MAX_BIRTHS]:
            p = self.coords[(i * n + j) * n + k]
            node = torch.floor((p + 1.0) / self.cell).clamp(0, g - 1).long()
            first = int((node[0] * g + node[1]) * g + node[2]) * s
            free = [q for q in range(first, first + s) if q not in taken]
            if not free:
                continue
            q = min(free, key=lambda q: float(((self.homes[q] - p) ** 2).sum()))
            self.flat[q] = 0.0
            self.flat[q, :3] = (p - self.homes[q]) / self.cell
            self.flat[q, 4 + self.used[c]] = float(r[c, i, j, k])
            taken.add(q)
            self.active = torch.cat([self.active, torch.tensor([q], device=self.active.device)])
            changed = True
        return changed

    def latent(self) -> torch.Tensor:
        """The refined latent ``[L]``."""
        return self.flat.reshape(-1)


class _Adam:
    """Adam (Kingma & Ba) on a few tensors, each with its own rate, scaled per step.

    Written out rather than `torch.optim.Adam`, whose first construction in a process
    imports the compiler stack (about 3 s): a command-line encode would pay it every time.
    """

    def __init__(self, params: list[tuple[torch.Tensor, float]], betas: tuple[float, float]
                 = (0.9, 0.999), eps: float = 1e-8) -> None:
        self.params = params
        self.b1, self.b2, self.eps = betas[0], betas[1], eps
        self.m = [torch.zeros_like(p) for p, _ in params]
        self.v = [torch.zeros_like(p) for p, _ in params]
        self.t = 0

    def step(self, loss: torch.Tensor, factor: float = 1.0) -> None:
        """Back-propagate ``loss`` and move every tensor by ``factor`` × its rate."""
        grads = torch.autograd.grad(loss, [p for p, _ in self.params])
        self.t += 1
        c1, c2 = 1.0 - self.b1**self.t, 1.0 - self.b2**self.t
        with torch.no_grad():
            for (p, lr), g, m, v in zip(self.params, grads, self.m, self.v, strict=True):
                m.mul_(self.b1).add_(g, alpha=1.0 - self.b1)
                v.mul_(self.b2).addcmul_(g, g, value=1.0 - self.b2)
                p.sub_(lr * factor / c1 * m / ((v / c2).sqrt_() + self.eps))


def slot_grids(decoder: AtomSlots, latents: torch.Tensor | np.ndarray, resolution: int,
               channels: tuple[str, ...], box_edge: float) -> np.ndarray:
    """``[B, C, N, N, N]`` normalised fields of latents on the model's unit grid, by the
    compiled Eq. 1 of their slots (what ``decode(z, unit_grid)`` gives, thousands of
    times faster)."""
    from ..fields.box import Box
    from ..fields.sample import sample_table
    from ..nn.atom_slots import slot_table

    box = Box((0.0, 0.0, 0.0), box_edge)
    out = [sample_table(slot_table(decoder, z, box, channels), box, resolution,
                        beta=decoder.config.beta)
           for z in torch.as_tensor(np.asarray(latents) if not torch.is_tensor(latents)
                                    else latents.detach().cpu())]
    return np.stack(out).astype(np.float32)


__all__ = ["ACTIVE", "BIRTH", "BIRTH_SHARE", "DEATH", "MERGE", "atom_counts", "place_atoms",
           "refine_slot_latents", "slot_grids"]
