"""`Field`: a multi-channel scalar field sampled on a cubic grid."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .box import Box


@dataclass(eq=False)
class Field:
    """Channels of a field on a regular cubic grid.

    ``values[c, i, j, k]`` is channel ``c`` at ``origin + spacing * (i, j, k)``,
    with ``(i, j, k)`` along ``(x, y, z)``.

    Parameters
    ----------
    values
        ``[C, N, N, N]`` float32.
    origin
        Centre of voxel ``(0, 0, 0)``, Å.
    spacing
        Voxel edge, Å (cubic voxels).
    channels
        ``C`` channel names.
    box
        The `Box` the grid was made from, when known.
    meta
        Free-form, JSON-friendly parameters (β, source, …).
    """

    values: np.ndarray
    origin: np.ndarray
    spacing: float
    channels: tuple[str, ...]
    box: Box | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.values = np.asarray(self.values, dtype=np.float32)
        self.origin = np.asarray(self.origin, dtype=np.float64).reshape(3)
        self.spacing = float(self.spacing)
        self.channels = tuple(str(c) for c in self.channels)
        if self.values.ndim != 4 or self.values.shape[0] != len(self.channels):
            raise ValueError(
                f"values of shape {self.values.shape} do not match {len(self.channels)} channels"
            )

    @property
    def resolution(self) -> tuple[int, int, int]:
        """Voxels along x, y and z."""
        return tuple(int(s) for s in self.values.shape[1:])  # type: ignore[return-value]

    def channel(self, name: str) -> np.ndarray:
        """The ``[N, N, N]`` array of the named channel."""
        return self.values[self.channels.index(name)]

    def __repr__(self) -> str:
        return (
            f"Field(channels={list(self.channels)}, resolution={self.resolution}, "
            f"spacing={self.spacing:.3g} Å)"
        )
