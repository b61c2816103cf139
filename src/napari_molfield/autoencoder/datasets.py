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

import csv
import hashlib
import io
import json
import os
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .chem.molecule import Molecule
from .errors import MolfieldError
from .fields.io import atomic_write

#: Version of the conformer recipe; part of the cache key.
CONFORMER_RECIPE = "etkdgv3+mmff94/v1"
#: Fractions of the train / validation / test split.
SPLIT_FRACTIONS = (0.8, 0.1, 0.1)
#: Atom centres must stay this far (Å) inside the faces of the shared box.
BOX_MARGIN = 1.5


@dataclass(frozen=True)
class RowProblem:
    """One dataset row that was skipped (or used with a caveat).

    Parameters
    ----------
    row
        1-based line or record number in the file.
    name
        The row's identifier (or ``"?"``).
    reason
        One sentence for the user.
    skipped
        ``False`` for notes about rows that were kept (e.g. atoms routed to ``other``).
    """

    row: int
    name: str
    reason: str
    skipped: bool = True

    def __str__(self) -> str:
        what = "skipped" if self.skipped else "note"
        return f"row {self.row} ({self.name}): {what}: {self.reason}"


@dataclass
class Record:
    """A dataset row before 3D coordinates: identifier, SMILES and numeric properties."""

    row: int
    name: str
    smiles: str | None
    properties: dict[str, float] = field(default_factory=dict)
    molecule: Molecule | None = None  # rows from SDF files bring their own coordinates


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
        """Numeric properties every molecule has."""
        if not self.molecules:
            return []
        keys = set(self.molecules[0].properties)
        for m in self.molecules[1:]:
            keys &= set(m.properties)
        return sorted(keys)

    def properties(self) -> dict[str, np.ndarray]:
        """``name → [M]`` float arrays of :meth:`property_names`."""
        return {
            k: np.array([float(m.properties[k]) for m in self.molecules])
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


# ----------------------------------------------------------------------------- readers


def read_records(path: str | os.PathLike[str]) -> tuple[list[Record], list[RowProblem], int]:
    """Rows of a FreeSolv ``database.txt``, an SDF, a ``.smi`` or a ``.csv`` file.

    Returns
    -------
    records, problems, n_rows
        Usable rows, rows skipped while parsing, and the number of data rows.

    Raises
    ------
    MolfieldError
        For a missing file or one with no usable structure at all (no SMILES column, …).
    """
    path = Path(path)
    if not path.is_file():
        raise MolfieldError(f"{path.name}: no such file ({path}).")
    name = path.name.lower()
    if name.endswith((".sdf", ".sd")):
        return _read_sdf(path)
    text = path.read_text(encoding="utf-8", errors="replace")
    if _looks_like_freesolv(text):
        return _read_freesolv(text)
    if name.endswith((".csv", ".tsv")):
        return _read_csv(text, path.name, "\t" if name.endswith(".tsv") else ",")
    if name.endswith((".smi", ".smiles", ".txt")):
        return _read_smi(text)
    raise MolfieldError(
        f"{path.name}: unknown dataset type; use FreeSolv database.txt, .sdf, .smi or .csv."
    )


def _looks_like_freesolv(text: str) -> bool:
    head = text[:2000].lower()
    return "semicolon" in head or ("mobley_" in head and ";" in head)


def _read_freesolv(text: str) -> tuple[list[Record], list[RowProblem], int]:
    records, problems, n = [], [], 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        n += 1
        parts = [p.strip() for p in line.split(";")]
        ident = parts[0] or "?"
        if len(parts) < 4:
            problems.append(RowProblem(lineno, ident, f"{len(parts)} fields, need at least 4"))
            continue
        if not parts[1]:
            problems.append(RowProblem(lineno, ident, "no SMILES"))
            continue
        try:
            props = {"dG_hyd": float(parts[3])}
        except ValueError:
            problems.append(
                RowProblem(lineno, ident, f"experimental value {parts[3]!r} is not a number")
            )
            continue
        for key, idx in (("dG_hyd_uncertainty", 4), ("dG_calc", 5)):
            try:
                props[key] = float(parts[idx])
            except (IndexError, ValueError):
                pass
        records.append(Record(lineno, ident, parts[1], props))
    return records, problems, n


def _read_smi(text: str) -> tuple[list[Record], list[RowProblem], int]:
    records, n = [], 0
    for lineno, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        parts = s.split(maxsplit=1)
        if n == 0 and parts[0].lower() == "smiles":
            continue
        n += 1
        name = parts[1].strip() if len(parts) > 1 else f"row{lineno}"
        records.append(Record(lineno, name, parts[0]))
    return records, [], n


def _read_csv(text: str, label: str, delimiter: str) -> tuple[list[Record], list[RowProblem], int]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = [(i, r) for i, r in enumerate(reader, start=1) if any(c.strip() for c in r)]
    if not rows:
        raise MolfieldError(f"{label}: the file is empty.")
    header = [h.strip() for h in rows[0][1]]
    lower = [h.lower() for h in header]
    if "smiles" not in lower:
        raise MolfieldError(f"{label}: no 'smiles' column in the header {header}.")
    ismi = lower.index("smiles")
    iname = next((lower.index(k) for k in ("name", "id", "compound") if k in lower), None)
    records, problems = [], []
    for lineno, row in rows[1:]:
        ident = row[iname].strip() if iname is not None and iname < len(row) else f"row{lineno}"
        if len(row) != len(header):
            problems.append(
                RowProblem(lineno, ident, f"{len(row)} fields where the header has {len(header)}")
            )
            continue
        smi = row[ismi].strip()
        if not smi:
            problems.append(RowProblem(lineno, ident, "no SMILES"))
            continue
        props = {}
        for j, h in enumerate(header):
            if j in (ismi, iname):
                continue
            try:
                props[h] = float(row[j])
            except ValueError:
                continue  # text columns are not properties
        records.append(Record(lineno, ident or f"row{lineno}", smi, props))
    return records, problems, len(rows) - 1


def _read_sdf(path: Path) -> tuple[list[Record], list[RowProblem], int]:
    from .chem.readers import _parse_record, _rdkit_records
    from .chem.smiles import RDKitLog, canonical_smiles, from_rdkit

    text = path.read_text(encoding="utf-8", errors="replace")
    blocks = _rdkit_records(text, ".sdf")
    records, problems = [], []
    for i, block in enumerate(blocks, start=1):
        title = block.splitlines()[0].strip() if block.strip() else ""
        ident = title or f"{path.stem} #{i}"
        with RDKitLog() as log:
            mol = _parse_record(block, ".sdf", True)
        if mol is None or mol.GetNumAtoms() == 0 or mol.GetNumConformers() == 0:
            why = log.summary(1) or "no atoms or coordinates"
            problems.append(RowProblem(i, ident, f"RDKit cannot read the record ({why})"))
            continue
        props = {}
        for k, v in mol.GetPropsAsDict(False, False).items():
            try:
                props[k] = float(v)
            except (TypeError, ValueError):
                continue
        try:
            m = from_rdkit(mol, name=ident, source=str(path), properties=props,
                           smiles=canonical_smiles(mol))
        except MolfieldError as exc:
            problems.append(RowProblem(i, ident, str(exc)))
            continue
        records.append(Record(i, ident, m.smiles, props, molecule=m.conformer(0)))
    return records, problems, len(blocks)


# ------------------------------------------------------------------------- conformers


def default_cache_dir() -> Path:
    """``$MOLFIELD_CACHE`` or ``~/.cache/napari-molfield``."""
    env = os.environ.get("MOLFIELD_CACHE")
    return Path(env) if env else Path.home() / ".cache" / "napari-molfield"


def conformer_key(smiles: str, seed: int, optimize: bool = True) -> str:
    """SHA-256 key of a SMILES and the embedding settings."""
    payload = json.dumps(
        {"smiles": smiles, "seed": int(seed), "optimize": bool(optimize),
         "recipe": CONFORMER_RECIPE},
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def cached_conformer(
    smiles: str,
    *,
    name: str | None = None,
    seed: int = 0,
    cache_dir: str | os.PathLike[str] | None = None,
    optimize: bool = True,
) -> Molecule:
    """One 3D conformer of ``smiles``, embedded once and then read from the disk cache.

    Raises
    ------
    MolfieldError
        When RDKit cannot parse or embed the SMILES (the failure is cached too).
    """
    from .chem.smiles import from_smiles

    root = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    key = conformer_key(smiles, seed, optimize)
    base = root / "conformers" / key[:2] / key
    npz, bad = base.with_suffix(".npz"), base.with_suffix(".json")
    if npz.is_file():
        try:
            with np.load(npz, allow_pickle=False) as z:
                return Molecule(
                    elements=[str(e) for e in z["elements"]],
                    coords=z["coords"],
                    name=name or str(z["smiles"]),
                    source=smiles,
                    smiles=str(z["smiles"]),
                )
        except (OSError, ValueError, KeyError):
            pass  # a damaged cache entry: embed again
    if bad.is_file():
        try:
            raise MolfieldError(json.loads(bad.read_text())["error"])
        except (OSError, ValueError, KeyError):
            pass
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            mol = from_smiles(smiles, n_conformers=1, seed=seed, name=name, optimize=optimize)
    except MolfieldError as exc:
        _atomic_write(bad, json.dumps({"smiles": smiles, "error": str(exc)}).encode())
        raise
    buf = io.BytesIO()
    np.savez(buf, elements=np.array([str(e) for e in mol.elements], dtype="U3"),
             coords=mol.coords, smiles=np.array(mol.smiles or smiles))
    _atomic_write(npz, buf.getvalue())
    return mol


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: Path(tmp).write_bytes(data))


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
    """
    records, problems, n_rows = read_records(path)
    if limit is not None:
        records = records[: int(limit)]
    mols: list[Molecule] = []
    for i, rec in enumerate(records):
        if progress is not None:
            progress(i, len(records))
        mol, probs = prepare_molecule(rec, channels=channels, box_edge=box_edge, seed=seed,
                                      cache_dir=cache_dir)
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
) -> tuple[Molecule | None, list[RowProblem]]:
    """3D molecule of one record and what went wrong (``None`` when it is skipped)."""
    from .fields.channels import ChannelSpec

    problems: list[RowProblem] = []
    if rec.molecule is not None:
        mol = rec.molecule
    else:
        try:
            mol = cached_conformer(rec.smiles or "", name=rec.name, seed=seed,
                                   cache_dir=cache_dir)
        except MolfieldError as exc:
            return None, [RowProblem(rec.row, rec.name, str(exc))]
    mol.name = rec.name
    mol.properties = dict(rec.properties)
    extent = float(np.ptp(mol.coords[0], axis=0).max())
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


# ------------------------------------------------------------------------------ fields


@dataclass(eq=False)
class FieldInputs:
    """Eq. 1 inputs of molecules in the shared box, as the auto-encoder sees them.

    Attributes
    ----------
    tables
        Per-molecule `AtomTable` (first conformer).
    boxes
        Per-molecule `Box` of edge ``box_edge`` centred on the atoms.
    scales
        ``[M, C]`` per-channel peaks (`channel_peaks`): targets are field / scale.
    occupied
        ``[M, C]`` whether any atom feeds the channel.
    """

    tables: list[Any]
    boxes: list[Any]
    scales: np.ndarray
    occupied: np.ndarray


def field_inputs(
    molecules: Sequence[Molecule],
    channels: Any,
    box_edge: float,
    beta: float,
    rotations: np.ndarray | None = None,
) -> FieldInputs:
    """Atom tables, boxes and normalisation of ``molecules`` (optionally rotated).

    Parameters
    ----------
    rotations
        ``[M, 3, 3]`` rotation matrices applied about each molecule's centre first.
    """
    from .fields.box import Box
    from .fields.channels import ChannelSpec
    from .fields.sample import channel_peaks

    spec = ChannelSpec.parse(channels)
    tables, boxes, scales, occ = [], [], [], []
    for i, mol in enumerate(molecules):
        table = spec.assign(mol, 0)
        if rotations is not None:
            c = (table.xyz.min(axis=0) + table.xyz.max(axis=0)) / 2
            xyz = (table.xyz - c) @ np.asarray(rotations[i]).T + c
            table = type(table)(xyz, table.radius, table.channel, table.weight, table.channels)
        used = table.used()
        box = Box.around(used.xyz if len(used.radius) else table.xyz, 0.0, edge=box_edge)
        tables.append(table)
        boxes.append(box)
        scales.append(channel_peaks(table, beta))
        occ.append(np.isin(np.arange(len(spec)), used.channel))
    return FieldInputs(tables, boxes, np.array(scales).reshape(-1, len(spec)),
                       np.array(occ).reshape(-1, len(spec)))


def normalised_grids(inputs: FieldInputs, resolution: int, beta: float) -> np.ndarray:
    """``[M, C, N, N, N]`` float32 grids of Eq. 1 divided by the channel peaks."""
    from .fields.sample import sample_table

    out = []
    for table, box, scale in zip(inputs.tables, inputs.boxes, inputs.scales, strict=True):
        g = sample_table(table, box, resolution, beta=beta)
        out.append(g / scale.astype(np.float32)[:, None, None, None])
    return np.stack(out) if out else np.zeros((0,), np.float32)


def random_rotations(n: int, rng: np.random.Generator) -> np.ndarray:
    """``[n, 3, 3]`` rotation matrices uniform on SO(3) (from random unit quaternions)."""
    q = rng.normal(size=(n, 4))
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    w, x, y, z = q.T
    return np.stack([
        np.stack([1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)], -1),
        np.stack([2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)], -1),
        np.stack([2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)], -1),
    ], axis=1)


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


__all__ = [
    "Dataset",
    "FieldInputs",
    "Record",
    "RowProblem",
    "cached_conformer",
    "default_cache_dir",
    "field_inputs",
    "load_dataset",
    "make_split",
    "normalised_grids",
    "prepare_molecule",
    "random_rotations",
    "read_records",
]
