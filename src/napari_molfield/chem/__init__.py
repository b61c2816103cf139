"""Molecules: the `Molecule` container, readers, SMILES and element tables.

Importing this package is light: RDKit, gemmi and MDAnalysis are imported only when a
reader, :func:`read_trajectory`, :func:`from_smiles` or :func:`add_hydrogens` runs.
"""

from __future__ import annotations

from typing import Any

from .elements import (
    KNOWN_ELEMENTS,
    PROPERTY_NAMES,
    atomic_number,
    element_color,
    element_property,
    vdw_radius,
)
from .molecule import Molecule
from .readers import SUPPORTED_EXTENSIONS, can_read, read_molecules

__all__ = [
    "KNOWN_ELEMENTS",
    "PROPERTY_NAMES",
    "SUPPORTED_EXTENSIONS",
    "Molecule",
    "add_hydrogens",
    "atomic_number",
    "can_read",
    "descriptors",
    "element_color",
    "element_property",
    "from_smiles",
    "hetero_residues",
    "read_molecules",
    "read_trajectory",
    "vdw_radius",
]


def __getattr__(name: str) -> Any:
    # Lazy: these modules are cheap, but keep the import graph obvious.
    if name == "add_hydrogens":
        from .hydrogens import add_hydrogens

        return add_hydrogens
    if name == "hetero_residues":
        from .readers import hetero_residues

        return hetero_residues
    if name == "read_trajectory":
        from .trajectory import read_trajectory

        return read_trajectory
    if name in ("from_smiles", "descriptors"):
        from . import smiles

        return getattr(smiles, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
