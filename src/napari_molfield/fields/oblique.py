"""Maps on non-orthogonal cells (monoclinic, triclinic, hexagonal X-ray and EM maps),
resampled onto an orthogonal grid in Å.

An MRC/CCP4 map samples its cell ``(a, b, c, α, β, γ)`` ``MX × MY × MZ`` times along the
cell axes; when an angle is not 90°, its voxels are parallelepipeds and the grid axes are
not x, y, z. The Cartesian frame is the one gemmi, ChimeraX and the PDB use: ``a`` along
x, ``b`` in the xy plane (`orthogonalisation`). Voxel ``(i, j, k)`` of the block (indices
along the cell axes) lies at ``orth · ((start + (i, j, k)) / M)``, or at the ORIGIN words
plus ``orth · ((i, j, k) / M)`` when those are not zero.

`resample_oblique` puts the block on an orthogonal grid in that same frame (axes and
positions kept: a point at Å position p in the file is at p in the field): the bounding box
of the block, cubic voxels as long as the shortest step of the cell grid, values
interpolated trilinearly in the cell's fractional grid (exactly gemmi's
``interpolate_value`` inside the block). Voxels of the box outside the block hold the
block's mean; how much, and everything else about the resampling, is in the returned
metadata.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import MolfieldError
from .field import Field
from .interp import GridSampler
from .limits import check_memory, grid_bytes


def orthogonalisation(cell: np.ndarray, angles: np.ndarray) -> np.ndarray:
    """The ``3 × 3`` matrix taking fractional to Cartesian coordinates (Å): columns are
    the cell vectors ``a``, ``b``, ``c`` (``a`` along x, ``b`` in the xy plane)."""
    a, b, c = (float(v) for v in cell)
    al, be, ga = np.radians(np.asarray(angles, np.float64))
    ca, cb, cg, sg = np.cos(al), np.cos(be), np.cos(ga), np.sin(ga)
    volume = a * b * c * np.sqrt(max(1 - ca**2 - cb**2 - cg**2 + 2 * ca * cb * cg, 0.0))
    return np.array([
        [a, b * cg, c * cb],
        [0.0, b * sg, c * (ca - cb * cg) / sg],
        [0.0, 0.0, volume / (a * b * sg)],
    ])


class ObliqueGrid:
    """Trilinear interpolation of a grid with non-orthogonal axes at Å points.

    Parameters
    ----------
    values
        ``[X, Y, Z]`` voxels.
    steps
        ``3 × 3``: column ``d`` is the Å step from voxel ``i`` to voxel ``i + 1`` along
        axis ``d``.
    origin
        Å position of voxel ``(0, 0, 0)``.
    """

    def __init__(self, values: np.ndarray, steps: np.ndarray, origin: np.ndarray) -> None:
        self.values = values
        self.step_matrix = np.asarray(steps, np.float64)
        self.inverse = np.linalg.inv(self.step_matrix)
        self.origin = np.asarray(origin, np.float64)
        self.shape = np.asarray(values.shape)
        # the block in index space: voxel (i, j, k) at (i, j, k)
        self._sampler = GridSampler(Field(values[None], np.zeros(3), 1.0, ("map",)))

    @classmethod
    def from_cell(cls, values: np.ndarray, cell: np.ndarray, angles: np.ndarray,
                  sampling: np.ndarray, start: np.ndarray, base: np.ndarray) -> ObliqueGrid:
        """The block of an MRC/CCP4 map: cell lengths (Å) and angles (degrees), grid
        intervals ``(MX, MY, MZ)`` along the cell edges, index of voxel ``(0, 0, 0)``
        along each axis, and the Å position added (the ORIGIN words, or zero)."""
        steps = orthogonalisation(cell, angles) / np.asarray(sampling, np.float64)
        return cls(values, steps, steps @ np.asarray(start, np.float64) + base)

    def position(self, index: np.ndarray) -> np.ndarray:
        """Å positions of fractional voxel indices ``[..., 3]``."""
        return np.asarray(index, np.float64) @ self.step_matrix.T + self.origin

    def index(self, points: np.ndarray) -> np.ndarray:
        """Fractional voxel indices ``[..., 3]`` of Å points."""
        return (np.asarray(points, np.float64) - self.origin) @ self.inverse.T

    def inside(self, points: np.ndarray) -> np.ndarray:
        """Whether each point lies within the block (between its first and last voxels)."""
        u = self.index(points)
        eps = 1e-6
        return np.asarray(((u >= -eps) & (u <= self.shape - 1 + eps)).all(axis=-1))

    def __call__(self, points: np.ndarray, fill: float = 0.0) -> np.ndarray:
        """Values at Å points ``[..., 3]`` (float32); ``fill`` outside the block."""
        pts = np.asarray(points, np.float64)
        out = self._sampler(self.index(pts))[..., 0]
        out[~self.inside(pts)] = fill
        return out

    def steps(self) -> np.ndarray:
        """Å length of one voxel step along each axis."""
        return np.linalg.norm(self.step_matrix, axis=0)


def resample_oblique(grid: ObliqueGrid, name: str, mean: float
                     ) -> tuple[np.ndarray, np.ndarray, float, dict[str, Any]]:
    """The block of ``grid`` on an orthogonal grid of cubic voxels in Å.

    Returns
    -------
    values, origin, voxel, info
        ``[X, Y, Z]`` float32, the Å position of voxel ``(0, 0, 0)``, the voxel edge (Å),
        and the resampling's description for the field's metadata.

    Raises
    ------
    MolfieldError
        When the orthogonal grid needs more than half the available memory.
    """
    n = grid.shape
    corners = np.array([[i, j, k] for i in (0, n[0] - 1) for j in (0, n[1] - 1)
                        for k in (0, n[2] - 1)], np.float64)
    cart = grid.position(corners)
    lo, hi = cart.min(axis=0), cart.max(axis=0)
    h = float(grid.steps().min())
    counts = np.floor((hi - lo) / h + 1e-6) + 1 if h > 0 else np.full(3, np.inf)
    if not np.isfinite(counts).all():
        raise MolfieldError(f"{name}: the map's voxel steps {grid.steps().tolist()} Å give no "
                            "grid (a damaged header).")
    check_memory(8.0 * float(np.prod(counts)),
                 f"{name}: the orthogonal {'×'.join(f'{c:.0f}' for c in counts)} resampling "
                 "of a non-orthogonal map", "crop the map first")
    sx, sy, sz = (int(v) for v in counts)
    shape = (sx, sy, sz)
    check_memory(2 * grid_bytes(1, shape),
                 f"{name}: the orthogonal {shape[0]}×{shape[1]}×{shape[2]} resampling of a "
                 "non-orthogonal map", "crop the map first")
    out = np.empty(shape, np.float32)
    ys, zs = lo[1] + h * np.arange(shape[1]), lo[2] + h * np.arange(shape[2])
    yy, zz = np.meshgrid(ys, zs, indexing="ij")
    outside = 0
    for i in range(shape[0]):
        pts = np.stack([np.full_like(yy, lo[0] + h * i), yy, zz], axis=-1)
        inside = grid.inside(pts)
        outside += int(inside.size - inside.sum())
        out[i] = grid(pts, fill=mean)
    info = {
        "from": "non-orthogonal grid", "method": "trilinear in the map's own grid",
        "axis_angles": [float(v) for v in np.degrees(np.arccos(np.clip(
            [_cos(grid.step_matrix, p, q) for p, q in ((1, 2), (0, 2), (0, 1))], -1, 1)))],
        "voxel_steps": [float(v) for v in grid.steps()],
        "voxel_size": h, "shape": list(shape),
        "outside_fraction": outside / float(np.prod(shape)), "outside_value": float(mean),
    }
    return out, lo, h, info


def _cos(m: np.ndarray, p: int, q: int) -> float:
    u, v = m[:, p], m[:, q]
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


__all__ = ["ObliqueGrid", "orthogonalisation", "resample_oblique"]
