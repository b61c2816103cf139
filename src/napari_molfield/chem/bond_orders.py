"""Bond orders and hydrogen counts of one hetero residue (a ligand) cut out of a complex.

The residue keeps its bonds; a bond to a neighbouring residue becomes a capping hydrogen.
A SMILES template assigns bond orders and charges with RDKit's
``AssignBondOrdersFromTemplate``; without one, hydrogens are placed from the geometry
(planar and linear centres, short terminal bonds) and RDKit's
``rdDetermineBonds.DetermineBondOrders`` assigns bond orders for a neutral residue. Where
the geometry overestimates unsaturation (a planar amide N), the atoms that
``DetermineBondOrders`` could only leave charged get one more hydrogen (a cation one
fewer) and the bond orders are determined again.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from ..errors import MolfieldError

# Standard valences of atoms that can carry hydrogens (neutral forms).
_VALENCE = {"C": 4, "N": 3, "O": 2, "S": 2, "P": 3, "B": 3, "Se": 2, "Si": 4}
# Upper lengths (Å) of a double (or triple) bond to a terminal atom, by element pair.
_DOUBLE = {
    frozenset("CO"): 1.28, frozenset("CN"): 1.33, frozenset("C"): 1.40,
    frozenset("NO"): 1.28, frozenset("SO"): 1.55, frozenset("PO"): 1.55,
    frozenset("CS"): 1.70, frozenset("N"): 1.30,
}
_TRIPLE = {frozenset("CN"): 1.20, frozenset("C"): 1.25}


def _angle(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> float:
    u, v = a - b, c - b
    cos = float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v) + 1e-12))
    return float(np.degrees(np.arccos(np.clip(cos, -1.0, 1.0))))


def _planar_ring_atoms(mol: Any, xyz: np.ndarray) -> set[int]:
    out: set[int] = set()
    for ring in mol.GetRingInfo().AtomRings():
        if len(ring) not in (5, 6):
            continue
        pts = xyz[list(ring)]
        centred = pts - pts.mean(axis=0)
        if np.linalg.svd(centred, compute_uv=False)[-1] / np.sqrt(len(ring)) < 0.1:
            out.update(ring)
    return out

def _fragment(mol: Any, idx: list[int], xyz: np.ndarray, caps: bool) -> tuple[Any, int]:
    """The residue's atoms and bonds; bonds leaving it end in capping hydrogens."""
    from rdkit import Chem
    from rdkit.Geometry import Point3D

    inside = {j: k for k, j in enumerate(idx)}
    rw = Chem.RWMol()
    for j in idx:
        atom = Chem.Atom(mol.GetAtomWithIdx(j).GetAtomicNum())
        atom.SetNoImplicit(False)
        rw.AddAtom(atom)
    n_caps = 0
    for j in idx:
        for nb in mol.GetAtomWithIdx(j).GetNeighbors():
            o = nb.GetIdx()
            if o in inside:
                if inside[j] < inside[o]:
                    rw.AddBond(inside[j], inside[o], Chem.BondType.SINGLE)
            elif caps and nb.GetAtomicNum() > 1:
                h = rw.AddAtom(Chem.Atom(1))
                rw.AddBond(inside[j], h, Chem.BondType.SINGLE)
                n_caps += 1
    conf = Chem.Conformer(rw.GetNumAtoms())
    pos = list(xyz[idx])
    for j in idx:
        for nb in mol.GetAtomWithIdx(j).GetNeighbors():
            if caps and nb.GetIdx() not in inside and nb.GetAtomicNum() > 1:
                pos.append(xyz[nb.GetIdx()])
    for k, p in enumerate(pos):
        conf.SetAtomPosition(k, Point3D(*map(float, p)))
    rw.AddConformer(conf, assignId=True)
    return rw, n_caps


def residue_bond_orders(
    mol: Any, idx: list[int], xyz: np.ndarray, smiles: str | None, name: str
) -> Any:
    """Residue atoms ``idx`` of ``mol`` as an RDKit molecule with bond orders, formal
    charges and implicit hydrogens (None when no bond orders fit).

    Raises
    ------
    MolfieldError
        For an invalid SMILES template or one that does not match the residue.
    """
    from rdkit import Chem
    from rdkit.Chem import AllChem

    from .smiles import RDKitLog

    if smiles is not None:
        frag, _ = _fragment(mol, idx, xyz, caps=False)
        template = Chem.MolFromSmiles(smiles)
        if template is None:
            raise MolfieldError(f"Invalid SMILES {smiles!r} given for residue {name}.")
        template = Chem.RemoveHs(template)
        if template.GetNumAtoms() != len(idx):
            raise MolfieldError(
                f"The SMILES {smiles!r} does not match residue {name} ({template.GetNumAtoms()} "
                f"heavy atoms, the residue has {len(idx)})."
            )
        try:
            with RDKitLog():
                out = AllChem.AssignBondOrdersFromTemplate(template, frag.GetMol())
        except ValueError:
            raise MolfieldError(
                f"The SMILES {smiles!r} does not match residue {name} "
                f"({len(idx)} heavy atoms as read)."
            ) from None
        Chem.SanitizeMol(out, catchErrors=True)
        return out
    frag, _ = _fragment(mol, idx, xyz, caps=True)
    return _determine(frag, 0)


def _unsaturation(frag: Any, i: int, xyz: np.ndarray, planar: set[int]) -> int:
    """Bonds beyond single ones that the geometry suggests at atom ``i`` (0, 1 or 2)."""
    atom = frag.GetAtomWithIdx(i)
    nbrs = [n.GetIdx() for n in atom.GetNeighbors()]
    d = len(nbrs)
    cap = _VALENCE.get(atom.GetSymbol(), 0) - d
    if cap <= 0 or d == 0:
        return 0
    if d == 1:
        j = nbrs[0]
        pair = frozenset((atom.GetSymbol(), frag.GetAtomWithIdx(j).GetSymbol()))
        length = float(np.linalg.norm(xyz[i] - xyz[j]))
        if length < _TRIPLE.get(pair, 0.0):
            return min(2, cap)
        return min(1, cap) if length < _DOUBLE.get(pair, 0.0) else 0
    angles = [_angle(xyz[a], xyz[i], xyz[b]) for k, a in enumerate(nbrs) for b in nbrs[k + 1:]]
    if d == 2 and max(angles) > 170.0:
        return min(2, cap)
    flat = sum(angles) > 350.0 if d == 3 else d == 2 and angles[0] > 115.0
    return min(1, cap) if flat or i in planar else 0


def _determine(frag: Any, charge: int) -> Any:
    """Hydrogen counts from geometry, bond orders and charges from ``DetermineBondOrders``.

    The geometry overestimates unsaturation (an amide N is planar too); atoms that
    ``DetermineBondOrders`` can only leave charged get a hydrogen more (a cation one
    fewer), and the bond orders are determined again, at most four times.
    """
    from rdkit import Chem
    from rdkit.Chem import rdDetermineBonds

    from .smiles import RDKitLog

    n = frag.GetNumAtoms()
    xyz = frag.GetConformer().GetPositions()
    Chem.FastFindRings(frag)
    planar = _planar_ring_atoms(frag, xyz)
    heavy = [i for i in range(n) if frag.GetAtomWithIdx(i).GetAtomicNum() > 1]
    n_h = {
        i: max(_VALENCE.get(frag.GetAtomWithIdx(i).GetSymbol(), 0)
               - frag.GetAtomWithIdx(i).GetDegree() - _unsaturation(frag, i, xyz, planar), 0)
        for i in heavy
    }
    for _ in range(4):
        rw = Chem.RWMol(frag)
        for i in heavy:
            for _ in range(n_h[i]):
                rw.AddBond(i, rw.AddAtom(Chem.Atom(1)), Chem.BondType.SINGLE)
        trial = rw.GetMol()
        try:
            with RDKitLog():
                rdDetermineBonds.DetermineBondOrders(trial, charge=charge, embedChiral=False)
                Chem.SanitizeMol(trial)
            return _with_implicit(trial, n, n_h)
        except (ValueError, RuntimeError) as exc:
            found = re.search(r"does not match input \((-?\d+)\)", str(exc))
            if found is None:
                return None
            trial = rw.GetMol()
            try:
                with RDKitLog():
                    rdDetermineBonds.DetermineBondOrders(
                        trial, charge=int(found.group(1)), embedChiral=False
                    )
            except (ValueError, RuntimeError):
                return None
            changed = False
            for i in heavy:
                q = trial.GetAtomWithIdx(i).GetFormalCharge()
                if q < 0 or (q > 0 and trial.GetAtomWithIdx(i).GetSymbol() == "C"):
                    n_h[i] += 1
                    changed = True
                elif q > 0 and n_h[i] > 0:
                    n_h[i] -= 1
                    changed = True
            if not changed:
                return None
    return None


def _with_implicit(trial: Any, n: int, n_h: dict[int, int]) -> Any:
    """The first ``n`` atoms of ``trial`` with its added hydrogens as implicit ones."""
    from rdkit import Chem

    rw = Chem.RWMol(trial)
    for i, k in n_h.items():
        a = rw.GetAtomWithIdx(i)
        a.SetNoImplicit(True)
        a.SetNumExplicitHs(k)
    for j in range(rw.GetNumAtoms() - 1, n - 1, -1):
        rw.RemoveAtom(j)
    out = rw.GetMol()
    Chem.SanitizeMol(out, catchErrors=True)
    return out
