"""Choosing a complex's ligand in the widgets (Qt- and torch-free).

`ligand_choices` lists the hetero residues of a molecule's file (cached per file);
`resplit` returns the molecule with another ligand, read again from its file with
``read_molecules(path, ligand=…)`` as the chem readers define it.
"""

from __future__ import annotations

import os
from functools import lru_cache

import numpy as np

from ..chem.molecule import Molecule

#: The combo-box value meaning "keep the ligand the reader chose".
AS_READ = ""


@lru_cache(maxsize=32)
def _hetero_names(path: str, mtime: float) -> tuple[str, ...]:
    from ..chem.readers import hetero_residues

    try:
        return tuple(h.name for h in hetero_residues(path) if h.kind != "water")
    except Exception:  # not a structure file with residues (SDF, SMILES …)
        return ()


def hetero_names(molecule: Molecule | None) -> tuple[str, ...]:
    """Names of the non-water hetero residues in ``molecule``'s source file (file order)."""
    path = molecule.source if molecule is not None else None
    if not path or not os.path.isfile(path):
        return ()
    return _hetero_names(str(path), os.path.getmtime(path))


def ligand_choices(molecule: Molecule | None) -> list[tuple[str, str]]:
    """``(label, value)`` pairs for a ligand combo box: the reader's choice, then each
    hetero residue of the file (the current ligand marked)."""
    current = tuple(molecule.ligand_residues) if molecule is not None else ()
    first = f"as read ({', '.join(current)})" if current else "as read (none)"
    return [(first, AS_READ)] + [
        (f"{name} (current)" if name in current else name, name)
        for name in hetero_names(molecule)
    ]


def resplit(molecule: Molecule, ligand: str) -> Molecule:
    """``molecule`` with ``ligand`` (a residue name, or a comma list) as its ligand.

    The file is read again with that ligand; when the molecule in the viewer is a part
    of the file (a chain, say) its atoms are matched by residue name instead.
    """
    from ..chem.readers import read_molecules

    names = tuple(n.strip() for n in ligand.split(",") if n.strip())
    if not names or names == tuple(molecule.ligand_residues):
        return molecule
    if molecule.source and os.path.isfile(molecule.source):
        for mol in read_molecules(molecule.source, ligand=",".join(names)):
            if mol.n_atoms == molecule.n_atoms and np.array_equal(
                mol.residue_names, molecule.residue_names
            ):
                out = molecule.subset(np.ones(molecule.n_atoms, bool))
                out.ligand_mask = mol.ligand_mask.copy()
                out.ligand_residues = tuple(mol.ligand_residues)
                return out
    out = molecule.subset(np.ones(molecule.n_atoms, bool))
    out.ligand_mask = np.isin(out.residue_names.astype(str), names)
    out.ligand_residues = names
    return out
