"""Compare recovered atoms with the true ones (for tests and benchmarks).

Atoms are matched per element by the Hungarian algorithm on distances
(``scipy.optimize.linear_sum_assignment``), pairs farther than ``max_distance`` (0.5 Å)
being unmatched. Bond graphs are compared by a canonical SMILES of the connectivity alone
(every bond single, no charges, aromaticity or stereo, hydrogens as atoms), so two
molecules agree when their element-labelled graphs are isomorphic.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .bonds import bonded_molecule

#: Matches farther apart than this (Å) do not count.
MATCH_DISTANCE: float = 0.5


@dataclass
class RecoveryMetrics:
    """How well recovered atoms reproduce the true ones.

    Attributes
    ----------
    n_true, n_found, n_matched
        Atom counts.
    recall
        ``n_matched / n_true``.
    precision
        ``n_matched / n_found``.
    rmsd
        Root-mean-square distance of matched pairs (Å; NaN with no match).
    max_error
        Largest distance of a matched pair (Å).
    same_elements
        Whether the per-element counts agree.
    same_graph
        Whether the bond graphs are isomorphic (``None`` when not compared).
    """

    n_true: int
    n_found: int
    n_matched: int
    recall: float
    precision: float
    rmsd: float
    max_error: float
    same_elements: bool
    same_graph: bool | None = None


def match_atoms(
    true_elements: np.ndarray, true_xyz: np.ndarray, elements: np.ndarray, xyz: np.ndarray,
    max_distance: float = MATCH_DISTANCE,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hungarian matching of atoms of the same element within ``max_distance``.

    Returns
    -------
    i
        Indices into the true atoms.
    j
        Indices into the recovered atoms.
    d
        Distances of the pairs (Å).
    """
    from scipy.optimize import linear_sum_assignment

    te = np.asarray(true_elements).astype(str)
    fe = np.asarray(elements).astype(str)
    tx = np.asarray(true_xyz, float).reshape(-1, 3)
    fx = np.asarray(xyz, float).reshape(-1, 3)
    out_i, out_j = [], []
    for e in np.intersect1d(te, fe):
        ti, fj = np.flatnonzero(te == e), np.flatnonzero(fe == e)
        d = np.sqrt(((tx[ti, None] - fx[None, fj]) ** 2).sum(-1))
        r, c = linear_sum_assignment(d)
        ok = d[r, c] <= max_distance
        out_i.append(ti[r[ok]])
        out_j.append(fj[c[ok]])
    i = np.concatenate(out_i) if out_i else np.zeros(0, int)
    j = np.concatenate(out_j) if out_j else np.zeros(0, int)
    return i, j, np.sqrt(((tx[i] - fx[j]) ** 2).sum(-1))


def bond_graph_key(mol: Any) -> str:
    """Canonical SMILES of ``mol``'s connectivity (elements and bonds only)."""
    from rdkit import Chem

    from ..chem.smiles import RDKitLog

    m = Chem.RWMol(mol)
    for a in m.GetAtoms():
        a.SetFormalCharge(0)
        a.SetNoImplicit(True)
        a.SetNumExplicitHs(0)
        a.SetNumRadicalElectrons(0)
        a.SetIsAromatic(False)
        a.SetChiralTag(Chem.ChiralType.CHI_UNSPECIFIED)
        a.SetIsotope(0)
    for b in m.GetBonds():
        b.SetBondType(Chem.BondType.SINGLE)
        b.SetIsAromatic(False)
        b.SetStereo(Chem.BondStereo.STEREONONE)
    with RDKitLog():
        m.UpdatePropertyCache(strict=False)
        Chem.FastFindRings(m)
        return Chem.MolToSmiles(m.GetMol(), isomericSmiles=False, canonical=True)


def recovery_metrics(
    true_elements: np.ndarray, true_xyz: np.ndarray, elements: np.ndarray, xyz: np.ndarray,
    *, true_mol: Any = None, mol: Any = None, compare_graph: bool = True,
    max_distance: float = MATCH_DISTANCE,
) -> RecoveryMetrics:
    """Recall, precision, RMSD and bond-graph agreement of recovered atoms.

    Parameters
    ----------
    true_elements, true_xyz
        The true atoms ``[A]`` and ``[A, 3]``.
    elements, xyz
        The recovered atoms.
    true_mol, mol
        RDKit molecules with bonds; default: connectivity determined from the
        coordinates with `bonded_molecule` (the same rule for both).
    compare_graph
        Compare bond graphs.
    max_distance
        Matching radius, Å.
    """
    i, _, d = match_atoms(true_elements, true_xyz, elements, xyz, max_distance)
    n_true, n_found = len(true_elements), len(elements)
    te, tc = np.unique(np.asarray(true_elements).astype(str), return_counts=True)
    fe, fc = np.unique(np.asarray(elements).astype(str), return_counts=True)
    same_graph = None
    if compare_graph:
        if true_mol is None:
            true_mol = bonded_molecule(np.asarray(true_elements), true_xyz, orders=False)[0]
        if mol is None and n_found:
            mol = bonded_molecule(np.asarray(elements), xyz, orders=False)[0]
        same_graph = bool(true_mol is not None and mol is not None
                          and bond_graph_key(true_mol) == bond_graph_key(mol))
    return RecoveryMetrics(
        n_true=n_true, n_found=n_found, n_matched=len(i),
        recall=len(i) / n_true if n_true else float("nan"),
        precision=len(i) / n_found if n_found else float("nan"),
        rmsd=float(np.sqrt((d**2).mean())) if len(d) else float("nan"),
        max_error=float(d.max()) if len(d) else float("nan"),
        same_elements=bool(np.array_equal(te, fe) and np.array_equal(tc, fc)),
        same_graph=same_graph,
    )


def pooled(metrics: Sequence[RecoveryMetrics]) -> dict[str, float]:
    """Totals over several molecules: ``recall``, ``precision`` and ``rmsd`` of all atoms
    pooled (not means of per-molecule values), and ``graphs`` equal (a count)."""
    true = sum(m.n_true for m in metrics)
    found = sum(m.n_found for m in metrics)
    matched = sum(m.n_matched for m in metrics)
    sq = sum(m.rmsd**2 * m.n_matched for m in metrics if m.n_matched)
    return {"recall": matched / max(true, 1), "precision": matched / max(found, 1),
            "rmsd": (sq / max(matched, 1)) ** 0.5,
            "graphs": sum(int(bool(m.same_graph)) for m in metrics)}
