"""`AtomSlots`: a latent grid whose nodes hold atom slots — the decoder draws Eq. 1 itself.

A molecule's field is a sum of the same blob per element at its atoms (Eq. 1). A SIREN
decoder has to *learn* to draw that blob at positions a latent describes, and with the
compute of two CPU cores it draws it blurred (+8 dB over the zero field for molecules
nobody fitted). Here the decoder is Eq. 1: the box is cut into ``G³`` cells, each node
holds ``S`` slots, and each slot is ``(dx, dy, dz, ρ, a_1 … a_C)`` — its offset from its
home (an octant centre of the node's cell, `slot_homes`) in cell units, a log scale of
its radius and its amplitude in every channel. The normalised field at a point is

    f_c(p) = Σ_slots a_c · exp(−β |p − μ|² / (r_c e^ρ)²)

(``r_c``: the channel's radius, ``μ = home + h · offset``, ``h`` the cell edge), so an atom
of channel ``c`` is exactly one slot with ``a_c = e^β / peak_c`` and the field of a
molecule is exact when every atom owns one slot. The encoder (`nn.encoder.ConvEncoder`
with a latent grid) learns to fill the slots; refining a latent on a known field
(decoder-free: Eq. 1 has no weights) makes it exact within a few dozen steps; atoms are
read from the slots (`slot_atoms`).

The latent stays ONE array per item (``G³ · S · (4 + C)`` values, nodes ``x``-major,
then slots, then the slot's values), so interpolation (each slot moves and fades
linearly), latent maps and checkpoints work as for every other decoder.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.channels import AtomTable
from .config import ConfigMixin

#: Offsets of the 27 nodes around (and including) a point's own node, ``[27, 3]``.
_NEIGHBOURS = torch.tensor(list(itertools.product((-1, 0, 1), repeat=3)))
#: Bounds of a slot's log radius scale ρ (the radius stays within ×0.6 … ×1.6 of its
#: channel's).
RHO_LIMIT = 0.5


@dataclass(frozen=True)
class SlotConfig(ConfigMixin):
    """Shape of an :class:`AtomSlots` decoder.

    Parameters
    ----------
    out_channels
        Field channels ``C``.
    latent_dim
        ``grid³ · slots · (4 + C)``.
    grid
        Nodes per edge ``G``; cells of ``box / G`` Å.
    slots
        Slots per node ``S`` (atoms a cell can hold).
    beta
        β of Eq. 1.
    box_edge
        Edge of the box the unit frame ``[-1, 1]³`` spans, Å.
    radii
        Radius of each channel, Å (a slot scales its own by ``e^ρ``).
    """

    _kind = "model"

    out_channels: int = 9
    latent_dim: int = 8**3 * 6 * 13
    grid: int = 8
    slots: int = 6
    beta: float = 2.0
    box_edge: float = 24.0
    radii: tuple[float, ...] = ()
    #: Weight of the field MSE next to the slot set loss in training.
    field_weight: float = 10.0

    def __post_init__(self) -> None:
        if self.grid < 2 or self.slots < 1 or self.out_channels < 1:
            raise MolfieldError("An atom-slot decoder needs a grid of at least 2, and at "
                                "least one slot and one channel.")
        if self.latent_dim != self.grid**3 * self.slots * self.width:
            raise MolfieldError(
                f"An atom-slot latent of a {self.grid}³ grid with {self.slots} slots of "
                f"{self.width} values is {self.grid**3 * self.slots * self.width} long, "
                f"not {self.latent_dim}."
            )
        if len(self.radii) != self.out_channels or not all(r > 0 for r in self.radii):
            raise MolfieldError(f"An atom-slot decoder needs a positive radius for each of "
                                f"its {self.out_channels} channels.")
        if not self.beta > 0 or not self.box_edge > 0:
            raise MolfieldError(f"β ({self.beta}) and the box edge ({self.box_edge} Å) "
                                f"must be positive.")
        object.__setattr__(self, "radii", tuple(float(r) for r in self.radii))

    @property
    def width(self) -> int:
        """Values per slot, ``4 + C``."""
        return 4 + self.out_channels

    @property
    def cell(self) -> float:
        """Cell edge ``h`` in unit-frame units."""
        return 2.0 / self.grid


def slot_homes(slots: int) -> torch.Tensor:
    """Home offsets ``[S, 3]`` (cell units) of a node's slots: the centres of the cell's
    octants (``±¼``) in a fixed order (then the same, farther out, beyond 8 slots); a
    single slot sits at the node centre."""
    octants = torch.tensor([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)],
                           dtype=torch.float32) * 0.5 - 0.25
    if slots == 1:
        return torch.zeros(1, 3)
    reps = -(-slots // 8)
    return torch.cat([octants * (1.0 + r) for r in range(reps)])[:slots]


class AtomSlots(nn.Module):
    """The atom-slot decoder (see the module docstring); it has no weights.

    ``forward(coords [B, P, 3], latents [B, L]) → [B, P, C]`` like every decoder, with
    ``modulations`` (the slot view of the latents) and ``forward_modulated``.
    """

    local = True
    neighbours: torch.Tensor
    homes: torch.Tensor
    radii: torch.Tensor

    def __init__(self, config: SlotConfig) -> None:
        super().__init__()
        self.config = config
        self.grid, self.slots, self.channels = config.grid, config.slots, config.out_channels
        self.register_buffer("neighbours", _NEIGHBOURS.clone(), persistent=False)
        self.register_buffer("homes", slot_homes(config.slots), persistent=False)
        unit = 2.0 / config.box_edge
        self.register_buffer("radii", torch.tensor(config.radii, dtype=torch.float32) * unit,
                             persistent=False)

    def modulations(self, latents: torch.Tensor) -> torch.Tensor:
        """The slots ``[B, G³, S, 4 + C]``."""
        c = self.config
        return latents.reshape(-1, c.grid**3, c.slots, c.width)

    def centres(self, mods: torch.Tensor) -> torch.Tensor:
        """Unit-frame slot centres ``[B, G³, S, 3]`` of slots ``mods``."""
        g = self.grid
        h = self.config.cell
        k = torch.arange(g, device=mods.device, dtype=mods.dtype)
        ii, jj, kk = torch.meshgrid(k, k, k, indexing="ij")
        node = torch.stack([ii, jj, kk], -1).reshape(g**3, 1, 3) + self.homes.to(mods.dtype)
        return -1.0 + (node + 0.5 + mods[..., :3]) * h

    def forward(self, coords: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """Field ``[B, P, C]`` at unit-frame ``coords`` ``[B, P, 3]``."""
        return self.forward_modulated(coords, self.modulations(latents))

    def forward_modulated(self, coords: torch.Tensor, mods: torch.Tensor,
                          chunk: int = 4096) -> torch.Tensor:
        """Field ``[B, P, C]`` of slots ``mods`` ``[B, G³, S, 4 + C]``: each point sums
        the slots of the 27 nodes around it (a slot more than a cell from its node is
        cut off there; atoms lie within half a cell)."""
        if coords.dim() == 2:
            coords = coords.unsqueeze(0).expand(mods.shape[0], -1, -1)
        if coords.shape[1] > chunk:
            return torch.cat([self.forward_modulated(coords[:, a : a + chunk], mods, chunk)
                              for a in range(0, coords.shape[1], chunk)], dim=1)
        c, g = self.config, self.grid
        b, p = coords.shape[:2]
        centres = self.centres(mods)  # [B, G³, S, 3]
        # pad the node grid by one empty node per side: neighbours beyond the edge add 0
        full = torch.cat([centres, mods[..., 3:]], -1).reshape(b, g, g, g, -1)
        full = nn.functional.pad(full.permute(0, 4, 1, 2, 3), (1, 1) * 3).permute(0, 2, 3, 4, 1)
        gp = g + 2
        node = torch.floor((coords + 1.0) * (0.5 * g)).clamp_(0, g - 1).long() + 1
        near = node.unsqueeze(2) + self.neighbours  # [B, P, 27, 3]
        flat = (near[..., 0] * gp + near[..., 1]) * gp + near[..., 2]
        table = full.reshape(b, gp**3, -1)
        rows = torch.gather(table, 1, flat.reshape(b, -1, 1).expand(-1, -1, table.shape[-1]))
        rows = rows.reshape(b, p, 27 * c.slots, c.width)
        d2 = ((coords.unsqueeze(2) - rows[..., :3]) ** 2).sum(-1, keepdim=True)
        rho = rows[..., 3:4].clamp(-RHO_LIMIT, RHO_LIMIT)
        inv = torch.exp(-2.0 * rho) / self.radii.to(coords.dtype) ** 2  # [B, P, K, C]
        return (rows[..., 4:] * torch.exp(-c.beta * d2 * inv)).sum(2)


def slot_arrays(decoder: AtomSlots, latent: torch.Tensor | np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Unit-frame centres ``[K, 3]``, per-channel unit-frame radii ``[K, C]`` and amplitudes
    ``[K, C]`` of every slot of one latent (``K = G³ · S``)."""
    z = torch.as_tensor(np.asarray(latent, dtype=np.float32)).reshape(1, -1)
    with torch.no_grad():
        mods = decoder.modulations(z.to(decoder.radii.device))
        centres = decoder.centres(mods)[0].reshape(-1, 3)
        rho = mods[0, ..., 3].reshape(-1, 1).clamp(-RHO_LIMIT, RHO_LIMIT)
        radii = decoder.radii[None, :] * torch.exp(rho)
        amps = mods[0, ..., 4:].reshape(-1, decoder.channels)
    return centres.cpu().numpy(), radii.cpu().numpy(), amps.cpu().numpy()


def slot_table(decoder: AtomSlots, latent: torch.Tensor | np.ndarray, box: Box,
               channels: tuple[str, ...], floor: float = 1e-4) -> AtomTable:
    """The Eq. 1 entries that draw one latent's field in ``box`` (the network frame, Å):
    one entry per slot and channel whose amplitude exceeds ``floor`` (fields at any
    resolution then come from the compiled samplers, `fields.sample`)."""
    centres, radii, amps = slot_arrays(decoder, latent)
    k, c = np.nonzero(np.abs(amps) > floor)
    xyz = box.from_unit(centres[k].astype(np.float64))
    scale = box.edge / 2.0
    return AtomTable(xyz, radii[k, c].astype(np.float64) * scale, c.astype(np.int32),
                     amps[k, c].astype(np.float64) * math.exp(-decoder.config.beta),
                     tuple(channels))


def slot_values(decoder: AtomSlots, mods: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Field ``[B, P, C]`` of slots ``mods`` ``[B, G³, S, W]`` at unit-frame ``coords``
    ``[B, P, 3]`` (or ``[P, 3]``) through the compiled Eq. 1 samplers: the values of
    `AtomSlots.forward_modulated` without gradients, far faster for many points."""
    from ..fields.sample import sample_points

    unit = Box((0.0, 0.0, 0.0), 2.0)  # Å = unit-frame units, so radii stay unit-frame
    names = tuple(str(i) for i in range(decoder.channels))
    b = mods.shape[0]
    if coords.dim() == 2:
        coords = coords.unsqueeze(0).expand(b, -1, -1)
    out = []
    for i in range(b):
        table = slot_table(decoder, mods[i].reshape(-1), unit, names)
        pts = coords[i].detach().cpu().numpy().astype(np.float64)
        out.append(torch.from_numpy(np.asarray(
            sample_points(table, pts, beta=decoder.config.beta), dtype=np.float32)))
    return torch.stack(out).to(coords.device)


def slot_atoms(decoder: AtomSlots, latent: torch.Tensor | np.ndarray, *,
               threshold: float = 0.3, merge: float = 0.5
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Atoms held by a latent's slots: unit-frame positions ``[A, 3]``, channel indices
    ``[A]`` and amplitudes ``[A]``.

    A slot's channel is its largest amplitude; slots of one channel closer than ``merge``
    Å are one atom (amplitude-weighted position, summed amplitude), kept when the sum
    reaches ``threshold`` (one atom's amplitude is ``e^β / peak``: 0.5 – 1).
    """
    centres, _, amps = slot_arrays(decoder, latent)
    channel = amps.argmax(1)
    amp = amps[np.arange(len(amps)), channel]
    keep = amp > threshold / 6.0
    centres, channel, amp = centres[keep], channel[keep], amp[keep]
    tol = merge * 2.0 / decoder.config.box_edge
    order = np.argsort(-amp)
    taken = np.zeros(len(amp), bool)
    pos, chan, total = [], [], []
    for i in order:
        if taken[i]:
            continue
        same = (~taken) & (channel == channel[i]) & (
            np.linalg.norm(centres - centres[i], axis=1) < tol)
        taken |= same
        w = amp[same]
        s = float(w.sum())
        if s >= threshold:
            pos.append((centres[same] * w[:, None]).sum(0) / s)
            chan.append(int(channel[i]))
            total.append(s)
    if not pos:
        return np.zeros((0, 3)), np.zeros(0, int), np.zeros(0)
    return np.array(pos), np.array(chan), np.array(total)


def amplitude(beta: float, peak: float) -> float:
    """The amplitude of one atom in a channel normalised by ``peak``: ``e^β / peak``."""
    return math.exp(beta) / peak


__all__ = ["RHO_LIMIT", "AtomSlots", "SlotConfig", "amplitude", "slot_arrays", "slot_atoms",
           "slot_homes", "slot_table", "slot_values"]
