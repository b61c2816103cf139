"""The latent map's data (Qt-free): 2D embeddings of the dataset's latents (PCA, UMAP),
properties to colour by, and decoding one point into field and atom layers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MolfieldError
from .encoding import (
    HALLUCINATION_PEAK,
    model_box_field,
    resolve_model,
    subset_channels,
)

if TYPE_CHECKING:
    from ..autoencoder.model import AEModel

#: Properties offered first, in this order, when the dataset has them.
PREFERRED = ("dG_hyd", "MolMR", "ExactMolWt", "TPSA", "MolLogP", "NumRotatableBonds")
LABELS = {"dG_hyd": "hydration free energy (kcal/mol)", "dG_calc": "calculated ΔG (kcal/mol)",
          "ExactMolWt": "exact mol. weight (Da)", "TPSA": "TPSA (Å²)",
          "MolMR": "molar refractivity", "MolLogP": "logP (Crippen)",
          "NumRotatableBonds": "rotatable bonds", "split": "split (0 train, 1 val, 2 test)"}


def umap_available() -> bool:
    """Whether UMAP can be offered."""
    try:
        import umap  # noqa: F401
    except Exception:
        return False
    return True


@dataclass
class Embedding:
    """2D coordinates of the dataset latents and the map for new latents."""

    method: str
    xy: np.ndarray
    project: Callable[[np.ndarray], np.ndarray]
    axis_labels: tuple[str, str]


def pca_embedding(latents: np.ndarray) -> Embedding:
    """The first two principal components (numpy SVD of the centred latents)."""
    x = np.asarray(latents, dtype=np.float64)
    mean = x.mean(axis=0)
    _, s, vt = np.linalg.svd(x - mean, full_matrices=False)
    comps = vt[:2]
    if comps.shape[0] < 2:  # a single latent dimension: pad with zeros
        comps = np.vstack([comps, np.zeros_like(comps)])[:2]
    var = s**2 / max((s**2).sum(), 1e-30)
    var = np.concatenate([var, [0.0, 0.0]])

    def project(z: np.ndarray) -> np.ndarray:
        return (np.atleast_2d(np.asarray(z, dtype=np.float64)) - mean) @ comps.T

    return Embedding("PCA", project(x), project,
                     (f"PC1 ({100 * var[0]:.3g} % of variance)", f"PC2 ({100 * var[1]:.2g} %)"))


def umap_embedding(latents: np.ndarray, seed: int = 0) -> Embedding:
    """A 2D UMAP of the latents (needs the ``umap-learn`` package)."""
    import umap

    reducer = umap.UMAP(n_components=2, random_state=seed,
                        n_neighbors=min(15, max(2, len(latents) - 1)))
    xy = reducer.fit_transform(np.asarray(latents, dtype=np.float32))

    def project(z: np.ndarray) -> np.ndarray:
        return reducer.transform(np.atleast_2d(np.asarray(z, dtype=np.float32)))

    return Embedding("UMAP", np.asarray(xy, dtype=np.float64), project, ("UMAP 1", "UMAP 2"))


@dataclass
class MapData:
    """What the loading job hands back: the dataset, its latents and their embedding."""

    model: AEModel
    model_label: str
    names: list[str]
    smiles: list[str]
    latents: np.ndarray
    properties: dict[str, np.ndarray]
    embedding: Embedding


def load_map(path: str | None, method: str) -> MapData:
    """Dataset latents and properties of the model, embedded in 2D (worker thread)."""
    from ..autoencoder.latents import dataset_latents

    model, label = resolve_model(path)
    names, smiles, latents, props = dataset_latents(model)
    if len(names) < 2:
        raise MolfieldError("The model's dataset holds fewer than two molecules.")
    emb = umap_embedding(latents) if method == "UMAP" else pca_embedding(latents)
    return MapData(model, label, names, smiles, latents, props, emb)


@dataclass
class DecodedItem:
    """A dataset molecule decoded from its stored latent (worker result)."""

    index: int
    field: Any
    molecule: Any | None
    note: str


def decode_item(model: AEModel, index: int, latent: np.ndarray, name: str, smiles: str,
                resolution: int) -> DecodedItem:
    """Decode dataset molecule ``index`` in the frame of its own conformer (worker thread).

    The SMILES is embedded as in training (cached, the model's seed), so the decoded field
    sits on the atoms, in Eq. 1 units; if that fails the field is decoded normalised in a
    box centred at the origin.
    """
    from ..autoencoder.conformers import cached_conformer
    from ..autoencoder.encode import decode_latent
    from ..autoencoder.placement import decode_placed, placement
    try:
        mol = cached_conformer(smiles, name=name, seed=model.conformer_seed)
        mol.name = name
        _, scale, occupied, _ = model_box_field(model, mol, 4)
    except MolfieldError as exc:
        f = decode_latent(model, latent, resolution)
        keep = [c for c in range(len(f.channels)) if f.values[c].max() > HALLUCINATION_PEAK]
        return DecodedItem(index, subset_channels(f, keep or list(range(len(f.channels)))),
                           None, f"normalised, box at the origin: {exc}")
    f = decode_placed(model, latent, placement(model, mol), resolution)
    keep = [c for c in range(len(f.channels))
            if occupied[c] or f.values[c].max() > HALLUCINATION_PEAK * scale[c]]
    return DecodedItem(index, subset_channels(f, keep), mol, "on its conformer")


def property_order(props: dict[str, np.ndarray]) -> list[str]:
    """Property names: hydration free energy and RDKit descriptors first, then the rest."""
    first = [k for k in PREFERRED if k in props]
    return first + sorted(k for k in props if k not in first)


# ------------------------------------------------------------------ navigating the map


def latents_at(xy: np.ndarray, emb_xy: np.ndarray, latents: np.ndarray, k: int = 5
               ) -> np.ndarray:
    """Latents ``[P, L]`` for map points ``xy`` ``[P, 2]``: the inverse-distance weighted
    mean of the ``k`` dataset latents nearest on the map (works for PCA and UMAP alike;
    a click on a molecule gives that molecule's latent)."""
    pts = np.atleast_2d(np.asarray(xy, dtype=np.float64))
    d = np.linalg.norm(emb_xy[None, :, :] - pts[:, None, :], axis=2)  # [P, M]
    k = min(int(k), len(emb_xy))
    near = np.argsort(d, axis=1)[:, :k]
    dn = np.take_along_axis(d, near, axis=1)
    w = 1.0 / np.maximum(dn, 1e-9) ** 2
    w /= w.sum(axis=1, keepdims=True)
    return np.einsum("pk,pkl->pl", w, np.asarray(latents, np.float64)[near]).astype(np.float32)


def graph_path(latents: np.ndarray, start: int, end: int, k: int = 10) -> list[int]:
    """The shortest path from dataset item ``start`` to ``end`` on the symmetric
    ``k``-nearest-neighbour graph of the latents (Euclidean edge lengths): a way from one
    molecule to another that stays among real molecules.

    Raises
    ------
    MolfieldError
        When the two items are not connected in the graph.
    """
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import dijkstra

    z = np.asarray(latents, dtype=np.float64)
    m = len(z)
    k = min(int(k), m - 1)
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
        raise MolfieldError(f"No path between the two molecules on the {k}-neighbour graph.")
    path = [int(end)]
    while path[-1] != int(start):
        path.append(int(pred[path[-1]]))
    return path[::-1]


def straight_line(a: np.ndarray, b: np.ndarray, n: int = 16) -> np.ndarray:
    """``[n, L]`` latents on the straight line from ``a`` to ``b``."""
    t = np.linspace(0.0, 1.0, int(n))[:, None]
    return ((1 - t) * np.asarray(a, np.float64) + t * np.asarray(b, np.float64)).astype(
        np.float32)


def representatives(latents: np.ndarray, k: int, seed: int = 0) -> list[int]:
    """Indices of ``k`` dataset items that represent the latent space: the item nearest
    to each k-means centroid (``scipy.cluster.vq.kmeans2``, k-means++, seeded), ordered
    by cluster size, largest first."""
    from scipy.cluster.vq import kmeans2

    z = np.asarray(latents, dtype=np.float64)
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


@dataclass
class Library:
    """A user's molecule file encoded with the map's model (worker result)."""

    path: str
    names: list[str]
    smiles: list[str]
    latents: np.ndarray
    problems: list[str]


def encode_library(model: AEModel, path: str) -> Library:
    """Encode every usable molecule of an SDF / SMILES / CSV file (worker thread).

    Raises
    ------
    MolfieldError
        For an unreadable file or one without any usable molecule.
    """
    import warnings
    from pathlib import Path

    from ..autoencoder.encode import encode_molecules, molecules_from

    mols, problems = molecules_from([path], model)
    if not mols:
        why = "; ".join(str(p) for p in problems[:3])
        raise MolfieldError(f"{Path(path).name}: no molecule could be encoded ({why}).")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # notes are reported with the problems
        z = encode_molecules(model, mols)
    return Library(str(path), [m.name for m in mols], [m.smiles or "" for m in mols], z,
                   [str(p) for p in problems])


@dataclass
class PathMovie:
    """Frames decoded along a latent path (worker result)."""

    values: np.ndarray  # [T, C, N, N, N] normalised
    channels: tuple[str, ...]
    box: Any
    movie: str | None
    label: str


def decode_path(model: AEModel, keys: np.ndarray, n_frames: int, resolution: int,
                movie: str | None = None, label: str = "path") -> PathMovie:
    """Decode ``n_frames`` along the key latents ``[K, L]`` (an `Interpolator` in the
    model's frame, box at the origin); write a GIF/MP4 of MIPs to ``movie`` if given."""
    from ..interpolate import Interpolator
    from ..latent_paths import frame_times

    it = Interpolator.from_autoencoder(model, np.asarray(keys, np.float32), int(resolution))
    vals = np.stack([it.values(float(t)).copy() for t in frame_times(int(n_frames))])
    written = None
    if movie:
        from ..movie import channel_colours, render_mip, write_movie

        colours = channel_colours(model.channels)
        written = str(write_movie((render_mip(v, colours) for v in vals), movie))
    return PathMovie(vals.astype(np.float32), tuple(model.channels), it.box(0.0), written,
                     label)
