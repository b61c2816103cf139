"""XYZ files (one or more frames)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import MolfieldError
from .checks import checked_elements, duplicate_atoms, warn_duplicates
from .molecule import Molecule, normalise_symbol


def read_xyz(text: str, path: Path, label: str, conformers: str) -> list[Molecule]:
    """Frames of an XYZ text; consecutive frames with the same elements become conformers
    when ``conformers == "auto"``."""
    lines = text.splitlines()
    frames: list[tuple[str, list[str], np.ndarray]] = []
    i = 0
    while i < len(lines):
        if not lines[i].strip():
            i += 1
            continue
        try:
            n = int(lines[i].split()[0])
        except ValueError:
            raise MolfieldError(
                f"{label}, line {i + 1}: expected the number of atoms, got {lines[i].strip()!r}."
            ) from None
        if n <= 0:
            raise MolfieldError(f"{label}, line {i + 1}: a frame with no atoms.")
        if i + 2 + n > len(lines):
            raise MolfieldError(
                f"{label}, line {i + 1}: the file ends before the {n} atoms of this frame."
            )
        comment = lines[i + 1].strip()
        elements, xyz = [], []
        for j in range(i + 2, i + 2 + n):
            parts = lines[j].split()
            try:
                elements.append(normalise_symbol(parts[0]))
                xyz.append([float(v) for v in parts[1:4]])
                if len(parts) < 4:
                    raise ValueError
            except (ValueError, IndexError):
                raise MolfieldError(
                    f"{label}, line {j + 1}: expected 'element x y z', got {lines[j].strip()!r}."
                ) from None
        coords = np.asarray(xyz, dtype=np.float64)
        elements = list(checked_elements(label, elements, coords))
        frames.append((comment, elements, coords))
        i += 2 + n
    if not frames:
        raise MolfieldError(f"{label}: the file contains no atoms.")
    stem = path.name.split(".")[0]
    groups: list[list[tuple[str, list[str], np.ndarray]]] = []
    for fr in frames:
        if conformers == "auto" and groups and groups[-1][0][1] == fr[1]:
            groups[-1].append(fr)
        else:
            groups.append([fr])
    out = []
    for gi, group in enumerate(groups):
        title = group[0][0]
        name = title or (f"{stem} #{gi + 1}" if len(groups) > 1 else stem)
        names = [g[0] for g in group]
        coords = np.stack([g[2] for g in group])
        keep = ~duplicate_atoms(group[0][1], coords)
        warn_duplicates(label, int((~keep).sum()), "element")
        out.append(
            Molecule(
                elements=[e for e, k in zip(group[0][1], keep, strict=True) if k],
                coords=coords[:, keep],
                name=name,
                source=str(path),
                conformer_names=names if all(names) and len(set(names)) == len(names)
                else None,
            )
        )
    return out
