"""PDB, mmCIF, PQR and PDBQT files through gemmi.

What is removed, and only that: waters (unless ``keep_waters``), alternate locations
beyond the first of each atom, and exact duplicates (same chain name, residue, atom name
and coordinates, wherever in the model they appear: a chain written twice counts once).
Atoms that merely share a name inside a residue (OpenBabel writes every hydrogen of
methane as ``H``) are all kept. A coarse-grained or dummy-atom model (no atom of a known
element) is read with every atom as ``"X"``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .checks import checked_elements, warn_guessed
from .guess_elements import WATERS, guess_element
from .ligand import classify_residues, ligand_selection
from .molecule import Molecule
from .pdb_text import (
    ascii_text,
    check_atom_records,
    cut_short_note,
    fill_pdb_elements,
    normalise_models,
    pdbqt_to_pdb,
    pqr_to_pdb,
)

#: Extensions of the formats read here (without compression suffixes).
STRUCTURE_EXTS: tuple[str, ...] = (".pdb", ".ent", ".cif", ".mmcif", ".pqr", ".pdbqt")
_DUPLICATE_TOL = 1e-3  # Å: atoms this close with the same name are one atom


def _parse(text: str, label: str, ext: str) -> tuple[Any, int]:
    """A gemmi Structure and the number of atoms whose element was inferred."""
    import gemmi

    guessed = 0
    text = ascii_text(text)
    try:
        if ext in (".cif", ".mmcif"):
            doc = gemmi.cif.read_string(text)
            block = doc.sole_block()
            st = gemmi.make_structure_from_block(block)
            if not block.find_values("_atom_site.type_symbol"):
                for res in (r for m in st for ch in m for r in ch):
                    for at in res:
                        at.element = gemmi.Element(guess_element(res.name, at.name))
                        guessed += 1
            return st, guessed
        if ext == ".pqr":
            text = pqr_to_pdb(text, label)
            guessed = sum(1 for ln in text.splitlines() if ln.startswith(("ATOM", "HETATM")))
        elif ext == ".pdbqt":
            text = pdbqt_to_pdb(text)
        check_atom_records(text, label)
        note = cut_short_note(text, label) if ext not in (".pqr", ".pdbqt") else None
        if note:
            warnings.warn(note, stacklevel=4)
        text, renumbered = normalise_models(text)
        if renumbered:
            warnings.warn(f"{label}: MODEL numbers repeat; the models are numbered 1, 2, … "
                          "in file order.", stacklevel=4)
        text, n = fill_pdb_elements(text)
        guessed = max(guessed, n)
        return gemmi.read_pdb_string(text), guessed
    except MolfieldError:
        raise
    except (RuntimeError, ValueError, OSError, IndexError) as exc:
        kind = {".pqr": "PQR", ".pdbqt": "PDBQT"}.get(ext, "PDB/mmCIF")
        why = " ".join(str(exc).split())  # gemmi's messages may span lines
        raise MolfieldError(f"{label}: not a valid {kind} file ({why}).") from None


def _rows(model: Any, keep_waters: bool, polymer_subchains: set[str]) -> tuple[list, int]:
    """(key, chain, residue, atom, polymer) rows of one model and the duplicates dropped."""
    out = []
    dropped = 0
    seen: dict[tuple[Any, ...], int] = {}
    placed: dict[tuple[Any, ...], list[np.ndarray]] = {}
    for ch in model:
        prev_seqid = None
        for res in ch:
            if not keep_waters and (res.is_water() or res.name.upper() in WATERS):
                continue
            alts = [at.altloc for at in res if at.altloc != "\0"]
            # Microheterogeneity: a second residue at the same position, all altlocs.
            if prev_seqid == res.seqid and alts and len(alts) == len(res):
                continue
            prev_seqid = res.seqid
            first_alt: dict[str, str] = {}
            polymer = res.subchain in polymer_subchains
            for at in res:
                if at.altloc != "\0":
                    if first_alt.setdefault(at.name, at.altloc) != at.altloc:
                        continue  # a later alternate location of this atom
                pos = np.array([at.pos.x, at.pos.y, at.pos.z])
                key = (ch.name, _seqnum(res), res.seqid.icode, res.name, at.name)
                same = placed.setdefault(key, [])
                if any(np.abs(p - pos).max() < _DUPLICATE_TOL for p in same):
                    dropped += 1
                    continue
                same.append(pos)
                seen[key] = seen.get(key, 0) + 1
                out.append(((*key, seen[key]), ch, res, at, polymer))
    return out, dropped


def _seqnum(res: Any) -> int:
    """The residue number (gemmi gives None for blank columns 23–26: read as 0)."""
    num = res.seqid.num
    return 0 if num is None else int(num)


def _polymer_subchains(st: Any) -> set[str]:
    import gemmi

    try:
        st.setup_entities()
    except (RuntimeError, ValueError):
        return set()
    return {
        sub for ent in st.entities if ent.entity_type == gemmi.EntityType.Polymer
        for sub in ent.subchains
    }


def read_structure(
    text: str,
    path: Path,
    label: str,
    ext: str,
    keep_waters: bool,
    ligand: str | Sequence[str] | None,
    conformers: str,
) -> list[Molecule]:
    """Molecules of a PDB/mmCIF/PQR/PDBQT text (see :func:`..readers.read_molecules`)."""
    st, guessed = _parse(text, label, ext)
    polymer_subchains = _polymer_subchains(st)
    models = [m for m in st if sum(1 for _ in m.all()) > 0]
    if not models:
        raise MolfieldError(f"{label}: the file contains no atoms.")
    results = [_rows(m, keep_waters, polymer_subchains) for m in models]
    tables = [r[0] for r in results]
    dropped = results[0][1]
    if not tables[0]:
        raise MolfieldError(f"{label}: the file contains no atoms other than water.")
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
        index = [{r[0]: r for r in t} for t in tables]
        tables = [[ix[k] for k in keys0] for ix in index]
    if dropped:
        warnings.warn(
            f"{label}: {dropped} exact duplicate atom(s) (same chain, residue, name and "
            "coordinates) were read once.",
            stacklevel=3,
        )
    first = tables[0]
    coords = np.array(
        [[[at.pos.x, at.pos.y, at.pos.z] for _, _, _, at, _ in t] for t in tables],
        dtype=np.float64,
    )
    atom_names = [at.name for _, _, _, at, _ in first]
    warn_guessed(label, guessed, sum(1 for _ in models[0].all()))
    elements = checked_elements(
        label, [at.element.name for _, _, _, at, _ in first], coords, atom_names,
        dummies_ok=True,
    )
    res_names = np.array([res.name for _, _, res, _, _ in first], dtype=object)
    residue_keys = [(ch.name, _seqnum(res), res.seqid.icode, res.name)
                    for _, ch, res, _, _ in first]
    polymer = np.array([p for *_, p in first], dtype=bool)
    hetero_list = classify_residues(res_names, residue_keys, polymer, elements)
    mask, chosen = ligand_selection(label, res_names, hetero_list, ligand)
    name = st.info["_entry.id"] if "_entry.id" in st.info else path.name.split(".")[0]
    mol = Molecule(
        elements=elements,
        coords=coords,
        name=name,
        atom_names=atom_names,
        residue_names=res_names,
        residue_numbers=[_seqnum(res) for _, _, res, _, _ in first],
        chains=[ch.name for _, ch, _, _, _ in first],
        hetero=[res.het_flag == "H" for _, _, res, _, _ in first],
        b_factors=[at.b_iso for _, _, _, at, _ in first],
        ligand_mask=mask,
        source=str(path),
        conformer_names=[f"model {m.num}" if m.num else f"model {i + 1}"
                         for i, m in enumerate(models)],
        ligand_residues=chosen,
    )
    if conformers == "separate" and mol.n_conformers > 1:
        return [mol.conformer(k) for k in range(mol.n_conformers)]
    return [mol]
