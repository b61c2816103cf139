"""Molecule datasets for the auto-encoder: FreeSolv, SDF, SMILES/CSV files.

A dataset file is read row by row. Every row that cannot be used (unparsable SMILES, a
SMILES RDKit cannot embed in 3D, a non-numeric property, a molecule larger than the box)
is **skipped and reported** (:class:`RowProblem`), never dropped silently; the others
become one-conformer :class:`~napari_molfield.chem.molecule.Molecule` objects with their
canonical SMILES and numeric properties.

Conformers are generated once with RDKit (ETKDGv3 + MMFF94, seeded) and cached on disk as
``.npz`` (coordinates, elements) or ``.json`` (the reason embedding failed), keyed by the
SHA-256 of the SMILES and the settings. No pickle is ever written or read.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from .conformers import cached_conformer
from .records import Record, RowProblem, read_records

#: Fractions of the train / validation / test split.
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
#: Suffixes of the dataset files `read_records` understands.
DATASET_SUFFIXES = (".sdf", ".sd", ".smi", ".csv", ".txt", ".smiles", ".tsv")
#: Atom centres must stay this far (Å) inside the faces of the shared box.
BOX_MARGIN = 1.5


@dataclass
class Dataset:
    """Molecules ready for training, with the rows that were skipped.

    Parameters
    ----------
    molecules
        One conformer each; ``name``, ``smiles`` and ``properties`` filled in.
    problems
        Skipped rows and notes, in file order.
    source
        The file the dataset came from.
    n_rows
        Number of data rows in the file.
    """

    molecules: list[Molecule]
    problems: list[RowProblem]
    source: str
    n_rows: int

    @property
    def names(self) -> list[str]:
        """Molecule identifiers in order."""
        return [m.name for m in self.molecules]

    @property
    def skipped(self) -> list[RowProblem]:
        """Only the rows that were left out."""
        return [p for p in self.problems if p.skipped]

    def property_names(self) -> list[str]:
        """Numeric properties any molecule has (a dataset made of several files may give
        a property to only some of its molecules)."""
        keys: set[str] = set()
        for m in self.molecules:
            keys |= set(m.properties)
        return sorted(keys)

    def properties(self) -> dict[str, np.ndarray]:
        """``name → [M]`` float arrays of :meth:`property_names` (NaN where missing)."""
        return {
            k: np.array([float(m.properties.get(k, np.nan)) for m in self.molecules])
            for k in self.property_names()
        }

    def report(self, limit: int = 20) -> str:
        """A short human-readable account: kept, skipped (with reasons) and notes."""
        skipped = self.skipped
        notes = [p for p in self.problems if not p.skipped]
        lines = [
            f"{self.source}: {len(self.molecules)} of {self.n_rows} rows used, "
            f"{len(skipped)} skipped, {len(notes)} notes."
        ]
        lines += [f"  {p}" for p in self.problems[:limit]]
        if len(self.problems) > limit:
            lines.append(f"  … and {len(self.problems) - limit} more")
        return "\n".join(lines)


# ---------------------------------------------------------------------------- datasets


def load_dataset(
    path: str | os.PathLike[str],
    *,
    channels: Any = None,
    box_edge: float = 20.0,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
    limit: int | None = None,
    progress: Any = None,
    n_conformers: int = 1,
) -> Dataset:
    """Read a dataset file and give every usable row one 3D conformer.

    Parameters
    ----------
    path
        FreeSolv ``database.txt``, ``.sdf``, ``.smi`` or ``.csv`` (a ``smiles`` column).
    channels
        Channel spec (names or :class:`~napari_molfield.fields.channels.ChannelSpec`); atoms
        whose element has no channel are reported (routed to ``other`` or dropped).
    box_edge
        Edge of the shared box, Å; larger molecules are skipped and reported.
    seed
        Seed of the conformer embedding.
    cache_dir
        Conformer cache (default :func:`default_cache_dir`).
    limit
        Use only the first ``limit`` usable rows.
    progress
        Optional callable ``progress(done, total)``.
    n_conformers
        Conformers embedded per SMILES (rows from SDF files keep their own one).
    """
    records, problems, n_rows = read_records(path)
    if limit is not None:
        records = records[: int(limit)]
    mols: list[Molecule] = []
    for i, rec in enumerate(records):
        if progress is not None:
            progress(i, len(records))
        mol, probs = prepare_molecule(rec, channels=channels, box_edge=box_edge, seed=seed,
                                      cache_dir=cache_dir, n_conformers=n_conformers)
        problems += probs
        if mol is not None:
            mols.append(mol)
    if progress is not None:
        progress(len(records), len(records))
    problems.sort(key=lambda p: p.row)
    names = [m.name for m in mols]
    if len(set(names)) != len(names):  # identifiers must be unique to record the split
        seen: dict[str, int] = {}
        for m in mols:
            k = seen[m.name] = seen.get(m.name, 0) + 1
            if k > 1:
                m.name = f"{m.name}#{k}"
    return Dataset(mols, problems, Path(path).name, n_rows)


def prepare_molecule(
    rec: Record,
    *,
    channels: Any = None,
    box_edge: float = 20.0,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
    n_conformers: int = 1,
) -> tuple[Molecule | None, list[RowProblem]]:
    """3D molecule of one record and what went wrong (``None`` when it is skipped).

    Every conformer must fit the box (``n_conformers`` are embedded from a SMILES).
    """
    from ..fields.channels import ChannelSpec

    problems: list[RowProblem] = []
    if rec.molecule is not None:
        mol = rec.molecule
    else:
        try:
            mol = cached_conformer(rec.smiles or "", name=rec.name, seed=seed,
                                   cache_dir=cache_dir, n_conformers=n_conformers)
        except MolfieldError as exc:
            return None, [RowProblem(rec.row, rec.name, str(exc))]
    mol.name = rec.name
    mol.properties = dict(rec.properties)
    extent = float(np.ptp(mol.coords, axis=1).max())
    if extent + 2 * BOX_MARGIN > box_edge:
        return None, [RowProblem(
            rec.row, rec.name,
            f"{extent:.1f} Å across: larger than the {box_edge:g} Å box "
            f"(with {BOX_MARGIN} Å margins)",
        )]
    spec = ChannelSpec.parse(channels)
    unrouted = unassigned_elements(mol.elements, spec)
    if unrouted:
        has_other = any(c.other for c in spec.channels)
        fate = "counted in 'other'" if has_other else "dropped (no 'other' channel)"
        problems.append(RowProblem(
            rec.row, rec.name, f"element(s) {', '.join(unrouted)} have no channel: {fate}",
            skipped=False,
        ))
    return mol, problems


def unassigned_elements(elements: Iterable[str], spec: Any) -> list[str]:
    """Elements of ``elements`` that no element channel of ``spec`` names."""
    named: set[str] = set()
    for ch in spec.channels:
        if ch.elements is None and not ch.other:
            return []  # an 'all' or property channel takes every atom
        if ch.elements is not None:
            named |= set(ch.elements)
    return sorted({("H" if e == "D" else str(e)) for e in elements} - named)


# ------------------------------------------------------------------------------- split


def make_split(
    names: Sequence[str], seed: int = 0, fractions: Sequence[float] = SPLIT_FRACTIONS
) -> dict[str, list[str]]:
    """A seeded train / val / test split of ``names`` (each part keeps file order).

    The permutation depends on ``seed`` and on the sorted names only, so the same file
    and seed always give the same split.
    """
    if len(fractions) != 3 or min(fractions) < 0 or sum(fractions) <= 0:
        raise MolfieldError("Split fractions must be three non-negative numbers.")
    order = sorted(names)
    rng = np.random.default_rng(int(seed))
    perm = [order[i] for i in rng.permutation(len(order))]
    total = float(sum(fractions))
    n = len(perm)
    n_test = round(n * fractions[2] / total)
    n_val = round(n * fractions[1] / total)
    test, val = set(perm[:n_test]), set(perm[n_test : n_test + n_val])
    return {
        "train": [x for x in names if x not in test and x not in val],
        "val": [x for x in names if x in val],
        "test": [x for x in names if x in test],
    }


def as_dataset(data: Any, channels: Any, box_edge: float, seed: int, cache_dir: Any) -> Dataset:
    """A `Dataset` from a dataset file, a `Dataset` (returned as is) or molecules."""
    if isinstance(data, Dataset):
        return data
    if isinstance(data, (str, os.PathLike)):
        return load_dataset(data, channels=channels, box_edge=box_edge, seed=seed,
                            cache_dir=cache_dir)
    mols = list(data)
    return Dataset(mols, [], "molecules", len(mols))


__all__ = [
    "DATASET_SUFFIXES",
    "Dataset",
    "Record",
    "RowProblem",
    "as_dataset",
    "load_dataset",
    "make_split",
    "prepare_molecule",
    "read_records",
]
