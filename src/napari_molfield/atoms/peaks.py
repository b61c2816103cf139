"""Local maxima of a channel sampled on a regular grid, with sub-voxel positions.

At β = 2 a carbon's Gaussian has σ = r / 2 ≈ 0.85 Å, so two carbons bonded at 1.54 Å
give one maximum between them: peaks only seed the fit, the count decides how many
atoms a channel holds.
"""

from __future__ import annotations

import numpy as np


def local_maxima(grid: np.ndarray, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Voxels of ``grid`` ``[N, N, N]`` at least as large as their 26 neighbours.

    Parameters
    ----------
    grid
        One channel of a field.
    threshold
        Only maxima strictly above this value are kept.

    Returns
    -------
    ijk
        ``[M, 3]`` int voxel indices, highest value first (voxels on a flat top keep only
        the first in C order).
    values
        ``[M]`` the values there.
    """
    g = np.asarray(grid, dtype=np.float64)
    padded = np.pad(g, 1, mode="constant", constant_values=-np.inf)
    is_max = g > threshold
    first = np.ones_like(is_max)
    n0, n1, n2 = g.shape
    for di in (-1, 0, 1):
        for dj in (-1, 0, 1):
            for dk in (-1, 0, 1):
                if di == dj == dk == 0:
                    continue
                nb = padded[1 + di : 1 + di + n0, 1 + dj : 1 + dj + n1, 1 + dk : 1 + dk + n2]
                is_max &= g >= nb
                # on plateaus keep only the voxel with no equal neighbour before it
                if (di, dj, dk) < (0, 0, 0):
                    first &= g != nb
    is_max &= first
    ijk = np.argwhere(is_max)
    values = g[tuple(ijk.T)]
    order = np.argsort(-values, kind="stable")
    return ijk[order], values[order]


def subvoxel(grid: np.ndarray, ijk: np.ndarray) -> np.ndarray:
    """Sub-voxel offsets of maxima: a parabola through the log values along each axis.

    Exact for an isolated Gaussian; offsets are clipped to half a voxel.

    Returns
    -------
    numpy.ndarray
        ``[M, 3]`` float voxel coordinates ``ijk + offset``.
    """
    g = np.asarray(grid, dtype=np.float64)
    out = np.asarray(ijk, dtype=np.float64).copy()
    n = np.array(g.shape)
    for m, idx in enumerate(np.asarray(ijk, dtype=int)):
        for ax in range(3):
            if idx[ax] == 0 or idx[ax] == n[ax] - 1:
                continue
            lo, hi = idx.copy(), idx.copy()
            lo[ax] -= 1
            hi[ax] += 1
            a, b, c = g[tuple(lo)], g[tuple(idx)], g[tuple(hi)]
            if min(a, b, c) <= 0:
                continue
            la, lb, lc = np.log(a), np.log(b), np.log(c)
            den = la - 2 * lb + lc
            if den < 0:
                out[m, ax] += float(np.clip(0.5 * (la - lc) / den, -0.5, 0.5))
    return out


def peak_positions(
    grid: np.ndarray, origin: np.ndarray, spacing: float, threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """Å positions and values of the local maxima of ``grid`` above ``threshold``.

    Returns
    -------
    xyz
        ``[M, 3]`` Å, highest maximum first.
    values
        ``[M]``.
    """
    ijk, values = local_maxima(grid, threshold)
    xyz = np.asarray(origin, dtype=np.float64) + spacing * subvoxel(grid, ijk)
    return xyz.reshape(-1, 3), values
