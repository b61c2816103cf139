"""`DeformNet`: a template SIREN ``T`` seen through a latent-modulated displacement ``D``.

``f(u; z) = T(u + D(u, z))`` in the network frame ``[-1, 1]³``: the template holds one
structure's field; the displacement, modulated by a conformer's latent, says where in
the template each point of that conformer comes from. The deformable model kind
(`deform`) fits it; `interpolation.deform` decodes frames of it.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import nn

from .config import ModelConfig
from .siren import ModulatedSiren


class DeformShapes(Protocol):
    """What `DeformNet` needs of its settings (`deform.config.DeformConfig` has it)."""

    @property
    def warp_init(self) -> float:
        """Scale of ``D``'s initial output layer (``D ≈ 0`` at the start)."""
        ...

    def template_net(self) -> ModelConfig:
        """The `ModelConfig` of ``T``."""
        ...

    def warp_net(self) -> ModelConfig:
        """The `ModelConfig` of ``D`` (3 outputs)."""
        ...


class DeformNet(nn.Module):
    """The template SIREN ``T`` and the latent-modulated displacement SIREN ``D``.

    Coordinates are in the network frame ``[-1, 1]³`` of the ensemble's box, and so are
    displacements.
    """

    def __init__(self, config: DeformShapes) -> None:
        super().__init__()
        self.config = config
        self.template = ModulatedSiren(config.template_net())
        self.warp = ModulatedSiren(config.warp_net())
        with torch.no_grad():
            self.warp.out.weight.mul_(config.warp_init)
            self.warp.out.bias.zero_()

    def template_mods(self) -> torch.Tensor:
        """The template's (latent-free) modulations ``[1, depth, width]``."""
        dev = self.template.out.weight.device
        return self.template.modulations(torch.zeros(1, 1, device=dev))

    def displacement(self, u: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``D(u, z)`` ``[B, P, 3]`` at ``u`` ``[B, P, 3]`` for latents ``z`` ``[B, L]``."""
        return self.warp(u, z)

    def template_values(self, v: torch.Tensor, mods: torch.Tensor | None = None
                        ) -> torch.Tensor:
        """``T(v)`` ``[B, P, C]`` at template-frame points ``v`` ``[B, P, 3]``."""
        b, p, _ = v.shape
        mods = self.template_mods() if mods is None else mods
        return self.template.forward_modulated(v.reshape(1, b * p, 3), mods).view(b, p, -1)

    def forward(self, u: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """``T(u + D(u, z))`` ``[B, P, C]``."""
        return self.template_values(u + self.displacement(u, z))


__all__ = ["DeformNet", "DeformShapes"]
