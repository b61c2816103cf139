"""Per-frame values to colour a landscape by: the frame, RMSD to a chosen frame, radius of
gyration, or a column of the user's CSV. Numpy only; coordinates ``[K, A, 3]`` in Å."""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import MolfieldError


def _coords(coords: np.ndarray) -> np.ndarray:
    xyz = np.asarray(coords, dtype=np.float64)
    if xyz.ndim != 3 or xyz.shape[-1] != 3 or xyz.shape[1] == 0:
        raise MolfieldError(f"Frame coordinates must have shape [K, A, 3], got {xyz.shape}.")
    return xyz


def superposed_rmsd(coords: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """RMSD (Å) of every frame ``[K, A, 3]`` to ``reference`` ``[A, 3]`` after the optimal
    rigid superposition (Kabsch: centred, rotation from the SVD, no reflection)."""
    xyz = _coords(coords)
    ref = np.asarray(reference, dtype=np.float64)
    if ref.shape != xyz.shape[1:]:
        raise MolfieldError(f"The reference holds {ref.shape} coordinates, the frames "
                            f"{xyz.shape[1:]}.")
    p = xyz - xyz.mean(axis=1, keepdims=True)
    q = ref - ref.mean(axis=0)
    h = np.einsum("kai,aj->kij", p, q)  # [K, 3, 3] covariance
    u, _, vt = np.linalg.svd(h)
    d = np.sign(np.linalg.det(np.einsum("kij,kjl->kil", u, vt)))
    fix = np.ones((len(xyz), 3))
    fix[:, 2] = d
    rot = np.einsum("kij,kj,kjl->kil", u, fix, vt)  # p @ rot ≈ q
    moved = np.einsum("kai,kij->kaj", p, rot)
    return np.sqrt(np.mean(np.sum((moved - q) ** 2, axis=-1), axis=-1))


def radius_of_gyration(coords: np.ndarray) -> np.ndarray:
    """Radius of gyration (Å) of every frame, all atoms weighted equally."""
    xyz = _coords(coords)
    c = xyz - xyz.mean(axis=1, keepdims=True)
    return np.sqrt(np.mean(np.sum(c**2, axis=-1), axis=-1))


def csv_column(path: str | Path, column: str, n_frames: int) -> np.ndarray:
    """Column ``column`` of a CSV with a header row and one row per frame, as floats
    (empty or non-numeric cells become NaN).

    Raises
    ------
    MolfieldError
        For a missing file or column, or a row count that is not ``n_frames``.
    """
    p = Path(path)
    try:
        with open(p, newline="", encoding="utf-8-sig") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise MolfieldError(f"{p.name}: cannot read the CSV ({e}).") from None
    if not rows or column not in rows[0]:
        have = ", ".join(list(rows[0])[:8]) if rows else "no rows"
        raise MolfieldError(f"{p.name}: no column {column!r} (columns: {have}).")
    if len(rows) != n_frames:
        raise MolfieldError(f"{p.name}: {len(rows)} rows for {n_frames} frames; give one row "
                            "per frame of the model, in order.")
    return np.array([_number(r.get(column)) for r in rows])


def _number(text: str | None) -> float:
    try:
        v = float(text) if text not in (None, "") else math.nan
    except ValueError:
        return math.nan
    return v


#: Colourings a landscape knows by name (a CSV column is ``"csv:COLUMN"``).
COLOURINGS = ("frame", "rmsd", "rg")


def frame_values(how: str, n_frames: int, coords: np.ndarray | None = None,
                 reference: int = 0, csv_path: str | Path | None = None
                 ) -> tuple[np.ndarray, str]:
    """Values ``[K]`` and their label for colouring ``how``: ``"frame"``, ``"rmsd"`` (to
    frame ``reference``), ``"rg"`` or ``"csv:COLUMN"`` (from ``csv_path``)."""
    if how == "frame":
        return np.arange(n_frames, dtype=np.float64), "frame"
    if how.startswith("csv:"):
        if csv_path is None:
            raise MolfieldError("Colouring by a CSV column needs the CSV file (--csv).")
        return csv_column(csv_path, how[4:], n_frames), how[4:]
    if how not in COLOURINGS:
        raise MolfieldError(f"Unknown colouring {how!r}: use frame, rmsd, rg or csv:COLUMN.")
    if coords is None:
        raise MolfieldError(f"Colouring by {how} needs the atoms of every item (a model of "
                            "conformers of the same atoms: a trajectory or an ensemble).")
    xyz = _coords(coords)
    if how == "rg":
        return radius_of_gyration(xyz), "radius of gyration (Å)"
    if not -len(xyz) <= reference < len(xyz):
        raise MolfieldError(f"Reference frame {reference} does not exist ({len(xyz)} frames).")
    return superposed_rmsd(xyz, xyz[reference]), f"RMSD to frame {reference % len(xyz)} (Å)"


def names_of_frames(names: Sequence[str]) -> list[str]:
    """Short hover labels: the text in the last brackets of an item name, else the name."""
    out = []
    for n in names:
        a, b = n.rfind("["), n.rfind("]")
        out.append(n[a + 1 : b] if 0 <= a < b else n)
    return out


__all__ = ["COLOURINGS", "csv_column", "frame_values", "names_of_frames",
           "radius_of_gyration", "superposed_rmsd"]
