"""Molecules back out of fields: atoms, bonds and files from any Eq. 1 field.

Importing this package does not import torch or RDKit; they are imported when a
recovery runs.

Examples
--------
>>> import napari_molfield as mf
>>> from napari_molfield.atoms import atoms_from_field, write_atoms
>>> mol = mf.read_molecules("caffeine.sdf")[0]
>>> result = atoms_from_field(mf.sample_field(mol, 48))
>>> result.summary()
'C8H10N4O2: 24 atoms, residual 3.1e-05, valid molecule Cn1c(=O)c2c(ncn2C)n(C)c1=O'
>>> write_atoms(result, "caffeine_back.sdf")
"""

from __future__ import annotations

from .bonds import bonded_molecule
from .channels import ElementChannel, element_channels
from .count import ChannelCount, atom_integral, count_channel
from .metrics import RecoveryMetrics, bond_graph_key, match_atoms, pooled, recovery_metrics
from .recover import atoms_from_callable, atoms_from_field
from .result import RecoveredAtoms
from .write import write_atoms

__all__ = [
    "ChannelCount",
    "ElementChannel",
    "RecoveredAtoms",
    "RecoveryMetrics",
    "atom_integral",
    "atoms_from_callable",
    "atoms_from_field",
    "bond_graph_key",
    "bonded_molecule",
    "count_channel",
    "element_channels",
    "match_atoms",
    "pooled",
    "recovery_metrics",
    "write_atoms",
]
