"""`Field`: a multi-channel scalar field sampled on a regular grid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .box import Box

#: Relative difference below which three voxel edges count as one cubic spacing.
CUBIC_RTOL = 1e-5


@dataclass(eq=False, init=False)
class Field:
    """Channels of a field on a regular grid.

    ``values[c, i, j, k]`` is channel ``c`` at ``origin + voxel_size * (i, j, k)``,
    with ``(i, j, k)`` along ``(x, y, z)``.

    Grids sampled from molecules are cubic (``N³`` voxels of one edge ``spacing``).
    Experimental maps may have a different number of voxels per axis and anisotropic
    voxels: pass three edges as ``spacing`` and read them back from `voxel_size`. For
    such a field `spacing` raises a `MolfieldError` instead of returning one number, so
    code written for cubic voxels fails with a sentence rather than misplacing the grid;
    `is_cubic` tells the two apart.

    Parameters
    ----------
    values
        ``[C, X, Y, Z]`` (float32; a float32 array, memory-mapped or not, is kept
        without a copy).
    origin
        Centre of voxel ``(0, 0, 0)``, Å.
    spacing
        Voxel edge, Å: one number (cubic voxels) or ``(hx, hy, hz)``.
    channels
        ``C`` channel names.
    box
        The `Box` the grid was made from, when known.
    meta
        Free-form, JSON-friendly parameters (β, source, …).
    """

    values: np.ndarray
    origin: np.ndarray
    voxel_size: np.ndarray
    channels: tuple[str, ...]
    box: Box | None = None
    meta: dict[str, Any] = field(default_factory=dict)

    def __init__(
        self,
        values: np.ndarray,
        origin: np.ndarray | Sequence[float],
        spacing: float | Sequence[float] | np.ndarray,
        channels: Sequence[str],
        box: Box | None = None,
        meta: dict[str, Any] | None = None,
    ) -> None:
        self.values = np.asarray(values, dtype=np.float32)
        self.origin = np.asarray(origin, dtype=np.float64).reshape(3)
        self.spacing = spacing
        self.channels = tuple(str(c) for c in channels)
        self.box = box
        self.meta = {} if meta is None else meta
        if self.values.ndim != 4 or self.values.shape[0] != len(self.channels):
            raise ValueError(
                f"values of shape {self.values.shape} do not match {len(self.channels)} channels"
            )

    @property
    def spacing(self) -> float:
        """The voxel edge in Å of a grid with cubic voxels.

        Raises
        ------
        MolfieldError
            For anisotropic voxels (use `voxel_size`).
        """
        h = self.voxel_size
        if not self.is_cubic:
            raise MolfieldError(
                f"This field has anisotropic voxels ({h[0]:.4g} × {h[1]:.4g} × {h[2]:.4g} Å) "
                "where cubic ones are needed; resample it (fields.maps.resample_cubic)."
            )
        return float(h[0])

    @spacing.setter
    def spacing(self, value: float | Sequence[float] | np.ndarray) -> None:
        h = np.asarray(value, dtype=np.float64)
        h = np.full(3, float(h)) if h.ndim == 0 else h.reshape(3).copy()
        if not (np.isfinite(h).all() and (h > 0).all()):
            raise ValueError(f"voxel edges must be finite and positive, got {h}")
        if np.allclose(h, h[0], rtol=CUBIC_RTOL, atol=0):
            h[:] = h[0]
        self.voxel_size = h

    @property
    def is_cubic(self) -> bool:
        """Whether the three voxel edges are equal (within `CUBIC_RTOL`)."""
        return bool((self.voxel_size == self.voxel_size[0]).all())

    @property
    def resolution(self) -> tuple[int, int, int]:
        """Voxels along x, y and z."""
        return tuple(int(s) for s in self.values.shape[1:])  # type: ignore[return-value]

    @property
    def extent(self) -> tuple[np.ndarray, np.ndarray]:
        """Centres of the first and the last voxel, Å (``[3]`` each)."""
        last = self.origin + self.voxel_size * (np.asarray(self.resolution) - 1)
        return self.origin.copy(), last

    def channel(self, name: str) -> np.ndarray:
        """The ``[X, Y, Z]`` array of the named channel."""
        return self.values[self.channels.index(name)]

    def __repr__(self) -> str:
        h = self.voxel_size
        size = f"{h[0]:.3g}" if self.is_cubic else "×".join(f"{v:.3g}" for v in h)
        return (
            f"Field(channels={list(self.channels)}, resolution={self.resolution}, "
            f"spacing={size} Å)"
        )
