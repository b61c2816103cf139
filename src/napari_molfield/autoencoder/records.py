"""Rows of dataset files (FreeSolv ``database.txt``, SDF, SMILES, CSV) before 3D coordinates.

Every row that cannot be used is kept as a :class:`RowProblem` with one sentence, never
dropped silently.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from pathlib import Path

from ..chem.molecule import Molecule
from ..errors import MolfieldError


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
    from rdkit import Chem

    from ..chem.smiles import RDKitLog, canonical_smiles, from_rdkit

    try:
        supplier = Chem.SDMolSupplier(str(path), sanitize=True, removeHs=False)
        n = len(supplier)
    except OSError as exc:
        raise MolfieldError(f"{path.name}: cannot read the SD file ({exc}).") from None
    records, problems = [], []
    for i in range(n):
        text = supplier.GetItemText(i)
        title = text.splitlines()[0].strip() if text.strip() else ""
        ident = title or f"{path.stem} #{i + 1}"
        with RDKitLog() as log:
            mol = supplier[i]
        if mol is None or mol.GetNumAtoms() == 0 or mol.GetNumConformers() == 0:
            why = log.summary(1) or "no atoms or coordinates"
            problems.append(RowProblem(i + 1, ident, f"RDKit cannot read the record ({why})"))
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
            problems.append(RowProblem(i + 1, ident, str(exc)))
            continue
        records.append(Record(i + 1, ident, m.smiles, props, molecule=m.conformer(0)))
    return records, problems, n


__all__ = ["Record", "RowProblem", "read_records"]
