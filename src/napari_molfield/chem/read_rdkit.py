"""SDF/SD, MOL, MOL2 (RDKit) and SMILES files."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .checks import checked_elements
from .molecule import Molecule

#: Extensions read by RDKit's file parsers.
RDKIT_EXTS: tuple[str, ...] = (".sdf", ".sd", ".mol", ".mol2")


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def _rdkit_records(text: str, ext: str) -> list[str]:
    if ext == ".mol2":
        # Tripos comment lines ("#" first) may stand anywhere, even inside the MOLECULE
        # header, where RDKit takes them for the name and counts lines.
        text = "".join(ln for ln in text.splitlines(keepends=True)
                       if not ln.lstrip().startswith("#"))
        parts = text.split("@<TRIPOS>MOLECULE")
        return ["@<TRIPOS>MOLECULE" + p for p in parts[1:] if p.strip()]
    if ext == ".mol":
        return [text]
    records: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.strip() == "$$$$":
            records.append("".join(current) + "$$$$\n")
            current = []
        else:
            current.append(line)
    if "".join(current).strip():
        records.append("".join(current))
    return records


def _section_lines(block: str, name: str) -> list[str]:
    """The non-blank lines of one ``@<TRIPOS>NAME`` section of a MOL2 record."""
    parts = block.split(f"@<TRIPOS>{name}")
    if len(parts) < 2:
        return []
    body = parts[1].split("@<TRIPOS>")[0]
    return [ln for ln in body.splitlines()[1:] if ln.strip()]


def check_mol2_counts(block: str, where: str) -> None:
    """Refuse a MOL2 header whose atom or bond count exceeds its sections.

    RDKit trusts the counts line: ``-1`` atoms made it allocate 16 GB for 30 s.

    Raises
    ------
    MolfieldError
        For a negative count or one larger than the lines of its section.
    """
    header = _section_lines(block, "MOLECULE")
    if len(header) < 2:
        return  # RDKit names what is missing
    try:
        counts = [int(t) for t in header[1].split()[:2]]
    except ValueError:
        return
    n_atoms, n_bonds = [*counts, 0, 0][:2]
    atoms, bonds = len(_section_lines(block, "ATOM")), len(_section_lines(block, "BOND"))
    if not (0 <= n_atoms <= atoms and 0 <= n_bonds <= bonds):
        raise MolfieldError(
            f"{where}: the MOL2 header promises {n_atoms} atoms and {n_bonds} bonds, but "
            f"the ATOM and BOND sections hold {atoms} and {bonds} lines."
        )


def _parse_record(block: str, ext: str, sanitize: bool) -> Any:
    from rdkit import Chem

    if ext == ".mol2":
        return Chem.MolFromMol2Block(block, sanitize=sanitize, removeHs=False)
    if ext == ".mol":
        return Chem.MolFromMolBlock(block, sanitize=sanitize, removeHs=False)
    sup = Chem.SDMolSupplier()
    sup.SetData(block, sanitize=sanitize, removeHs=False)
    return next(iter(sup), None) if len(sup) else None


def read_rdkit(text: str, path: Path, label: str, ext: str, conformers: str) -> list[Molecule]:
    """Molecules of an SDF/SD, MOL or MOL2 text; equal consecutive records become
    conformers when ``conformers == "auto"``."""
    from .smiles import RDKitLog, canonical_smiles, from_rdkit

    blocks = _rdkit_records(text, ext)
    if not blocks:
        what = "no @<TRIPOS>MOLECULE record" if ext == ".mol2" else "no molecule record"
        raise MolfieldError(f"{label}: {what} found.")
    stem = path.name.split(".")[0]
    parsed = []
    for i, block in enumerate(blocks):
        where = f"{label}, record {i + 1}" if len(blocks) > 1 else label
        if ext == ".mol2":
            check_mol2_counts(block, where)
        with RDKitLog() as log:
            mol = _parse_record(block, ext, True)
            sanitized = mol is not None
            if mol is None:
                mol = _parse_record(block, ext, False)
                if mol is not None:
                    mol.UpdatePropertyCache(strict=False)
        if mol is None:
            why = f" ({log.summary()})" if log.messages else ""
            raise MolfieldError(f"{where}: RDKit cannot parse this molecule{why}.")
        if not sanitized:
            warnings.warn(
                f"{where}: RDKit could not sanitise the molecule ({log.summary(1)}); "
                "using it unsanitised with the coordinates as given.",
                stacklevel=3,
            )
        if mol.GetNumAtoms() == 0:
            raise MolfieldError(f"{where}: the molecule has no atoms.")
        if mol.GetNumConformers() == 0:
            raise MolfieldError(f"{where}: the molecule has no coordinates.")
        pos = mol.GetConformer().GetPositions()
        symbols = checked_elements(where, [a.GetSymbol() for a in mol.GetAtoms()], pos)
        title = mol.GetProp("_Name").strip() if mol.HasProp("_Name") else ""
        props = {k: _number(v) for k, v in mol.GetPropsAsDict(False, False).items()}
        smiles = canonical_smiles(mol) if sanitized else None
        name = title or (f"{stem} #{i + 1}" if len(blocks) > 1 else stem)
        parsed.append((name, mol, props, smiles, symbols))

    groups: list[list[tuple[str, Any, dict[str, Any], str | None, np.ndarray]]] = []
    for rec in parsed:
        if conformers == "auto" and groups and _same_atoms(groups[-1][0], rec):
            groups[-1].append(rec)
        else:
            groups.append([rec])
    out = []
    for group in groups:
        name, mol, props, smiles, symbols = group[0]
        m = from_rdkit(mol, name=name, source=str(path), properties=props, smiles=smiles)
        m.smiles = smiles  # None for unsanitised records: their SMILES is unreliable
        m.elements = symbols  # dummy atoms ("*", "Du") as "X"
        if len(group) > 1:
            names = [g[0] for g in group]
            cnames = (
                names if len(set(names)) == len(names)
                else [f"conformer {k + 1}" for k in range(len(group))]
            )
            m = Molecule(
                elements=m.elements,
                coords=np.stack([g[1].GetConformer().GetPositions() for g in group]),
                name=name,
                atom_names=m.atom_names,
                source=str(path),
                smiles=smiles,
                properties=props,
                conformer_names=cnames,
            )
        out.append(m)
    return out


def _same_atoms(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    ea = [x.GetSymbol() for x in a[1].GetAtoms()]
    eb = [x.GetSymbol() for x in b[1].GetAtoms()]
    return ea == eb and a[3] is not None and a[3] == b[3]


def read_smiles(text: str, label: str, n_conformers: int, seed: int) -> list[Molecule]:
    """One molecule per line of a SMILES file (``SMILES [name]``), embedded in 3D."""
    from .smiles import from_smiles, parse_smiles

    out = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split(maxsplit=1)
        if lineno == 1 and parts[0].lower() == "smiles":
            continue  # a header line
        smi = parts[0]
        name = parts[1].strip() if len(parts) > 1 else None
        parse_smiles(smi, f"{label}, line {lineno}")
        try:
            mol = from_smiles(smi, n_conformers=n_conformers, seed=seed, name=name)
        except MolfieldError as exc:
            raise MolfieldError(f"{label}, line {lineno}: {exc}") from None
        mol.source = label
        out.append(mol)
    if not out:
        raise MolfieldError(f"{label}: the file contains no SMILES.")
    return out
