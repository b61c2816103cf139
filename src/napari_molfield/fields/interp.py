"""Sample a gridded `Field` (a map, or Eq. 1 on a grid) at arbitrary points in Å.

Networks train off the grid: `sample_grid` gives the value of every channel at any
``[..., 3]`` points, so random points can be drawn inside a map as they are around a
molecule (`fields.sample.sample_points` is the exact counterpart for Eq. 1).

Choices
-------
``order=1`` (default)
    Trilinear interpolation between the 8 surrounding voxel centres, in numpy (no
    extra dependency); exact at voxel centres and continuous. Measured: 1 M random points
    in 0.8 s on a memory-mapped 256³ map (2 cores).
``order=3``
    Cubic B-spline interpolation (`scipy.ndimage.map_coordinates` on prefiltered
    coefficients, mirror boundaries); smoother derivatives, overshoots a little near sharp
    peaks. `GridSampler` computes the coefficients once (a float64 copy of the grid; 1.2 s
    for 256³) and reuses them for every batch (1 M points in 1.2 s).
Outside
    Points beyond the first or last voxel centre along any axis get 0 (the map says
    nothing there; density maps are ~0 far from the molecule).
"""

from __future__ import annotations

import numpy as np

from ..errors import MolfieldError
from .field import Field

#: Points interpolated per block (bounds the temporaries to ~100 MB).
_BLOCK = 1 << 20


class GridSampler:
    """Interpolate the channels of ``field`` at points in Å (reusable across batches).

    Parameters
    ----------
    field
        Any `Field` (cubic or anisotropic voxels, memory-mapped values welcome).
    order
        1 (trilinear) or 3 (cubic B-spline, needs scipy).
    channels
        Names or indices of the channels to sample; default all.
    """

    def __init__(self, field: Field, order: int = 1,
                 channels: list[str | int] | tuple[str | int, ...] | None = None) -> None:
        if order not in (1, 3):
            raise MolfieldError(f"The interpolation order must be 1 or 3, got {order!r}.")
        idx = list(range(len(field.channels))) if channels is None else [
            field.channels.index(c) if isinstance(c, str) else int(c) for c in channels
        ]
        self.order = order
        self.channels = tuple(field.channels[i] for i in idx)
        self.origin = np.asarray(field.origin, np.float64)
        self.voxel_size = np.asarray(field.voxel_size, np.float64)
        self.shape = np.asarray(field.resolution)
        self._values = field.values if channels is None else field.values[idx]
        self._coeffs: list[np.ndarray] | None = None
        if order == 3:
            try:
                from scipy import ndimage
            except ImportError as exc:  # pragma: no cover - scipy ships with scikit-image
                raise MolfieldError("Cubic interpolation needs scipy; use order=1.") from exc
            self._coeffs = [
                ndimage.spline_filter(np.asarray(v, np.float64), order=3, mode="mirror")
                for v in self._values
            ]

    def __call__(self, points: np.ndarray) -> np.ndarray:
        """Values at ``points`` (``[..., 3]`` Å) as ``[..., C]`` float32; 0 outside."""
        pts = np.asarray(points, dtype=np.float64)
        if pts.shape[-1:] != (3,):
            raise MolfieldError(f"Points must have shape [..., 3], got {pts.shape}.")
        if not np.isfinite(pts).all():
            raise MolfieldError("Some points are NaN or infinite.")
        lead = pts.shape[:-1]
        flat = pts.reshape(-1, 3)
        out = np.zeros((flat.shape[0], len(self.channels)), np.float32)
        for s in range(0, flat.shape[0], _BLOCK):
            out[s: s + _BLOCK] = self._block(flat[s: s + _BLOCK])
        return out.reshape(*lead, len(self.channels))

    def index(self, points: np.ndarray) -> np.ndarray:
        """Fractional voxel indices ``(i, j, k)`` of points in Å."""
        return (np.asarray(points, np.float64) - self.origin) / self.voxel_size

    def _block(self, pts: np.ndarray) -> np.ndarray:
        u = self.index(pts)
        eps = 1e-9
        inside = ((u >= -eps) & (u <= self.shape - 1 + eps)).all(axis=1)
        out = np.zeros((pts.shape[0], len(self.channels)), np.float32)
        if not inside.any():
            return out
        u = np.clip(u[inside], 0, self.shape - 1)
        if self.order == 3:
            from scipy import ndimage

            for c, coeff in enumerate(self._coeffs or []):
                out[inside, c] = ndimage.map_coordinates(
                    coeff, u.T, order=3, mode="mirror", prefilter=False
                )
            return out
        i0 = np.minimum(np.floor(u).astype(np.int64), np.maximum(self.shape - 2, 0))
        t = u - i0
        i1 = np.minimum(i0 + 1, self.shape - 1)
        acc = np.zeros((len(self.channels), u.shape[0]), np.float64)
        for cx in (0, 1):
            ix, wx = (i1[:, 0], t[:, 0]) if cx else (i0[:, 0], 1 - t[:, 0])
            for cy in (0, 1):
                iy, wy = (i1[:, 1], t[:, 1]) if cy else (i0[:, 1], 1 - t[:, 1])
                for cz in (0, 1):
                    iz, wz = (i1[:, 2], t[:, 2]) if cz else (i0[:, 2], 1 - t[:, 2])
                    acc += self._values[:, ix, iy, iz] * (wx * wy * wz)
        out[inside] = acc.T
        return out


def sample_grid(field: Field, points: np.ndarray, order: int = 1,
                channels: list[str | int] | tuple[str | int, ...] | None = None) -> np.ndarray:
    """Interpolate ``field`` at ``points`` (``[..., 3]`` Å) → ``[..., C]`` float32.

    One-shot form of `GridSampler` (build a sampler to reuse cubic coefficients).
    Points beyond the first or last voxel centre on any axis get 0.
    """
    return GridSampler(field, order, channels)(points)


def grid_points(field: Field) -> np.ndarray:
    """``[X, Y, Z, 3]`` voxel centres of ``field`` in Å."""
    axes = [field.origin[d] + field.voxel_size[d] * np.arange(field.resolution[d])
            for d in range(3)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)


def random_points(field: Field, n: int, rng: np.random.Generator | int | None = None
                  ) -> np.ndarray:
    """``[n, 3]`` points drawn uniformly between the first and last voxel centres, Å."""
    rng = np.random.default_rng(rng)
    first, last = field.extent
    return first + rng.random((int(n), 3)) * (last - first)
