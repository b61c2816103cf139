"""2D maps of latents ``[M, L]``: PCA (numpy SVD) always, UMAP when ``umap-learn`` is
installed. An `Embedding` holds the map and projects new latents onto it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .navigation import graph_path, latents_at, representatives

#: Embedding methods `latent_map` knows (UMAP needs the ``umap-learn`` package).
METHODS = ("PCA", "UMAP")


def umap_available() -> bool:
    """Whether UMAP can be offered (``umap-learn`` imports)."""
    try:
        import umap  # noqa: F401
    except Exception:
        return False
    return True


@dataclass
class Embedding:
    """2D coordinates of latents and the map for new latents.

    Attributes
    ----------
    method
        ``"PCA"`` or ``"UMAP"``.
    xy
        ``[M, 2]`` map coordinates of the latents.
    project
        ``[P, L]`` (or ``[L]``) latents → ``[P, 2]`` map coordinates.
    axis_labels
        The two axes' labels (PCA: with the share of variance).
    latents
        The ``[M, L]`` latents that were embedded (float64).
    """

    method: str
    xy: np.ndarray
    project: Callable[[np.ndarray], np.ndarray]
    axis_labels: tuple[str, str]
    latents: np.ndarray

    def latents_at(self, xy: np.ndarray | Sequence[Sequence[float]], k: int = 5
                   ) -> np.ndarray:
        """Latents ``[P, L]`` under map points ``xy`` ``[P, 2]`` (`navigation.latents_at`)."""
        return latents_at(xy, self.xy, self.latents, k)

    def graph_path(self, start: int, end: int, k: int = 10) -> list[int]:
        """Items from ``start`` to ``end`` through the data (`navigation.graph_path`)."""
        return graph_path(self.latents, start, end, k)

    def representatives(self, k: int, seed: int = 0) -> list[int]:
        """``k`` items nearest the k-means centroids (`navigation.representatives`)."""
        return representatives(self.latents, k, seed)


def _latent_array(latents: Any) -> np.ndarray:
    """``latents`` (an array or a torch tensor) as float64 ``[M, L]``, ``M ≥ 2``."""
    if hasattr(latents, "detach"):  # a torch tensor, without importing torch
        latents = latents.detach().cpu().numpy()
    z = np.asarray(latents, dtype=np.float64)
    if z.ndim != 2 or len(z) < 2 or not np.isfinite(z).all():
        raise MolfieldError(f"A latent map needs finite latents [M, L] with M ≥ 2, got "
                            f"shape {list(z.shape)}.")
    return z


def principal_axes(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean ``[L]``, principal axes ``[K, L]`` and singular values ``[K]`` of ``x``
    ``[M, L]`` (``K = min(M, L)``). Wide latents (an atom-slot latent has 53,248 values)
    go through the ``M × M`` Gram matrix: the same axes, a fraction of the work."""
    mean = x.mean(axis=0)
    xc = x - mean
    if x.shape[1] <= 4 * x.shape[0]:
        _, s, vt = np.linalg.svd(xc, full_matrices=False)
        return mean, vt, s
    w, u = np.linalg.eigh(xc @ xc.T)
    order = np.argsort(w)[::-1]
    s = np.sqrt(np.clip(w[order], 0.0, None))
    keep = s > s[0] * 1e-9 if len(s) and s[0] > 0 else np.zeros(len(s), bool)
    vt = (u[:, order[keep]].T @ xc) / s[keep, None]
    return mean, vt, s[keep]


def pca_embedding(latents: Any) -> Embedding:
    """The first two principal components of the centred latents."""
    x = _latent_array(latents)
    mean, vt, s = principal_axes(x)
    comps = vt[:2]
    if comps.shape[0] < 2:  # a single latent dimension: pad with zeros
        comps = np.vstack([comps, np.zeros_like(comps)])[:2]
    var = s**2 / max((s**2).sum(), 1e-30)
    var = np.concatenate([var, [0.0, 0.0]])

    def project(z: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(np.asarray(z, dtype=np.float64)) - mean) @ comps.T

    return Embedding("PCA", project(x), project,
                     (f"PC1 ({100 * var[0]:.3g} % of variance)", f"PC2 ({100 * var[1]:.2g} %)"),
                     x)


def umap_embedding(latents: Any, seed: int = 0) -> Embedding:
    """A 2D UMAP of the latents (needs the ``umap-learn`` package).

    Raises
    ------
    MolfieldError
        When ``umap-learn`` is not installed.
    """
    x = _latent_array(latents)
    if not umap_available():
        raise MolfieldError("A UMAP needs umap-learn: pip install umap-learn (or use PCA).")
    import umap

    # wide latents: UMAP on their first 50 principal components (distances kept to the
    # variance those hold), not on tens of thousands of values
    mean, vt, _ = principal_axes(x) if x.shape[1] > 64 else (np.zeros(x.shape[1]), None, None)
    basis = vt[:50] if vt is not None else None

    def reduce(z: np.ndarray) -> np.ndarray:
        z = np.atleast_2d(np.asarray(z, dtype=np.float64))
        return (z if basis is None else (z - mean) @ basis.T).astype(np.float32)

    reducer = umap.UMAP(n_components=2, random_state=seed,
                        n_neighbors=min(15, max(2, len(x) - 1)))
    xy = reducer.fit_transform(reduce(x))

    def project(z: np.ndarray) -> np.ndarray:
        return np.asarray(reducer.transform(reduce(z)), dtype=np.float64)

    return Embedding("UMAP", np.asarray(xy, dtype=np.float64), project, ("UMAP 1", "UMAP 2"),
                     x)


def latent_map(latents: Any, method: str = "pca", seed: int = 0) -> Embedding:
    """The 2D map of latents ``[M, L]`` (an array or a torch tensor).

    Parameters
    ----------
    latents
        E.g. ``model.latents`` of an auto-decoder or a deformable model, or the dataset
        latents of an auto-encoder (`autoencoder.latents.dataset_latents`).
    method
        ``"pca"`` or ``"umap"`` (any case).
    seed
        UMAP's random state.
    """
    name = str(method).upper()
    if name not in METHODS:
        raise MolfieldError(f"Unknown embedding {method!r}: use pca or umap.")
    return umap_embedding(latents, seed) if name == "UMAP" else pca_embedding(latents)


__all__ = ["METHODS", "Embedding", "latent_map", "pca_embedding", "principal_axes",
           "umap_available",
           "umap_embedding"]
