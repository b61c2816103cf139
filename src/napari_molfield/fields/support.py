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
    from scipy.spatial import cKDTree

    mask = np.zeros(n**3, dtype=bool)
    reach_factor = math.sqrt(math.log(1.0 / rel_tol) / beta)
    trees: dict[tuple, cKDTree] = {}  # one tree of voxel centres per distinct grid
    for box, tab in zip(boxes, tables, strict=True):
        o, h = box.origin(n), box.spacing(n)
        keep = tab.weight != 0
        if not keep.any():
            continue
        xyz, reach = tab.xyz[keep], tab.radius[keep] * reach_factor + h * math.sqrt(3) / 2
        grid = (*np.round(o, 9), round(float(h), 9))
        if grid not in trees:
            axis = np.arange(n, dtype=np.float64)
            centres = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), -1).reshape(-1, 3)
            trees[grid] = cKDTree(o + h * centres)
        hits = trees[grid].query_ball_point(xyz, reach, return_sorted=False)
        if len(hits):
            mask[np.concatenate([np.asarray(k, dtype=np.intp) for k in hits])] = True
    return mask.reshape(n, n, n)


__all__ = ["SUPPORT_TOL", "atom_support"]
