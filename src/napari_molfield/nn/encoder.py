"""A 3D convolutional encoder and the auto-encoder it forms with a `ModulatedSiren`.

The encoder maps a normalised field grid ``[C, N, N, N]`` to a latent ``[L]``; the
modulated SIREN decodes that latent at any point of the unit box ``[-1, 1]³``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from torch import nn

from ..errors import MolfieldError
from .config import ModelConfig
from .siren import ModulatedSiren


@dataclass(frozen=True)
class EncoderConfig:
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> EncoderConfig:
        """Inverse of :meth:`to_dict`; unknown keys are an error."""
        bad = sorted(set(d) - {f.name for f in fields(cls)})
        if bad:
            raise MolfieldError(f"Unknown encoder setting(s) {', '.join(bad)}.")
        return cls(**d)


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
                conv.weight.mul_(0.5)
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


class AutoEncoder(nn.Module):
    """A :class:`ConvEncoder` and a :class:`ModulatedSiren` sharing one latent space."""

    def __init__(self, encoder: EncoderConfig, decoder: ModelConfig) -> None:
        super().__init__()
        if encoder.latent_dim != decoder.latent_dim:
            raise MolfieldError(
                f"Encoder latent {encoder.latent_dim} ≠ decoder latent {decoder.latent_dim}."
            )
        if encoder.in_channels != decoder.out_channels:
            raise MolfieldError(
                f"Encoder channels {encoder.in_channels} ≠ decoder channels "
                f"{decoder.out_channels}."
            )
        self.encoder_config = encoder
        self.decoder_config = decoder
        self.encoder = ConvEncoder(encoder)
        self.siren = ModulatedSiren(decoder)

    def encode(self, grids: torch.Tensor) -> torch.Tensor:
        """Latents ``[B, L]`` of normalised grids ``[B, C, N, N, N]``."""
        return self.encoder(grids)

    def decode(self, latents: torch.Tensor, coords: torch.Tensor, chunk: int = 32768
               ) -> torch.Tensor:
        """Field ``[B, P, C]`` at unit-frame ``coords`` ``[B, P, 3]`` (or ``[P, 3]``)."""
        mods = self.siren.modulations(latents)
        if coords.dim() == 2:
            coords = coords.unsqueeze(0).expand(latents.shape[0], -1, -1)
        if coords.shape[1] <= chunk:
            return self.siren.forward_modulated(coords, mods)
        return torch.cat(
            [self.siren.forward_modulated(coords[:, a : a + chunk], mods)
             for a in range(0, coords.shape[1], chunk)],
            dim=1,
        )

    def forward(self, grids: torch.Tensor, coords: torch.Tensor) -> tuple[torch.Tensor,
                                                                         torch.Tensor]:
        """``(values [B, P, C], latents [B, L])`` for grids and points of the same items."""
        z = self.encode(grids)
        return self.siren(coords, z), z


def count_parameters(module: nn.Module) -> int:
    """Number of trainable parameters."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


__all__ = ["AutoEncoder", "ConvEncoder", "EncoderConfig", "count_parameters"]
