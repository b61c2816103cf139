"""States of a landscape: k-means clusters of the latents with their representative item,
and the density of items on the map as a free-energy-like surface ``−kT ln p``."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import MolfieldError


@dataclass(frozen=True)
class States:
    """k-means states of the latents.

    Attributes
    ----------
    labels
        ``[M]`` state of every item (0 = the most populated state).
    representatives
        ``[k]`` item nearest each state's centroid (in latent space), state order.
    sizes
        ``[k]`` items per state.
    """

    labels: np.ndarray
    representatives: np.ndarray
    sizes: np.ndarray


def kmeans_states(latents: np.ndarray, k: int, seed: int = 0) -> States:
    """``k`` k-means states of ``latents`` ``[M, L]`` (``scipy.cluster.vq.kmeans2``,
    k-means++, seeded), numbered by population, largest first; each state's representative
    is its member nearest the centroid."""
    from scipy.cluster.vq import kmeans2

    z = np.asarray(latents, dtype=np.float64)
    if z.ndim != 2 or len(z) < 1 or not np.isfinite(z).all():
        raise MolfieldError(f"States need finite latents [M, L], got shape {list(z.shape)}.")
    if isinstance(k, bool) or int(k) < 1:
        raise MolfieldError(f"The number of states must be ≥ 1, got {k}.")
    k = min(int(k), len(z))
    centroids, raw = kmeans2(z, k, minit="++", seed=int(seed))
    used = [c for c in np.argsort(-np.bincount(raw, minlength=k), kind="stable")
            if np.any(raw == c)]  # an empty cluster is dropped
    labels = np.empty(len(z), np.int64)
    reps, sizes = [], []
    for new, c in enumerate(used):
        members = np.flatnonzero(raw == c)
        labels[members] = new
        d = np.linalg.norm(z[members] - centroids[c], axis=1)
        reps.append(int(members[np.argmin(d)]))
        sizes.append(len(members))
    return States(labels, np.array(reps, np.int64), np.array(sizes, np.int64))


@dataclass(frozen=True)
class Density:
    """``−kT ln p`` of the items on the map (kT units, minimum 0) on a regular grid.

    Attributes
    ----------
    x, y
        ``[G]`` grid coordinates (map units).
    free_energy
        ``[G, G]`` values, indexed ``[iy, ix]`` (NaN where the density is negligible).
    """

    x: np.ndarray
    y: np.ndarray
    free_energy: np.ndarray


#: Where ``p`` is below this share of its maximum the surface is left empty.
DENSITY_FLOOR = 1e-3


def map_density(xy: np.ndarray, bins: int = 64, margin: float = 0.1) -> Density:
    """The density of map points ``xy`` ``[M, 2]`` (Gaussian kernel estimate, Scott's
    bandwidth) as ``−ln p`` on a ``bins × bins`` grid over their extent plus ``margin``."""
    from scipy.stats import gaussian_kde

    pts = np.asarray(xy, dtype=np.float64)
    if pts.ndim != 2 or pts.shape[1] != 2 or len(pts) < 3:
        raise MolfieldError("A density needs at least three map points [M, 2].")
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    pad = (hi - lo) * margin + 1e-9
    x = np.linspace(lo[0] - pad[0], hi[0] + pad[0], int(bins))
    y = np.linspace(lo[1] - pad[1], hi[1] + pad[1], int(bins))
    gx, gy = np.meshgrid(x, y)
    try:
        p = gaussian_kde(pts.T)(np.vstack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
    except np.linalg.LinAlgError:  # points on a line: no 2D density
        raise MolfieldError("The map points lie on a line: no 2D density.") from None
    p = p / p.max()
    with np.errstate(divide="ignore"):
        f = np.where(p > DENSITY_FLOOR, -np.log(p), np.nan)
    return Density(x, y, f)


__all__ = ["DENSITY_FLOOR", "Density", "States", "kmeans_states", "map_density"]
