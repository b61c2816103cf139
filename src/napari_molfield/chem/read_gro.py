"""GROMACS GRO files (one or more frames; coordinates in nm, read as Å)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import MolfieldError
from .checks import duplicate_atoms, warn_duplicates
from .molecule import Molecule
from .table import molecule_from_table, water_mask

_NM = 10.0  # Å per nm


def _frame(lines: list[str], start: int, label: str) -> tuple[list[tuple[str, str, str]],
                                                           np.ndarray, str, int]:
    title = lines[start].strip()
    try:
        n = int(lines[start + 1].split()[0])
    except (IndexError, ValueError):
        raise MolfieldError(
            f"{label}, line {start + 2}: expected the number of atoms of a GRO frame."
        ) from None
    if n <= 0:
        raise MolfieldError(f"{label}, line {start + 2}: a GRO frame with no atoms.")
    if start + 2 + n > len(lines):
        raise MolfieldError(
            f"{label}, line {start + 2}: the file ends before the {n} atoms of this frame."
        )
    atoms: list[tuple[str, str, str]] = []
    xyz = np.empty((n, 3))
    width = None
    for j in range(n):
        line = lines[start + 2 + j]
        if width is None:  # GRO allows any precision: width from the decimal points
            dots = [k for k, c in enumerate(line[20:], start=20) if c == "."]
            width = dots[1] - dots[0] if len(dots) >= 2 else 8
        try:
            resnr = int(line[0:5])
            xyz[j] = [float(line[20 + k * width : 20 + (k + 1) * width]) for k in range(3)]
        except ValueError:
            raise MolfieldError(
                f"{label}, line {start + 3 + j}: not a GRO atom line ({line.strip()!r})."
            ) from None
        atoms.append((line[5:10].strip(), line[10:15].strip(), str(resnr)))
    return atoms, xyz * _NM, title, start + 3 + n


def read_gro(
    text: str,
    path: Path,
    label: str,
    keep_waters: bool,
    ligand: str | Sequence[str] | None,
    conformers: str,
) -> list[Molecule]:
    """Frames of a GRO text as conformers of one molecule (or separate molecules)."""
    lines = text.splitlines()
    frames: list[tuple[list[tuple[str, str, str]], np.ndarray, str]] = []
    i = 0
    while i < len(lines) and lines[i].strip():
        atoms, xyz, title, i = _frame(lines, i, label)
        if frames and atoms != frames[0][0]:
            raise MolfieldError(
                f"{label}: frame {len(frames) + 1} has other atoms than frame 1."
            )
        frames.append((atoms, xyz, title))
    if not frames:
        raise MolfieldError(f"{label}: the file contains no atoms.")
    atoms = frames[0][0]
    res_names = [a[0] for a in atoms]
    keep = np.ones(len(atoms), bool) if keep_waters else ~water_mask(res_names)
    dup = duplicate_atoms(atoms, np.stack([f[1] for f in frames]))
    warn_duplicates(label, int((dup & keep).sum()))
    keep &= ~dup
    if not keep.any():
        raise MolfieldError(f"{label}: the file contains no atoms other than water.")
    idx = np.flatnonzero(keep)
    titles = [f[2] for f in frames]
    mol = molecule_from_table(
        label,
        name=path.name.split(".")[0],
        source=str(path),
        atom_names=[atoms[k][1] for k in idx],
        residue_names=[res_names[k] for k in idx],
        residue_numbers=[int(atoms[k][2]) for k in idx],
        chains=[""] * len(idx),
        coords=np.stack([f[1][idx] for f in frames]),
        ligand=ligand,
        conformer_names=titles if len(set(titles)) == len(titles) and all(titles) else None,
    )
    if conformers == "separate" and mol.n_conformers > 1:
        return [mol.conformer(k) for k in range(mol.n_conformers)]
    return [mol]
