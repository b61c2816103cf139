"""A :class:`Molecule` from per-atom tables (GRO files, MD topologies and trajectories)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .checks import checked_elements, warn_guessed
from .elements import is_known_element
from .guess_elements import WATERS, guess_elements
from .ligand import classify_residues, ligand_selection, polymer_by_name
from .molecule import Molecule


def water_mask(residue_names: Sequence[str] | np.ndarray) -> np.ndarray:
    """``[A]`` True for atoms of water residues (PDB and MD names)."""
    return np.array([str(r).strip().upper() in WATERS for r in residue_names], dtype=bool)


def molecule_from_table(
    label: str,
    *,
    name: str,
    source: str,
    atom_names: Sequence[str],
    residue_names: Sequence[str],
    residue_numbers: Sequence[int],
    chains: Sequence[str],
    coords: np.ndarray,
    elements: Sequence[str] | None = None,
    ligand: str | Sequence[str] | None = None,
    conformer_names: list[str] | None = None,
) -> Molecule:
    """Elements (given where valid, else inferred from names), ligand and checks.

    Parameters
    ----------
    label
        File name(s) for messages.
    name, source, conformer_names
        Copied to the molecule.
    atom_names, residue_names, residue_numbers, chains
        ``[A]`` annotations.
    coords
        ``[K, A, 3]`` coordinates in Å.
    elements
        ``[A]`` element symbols when the format has them; blank or invalid ones are
        inferred from residue and atom names (with one warning).
    ligand
        Residue name(s) of the ligand; by default the largest non-polymer residue.

    Raises
    ------
    MolfieldError
        For no atoms, NaN coordinates or a missing ligand residue (atoms of no known
        element, such as coarse-grained beads, are read as ``"X"``).
    """
    guessed = guess_elements(residue_names, atom_names) if len(atom_names) else []
    if elements is None:
        els, n_guessed = guessed, len(guessed)
    else:
        els, n_guessed = [], 0
        for given, g in zip(elements, guessed, strict=True):
            ok = str(given).strip() and is_known_element(given)
            els.append(str(given).strip() if ok else g)
            n_guessed += not ok
    warn_guessed(label, n_guessed, len(els))
    symbols = checked_elements(label, els, coords, atom_names, dummies_ok=True)
    res = np.array([str(r) for r in residue_names], dtype=object)
    keys = list(zip(chains, residue_numbers, res, strict=True))
    hetero_list = classify_residues(res, keys, polymer_by_name(res), symbols)
    mask, chosen = ligand_selection(label, res, hetero_list, ligand)
    return Molecule(
        elements=symbols,
        coords=coords,
        name=name,
        atom_names=list(atom_names),
        residue_names=res,
        residue_numbers=list(residue_numbers),
        chains=list(chains),
        ligand_mask=mask,
        hetero=~polymer_by_name(res) & ~water_mask(res),
        source=source,
        conformer_names=conformer_names,
        ligand_residues=chosen,
    )
