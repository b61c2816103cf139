"""Which atoms of a complex are "the ligand", and which hetero residues a file has.

A residue is **polymer** when it belongs to a polymer entity (gemmi's ``setup_entities``
for PDB/mmCIF, so a modified residue such as CSO inside a chain counts as protein), or,
for formats without entities (GRO, trajectories), when its name is an amino acid or
nucleotide. Non-polymer residues are **water**, **ion** (one heavy atom) or **ligand**.
The default ligand is the largest ligand residue (most heavy atoms in one copy), with all
its copies; the user may name other residues instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import MolfieldError
from .guess_elements import AMINO_ACIDS, NUCLEOTIDES, WATERS

_KINDS = ("ligand", "ion", "water", "modified")


@dataclass(frozen=True)
class HeteroResidue:
    """One kind of hetero residue in a file.

    Attributes
    ----------
    name
        Residue name (``"STI"``).
    kind
        ``"ligand"``, ``"ion"``, ``"water"`` or ``"modified"`` (a non-standard polymer
        residue such as CSO or MSE).
    copies
        Number of residues with this name.
    atoms
        Atoms in the largest copy (hydrogens included).
    heavy_atoms
        Heavy atoms in the largest copy.
    """

    name: str
    kind: str
    copies: int
    atoms: int
    heavy_atoms: int


def polymer_by_name(residue_names: Sequence[str] | np.ndarray) -> np.ndarray:
    """``[A]`` True where the residue name is an amino acid or nucleotide (standard,
    MD variants, or a modified residue that the chemical component dictionary knows)."""
    import gemmi

    cache: dict[str, bool] = {}
    out = np.zeros(len(residue_names), dtype=bool)
    for i, raw in enumerate(residue_names):
        name = str(raw).strip().upper()
        if name not in cache:
            info = gemmi.find_tabulated_residue(name)
            tab = info is not None and (info.is_amino_acid() or info.is_nucleic_acid())
            cache[name] = name in AMINO_ACIDS or name in NUCLEOTIDES or tab
        out[i] = cache[name]
    return out


def classify_residues(
    residue_names: np.ndarray,
    residue_keys: Sequence[object],
    polymer: np.ndarray,
    elements: np.ndarray,
) -> list[HeteroResidue]:
    """The hetero residues (non-standard names) of per-atom tables, in file order.

    Parameters
    ----------
    residue_names, residue_keys, polymer, elements
        ``[A]`` residue names, hashable residue identities (chain, number, insertion
        code, name), polymer flags and element symbols.
    """
    names = [str(r).strip() for r in residue_names]
    heavy = ~np.isin(elements, ["H", "D", "T"])
    per_res: dict[object, list[int]] = {}
    for i, key in enumerate(residue_keys):
        per_res.setdefault(key, []).append(i)
    found: dict[str, list[int]] = {}  # name -> [copies, atoms, heavy, kind index]
    for idx in per_res.values():
        name = names[idx[0]]
        upper = name.upper()
        if upper in AMINO_ACIDS or upper in NUCLEOTIDES:
            continue
        n_heavy = int(heavy[idx].sum())
        if upper in WATERS:
            kind = 2
        elif bool(polymer[idx[0]]):
            kind = 3
        elif n_heavy <= 1:
            kind = 1
        else:
            kind = 0
        entry = found.setdefault(name, [0, 0, 0, kind])
        entry[0] += 1
        entry[1] = max(entry[1], len(idx))
        entry[2] = max(entry[2], n_heavy)
    return [
        HeteroResidue(name, _KINDS[k], copies, atoms, nh)
        for name, (copies, atoms, nh, k) in found.items()
    ]


def default_ligand(hetero: Sequence[HeteroResidue]) -> tuple[str, ...]:
    """The name of the largest ligand residue (first in file order on a tie), or ()."""
    ligands = [h for h in hetero if h.kind == "ligand"]
    if not ligands:
        return ()
    best = max(ligands, key=lambda h: h.heavy_atoms)  # max keeps the first on ties
    return (best.name,)


def ligand_selection(
    label: str,
    residue_names: np.ndarray,
    hetero: Sequence[HeteroResidue],
    ligand: str | Sequence[str] | None,
) -> tuple[np.ndarray, tuple[str, ...]]:
    """``[A]`` ligand mask and the ligand residue names (default or requested).

    Raises
    ------
    MolfieldError
        When a requested residue name is not in the file.
    """
    names = np.array([str(r).strip().upper() for r in residue_names], dtype=object)
    if ligand is None:
        chosen = default_ligand(hetero)
        return np.isin(names, [c.upper() for c in chosen]), chosen
    raw = ligand.split(",") if isinstance(ligand, str) else list(ligand)
    wanted = [n.strip().upper() for n in raw if n.strip()]
    missing = sorted(set(wanted) - set(names))
    if missing or not wanted:
        het = [h.name for h in hetero if h.kind != "water"]
        raise MolfieldError(
            f"{label}: no residue named {', '.join(missing) or repr(ligand)} "
            f"(hetero residues present: {', '.join(het) or 'none'})."
        )
    mask = np.isin(names, wanted)
    chosen = tuple(dict.fromkeys(str(r).strip() for r in residue_names[mask]))
    return mask, chosen
