"""`Box`: the cubic frame that decides every grid of a molecule."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MolfieldError


@dataclass(frozen=True)
class Box:
    """A cube in Å, sampled with voxel-centred grids at any resolution.

    A grid of ``N`` voxels per edge has spacing ``h = edge / N`` and voxel ``(i, j, k)``
    centred at ``lower + h * (i + 1/2, j + 1/2, k + 1/2)``, so grids of different ``N``
    cover the same cube and sample the same function at finer points.

    Parameters
    ----------
    centre
        ``(x, y, z)`` of the cube centre, Å.
    edge
        Edge length, Å.
    """

    centre: tuple[float, float, float]
    edge: float

    def __post_init__(self) -> None:
        c = tuple(float(v) for v in np.asarray(self.centre, dtype=float).reshape(3))
        object.__setattr__(self, "centre", c)
        object.__setattr__(self, "edge", float(self.edge))
        if not (np.isfinite(self.edge) and self.edge > 0) or not np.isfinite(c).all():
            raise MolfieldError(f"A box needs a finite positive edge, got {self.edge}.")

    @classmethod
    def around(cls, coords: np.ndarray, padding: float = 4.0, edge: float | None = None) -> Box:
        """The cube around all ``coords`` (``[..., 3]``, every conformer) plus ``padding`` Å.

        With ``edge`` given, the cube has that edge and is centred on the coordinates
        (used to give many small molecules one shared box size).
        """
        xyz = np.asarray(coords, dtype=float).reshape(-1, 3)
        lo, hi = xyz.min(axis=0), xyz.max(axis=0)
        centre = (lo + hi) / 2
        need = float((hi - lo).max() + 2 * padding)
        return cls(tuple(centre), need if edge is None else float(edge))

    @property
    def lower(self) -> np.ndarray:
        """The corner with the smallest coordinates, Å."""
        return np.asarray(self.centre) - self.edge / 2

    def spacing(self, n: int) -> float:
        """Voxel size in Å of the ``n``-voxel grid."""
        return self.edge / int(n)

    def origin(self, n: int) -> np.ndarray:
        """Centre of voxel ``(0, 0, 0)`` of the ``n``-voxel grid, Å."""
        return self.lower + self.spacing(n) / 2

    def axes(self, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Voxel-centre coordinates along x, y and z, Å."""
        o, h = self.origin(n), self.spacing(n)
        return (o[0] + h * np.arange(n), o[1] + h * np.arange(n), o[2] + h * np.arange(n))

    def grid_points(self, n: int) -> np.ndarray:
        """``[n, n, n, 3]`` voxel centres in Å, indexed ``(i, j, k)`` along ``(x, y, z)``."""
        x, y, z = self.axes(n)
        return np.stack(np.meshgrid(x, y, z, indexing="ij"), axis=-1)

    def to_unit(self, points: np.ndarray) -> np.ndarray:
        """Map Å coordinates to the network frame: the box becomes ``[-1, 1]³``."""
        return (np.asarray(points) - np.asarray(self.centre)) / (self.edge / 2)

    def from_unit(self, points: np.ndarray) -> np.ndarray:
        """Inverse of :meth:`to_unit`."""
        return np.asarray(points) * (self.edge / 2) + np.asarray(self.centre)

    def contains(self, coords: np.ndarray) -> bool:
        """Whether every coordinate lies inside the cube."""
        u = self.to_unit(np.asarray(coords, dtype=float).reshape(-1, 3))
        return bool((np.abs(u) <= 1).all())

    def to_dict(self) -> dict:
        """JSON-friendly form."""
        return {"centre": list(self.centre), "edge": self.edge}

    @classmethod
    def from_dict(cls, d: dict) -> Box:
        """Inverse of :meth:`to_dict`."""
        return cls(tuple(d["centre"]), d["edge"])


def unit_grid(resolution: int) -> np.ndarray:
    """``[N³, 3]`` voxel centres of the ``N`` grid in the network frame ``[-1, 1]³``.

    Row ``(i·N + j)·N + k`` is voxel ``(i, j, k)``; every `Box` maps its own ``N`` grid
    onto these points (`Box.to_unit`).
    """
    ax = (np.arange(int(resolution), dtype=np.float64) + 0.5) * (2.0 / int(resolution)) - 1.0
    return np.stack(np.meshgrid(ax, ax, ax, indexing="ij"), axis=-1).reshape(-1, 3)

