"""Training targets of an atom-slot auto-encoder (`nn.atom_slots`): each atom is matched to
one slot of the node whose cell holds it, and the encoder learns the matched slots'
offsets, radius scales and amplitudes (empty slots: zero amplitude).

Slots of a node are interchangeable to Eq. 1; training gives each one a home (an octant
of its cell) and each atom the free slot whose home is nearest, so the encoder learns a
local, fixed rule rather than chasing a matching that changes from step to step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch

from ..fields.box import Box
from ..fields.channels import AtomTable
from ..nn.atom_slots import RHO_LIMIT, SlotConfig, slot_homes

#: Columns of an item's atom rows: unit-frame x, y, z, channel, log radius scale ρ,
#: amplitude.
ATOM_COLUMNS = 6


def item_atoms(table: AtomTable, box: Box, peaks: np.ndarray, radii: np.ndarray,
               beta: float) -> np.ndarray:
    """Atom rows ``[A, 6]`` (float32) of one molecule as slots should hold them.

    Parameters
    ----------
    table
        The molecule's Eq. 1 entries (in the frame the grid was sampled in).
    box
        The box of its grid (the network's unit frame).
    peaks
        ``[C]`` channel peaks the targets are divided by.
    radii
        ``[C]`` the decoder's channel radii, Å.
    """
    used = table.used()
    ch = used.channel.astype(np.int64)
    rho = np.clip(np.log(used.radius / radii[ch]), -RHO_LIMIT, RHO_LIMIT)
    amp = used.weight * math.exp(beta) / peaks[ch]
    return np.column_stack([box.to_unit(used.xyz), ch, rho, amp]).astype(np.float32)


@dataclass
class SlotLoss:
    """One step's slot loss and its parts (per atom, summed over the batch)."""

    total: torch.Tensor
    position: float  # mean squared offset error of matched slots, Å²
    amplitude: float  # summed squared amplitude error over all slots, per atom
    dropped: int  # atoms beyond a node's slots (not learned this step)


def assign(atoms: list[torch.Tensor], config: SlotConfig, device: torch.device | None = None
           ) -> tuple[torch.Tensor, torch.Tensor, int]:
    """The slots that draw each item's atom rows exactly (`item_atoms`).

    Each atom belongs to the node whose cell holds it and, within it, to the free slot
    whose home (`nn.atom_slots.slot_homes`: an octant of the cell) is nearest, nearest
    pairs first — a fixed, geometric rule, so slot ``s`` of every node holds "the atom
    near my octant". Slots without an atom are all zeros (nothing, at home).

    Returns
    -------
    slots
        ``[B, G³, S, 4 + C]``: the ideal latents of the items.
    held
        ``[B, G³, S]`` which slots hold an atom.
    dropped
        Atoms beyond their node's ``S`` slots (left out).
    """
    g, s, c = config.grid, config.slots, config.out_channels
    h = config.cell
    b = len(atoms)
    width = 4 + c
    dev = device if device is not None else (atoms[0].device if atoms else None)
    rows = torch.cat([torch.cat([a, torch.full((len(a), 1), float(i))], 1)
                      for i, a in enumerate(atoms)]) if atoms else torch.zeros(0, 7)
    rows = rows.to(dev)
    u, ch, rho, amp, item = rows[:, :3], rows[:, 3].long(), rows[:, 4], rows[:, 5], rows[:, 6]
    k = torch.floor((u + 1.0) / h).clamp(0, g - 1)
    offset = (u + 1.0) / h - k - 0.5
    node = ((item.long() * g + k[:, 0].long()) * g + k[:, 1].long()) * g + k[:, 2].long()
    order = torch.argsort(node, stable=True)
    node, offset, ch, rho, amp = node[order], offset[order], ch[order], rho[order], amp[order]
    uniq, first, counts = torch.unique_consecutive(node, return_inverse=True,
                                                   return_counts=True)
    start = torch.cumsum(counts, 0) - counts
    rank = torch.arange(len(node), device=dev) - start[first]
    keep = rank < s
    dropped = int((~keep).sum())
    first, rank = first[keep], rank[keep]
    m = len(uniq)
    target = torch.zeros(m, s, width, device=dev)
    valid = torch.zeros(m, s, dtype=torch.bool, device=dev)
    onehot = torch.nn.functional.one_hot(ch[keep], c).float() * amp[keep, None]
    target[first, rank] = torch.cat([offset[keep], rho[keep, None], onehot], 1)
    valid[first, rank] = True
    homes = slot_homes(s).to(dev)
    cost = ((homes[None, :, None, :] - target[:, None, :, :3]) ** 2).sum(-1)
    match = _greedy(cost.masked_fill(~valid[:, None, :], math.inf))  # [M, S]
    matched = match >= 0
    tgt = torch.gather(target, 1, match.clamp(min=0)[..., None].expand(-1, -1, width))
    tgt = torch.where(matched[..., None], tgt, torch.zeros_like(tgt))
    tgt[..., :3] = torch.where(matched[..., None], tgt[..., :3] - homes, 0.0)
    slots = torch.zeros(b * g**3, s, width, device=dev)
    held = torch.zeros(b * g**3, s, dtype=torch.bool, device=dev)
    slots[uniq] = tgt
    held[uniq] = matched
    return slots.reshape(b, g**3, s, width), held.reshape(b, g**3, s), dropped


def slot_loss(mods: torch.Tensor, atoms: list[torch.Tensor], config: SlotConfig,
              empty_weight: float = 0.1) -> SlotLoss:
    """The loss of predicted slots ``mods`` ``[B, G³, S, 4 + C]`` against the slots that
    draw each item's atoms exactly (`assign`; atom rows flipped like the item's grid).

    A slot holding an atom learns its offset (error in Å²), radius scale and amplitudes;
    every other slot learns zero amplitude and, with ``empty_weight``, to rest at its
    home with ρ = 0. Errors are summed and divided by the number of atoms in the batch.
    """
    target, held, dropped = assign(atoms, config, mods.device)
    ang = config.cell * config.box_edge / 2.0  # Å per cell unit
    pos = ((mods[..., :3] - target[..., :3]) ** 2).sum(-1) * ang**2
    rho_err = (mods[..., 3] - target[..., 3]) ** 2
    amp_err = ((mods[..., 4:] - target[..., 4:]) ** 2).sum(-1)
    weight = torch.where(held, 1.0, empty_weight)
    n_atoms = max(int(held.sum()), 1)
    total = ((weight * (pos + rho_err)).sum() + amp_err.sum()) / n_atoms
    return SlotLoss(total, float(pos.detach()[held].sum()) / n_atoms,
                    float(amp_err.detach().sum()) / n_atoms, dropped)


def _greedy(cost: torch.Tensor) -> torch.Tensor:
    """Greedy one-to-one matching of each row's slots to targets, cheapest pair first:
    ``cost`` ``[M, S, T]`` (``inf`` = no target) → ``[M, S]`` target index or −1."""
    m, s, t = cost.shape
    cost = cost.clone()
    match = torch.full((m, s), -1, dtype=torch.long, device=cost.device)
    rows = torch.arange(m, device=cost.device)
    for _ in range(min(s, t)):
        best, idx = cost.reshape(m, -1).min(1)
        ok = torch.isfinite(best)
        if not bool(ok.any()):
            break
        si, ti = idx // t, idx % t
        r = rows[ok]
        match[r, si[ok]] = ti[ok]
        cost[r, si[ok], :] = math.inf
        cost[r, :, ti[ok]] = math.inf
    return match


__all__ = ["ATOM_COLUMNS", "SlotLoss", "assign", "item_atoms", "slot_loss"]
