"""A 3D convolutional encoder: a normalised field grid ``[C, N, N, N]`` → a latent ``[L]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

import torch
from torch import nn

from ..errors import MolfieldError
from .config import ConfigMixin


@dataclass(frozen=True)
class EncoderConfig(ConfigMixin):
    """Shape of a :class:`ConvEncoder`.

    Parameters
    ----------
    in_channels
        Field channels ``C`` of the input grid.
    latent_dim
        Latent length ``L``.
    resolution
        Input grid edge ``N`` (a multiple of ``2**levels``).
    base
        Feature maps of the first level (doubled at every further level).
    levels
        Stride-2 stages; the last feature map is ``N / 2**levels`` voxels across.
    """

    _kind = "encoder"

    in_channels: int = 9
    latent_dim: int = 64
    resolution: int = 32
    base: int = 16
    levels: int = 3

    def __post_init__(self) -> None:
        for name in ("in_channels", "latent_dim", "resolution", "base", "levels"):
            if int(getattr(self, name)) < 1:
                raise MolfieldError(f"The encoder's {name} must be at least 1.")
        if self.resolution % (2**self.levels):
            raise MolfieldError(
                f"The encoder resolution {self.resolution} must be a multiple of "
                f"{2**self.levels} ({self.levels} levels)."
            )


class ConvEncoder(nn.Module):
    """Grid ``[B, C, N, N, N]`` → latents ``[B, L]``.

    Each level is a stride-2 ``4³`` convolution followed by a ``3³`` convolution with a
    residual connection (SiLU activations); a linear layer maps the flattened last
    feature map to the latent. No normalisation layers: the output is deterministic per
    input and independent of the batch.
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = c = config
        chans = [c.in_channels] + [c.base * 2**i for i in range(c.levels)]
        self.down = nn.ModuleList(
            nn.Conv3d(chans[i], chans[i + 1], 4, stride=2, padding=1) for i in range(c.levels)
        )
        self.mix = nn.ModuleList(
            nn.Conv3d(chans[i + 1], chans[i + 1], 3, padding=1) for i in range(c.levels)
        )
        side = c.resolution // 2**c.levels
        self.head = nn.Linear(chans[-1] * side**3, c.latent_dim)
        with torch.no_grad():
            for conv in self.mix:
                cast(nn.Conv3d, conv).weight.mul_(0.5)
            self.head.weight.mul_(0.5)

    def forward(self, grids: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, L]`` of ``grids`` ``[B, C, N, N, N]``."""
        c = self.config
        if grids.shape[1:] != (c.in_channels, *(c.resolution,) * 3):
            raise MolfieldError(
                f"The encoder expects grids [B, {c.in_channels}, {c.resolution}, "
                f"{c.resolution}, {c.resolution}], got {list(grids.shape)}."
            )
        h = grids
        act = nn.functional.silu
        for down, mix in zip(self.down, self.mix, strict=True):
            h = act(down(h))
            h = h + act(mix(h))
        return self.head(h.flatten(1))


__all__ = ["ConvEncoder", "EncoderConfig"]
