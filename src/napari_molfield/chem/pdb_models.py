"""Multi-model PDB text: many frames (or molecules) as ``MODEL``/``ENDMDL`` records.

The one place that knows how a multi-model PDB file is laid out. `models_text` wraps
blocks of PDB records (one per model, e.g. RDKit's PDB blocks of recovered atoms);
`pdb_models_text` writes the same atoms at many positions (a deformable model's frames)
from per-atom annotations. Writing the text to a file is the caller's (atomically, with
`fields.io.atomic_write`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import MolfieldError

#: Records a model block may not carry itself (`models_text` writes them).
_FRAME_RECORDS = ("MODEL", "ENDMDL", "END")
#: Largest |coordinate| (Å) the fixed PDB columns hold.
MAX_COORDINATE = 9999.0


def models_text(blocks: Sequence[str], titles: Sequence[str] | None = None) -> str:
    """One PDB text with block ``k`` as ``MODEL k + 1`` (numbered from 1), then ``END``.

    Parameters
    ----------
    blocks
        PDB records of each model (``ATOM``/``HETATM``, ``CONECT``, ``REMARK`` …); any
        ``MODEL``, ``ENDMDL`` or ``END`` line in a block is dropped.
    titles
        Optional one-line title per model, written as a ``REMARK   1`` before its
        ``MODEL`` record (cut to the 80-column record).

    Raises
    ------
    MolfieldError
        For no blocks, or a number of titles that differs from the number of blocks.
    """
    if not blocks:
        raise MolfieldError("A multi-model PDB file needs at least one model.")
    if titles is not None and len(titles) != len(blocks):
        raise MolfieldError(f"{len(titles)} titles for {len(blocks)} models.")
    lines: list[str] = []
    for k, block in enumerate(blocks):
        if titles is not None:
            lines.append(f"REMARK   1 {' '.join(str(titles[k]).split())[:69]}")
        lines.append(f"MODEL     {k + 1:4d}")
        lines += [line.rstrip("\r") for line in block.splitlines()
                  if line.strip() and line.split()[0] not in _FRAME_RECORDS]
        lines.append("ENDMDL")
    lines.append("END")
    return "\n".join([*lines, ""])


def atom_records(atoms: dict[str, Sequence[Any]], xyz: np.ndarray) -> str:
    """``ATOM``/``HETATM`` records of atoms at ``xyz`` ``[A, 3]`` (Å), one per line.

    ``atoms`` holds the per-atom ``elements``, ``atom_names``, ``residue_names``,
    ``residue_numbers``, ``chains`` and ``hetero`` (a `DeformModel`'s ``atoms``).
    """
    xyz = _checked(atoms, xyz)[0]
    elements = [f"{str(e).upper():>2s}" for e in atoms["elements"]]
    return "\n".join(
        f"{_record_prefix(atoms, i)}{x:8.3f}{y:8.3f}{z:8.3f}{1.0:6.2f}{0.0:6.2f}"
        f"          {elements[i]}" for i, (x, y, z) in enumerate(xyz)
    )


def pdb_models_text(atoms: dict[str, Sequence[Any]], frames: np.ndarray,
                    titles: Sequence[str] | None = None) -> str:
    """PDB text with one ``MODEL`` per frame of ``frames`` ``[F, A, 3]`` (or one ``[A, 3]``).

    Raises
    ------
    MolfieldError
        When the frames do not match the atoms, or a coordinate does not fit the PDB
        columns (NaN, or ``|x| ≥ 9999`` Å).
    """
    xyz = _checked(atoms, frames)
    return models_text([atom_records(atoms, frame) for frame in xyz], titles)


def _checked(atoms: dict[str, Sequence[Any]], frames: np.ndarray) -> np.ndarray:
    """``frames`` as float64 ``[F, A, 3]`` that fit the atoms and the PDB columns."""
    xyz = np.asarray(frames, dtype=np.float64)
    if xyz.ndim == 2:
        xyz = xyz[None]
    n = len(atoms["elements"])
    if xyz.ndim != 3 or xyz.shape[1:] != (n, 3):
        raise MolfieldError(f"Frames of shape {xyz.shape} do not match {n} atoms.")
    if not np.isfinite(xyz).all() or np.abs(xyz).max(initial=0) >= MAX_COORDINATE:
        raise MolfieldError("Some atom coordinates do not fit a PDB file (|x| ≥ 9999 Å or NaN).")
    return xyz


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


__all__ = ["MAX_COORDINATE", "atom_records", "models_text", "pdb_models_text"]
