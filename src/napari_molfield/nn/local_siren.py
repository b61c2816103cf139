"""`LocalSiren`: a SIREN steered by a coarse grid of latent vectors (local latents).

A global latent has to describe a whole molecule; its decoder then blurs what no single
code can say. Here an item's latent is a ``G × G × G`` grid of ``F``-vectors spanning the
network frame ``[-1, 1]³`` (nodes on the corners, as convolutional occupancy networks
lay out their features): each sine layer's phase shift at a point is a linear map of the
trilinearly interpolated latent there, so every region of the box has codes of its own.

The latent stays ONE array per item (``G³·F`` values, flattened ``x``-major), so
interpolating between items, latent maps and checkpoints work as for a global latent.
Because the map is linear, the shifts of every grid node are computed once per latent
(:meth:`modulations`, ``[B, depth·width, G, G, G]``) and interpolated per point.
"""

from __future__ import annotations

from typing import cast

import torch
from torch import nn
from torch.nn import functional

from .config import ModelConfig
from .siren import activate, init_siren


class GridSiren(nn.Module):
    """What every latent-grid SIREN shares: ``G³`` codes of ``F`` values per item, sine
    layers, an output layer and a linear map from a code to the phase shifts of every
    layer (subclasses decide where in space a code acts).

    Parameters
    ----------
    config
        Layer sizes and frequencies; ``latent_dim`` must equal ``grid**3 * features``.
    grid
        Latent nodes per edge ``G`` (≥ 2).
    """

    #: Modulations vary with position: evaluators cannot fold them into the weights.
    local = True

    def __init__(self, config: ModelConfig, grid: int) -> None:
        super().__init__()
        g = int(grid)
        if g < 2 or config.latent_dim % g**3:
            raise ValueError(f"latent_dim {config.latent_dim} is not a multiple of {g}³.")
        self.config, self.grid = config, g
        self.features = config.latent_dim // g**3
        c = config
        dims = [c.in_dim] + [c.width] * c.depth
        self.layers = nn.ModuleList(nn.Linear(dims[i], dims[i + 1]) for i in range(c.depth))
        self.out = nn.Linear(c.width, c.out_channels)
        self.shift = nn.Linear(self.features, c.depth * c.width)
        self.reset_parameters()

    @property
    def sine_layers(self) -> list[nn.Linear]:
        """The sine layers, typed."""
        return cast("list[nn.Linear]", list(self.layers))

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """SIREN initialisation; shifts start at 0 for every latent."""
        init_siren(self.sine_layers, self.out, self.config)
        self.shift.weight.zero_()
        self.shift.bias.zero_()


class LocalSiren(GridSiren):
    """A shift-modulated SIREN whose shifts vary in space (see the module docstring);
    built like `GridSiren`."""

    def latent_grid(self, latents: torch.Tensor) -> torch.Tensor:
        """``[B, L]`` latents as ``[B, G, G, G, F]`` grids (x, y, z, feature)."""
        g = self.grid
        return latents.reshape(-1, g, g, g, self.features)

    def modulations(self, latents: torch.Tensor) -> torch.Tensor:
        """Phase shifts of every grid node, ``[B, depth·width, G, G, G]`` (x, y, z)."""
        shifts = self.shift(self.latent_grid(latents))  # [B, G, G, G, depth·width]
        return shifts.permute(0, 4, 1, 2, 3).contiguous()

    def point_shifts(self, coords: torch.Tensor, mods: torch.Tensor) -> torch.Tensor:
        """Shifts ``[B, P, depth, width]`` at unit-frame ``coords`` ``[B, P, 3]``."""
        b, p, _ = coords.shape
        mods = mods.expand(b, -1, -1, -1, -1) if mods.shape[0] == 1 else mods
        # grid_sample reads (x, y, z) of a [B, C, D, H, W] volume as (W, H, D): flip
        where = coords.flip(-1).reshape(b, p, 1, 1, 3)
        s = functional.grid_sample(mods, where, mode="bilinear", padding_mode="border",
                                   align_corners=True)  # [B, depth·width, P, 1, 1]
        c = self.config
        return s.view(b, c.depth, c.width, p).permute(0, 3, 1, 2)

    def forward_modulated(self, coords: torch.Tensor, mods: torch.Tensor) -> torch.Tensor:
        """Field values ``[B, P, C]`` at ``coords`` ``[B, P, 3]`` given :meth:`modulations`."""
        c = self.config
        shifts = self.point_shifts(coords, mods)
        h = coords
        for i, lin in enumerate(self.sine_layers):
            w0 = c.w0_first if i == 0 else c.w0_hidden
            h = torch.sin(w0 * (lin(h) + shifts[:, :, i]))
        return activate(self.config, self.out(h))

    def forward(self, coords: torch.Tensor, latents: torch.Tensor) -> torch.Tensor:
        """Field values ``[B, P, C]`` at ``coords`` ``[B, P, 3]`` for ``latents`` ``[B, L]``."""
        return self.forward_modulated(coords, self.modulations(latents))


__all__ = ["GridSiren", "LocalSiren"]
