"""A 3D convolutional encoder: a normalised field grid ``[C, N, N, N]`` → a latent ``[L]``
(one global vector, or a ``G³`` grid of local vectors flattened into one array)."""

from __future__ import annotations

import numbers
from dataclasses import dataclass

import torch
from torch import nn

from ..errors import MolfieldError
from ..fields.limits import check_memory, check_resolution
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
    stem
        Kernel of the first stride-2 convolution: ``4`` (overlapping ``4³`` windows, as
        every later level) or ``2`` (non-overlapping ``2³`` patches, 8× fewer operations
        at the full resolution).
    first_mix
        Whether the first level has its residual ``3³`` convolution (the costliest layer
        after the stem: it runs at ``N / 2``).
    grid
        ``0``: a linear head maps the last feature map to one global latent. ``G > 0``:
        the last feature map is ``G³`` (``N / 2**levels == G``) and a ``1³`` convolution
        gives each cell ``latent_dim / G³`` features — a latent grid for a local decoder
        (`nn.patch_siren`), flattened ``x``-major with the features fastest.
    """

    _kind = "encoder"

    in_channels: int = 9
    latent_dim: int = 64
    resolution: int = 32
    base: int = 16
    levels: int = 3
    stem: int = 4
    first_mix: bool = True
    grid: int = 0

    def __post_init__(self) -> None:
        for name in ("in_channels", "latent_dim", "resolution", "base", "levels", "stem",
                     "grid"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise MolfieldError(f"The encoder's {name} must be an integer, got {value!r}.")
        if not isinstance(self.first_mix, bool):
            raise MolfieldError(f"The encoder's first_mix must be true or false, got "
                                f"{self.first_mix!r}.")
        for name in ("in_channels", "latent_dim", "resolution", "base", "levels"):
            if int(getattr(self, name)) < 1:
                raise MolfieldError(f"The encoder's {name} must be at least 1.")
        if self.grid < 0:
            raise MolfieldError(f"The encoder's latent grid must be 0 or more, not {self.grid}.")
        n = check_resolution(self.resolution, what="encoder resolution")
        if self.levels > n.bit_length() - 1:  # before 2**levels: a damaged 2⁴⁰ would hang
            raise MolfieldError(
                f"{self.levels} encoder levels halve a {n}³ grid below one voxel "
                f"(resolution / 2**levels < 1); use at most {n.bit_length() - 1}."
            )
        if self.resolution % (2**self.levels):
            raise MolfieldError(
                f"The encoder resolution {self.resolution} must be a multiple of "
                f"{2**self.levels} ({self.levels} levels)."
            )
        if self.stem not in (2, 4):
            raise MolfieldError(f"The encoder stem must be 2 or 4, not {self.stem}.")
        g = int(self.grid)
        if g and (self.resolution // 2**self.levels != g or self.latent_dim % g**3):
            raise MolfieldError(
                f"A {g}³ latent grid needs resolution / 2**levels = {g} (got "
                f"{self.resolution} / {2**self.levels}) and a latent length that is a "
                f"multiple of {g**3} (got {self.latent_dim})."
            )

    @property
    def n_weights(self) -> int:
        """Weights and biases of the `ConvEncoder` of this shape (counted, not built)."""
        chans = [self.in_channels] + [self.base * 2**i for i in range(self.levels)]
        kernels = [self.stem] + [4] * (self.levels - 1)
        total = 0
        for i, k in enumerate(kernels):
            total += chans[i] * chans[i + 1] * k**3 + chans[i + 1]
            if i or self.first_mix:
                total += chans[i + 1] ** 2 * 27 + chans[i + 1]
        side = self.resolution // 2**self.levels
        if self.grid:
            out = self.latent_dim // self.grid**3
            return total + chans[-1] * out + out
        return total + chans[-1] * side**3 * self.latent_dim + self.latent_dim


class ConvEncoder(nn.Module):
    """Grid ``[B, C, N, N, N]`` → latents ``[B, L]``.

    Each level is a stride-2 ``4³`` convolution (the first one ``stem³``) followed by a
    ``3³`` convolution with a residual connection (SiLU activations; the first level's
    can be left out, ``first_mix``); a linear layer maps the flattened last feature map
    to the latent. No normalisation layers: the output is deterministic per input and
    independent of the batch. On the CPU the grids go through the convolutions in the
    channels-last layout (about a third faster there, same values to float rounding;
    ``channels_last = False`` turns it off, for benchmarks).
    """

    def __init__(self, config: EncoderConfig) -> None:
        super().__init__()
        self.config = c = config
        check_memory(4.0 * c.n_weights, f"An encoder of {c.n_weights:,} weights",
                     "lower its base, latent length or resolution")
        self.channels_last = True
        chans = [c.in_channels] + [c.base * 2**i for i in range(c.levels)]
        kernels = [c.stem] + [4] * (c.levels - 1)
        self.down = nn.ModuleList(
            nn.Conv3d(chans[i], chans[i + 1], k, stride=2, padding=(k - 2) // 2)
            for i, k in enumerate(kernels)
        )
        self.mix = nn.ModuleList(
            nn.Conv3d(chans[i + 1], chans[i + 1], 3, padding=1) if i or c.first_mix
            else nn.Identity()
            for i in range(c.levels)
        )
        side = c.resolution // 2**c.levels
        self.head: nn.Module = (
            nn.Conv3d(chans[-1], c.latent_dim // c.grid**3, 1) if c.grid
            else nn.Linear(chans[-1] * side**3, c.latent_dim)
        )
        with torch.no_grad():
            for conv in self.mix:
                if isinstance(conv, nn.Conv3d):
                    conv.weight.mul_(0.5)
            head = self.head
            assert isinstance(head, nn.Linear | nn.Conv3d)
            head.weight.mul_(0.5)

    def forward(self, grids: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, L]`` of ``grids`` ``[B, C, N, N, N]``."""
        c = self.config
        if grids.shape[1:] != (c.in_channels, *(c.resolution,) * 3):
            raise MolfieldError(
                f"The encoder expects grids [B, {c.in_channels}, {c.resolution}, "
                f"{c.resolution}, {c.resolution}], got {list(grids.shape)}."
            )
        h = grids
        if self.channels_last and h.device.type == "cpu":
            h = h.contiguous(memory_format=torch.channels_last_3d)
        act = nn.functional.silu
        for down, mix in zip(self.down, self.mix, strict=True):
            h = act(down(h))
            if isinstance(mix, nn.Conv3d):
                h = h + act(mix(h))
        if c.grid:  # [B, F, G, G, G] → [B, G, G, G, F] → [B, G³·F]
            return self.head(h).permute(0, 2, 3, 4, 1).reshape(h.shape[0], -1)
        return self.head(h.flatten(1))


__all__ = ["ConvEncoder", "EncoderConfig"]
