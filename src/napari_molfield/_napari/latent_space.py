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
    from ...autoencoder.latents import dataset_latents

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
    from ...autoencoder.conformers import cached_conformer
    from ...autoencoder.encode import decode_latent
    try:
        mol = cached_conformer(smiles, name=name, seed=model.conformer_seed)
        mol.name = name
        truth, scale, occupied, _ = model_box_field(model, mol, 4)
    except MolfieldError as exc:
        f = decode_latent(model, latent, resolution)
        keep = [c for c in range(len(f.channels)) if f.values[c].max() > HALLUCINATION_PEAK]
        return DecodedItem(index, subset_channels(f, keep or list(range(len(f.channels)))),
                           None, f"normalised, box at the origin: {exc}")
    f = decode_latent(model, latent, resolution, centre=truth.box.centre, scale=scale)
    keep = [c for c in range(len(f.channels))
            if occupied[c] or f.values[c].max() > HALLUCINATION_PEAK * scale[c]]
    return DecodedItem(index, subset_channels(f, keep), mol, "on its conformer")


def property_order(props: dict[str, np.ndarray]) -> list[str]:
    """Property names: hydration free energy and RDKit descriptors first, then the rest."""
    first = [k for k in PREFERRED if k in props]
    return first + sorted(k for k in props if k not in first)
