"""Read molecules from structure files: PDB/mmCIF (gemmi), SDF/MOL/MOL2/XYZ (RDKit), SMILES.

Every user-caused problem becomes one :class:`~napari_molfield.errors.MolfieldError`
whose message names the file and the problem. RDKit and gemmi are imported lazily.
"""

from __future__ import annotations

import gzip
import os
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .elements import is_known_element
from .molecule import Molecule, normalise_symbol

_STRUCTURE_EXTS = (".pdb", ".ent", ".cif", ".mmcif")
_RDKIT_EXTS = (".sdf", ".sd", ".mol", ".mol2")
#: File extensions :func:`read_molecules` understands (case-insensitive).
SUPPORTED_EXTENSIONS: tuple[str, ...] = (
    *_STRUCTURE_EXTS,
    *(e + ".gz" for e in _STRUCTURE_EXTS),
    *_RDKIT_EXTS,
    ".xyz",
    ".smi",
    ".smiles",
)
_CONFORMER_MODES = ("auto", "separate")
# Monatomic ions and other single-atom hetero residues are never "the ligand".
_WATER_NAMES = {"HOH", "WAT", "H2O", "DOD", "TIP", "TIP3", "SOL"}


def _extension(path: str | os.PathLike[str]) -> str:
    name = Path(path).name.lower()
    for ext in sorted(SUPPORTED_EXTENSIONS, key=len, reverse=True):
        if name.endswith(ext):
            return ext
    return Path(name).suffix


def can_read(path: object) -> bool:
    """Whether ``path`` is an existing file with a supported extension (cheap check)."""
    if not isinstance(path, (str, os.PathLike)):
        return False
    try:
        return _extension(path) in SUPPORTED_EXTENSIONS and Path(path).is_file()
    except (OSError, ValueError):
        return False


def read_molecules(
    path: str | os.PathLike[str],
    *,
    add_hydrogens: bool = False,
    keep_waters: bool = False,
    ligand: str | Sequence[str] | None = None,
    conformers: str = "auto",
    n_conformers: int = 1,
    seed: int = 0,
) -> list[Molecule]:
    """Read every molecule in a file.

    Parameters
    ----------
    path
        A ``.pdb``/``.ent``/``.cif``/``.mmcif`` (optionally ``.gz``), ``.sdf``/``.sd``,
        ``.mol``, ``.mol2``, ``.xyz`` or ``.smi``/``.smiles`` file.
    add_hydrogens
        Add hydrogens with 3D coordinates to molecules that have none.
    keep_waters
        Keep water molecules of PDB/mmCIF files (dropped by default).
    ligand
        Residue name(s) forming the ligand of a complex (``"STI"``, ``"STI,ATP"`` or a
        list). By default, hetero residues that are neither water nor single atoms.
    conformers
        ``"auto"``: the models of a PDB/mmCIF file, and consecutive SDF/MOL2/XYZ records
        with the same atoms, become conformers of one molecule; ``"separate"``: one
        molecule per model/record.
    n_conformers, seed
        Conformers generated (ETKDGv3, seeded) for each SMILES of a SMILES file.

    Returns
    -------
    list of Molecule

    Raises
    ------
    MolfieldError
        For a missing, empty, binary or malformed file, an unknown extension, a file
        without atoms, NaN/inf coordinates, unknown elements or invalid SMILES.
    """
    path = Path(path)
    label = path.name
    if conformers not in _CONFORMER_MODES:
        raise MolfieldError(
            f"conformers must be 'auto' or 'separate', not {conformers!r}."
        )
    ext = _extension(path)
    if ext not in SUPPORTED_EXTENSIONS:
        raise MolfieldError(
            f"{label}: unknown file type {ext or '(no extension)'!r}; supported are "
            f"{', '.join(SUPPORTED_EXTENSIONS)}."
        )
    if not path.exists():
        raise MolfieldError(f"{label}: no such file ({path}).")
    if not path.is_file():
        raise MolfieldError(f"{label}: not a file ({path}).")
    text = _read_text(path, label)
    if ext.removesuffix(".gz") in _STRUCTURE_EXTS:
        mols = _read_structure(path, label, keep_waters, ligand, conformers)
    elif ext in _RDKIT_EXTS:
        mols = _read_rdkit(text, path, label, ext, conformers)
    elif ext == ".xyz":
        mols = _read_xyz(text, path, label, conformers)
    else:
        mols = _read_smiles(text, label, n_conformers, seed)
    if add_hydrogens:
        from .hydrogens import add_hydrogens as _add_h

        mols = [_add_h(m) for m in mols]
    return mols


# ----------------------------------------------------------------------------- text


def _read_text(path: Path, label: str) -> str:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise MolfieldError(f"{label}: cannot be read ({exc}).") from None
    if not raw.strip():
        raise MolfieldError(f"{label}: the file is empty.")
    head = raw[:65536]
    printable = sum(32 <= b < 127 or b in (9, 10, 13) for b in head)
    if b"\x00" in head or printable < 0.95 * len(head):
        raise MolfieldError(f"{label}: this is not a text file (binary or corrupted content).")
    return raw.decode("utf-8", errors="replace")


def _check_atoms(label: str, elements: Sequence[str], coords: np.ndarray) -> None:
    if len(elements) == 0:
        raise MolfieldError(f"{label}: the file contains no atoms.")
    unknown = sorted({str(e) for e in elements if not is_known_element(e)})
    if unknown:
        raise MolfieldError(
            f"{label}: unknown element symbol(s) {', '.join(map(repr, unknown))}."
        )
    if not np.isfinite(coords).all():
        raise MolfieldError(f"{label}: some atom coordinates are NaN or infinite.")


# ------------------------------------------------------------------------ PDB / CIF


def _read_structure(
    path: Path,
    label: str,
    keep_waters: bool,
    ligand: str | Sequence[str] | None,
    conformers: str,
) -> list[Molecule]:
    import gemmi

    try:
        st = gemmi.read_structure(str(path))
    except (RuntimeError, ValueError, OSError, IndexError) as exc:
        raise MolfieldError(f"{label}: not a valid PDB/mmCIF file ({exc}).") from None
    st.remove_alternative_conformations()
    if not keep_waters:
        st.remove_waters()
    st.remove_empty_chains()
    models = [m for m in st if sum(1 for _ in m.all()) > 0]
    if not models:
        raise MolfieldError(f"{label}: the file contains no atoms.")

    def rows(model: Any) -> list[tuple[Any, ...]]:
        out = []
        seen: dict[tuple[Any, ...], int] = {}
        for ch in model:
            for res in ch:
                for at in res:
                    key = (ch.name, res.seqid.num, res.seqid.icode, res.name, at.name)
                    seen[key] = seen.get(key, 0) + 1
                    out.append(((*key, seen[key]), ch, res, at))
        return out

    tables = [rows(m) for m in models]
    keys0 = [r[0] for r in tables[0]]
    if any([r[0] for r in t] != keys0 for t in tables[1:]):
        common = set(keys0)
        for t in tables[1:]:
            common &= {r[0] for r in t}
        if not common:
            raise MolfieldError(f"{label}: the models share no atoms.")
        warnings.warn(
            f"{label}: models have different atoms; keeping the {len(common)} atoms common "
            "to all models.",
            stacklevel=3,
        )
        keys0 = [k for k in keys0 if k in common]
        tables = [[r for r in t if r[0] in common] for t in tables]
        index = [{r[0]: r for r in t} for t in tables]
        tables = [[ix[k] for k in keys0] for ix in index]
    first = tables[0]
    elements = [normalise_symbol(at.element.name) for _, _, _, at in first]
    coords = np.array(
        [[[at.pos.x, at.pos.y, at.pos.z] for _, _, _, at in t] for t in tables],
        dtype=np.float64,
    )
    _check_atoms(label, elements, coords)
    res_names = np.array([res.name for _, _, res, _ in first], dtype=object)
    hetero = np.array([res.het_flag == "H" for _, _, res, _ in first], dtype=bool)
    residue_id = [(ch.name, res.seqid.num, res.seqid.icode, res.name) for _, ch, res, _ in first]
    ligand_mask = _ligand_mask(label, res_names, hetero, residue_id, ligand)
    name = st.info["_entry.id"] if "_entry.id" in st.info else path.name.split(".")[0]
    mol = Molecule(
        elements=elements,
        coords=coords,
        name=name,
        atom_names=[at.name for _, _, _, at in first],
        residue_names=res_names,
        residue_numbers=[res.seqid.num for _, _, res, _ in first],
        chains=[ch.name for _, ch, _, _ in first],
        hetero=hetero,
        b_factors=[at.b_iso for _, _, _, at in first],
        ligand_mask=ligand_mask,
        source=str(path),
        conformer_names=[f"model {m.num}" if m.num else f"model {i + 1}"
                         for i, m in enumerate(models)],
    )
    if conformers == "separate" and mol.n_conformers > 1:
        return [mol.conformer(k) for k in range(mol.n_conformers)]
    return [mol]


def _ligand_mask(
    label: str,
    res_names: np.ndarray,
    hetero: np.ndarray,
    residue_id: list[tuple[Any, ...]],
    ligand: str | Sequence[str] | None,
) -> np.ndarray:
    if ligand is not None:
        names = ligand.split(",") if isinstance(ligand, str) else list(ligand)
        wanted = {n.strip().upper() for n in names if n.strip()}
        mask = np.isin(np.char.upper(res_names.astype(str)), list(wanted))
        missing = wanted - {str(r).upper() for r in res_names[mask]}
        if missing or not wanted:
            het = sorted({str(r) for r in res_names[hetero]} - _WATER_NAMES)
            raise MolfieldError(
                f"{label}: no residue named {', '.join(sorted(missing)) or repr(ligand)} "
                f"(hetero residues present: {', '.join(het) or 'none'})."
            )
        return mask
    sizes: dict[tuple[Any, ...], int] = {}
    for rid in residue_id:
        sizes[rid] = sizes.get(rid, 0) + 1
    is_water = np.isin(res_names.astype(str), list(_WATER_NAMES))
    big = np.array([sizes[rid] > 1 for rid in residue_id], dtype=bool)
    return hetero & ~is_water & big


# -------------------------------------------------------------------- SDF/MOL/MOL2


def _number(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return value
    return value


def _rdkit_records(text: str, ext: str) -> list[str]:
    if ext == ".mol2":
        parts = text.split("@<TRIPOS>MOLECULE")
        return ["@<TRIPOS>MOLECULE" + p for p in parts[1:] if p.strip()]
    if ext == ".mol":
        return [text]
    records, current = [], []
    for line in text.splitlines(keepends=True):
        if line.strip() == "$$$$":
            records.append("".join(current) + "$$$$\n")
            current = []
        else:
            current.append(line)
    if "".join(current).strip():
        records.append("".join(current))
    return records


def _parse_record(block: str, ext: str, sanitize: bool) -> Any:
    from rdkit import Chem

    if ext == ".mol2":
        return Chem.MolFromMol2Block(block, sanitize=sanitize, removeHs=False)
    if ext == ".mol":
        return Chem.MolFromMolBlock(block, sanitize=sanitize, removeHs=False)
    sup = Chem.SDMolSupplier()
    sup.SetData(block, sanitize=sanitize, removeHs=False)
    return next(iter(sup), None) if len(sup) else None


def _read_rdkit(text: str, path: Path, label: str, ext: str, conformers: str) -> list[Molecule]:
    from .smiles import RDKitLog, canonical_smiles, from_rdkit

    blocks = _rdkit_records(text, ext)
    if not blocks:
        what = "no @<TRIPOS>MOLECULE record" if ext == ".mol2" else "no molecule record"
        raise MolfieldError(f"{label}: {what} found.")
    stem = path.name.split(".")[0]
    parsed = []
    for i, block in enumerate(blocks):
        where = f"{label}, record {i + 1}" if len(blocks) > 1 else label
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
        _check_atoms(where, [a.GetSymbol() for a in mol.GetAtoms()], pos)
        title = mol.GetProp("_Name").strip() if mol.HasProp("_Name") else ""
        props = {k: _number(v) for k, v in mol.GetPropsAsDict(False, False).items()}
        smiles = canonical_smiles(mol) if sanitized else None
        name = title or (f"{stem} #{i + 1}" if len(blocks) > 1 else stem)
        parsed.append((name, mol, props, smiles))

    groups: list[list[tuple[str, Any, dict[str, Any], str | None]]] = []
    for rec in parsed:
        if conformers == "auto" and groups and _same_atoms(groups[-1][0], rec):
            groups[-1].append(rec)
        else:
            groups.append([rec])
    out = []
    for group in groups:
        name, mol, props, smiles = group[0]
        m = from_rdkit(mol, name=name, source=str(path), properties=props, smiles=smiles)
        m.smiles = smiles  # None for unsanitised records: their SMILES is unreliable
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


# ------------------------------------------------------------------------------ XYZ


def _read_xyz(text: str, path: Path, label: str, conformers: str) -> list[Molecule]:
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
        _check_atoms(label, elements, coords)
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
        out.append(
            Molecule(
                elements=group[0][1],
                coords=np.stack([g[2] for g in group]),
                name=name,
                source=str(path),
                conformer_names=names if all(names) and len(set(names)) == len(names)
                else None,
            )
        )
    return out


# --------------------------------------------------------------------------- SMILES


def _read_smiles(text: str, label: str, n_conformers: int, seed: int) -> list[Molecule]:
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
