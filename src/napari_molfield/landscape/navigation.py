"""Ways through a set of latents ``[M, L]``: map points to latents, shortest paths that
stay among the data, straight lines, and k-means representatives."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..errors import MolfieldError


def latents_at(xy: np.ndarray | Sequence[Sequence[float]], emb_xy: np.ndarray,
               latents: np.ndarray, k: int = 5) -> np.ndarray:
    """Latents ``[P, L]`` (float32) for map points ``xy`` ``[P, 2]``.

    The inverse-square-distance weighted mean of the ``k`` latents nearest on the map
    ``emb_xy`` ``[M, 2]`` (works for PCA and UMAP alike; a point on an item gives that
    item's latent).
    """
    pts = np.atleast_2d(np.asarray(xy, dtype=np.float64))
    emb = np.asarray(emb_xy, dtype=np.float64)
    z = np.asarray(latents, dtype=np.float64)
    if pts.shape[-1] != 2 or emb.ndim != 2 or emb.shape[1] != 2 or len(emb) != len(z):
        raise MolfieldError("Map points and the map must be [P, 2] and [M, 2], one map "
                            "point per latent.")
    d = np.linalg.norm(emb[None, :, :] - pts[:, None, :], axis=2)  # [P, M]
    k = max(1, min(int(k), len(emb)))
    near = np.argsort(d, axis=1)[:, :k]
    dn = np.take_along_axis(d, near, axis=1)
    w = 1.0 / np.maximum(dn, 1e-9) ** 2
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("pk,pkl->pl", w, z[near]).astype(np.float32)


def graph_path(latents: np.ndarray, start: int, end: int, k: int = 10) -> list[int]:
    """The shortest path from item ``start`` to ``end`` on the symmetric ``k``-nearest-
    neighbour graph of the latents (Euclidean edge lengths): a way from one item to
    another that stays among real items.

    Raises
    ------
    MolfieldError
        For an item that does not exist, or two items not connected in the graph.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    z = np.asarray(latents, dtype=np.float64)
    m = len(z)
    if m < 2 or not (0 <= int(start) < m and 0 <= int(end) < m):
        raise MolfieldError(f"Items {start} and {end} must be between 0 and {m - 1} "
                            "(at least two latents).")
    k = max(1, min(int(k), m - 1))
    sq = (z**2).sum(axis=1)
    d2 = np.maximum(sq[:, None] + sq[None, :] - 2 * z @ z.T, 0.0)
    np.fill_diagonal(d2, np.inf)
    nbr = np.argpartition(d2, k - 1, axis=1)[:, :k]
    rows = np.repeat(np.arange(m), k)
    cols = nbr.ravel()
    w = np.sqrt(d2[rows, cols]) + 1e-12
    g = coo_matrix((np.concatenate([w, w]), (np.concatenate([rows, cols]),
                                             np.concatenate([cols, rows]))), shape=(m, m))
    dist, pred = dijkstra(g.tocsr(), indices=int(start), return_predecessors=True)
    if not np.isfinite(dist[end]):
        raise MolfieldError(f"No path between items {start} and {end} on the {k}-neighbour "
                            "graph.")
    path = [int(end)]
    while path[-1] != int(start):
        path.append(int(pred[path[-1]]))
    return path[::-1]


def straight_line(a: np.ndarray, b: np.ndarray, n: int = 16) -> np.ndarray:
    """``[n, L]`` latents (float32) evenly spaced on the straight line from ``a`` to ``b``."""
    t = np.linspace(0.0, 1.0, max(2, int(n)))[:, None]
    return ((1 - t) * np.asarray(a, np.float64) + t * np.asarray(b, np.float64)).astype(
        np.float32)


def representatives(latents: np.ndarray, k: int, seed: int = 0) -> list[int]:
    """Indices of ``k`` items that represent the latents: the item nearest to each k-means
    centroid (``scipy.cluster.vq.kmeans2``, k-means++, seeded), ordered by cluster size,
    largest first (each item at most once)."""
    from scipy.cluster.vq import kmeans2

    z = np.asarray(latents, dtype=np.float64)
    if len(z) == 0:
        raise MolfieldError("No latents to choose representatives from.")
    k = max(1, min(int(k), len(z)))
    centroids, labels = kmeans2(z, k, minit="++", seed=int(seed))
    sizes = np.bincount(labels, minlength=k)
    out: list[int] = []
    for c in np.argsort(-sizes, kind="stable"):
        d = np.linalg.norm(z - centroids[c], axis=1)
        for i in np.argsort(d):
            if int(i) not in out:
                out.append(int(i))
                break
    return out


__all__ = ["graph_path", "latents_at", "representatives", "straight_line"]
