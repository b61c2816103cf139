"""A landscape: the 2D map of a model's latents with what a user reads off it — a
colouring per item, k-means states with their representatives, the density of items —
and its files (``.npz``, ``.csv``, ``.png``)::

    ls = build_landscape(z, names, coords=xyz, colour="rmsd", n_states=4)
    save_landscape(ls, "landscape.png")
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .embedding import Embedding, latent_map
from .frames import frame_values, names_of_frames
from .states import Density, States, kmeans_states, map_density

#: File kinds `save_landscape` writes.
LANDSCAPE_SUFFIXES = (".npz", ".csv", ".png")


@dataclass
class Landscape:
    """A model's latents on a map, ready to draw or save.

    Attributes
    ----------
    names, labels
        Item names and their short hover labels.
    embedding
        The `Embedding` (``xy``, ``project``, axis labels).
    colour, colour_label
        ``[M]`` values every item is coloured by and what they are.
    states
        k-means `States` or ``None``.
    density
        `Density` of the items on the map (``None`` for fewer than 3 items).
    held_out
        ``[M]`` whether an item was left out of the fit (its latent fitted afterwards).
    """

    names: list[str]
    labels: list[str]
    embedding: Embedding
    colour: np.ndarray
    colour_label: str
    states: States | None
    density: Density | None
    held_out: np.ndarray

    @property
    def xy(self) -> np.ndarray:
        """``[M, 2]`` map coordinates."""
        return self.embedding.xy


def build_landscape(latents: np.ndarray, names: Sequence[str], *,
                    coords: np.ndarray | None = None, method: str = "pca",
                    colour: str = "frame", reference: int = 0,
                    csv_path: str | Path | None = None, n_states: int = 0,
                    held_out: Sequence[int] = (), seed: int = 0) -> Landscape:
    """Embed ``latents`` ``[M, L]`` (PCA or UMAP) and colour, cluster and count them.

    ``coords`` ``[M, A, 3]`` (atoms of every item) allow the ``"rmsd"`` and ``"rg"``
    colourings (`frames.frame_values`); ``n_states`` > 0 adds k-means states.
    """
    z = np.asarray(latents, dtype=np.float64)
    if len(names) != len(z):
        raise MolfieldError(f"{len(names)} names for {len(z)} latents.")
    emb = latent_map(z, method, seed=seed)
    values, label = frame_values(colour, len(z), coords, reference, csv_path)
    states = kmeans_states(z, n_states, seed) if n_states else None
    try:
        density = map_density(emb.xy) if len(z) >= 3 else None
    except MolfieldError:
        density = None
    mask = np.zeros(len(z), bool)
    mask[list(held_out)] = True
    return Landscape(list(names), names_of_frames(names), emb, values, label, states,
                     density, mask)


def landscape_table(ls: Landscape) -> str:
    """The landscape as CSV text: one row per item (index, name, x, y, colour, state,
    representative, held_out)."""
    out = io.StringIO()
    w = csv.writer(out)
    col = ls.colour_label
    w.writerow(["index", "name", "x", "y", col, "state", "representative", "held_out"])
    reps = set() if ls.states is None else set(ls.states.representatives.tolist())
    for i, name in enumerate(ls.names):
        state = "" if ls.states is None else int(ls.states.labels[i])
        w.writerow([i, name, f"{ls.xy[i, 0]:.6g}", f"{ls.xy[i, 1]:.6g}",
                    f"{ls.colour[i]:.6g}", state, int(i in reps), int(ls.held_out[i])])
    return out.getvalue()


def save_landscape(ls: Landscape, path: str | Path, title: str = "") -> Path:
    """Write ``ls`` to ``path``: ``.npz`` (arrays), ``.csv`` (`landscape_table`) or
    ``.png`` (`plot.draw_landscape`, needs matplotlib); atomically."""
    from ..fields.io import atomic_write

    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in LANDSCAPE_SUFFIXES:
        raise MolfieldError(f"{p.name}: write a landscape as {', '.join(LANDSCAPE_SUFFIXES)}.")
    if not p.parent.is_dir():
        raise MolfieldError(f"{p.parent}: no such folder for the landscape.")
    if suffix == ".png":
        from .plot import draw_landscape

        png = draw_landscape(ls, title)

        def write_png(tmp: str) -> None:
            Path(tmp).write_bytes(png)

        atomic_write(p, write_png)
        return p
    if suffix == ".csv":
        text = landscape_table(ls)

        def write_csv(tmp: str) -> None:
            Path(tmp).write_text(text, encoding="utf-8")

        atomic_write(p, write_csv)
        return p
    arrays: dict[str, Any] = {
              "names": np.array(ls.names), "xy": ls.xy, "latents": ls.embedding.latents,
              "colour": ls.colour, "colour_label": np.array(ls.colour_label),
              "held_out": ls.held_out,
              "axis_labels": np.array(ls.embedding.axis_labels)}
    if ls.states is not None:
        arrays.update(states=ls.states.labels, representatives=ls.states.representatives)
    if ls.density is not None:
        arrays.update(density_x=ls.density.x, density_y=ls.density.y,
                      free_energy=ls.density.free_energy)

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    atomic_write(p, write)
    return p


def write_states(ls: Landscape, coords: np.ndarray | None, annotations: Any,
                 folder: str | Path) -> list[Path]:
    """Each state's representative item as ``folder/state_K.pdb``: its own atoms
    (``coords[i]``, the input frame, not a decode) with the per-atom ``annotations`` of a
    model of conformers of the same atoms (a `DeformModel`'s ``atoms``); atomically."""
    from ..chem.pdb_models import pdb_models_text
    from ..fields.io import atomic_write

    if ls.states is None:
        raise MolfieldError("The landscape has no states: ask for some (states > 0).")
    if coords is None or not isinstance(annotations, dict):
        raise MolfieldError("State PDB files need a model of conformers of the same atoms "
                            "(a deformable model of a trajectory or an ensemble).")
    out = Path(folder)
    if not out.is_dir():
        raise MolfieldError(f"{out}: no such folder for the state PDB files.")
    written = []
    for s, i in enumerate(ls.states.representatives):
        text = pdb_models_text(annotations, coords[int(i)], [ls.names[int(i)]])

        def write(tmp: str, t: str = text) -> None:
            Path(tmp).write_text(t, encoding="utf-8")

        path = out / f"state_{s}.pdb"
        atomic_write(path, write)
        written.append(path)
    return written


__all__ = ["LANDSCAPE_SUFFIXES", "Landscape", "build_landscape", "landscape_table",
           "save_landscape", "write_states"]
