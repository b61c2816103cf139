"""Matching recovered atoms to true ones, and comparing bond graphs."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.atoms import bond_graph_key, match_atoms, recovery_metrics
from napari_molfield.atoms.bonds import bonded_molecule

from .conftest import CAFFEINE, rdkit_from_sdf


def test_perfect_recovery(caffeine):
    el, xyz = caffeine.elements, caffeine.coords[0]
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(el))
    m = recovery_metrics(el, xyz, el[perm], xyz[perm] + 0.01,
                         true_mol=rdkit_from_sdf(CAFFEINE))
    assert (m.recall, m.precision, m.n_matched) == (1.0, 1.0, 24)
    assert m.rmsd == pytest.approx(0.01 * np.sqrt(3))
    assert m.same_elements and m.same_graph


def test_missing_extra_moved_and_mislabelled_atoms(caffeine):
    el, xyz = caffeine.elements.copy(), caffeine.coords[0].copy()
    found_el, found_xyz = el[1:].copy(), xyz[1:].copy()  # one atom missing
    found_xyz[0] += [0.7, 0, 0]  # one moved beyond 0.5 Å
    found_el[1] = "S" if found_el[1] != "S" else "C"  # one with the wrong element
    found_el = np.append(found_el, "H")  # one extra
    found_xyz = np.vstack([found_xyz, [30.0, 0, 0]])
    m = recovery_metrics(el, xyz, found_el, found_xyz)
    assert m.n_matched == 21
    assert m.recall == pytest.approx(21 / 24) and m.precision == pytest.approx(21 / 24)
    assert not m.same_elements and m.same_graph is False
    i, _, d = match_atoms(el, xyz, found_el, found_xyz, 0.5)
    assert len(i) == 21 and d.max() < 1e-9


def test_bond_graph_key_ignores_order_charge_and_atom_order(caffeine):
    truth = rdkit_from_sdf(CAFFEINE)
    perm = np.random.default_rng(1).permutation(caffeine.n_atoms)
    mol, _ = bonded_molecule(caffeine.elements[perm], caffeine.coords[0][perm], orders=False)
    assert bond_graph_key(mol) == bond_graph_key(truth)
    # break the bond between two carbons: a different graph
    xyz = caffeine.coords[0].copy()
    methyl = [b.GetEndAtomIdx() for b in truth.GetBonds() if b.GetBeginAtomIdx() == 0]
    assert methyl
    xyz[0] += 1.5 * (xyz[0] - xyz[methyl[0]])
    far, _ = bonded_molecule(caffeine.elements, xyz, orders=False)
    assert bond_graph_key(far) != bond_graph_key(truth)


def test_pooled_totals_weigh_atoms_not_molecules():
    from napari_molfield.atoms import RecoveryMetrics, pooled

    a = RecoveryMetrics(10, 10, 10, 1.0, 1.0, 0.1, 0.2, True, True)
    b = RecoveryMetrics(10, 12, 8, 0.8, 8 / 12, 0.2, 0.3, False, False)
    tot = pooled([a, b])
    assert tot["recall"] == pytest.approx(18 / 20)
    assert tot["precision"] == pytest.approx(18 / 22)
    assert tot["rmsd"] == pytest.approx(((0.01 * 10 + 0.04 * 8) / 18) ** 0.5)
    assert tot["graphs"] == 1
