"""MD trajectories as conformer ensembles, through MDAnalysis (``napari-molfield[md]``).

A topology (PSF, PDB, GRO, TPR, …) and a trajectory (DCD, XTC, TRR, …) become one
:class:`Molecule` whose conformers are the selected frames. Frames are chosen before any
coordinates are read, and only the selected atoms of the selected frames are kept, so a
10,000-frame trajectory costs the memory of the frames asked for.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .molecule import Molecule
from .table import molecule_from_table, water_mask
from .textio import COMPRESSION_SUFFIXES, decompress, strip_compression

#: Largest coordinate array (bytes) a trajectory read may allocate.
MAX_COORD_BYTES = 4 * 1024**3


def _mdanalysis() -> Any:
    try:
        import MDAnalysis
    except ImportError:
        raise MolfieldError(
            "Reading MD trajectories needs MDAnalysis: pip install 'napari-molfield[md]'."
        ) from None
    return MDAnalysis


def _plain_copy(path: Path, tmp: str) -> str:
    """A decompressed copy of a compressed topology (checked for truncation)."""
    if not path.name.lower().endswith(COMPRESSION_SUFFIXES):
        return str(path)
    data = decompress(path.read_bytes(), path.name)
    out = Path(tmp) / strip_compression(path.name)
    out.write_bytes(data)
    return str(out)


def _frames(n_frames: int, start: int | None, stop: int | None, step: int | None,
            label: str) -> range:
    if step is not None and step <= 0:
        raise MolfieldError(f"{label}: the frame step must be positive, not {step}.")
    for what, v in (("start", start), ("stop", stop)):
        if v is not None and v >= 0 and v > n_frames - (what == "start"):
            raise MolfieldError(
                f"{label}: frame {what}={v} is past the end of the trajectory "
                f"({n_frames} frames)."
            )
    frames = range(n_frames)[slice(start, stop, step)]
    if len(frames) == 0:
        raise MolfieldError(
            f"{label}: the frame selection start={start}, stop={stop}, step={step} "
            f"selects no frame of {n_frames}."
        )
    return frames


def parse_frames(text: str | None) -> tuple[int | None, int | None, int | None]:
    """``"START:STOP:STEP"`` (any part may be empty, Python slice syntax) → the three values
    of `read_trajectory`'s ``start``, ``stop`` and ``step``."""
    if not text or not text.strip():
        return None, None, None
    parts = text.split(":")
    if len(parts) > 3:
        raise MolfieldError(f"Frames {text!r}: write START:STOP:STEP, e.g. ::10 or 100:200.")
    try:
        vals = [int(p) if p.strip() else None for p in parts] + [None] * (3 - len(parts))
    except ValueError:
        raise MolfieldError(f"Frames {text!r}: START, STOP and STEP must be integers.") from None
    return vals[0], vals[1], vals[2]


def read_trajectory(
    topology: str | os.PathLike[str],
    trajectory: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None = None,
    *,
    start: int | None = None,
    stop: int | None = None,
    step: int | None = None,
    select: str = "all",
    keep_waters: bool = False,
    ligand: str | Sequence[str] | None = None,
) -> Molecule:
    """Frames of an MD trajectory as the conformers of one molecule.

    Parameters
    ----------
    topology
        A topology MDAnalysis reads (PSF, PDB, GRO, TPR, PRMTOP, …; text formats may be
        compressed with ``.gz``/``.bz2``/``.xz``).
    trajectory
        One or more trajectory files (DCD, XTC, TRR, …); None uses the topology's own
        coordinates (e.g. a multi-model PDB).
    start, stop, step
        Frame selection as in Python slicing (``range(n_frames)[start:stop:step]``).
    select
        An MDAnalysis atom selection (``"protein"``, ``"resname LIG or around 5 resname
        LIG"``); evaluated on the first frame.
    keep_waters
        Keep water molecules (dropped by default, as by the file readers).
    ligand
        Residue name(s) of the ligand; by default the largest non-polymer residue.

    Returns
    -------
    Molecule
        ``coords`` of shape ``[K, A, 3]`` in Å, ``conformer_names`` ``"frame i"``.

    Raises
    ------
    MolfieldError
        When MDAnalysis is missing, a file cannot be read or is truncated, topology and
        trajectory have different atom counts, the frame selection is past the end or
        empty, the selection string is invalid or selects no atom, or the coordinates
        would exceed :data:`MAX_COORD_BYTES`.
    """
    mda = _mdanalysis()
    top = Path(topology)
    trajs = [] if trajectory is None else (
        [trajectory] if isinstance(trajectory, (str, os.PathLike)) else list(trajectory)
    )
    label = ", ".join([top.name, *(Path(t).name for t in trajs)])
    for p in [top, *map(Path, trajs)]:
        if not p.is_file():
            raise MolfieldError(f"{p.name}: no such file ({p}).")
    with tempfile.TemporaryDirectory() as tmp:
        top_path = _plain_copy(top, tmp)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # MDAnalysis' guesser/format chatter
                u = mda.Universe(top_path, *map(str, trajs))
        except Exception as exc:  # MDAnalysis raises many types for unreadable files
            raise _universe_error(label, exc) from None
        return _collect(u, label, top, start, stop, step, select, keep_waters, ligand)


def _universe_error(label: str, exc: Exception) -> MolfieldError:
    text = " ".join(str(exc).split())
    counts = re.findall(r"atoms\D{0,20}?(\d+)", text)
    if "same number of atoms" in text or ("number of atoms" in text and len(counts) >= 2):
        detail = (f" (topology {counts[0]}, trajectory {counts[1]})"
                  if len(counts) >= 2 else "")
        return MolfieldError(
            f"{label}: the topology and the trajectory have different numbers of "
            f"atoms{detail}."
        )
    return MolfieldError(f"{label}: MDAnalysis cannot read these files ({text}).")


def _collect(u: Any, label: str, top: Path, start: int | None, stop: int | None,
             step: int | None, select: str, keep_waters: bool,
             ligand: str | Sequence[str] | None) -> Molecule:
    try:
        n_frames = len(u.trajectory)
    except (OSError, EOFError, ValueError) as exc:
        raise MolfieldError(f"{label}: the trajectory cannot be read ({exc}).") from None
    frames = _frames(n_frames, start, stop, step, label)
    try:
        u.trajectory[frames[0]]
        atoms = u.select_atoms(select)
    except (OSError, EOFError) as exc:
        raise MolfieldError(f"{label}: the trajectory cannot be read ({exc}).") from None
    except Exception as exc:  # MDAnalysis raises SelectionError, ValueError, …
        raise MolfieldError(f"{label}: invalid atom selection {select!r} ({exc}).") from None
    if not keep_waters:
        atoms = atoms[~water_mask(atoms.resnames)]
    if len(atoms) == 0:
        raise MolfieldError(f"{label}: the selection {select!r} contains no atoms.")
    need = len(frames) * len(atoms) * 3 * 8
    if need > MAX_COORD_BYTES:
        raise MolfieldError(
            f"{label}: {len(frames)} frames of {len(atoms)} atoms need "
            f"{need / 1024**3:.1f} GiB; choose fewer frames (step) or atoms (select)."
        )
    coords = np.empty((len(frames), len(atoms), 3), dtype=np.float64)
    try:
        for k, _ts in enumerate(u.trajectory[frames.start:frames.stop:frames.step]):
            coords[k] = atoms.positions
    except (OSError, EOFError, ValueError) as exc:
        raise MolfieldError(
            f"{label}: the trajectory ends early or is corrupted ({exc})."
        ) from None
    given = getattr(atoms, "elements", None) if hasattr(u.atoms, "elements") else None
    chains = (atoms.chainIDs if hasattr(u.atoms, "chainIDs") else
              atoms.segids if hasattr(u.atoms, "segids") else [""] * len(atoms))
    return molecule_from_table(
        label,
        name=strip_compression(top.name).rsplit(".", 1)[0],
        source=str(top),
        atom_names=[str(n) for n in atoms.names],
        residue_names=[str(r) for r in atoms.resnames],
        residue_numbers=[int(r) for r in atoms.resids],
        chains=[str(c) for c in chains],
        coords=coords,
        elements=None if given is None else [str(e) for e in given],
        ligand=ligand,
        conformer_names=[f"frame {i}" for i in frames],
    )
