"""The Landscape widget's jobs (Qt-free, run in its workers): a fitted model's landscape,
the field and atoms of any point on it, a path through the frames as a movie and a
multi-model PDB, and the states' representative frames as PDB files."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import models
from ..chem.molecule import Molecule
from ..errors import MolfieldError
from ..landscape.landscape import Landscape, build_landscape, write_states


def model_landscape(model: Any, method: str = "pca", colour: str = "frame",
                    reference: int = 0, csv_path: str | None = None,
                    n_states: int = 0) -> Landscape:
    """`build_landscape` of a model's latents (worker thread)."""
    if models.kind_of(model) == models.AUTOENCODER:
        raise MolfieldError("An auto-encoder's latents are mapped by the Latent map widget.")
    if model.n_items < 3:
        raise MolfieldError(f"A landscape needs at least three items; the model has "
                            f"{model.n_items}.")
    return build_landscape(models.latents(model), model.item_names,
                           coords=models.item_coords(model), method=method, colour=colour,
                           reference=reference, csv_path=csv_path or None,
                           n_states=n_states, held_out=models.held_out(model))


@dataclass
class PointDecode:
    """A point of the landscape decoded (worker result)."""

    label: str
    item: int
    field: Any
    molecule: Molecule | None
    seconds: float


def decode_point(model: Any, item: int, latent: np.ndarray, resolution: int, label: str,
                 with_atoms: bool = True) -> PointDecode:
    """The field at ``resolution³`` and the atoms of ``latent`` (in ``item``'s box).

    A deformable model carries its atoms by its displacement (milliseconds: Newton steps
    from ``item``'s own atoms); an auto-decoder's atoms are recovered from the network with
    the item's channel scales (seconds), only with ``with_atoms``.
    """
    t0 = time.perf_counter()
    field = models.decode(model, item, int(resolution), latent=latent)
    mol = None
    if with_atoms:
        if models.kind_of(model) == models.DEFORMABLE:
            mol = frame_molecule(model, latent, label, start=model.coords[int(item)])
        else:
            mol = models.atoms(model, item, int(resolution), latent=latent).to_molecule(label)
    return PointDecode(label, item, field, mol, time.perf_counter() - t0)


def frame_molecule(model: Any, latent: np.ndarray, label: str,
                   start: np.ndarray | None = None) -> Molecule:
    """A deformable model's atoms at ``latent`` as a `Molecule` (its annotations); Newton
    steps from ``start`` (Å, e.g. the nearest frame's atoms) when given."""
    from ..deform.decode import atoms_at

    xyz = atoms_at(model, latent, start=start)
    full = model.molecule()
    one = full.conformer(0)
    one.coords = np.asarray(xyz, dtype=np.float64)[None]
    one.name = label
    return one


@dataclass
class PathResult:
    """Frames decoded along a path through the data (worker result)."""

    items: list[int]
    values: np.ndarray  # [T, C, N, N, N] normalised
    channels: tuple[str, ...]
    box: Any
    pdb: str | None
    movie: str | None


def decode_path(model: Any, items: list[int], n_frames: int, resolution: int,
                pdb: str | None = None, movie: str | None = None) -> PathResult:
    """Decode ``n_frames`` along the latents of ``items`` (in order); write the atoms of
    every frame as a multi-model PDB (deformable models) and a GIF/MP4 of projections."""
    if len(items) < 2:
        raise MolfieldError("A path needs at least two frames.")
    if pdb and models.kind_of(model) != models.DEFORMABLE:
        raise MolfieldError("Only a deformable model moves its atoms along a path: leave "
                            "the PDB file empty.")
    it = models.interpolator(model, [int(i) for i in items], int(resolution))
    vals = it.arrays(int(n_frames))["values"].astype(np.float32)
    written_pdb = str(it.write_atoms(pdb, int(n_frames))) if pdb else None
    written = None
    if movie:
        from ..interpolation.movie import channel_colours, render_mip, write_movie

        colours = channel_colours(model.channels)
        written = str(write_movie((render_mip(v, colours) for v in vals), movie))
    return PathResult(list(items), vals, tuple(model.channels), it.box(0.0), written_pdb,
                      written)


def save_states(model: Any, ls: Landscape, folder: str) -> list[Path]:
    """Each state's representative frame (its own input atoms) as ``state_K.pdb``."""
    return write_states(ls, models.item_coords(model), getattr(model, "atoms", None), folder)


__all__ = ["PathResult", "PointDecode", "decode_path", "decode_point",
           "frame_molecule", "model_landscape", "save_states"]
