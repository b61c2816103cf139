"""`PatchSiren`: a local implicit grid of modulated SIRENs — every latent node draws its patch.

A molecule's field is a sum of the same few blobs (one per element) at the atoms. A global
latent has to say where every atom of the molecule is; :class:`~.local_siren.LocalSiren`
blends the codes of neighbouring nodes before decoding, so no code owns a point. Here
(after Jiang et al. 2020, *Local Implicit Grid Representations for 3D Scenes*) the box is
cut into ``G³`` cells with one ``F``-vector at each cell centre, and the field at a point
is the trilinear blend of what the 8 surrounding nodes draw **at the point's position
relative to each of them**:

    f(p) = Σ_{k ∈ corners(p)} w_k(p) · siren(p − x_k | z_k)

where ``siren(· | z)`` is one shift-modulated SIREN shared by every node and item,
taking offsets in cell units. A node only has to describe the two or three atoms within a
cell of it, which one small shared network learns to draw from few examples, and
refining an encoded grid (decoder frozen) moves each atom through the codes around it.

The latent stays ONE array per item (``G³·F`` values, ``x``-major), so interpolation,
latent maps and checkpoints work as for a global latent.
"""

from __future__ import annotations

import torch

from .config import ModelConfig
from .local_siren import GridSiren
from .siren import activate

#: The 8 corner offsets of a cell, ``[8, 3]`` (x, y, z ∈ {0, 1}).
_CORNERS = torch.tensor([[i >> 2 & 1, i >> 1 & 1, i & 1] for i in range(8)])


class PatchSiren(GridSiren):
    """Local implicit grid of one shift-modulated SIREN (see the module docstring).

    Parameters
    ----------
    config
        Layer sizes and frequencies of the shared SIREN (its ``w0_first`` applies to
        offsets in cell units); ``latent_dim`` must equal ``grid**3 * features``.
    grid
        Cells (and latent nodes) per edge ``G`` (≥ 2); nodes sit at the cell centres of
        the network frame ``[-1, 1]³``.
    """

    corners: torch.Tensor

    def __init__(self, config: ModelConfig, grid: int) -> None:
        super().__init__(config, grid)
        self.register_buffer("corners", _CORNERS.clone(), persistent=False)

    def modulations(self, latents: torch.Tensor) -> torch.Tensor:
        """The node codes, ``[B, G³, F]`` (nodes ``x``-major).

        Their phase shifts are a linear map of them, applied after each point has picked
        its 8 nodes (gathering ``F`` values a node instead of ``depth · width``).
        """
        b = latents.reshape(-1, self.grid**3 * self.features).shape[0]
        return latents.reshape(b, self.grid**3, self.features)

    def corners_of(self, coords: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor,
                                                        torch.Tensor]:
        """For unit-frame ``coords`` ``[B, P, 3]``: flat node indices ``[B, P, 8]``,
        offsets from those nodes in cell units ``[B, P, 8, 3]`` and trilinear weights
        ``[B, P, 8]`` (nodes outside the grid are clamped to its edge; their weight is
        that of the clamped position, so the weights always sum to 1)."""
        g = self.grid
        u = (coords + 1.0) * (0.5 * g) - 0.5  # node units: node k at u = k
        base = torch.floor(u).clamp_(0, g - 2)
        frac = (u - base).clamp(0.0, 1.0)  # [B, P, 3]
        corners = self.corners.to(coords.dtype)
        nodes = base.unsqueeze(-2) + corners  # [B, P, 8, 3]
        offset = u.unsqueeze(-2) - nodes
        w = torch.where(corners.bool(), frac.unsqueeze(-2), 1.0 - frac.unsqueeze(-2)).prod(-1)
        idx = nodes.long()
        flat = (idx[..., 0] * g + idx[..., 1]) * g + idx[..., 2]
        return flat, offset, w

    def forward_modulated(self, coords: torch.Tensor, mods: torch.Tensor) -> torch.Tensor:
        """Field values ``[B, P, C]`` at ``coords`` ``[B, P, 3]`` given :meth:`modulations`."""
        c = self.config
        b, p, _ = coords.shape
        mods = mods.expand(b, -1, -1) if mods.shape[0] == 1 else mods
        flat, offset, w = self.corners_of(coords)
        codes = torch.gather(mods, 1, flat.reshape(b, p * 8, 1).expand(-1, -1, mods.shape[-1]))
        shifts = self.shift(codes).view(b, p, 8, c.depth, c.width)
        h = offset
        for i, lin in enumerate(self.sine_layers):
            w0 = c.w0_first if i == 0 else c.w0_hidden
            h = torch.sin(w0 * (lin(h) + shifts[..., i, :]))
        values = self.out(h)  # [B, P, 8, C]
        return activate(c, (w.unsqueeze(-1) * values).sum(-2))

    def forward(self, coords: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """Field values ``[B, P, C]`` at ``coords`` ``[B, P, 3]`` for ``latents`` ``[B, L]``."""
        return self.forward_modulated(coords, self.modulations(latents))


__all__ = ["PatchSiren"]
