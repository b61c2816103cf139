"""Where atoms put density: the voxels of a grid that Eq. 1 reaches above a tolerance."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .box import Box
from .channels import AtomTable

#: Atoms contribute less than this fraction of their peak outside the support.
SUPPORT_TOL = 1e-4


def atom_support(
    boxes: Sequence[Box], tables: Sequence[AtomTable], n: int, beta: float,
    rel_tol: float = SUPPORT_TOL,
) -> np.ndarray:
    """Voxels of the ``n³`` grid where any atom of any table reaches ``rel_tol`` of its peak.

    Item ``k``'s atoms are placed on the grid of ``boxes[k]``; all boxes share one grid in
    the network frame, so the union is taken voxel by voxel. Each atom reaches
    ``r · sqrt(ln(1 / rel_tol) / β)`` plus half a voxel diagonal.
    """
    mask = np.zeros((n, n, n), dtype=bool)
    reach_factor = math.sqrt(math.log(1.0 / rel_tol) / beta)
    for box, tab in zip(boxes, tables, strict=True):
        o, h = box.origin(n), box.spacing(n)
        keep = tab.weight != 0
        xyz, reach = tab.xyz[keep], tab.radius[keep] * reach_factor + h * math.sqrt(3) / 2
        for p, r in zip(xyz, reach, strict=True):
            lo = np.maximum(np.ceil((p - r - o) / h).astype(int), 0)
            hi = np.minimum(np.floor((p + r - o) / h).astype(int) + 1, n)
            if (hi <= lo).any():
                continue
            ax = [o[d] + h * np.arange(lo[d], hi[d]) - p[d] for d in range(3)]
            d2 = ax[0][:, None, None] ** 2 + ax[1][None, :, None] ** 2 + ax[2][None, None] ** 2
            mask[lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]] |= d2 <= r * r
    return mask


__all__ = ["SUPPORT_TOL", "atom_support"]
