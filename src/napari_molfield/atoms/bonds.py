"""Bonds from atom positions: RDKit's rdDetermineBonds on recovered atoms.

Connectivity comes from covalent radii (``DetermineConnectivity``); bond orders and
formal charges from ``DetermineBondOrders`` given the total charge (the xyz2mol
algorithm), which needs the hydrogens. When no valid molecule results, the
connectivity-only molecule (single bonds, unsanitised) is kept with a sentence saying why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from rdkit import Chem


def xyz_block(elements: np.ndarray, xyz: np.ndarray, title: str = "") -> str:
    """An XYZ file's text for ``elements`` ``[A]`` at ``xyz`` ``[A, 3]`` Å."""
    lines = [str(len(elements)), title.replace("\n", " ")]
    lines += [
        f"{e:<2s} {x:12.6f} {y:12.6f} {z:12.6f}"
        for e, (x, y, z) in zip(elements, np.asarray(xyz, float).reshape(-1, 3), strict=True)
    ]
    return "\n".join(lines) + "\n"


def bonded_molecule(
    elements: np.ndarray, xyz: np.ndarray, charge: int = 0, *, orders: bool = True
) -> tuple[Chem.Mol | None, str]:
    """An RDKit molecule with bonds for atoms at ``xyz``.

    Parameters
    ----------
    elements
        ``[A]`` element symbols.
    xyz
        ``[A, 3]`` coordinates, Å.
    charge
        Total charge given to ``DetermineBondOrders``.
    orders
        Also assign bond orders (otherwise every bond is single).

    Returns
    -------
    mol
        The molecule with one conformer (``None`` when even the connectivity fails).
    message
        ``""`` for a sanitised molecule with bond orders, otherwise one sentence on what
        is missing and why (a valence problem, radicals from missing hydrogens, …).
    """
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds

    from ..chem.smiles import RDKitLog

    if len(elements) == 0:
        return None, "no atoms were recovered"
    with RDKitLog() as log:
        mol = Chem.MolFromXYZBlock(xyz_block(np.asarray(elements), xyz))
    if mol is None:
        return None, f"RDKit could not read the atoms ({log.summary() or 'unknown error'})"
    try:
        with RDKitLog():
            rdDetermineBonds.DetermineConnectivity(mol, useHueckel=False, charge=int(charge))
    except Exception as exc:  # RDKit raises plain RuntimeError/ValueError
        return None, f"no connectivity could be determined ({_reason(exc)})"
    connected = Chem.Mol(mol)
    problem = _valence_problem(connected)
    if problem:
        connected.UpdatePropertyCache(strict=False)
        return connected, problem
    if not orders:
        connected.UpdatePropertyCache(strict=False)
        return connected, "bond orders were not assigned"
    no_h = not any(a.GetAtomicNum() == 1 for a in mol.GetAtoms())
    hint = " (the atoms include no hydrogens)" if no_h else ""
    try:
        with RDKitLog() as log:
            rdDetermineBonds.DetermineBondOrders(
                mol, charge=int(charge), allowChargedFragments=True, embedChiral=False
            )
            Chem.SanitizeMol(mol)
    except Exception as exc:
        connected.UpdatePropertyCache(strict=False)
        return connected, (
            f"bond orders for total charge {int(charge)} failed ({_reason(exc)}){hint}; "
            "only single bonds are given"
        )
    radicals = sum(a.GetNumRadicalElectrons() for a in mol.GetAtoms())
    if radicals:
        return mol, f"the molecule has {radicals} radical electrons{hint}"
    return mol, ""


#: N, O, P, S may carry one more bond as cations (ammonium, oxonium, …).
_ONIUM = (7, 8, 15, 16)


def _valence_problem(mol: Chem.Mol) -> str:
    """A sentence naming atoms with more neighbours than their element allows, or ``""``."""
    from rdkit import Chem

    table = Chem.GetPeriodicTable()
    bad = []
    for a in mol.GetAtoms():
        allowed = max(table.GetValenceList(a.GetAtomicNum()), default=-1)
        if allowed < 0:  # metals: any number of neighbours
            continue
        allowed += 1 if a.GetAtomicNum() in _ONIUM else 0
        if a.GetDegree() > max(allowed, 1):
            bad.append(f"{a.GetSymbol()}{a.GetIdx() + 1} has {a.GetDegree()} neighbours")
    if not bad:
        return ""
    more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
    return f"valence problem: {', '.join(bad[:3])}{more}; only single bonds are given"


def _reason(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
