"""napari-molfield: molecular neural fields.

The notebook API is imported lazily, so ``import napari_molfield`` is cheap and never
imports torch or Qt::

    import napari_molfield as mf
    mol = mf.read_molecules("1iep.pdb")[0]
    field = mf.sample_field(mol, resolution=64)
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "MolfieldError": "napari_molfield.errors",
    "Molecule": "napari_molfield.chem.molecule",
    "read_molecules": "napari_molfield.chem.readers",
    "from_smiles": "napari_molfield.chem.smiles",
    "add_hydrogens": "napari_molfield.chem.hydrogens",
    "Box": "napari_molfield.fields.box",
    "Field": "napari_molfield.fields.field",
    "ChannelSpec": "napari_molfield.fields.channels",
    "sample_field": "napari_molfield.fields.sample",
    "sample_points": "napari_molfield.fields.sample",
    "psnr": "napari_molfield.fields.metrics",
    "read_field": "napari_molfield.fields.io",
    "write_field": "napari_molfield.fields.io",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'napari_molfield' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
