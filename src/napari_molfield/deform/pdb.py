"""Atoms of many frames as one multi-model PDB file (``MODEL``/``ENDMDL``), atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError
from ..fields.io import atomic_write


def pdb_models_text(atoms: dict[str, Sequence[Any]], frames: np.ndarray,
                    titles: Sequence[str] | None = None) -> str:
    """PDB text with one ``MODEL`` per frame of ``frames`` ``[F, A, 3]`` (Å).

    ``atoms`` holds the per-atom ``elements``, ``atom_names``, ``residue_names``,
    ``residue_numbers``, ``chains`` and ``hetero`` (`DeformModel.atoms`).
    """
    xyz = np.asarray(frames, dtype=np.float64)
    if xyz.ndim == 2:
        xyz = xyz[None]
    n = len(atoms["elements"])
    if xyz.ndim != 3 or xyz.shape[1:] != (n, 3):
        raise MolfieldError(f"Frames of shape {xyz.shape} do not match {n} atoms.")
    if np.abs(xyz).max(initial=0) >= 9999.0 or not np.isfinite(xyz).all():
        raise MolfieldError("Some atom coordinates do not fit a PDB file (|x| ≥ 9999 Å or NaN).")
    records = [_record_prefix(atoms, i) for i in range(n)]
    elements = [f"{str(e).upper():>2s}" for e in atoms["elements"]]
    lines = []
    for f, frame in enumerate(xyz):
        if titles is not None:
            lines.append(f"REMARK   1 {str(titles[f])[:68]}")
        lines.append(f"MODEL     {f + 1:4d}")
        for i, (x, y, z) in enumerate(frame):
            lines.append(f"{records[i]}{x:8.3f}{y:8.3f}{z:8.3f}{1.0:6.2f}{0.0:6.2f}"
                         f"          {elements[i]}")
        lines.append("ENDMDL")
    lines.append("END")
    return "\n".join([*lines, ""])


def write_models_pdb(path: str | os.PathLike[str], atoms: dict[str, Sequence[Any]],
                     frames: np.ndarray, titles: Sequence[str] | None = None) -> Path:
    """Write `pdb_models_text` to ``path`` atomically (nothing half-written)."""
    path = Path(path)
    if path.suffix.lower() not in (".pdb", ".ent"):
        raise MolfieldError(f"{path.name}: atoms are written as .pdb.")
    text = pdb_models_text(atoms, frames, titles)

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    atomic_write(path, write)
    return path


def _record_prefix(atoms: dict[str, Sequence[Any]], i: int) -> str:
    """Columns 1–30 of atom ``i``'s record."""
    el = str(atoms["elements"][i])
    name = str(atoms["atom_names"][i]).strip() or f"{el}{i + 1}"
    name = name[:4] if len(name) >= 4 or len(el) == 2 else f" {name}"
    res = (str(atoms["residue_names"][i]).strip() or "UNL")[:3]
    chain = (str(atoms["chains"][i]).strip() or "A")[:1]
    record = "HETATM" if atoms["hetero"][i] else "ATOM  "
    resseq = int(atoms["residue_numbers"][i]) % 10000
    return f"{record}{(i + 1) % 100000:5d} {name:<4s} {res:>3s} {chain}{resseq:4d}    "


__all__ = ["pdb_models_text", "write_models_pdb"]
