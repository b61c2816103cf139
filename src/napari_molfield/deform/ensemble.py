"""Ensembles: molecules (or conformers) that hold the same atoms in the same order."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from .config import TEMPLATES


def as_molecules(items: Molecule | Sequence[Molecule]) -> list[Molecule]:
    """``items`` as a non-empty list of molecules."""
    mols = [items] if isinstance(items, Molecule) else list(items)
    if not mols or not all(isinstance(m, Molecule) for m in mols):
        raise MolfieldError("Give a molecule or a list of molecules with the same atoms.")
    return mols


def atoms_differ(mols: Sequence[Molecule]) -> str | None:
    """Why ``mols`` are not one ensemble (one sentence), or None when they are."""
    first = mols[0]
    for m in mols[1:]:
        if m.n_atoms != first.n_atoms:
            return (f"{first.name} and {m.name} do not hold the same atoms ({first.n_atoms} vs "
                    f"{m.n_atoms} atoms): a deformable fit needs the same atoms in the same "
                    "order in every conformer.")
        bad = np.flatnonzero(m.elements != first.elements)
        if len(bad):
            i = int(bad[0])
            return (f"{first.name} and {m.name} do not hold the same atoms (atom {i + 1} is "
                    f"{first.elements[i]} in one and {m.elements[i]} in the other): a "
                    "deformable fit needs the same atoms in the same order in every conformer.")
    return None


def is_ensemble(items: Molecule | Sequence[Molecule]) -> bool:
    """Whether ``items`` share their atoms and hold at least two conformers in all."""
    mols = as_molecules(items)
    return atoms_differ(mols) is None and sum(m.n_conformers for m in mols) >= 2


def ensemble_molecule(items: Molecule | Sequence[Molecule], add_hydrogens: bool = False
                      ) -> tuple[Molecule, bool]:
    """One `Molecule` holding every conformer of ``items`` in order, and whether H were added.

    Raises
    ------
    MolfieldError
        When the molecules do not hold the same atoms in the same order.
    """
    mols = as_molecules(items)
    added = add_hydrogens and not any(m.has_hydrogens for m in mols)
    if added:
        from ..chem.hydrogens import add_hydrogens as add_h

        mols = [add_h(m) for m in mols]
    why = atoms_differ(mols)
    if why is not None:
        raise MolfieldError(why)
    if len(mols) == 1:
        return mols[0], added
    first = mols[0]
    names = []
    for m in mols:
        assert m.conformer_names is not None
        names += ([m.name] if m.n_conformers == 1
                  else [f"{m.name} [{c}]" for c in m.conformer_names])
    coords = np.concatenate([m.coords for m in mols])
    ens = first.subset(np.ones(first.n_atoms, bool), conformers=[0])
    ens.coords = coords
    ens.conformer_names = names
    ens.name = " → ".join(dict.fromkeys(m.name for m in mols))[:80]
    return ens, added


def template_atoms(coords: np.ndarray, how: str = "mean") -> np.ndarray:
    """``[A, 3]`` template atoms of conformers ``coords`` ``[K, A, 3]``.

    ``"mean"``: the mean structure; ``"first"``: conformer 0; ``"medoid"``: the conformer
    with the smallest RMSD to the mean.
    """
    c = np.asarray(coords, dtype=np.float64)
    if how not in TEMPLATES:
        raise MolfieldError(f"Unknown template {how!r}: use one of {', '.join(TEMPLATES)}.")
    mean = c.mean(axis=0)
    if how == "mean":
        return mean
    if how == "first":
        return c[0].copy()
    rmsd = np.sqrt(((c - mean) ** 2).sum(-1).mean(-1))
    return c[int(np.argmin(rmsd))].copy()


__all__ = ["as_molecules", "atoms_differ", "ensemble_molecule", "is_ensemble", "template_atoms"]
