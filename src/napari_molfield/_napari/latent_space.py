"""The Latent map widget's jobs (Qt-free, run in its workers): the dataset's latents
and their map, decoding one point into field and atom layers, a user's library encoded
onto the map, frames along a path. The map itself is `landscape` (core)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import MolfieldError
from ..landscape.embedding import Embedding, latent_map
from .encoding import (
    HALLUCINATION_PEAK,
    model_box_field,
    resolve_model,
    subset_channels,
)

if TYPE_CHECKING:
    from ..autoencoder.model import AEModel


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
    return MapData(model, label, names, smiles, latents, props, latent_map(latents, method))


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
    keys: np.ndarray | None = None  # [K, L] the path's key latents


def decode_path(model: AEModel, keys: np.ndarray, n_frames: int, resolution: int,
                movie: str | None = None, label: str = "path") -> PathMovie:
    """Decode ``n_frames`` along the key latents ``[K, L]`` (the auto-encoder's
    interpolator: box at the origin); write a GIF/MP4 of MIPs to ``movie`` if given."""
    from ..autoencoder.interpolate import interpolator

    it = interpolator(model, np.asarray(keys, np.float32), int(resolution))
    vals = it.arrays(int(n_frames))["values"]
    written = None
    if movie:
        from ..interpolation.movie import channel_colours, render_mip, write_movie

        colours = channel_colours(model.channels)
        written = str(write_movie((render_mip(v, colours) for v in vals), movie))
    return PathMovie(vals.astype(np.float32), tuple(model.channels), it.box(0.0), written,
                     label, np.asarray(keys, np.float32))
