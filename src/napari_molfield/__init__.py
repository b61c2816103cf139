"""napari-molfield: molecular neural fields.

The notebook API is imported lazily, so ``import napari_molfield`` is cheap and never
imports torch or Qt. One set of verbs takes every model kind (auto-decoder, deformable
ensemble, auto-encoder; `napari_molfield.models` is the protocol)::

    import napari_molfield as mf
    mol = mf.read_molecules("1iep.pdb")[0]
    field = mf.sample_field(mol, resolution=64)
    model = mf.fit_model(mol, time_budget=60)    # the kind the inputs call for
    mf.save(model, "1iep.safetensors")
    model = mf.load("1iep.safetensors")          # any kind: the header says which
    dense = mf.decode(model, 0, 128)             # any resolution, skip-empty, sub-boxes
    truth = mf.truth(model, 0, 128)              # Eq. 1 at the same voxels
    atoms = mf.atoms(model, 0)                   # RecoveredAtoms with bonds
    path = mf.interpolator(model, [0, 1], 48)    # path.field(0.5)
    ae = mf.load("default")                      # the shipped FreeSolv auto-encoder
    z = mf.encode(ae, "CCO")                     # [1, L]; a list gives [M, L]
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from typing import Any

from ._version import __version__ as __version__

_LAZY = {
    "MolfieldError": "napari_molfield.errors",
    # chem: molecules in
    "Molecule": "napari_molfield.chem.molecule",
    "read_molecules": "napari_molfield.chem.readers",
    "from_smiles": "napari_molfield.chem.smiles",
    "add_hydrogens": "napari_molfield.chem.hydrogens",
    # fields: Eq. 1 on grids and points
    "Box": "napari_molfield.fields.box",
    "Field": "napari_molfield.fields.field",
    "ChannelSpec": "napari_molfield.fields.channels",
    "sample_field": "napari_molfield.fields.sample",
    "sample_points": "napari_molfield.fields.sample",
    "psnr": "napari_molfield.fields.metrics",
    "read_field": "napari_molfield.fields.io",
    "write_field": "napari_molfield.fields.io",
    # every model kind: one protocol, one dispatch (napari_molfield.models)
    "models": None,
    "kind_of": "napari_molfield.models",
    "load": "napari_molfield.models",
    "save": "napari_molfield.models",
    "fit": "napari_molfield.models",
    "fit_model": "napari_molfield.models",
    "decode": "napari_molfield.models",
    "truth": "napari_molfield.models",
    "atoms": "napari_molfield.models",
    "interpolator": "napari_molfield.models",
    "latents": "napari_molfield.models",
    # auto-encoder training and encoding
    "train": "napari_molfield.autoencoder.train",
    "encode_molecules": "napari_molfield.autoencoder.encode",
    # the latent landscape: maps of any latents, and ways through them
    "latent_map": "napari_molfield.landscape.embedding",
    "Embedding": "napari_molfield.landscape.embedding",
}
#: Earlier names of the same verbs (kept so old notebooks run).
_ALIASES = {"load_model": "load", "save_model": "save", "truth_field": "truth",
            "save_autoencoder": "save"}
#: Names whose object is defined here (lazily) rather than re-exported.
_OWN = ("encode", "load_autoencoder")

__all__ = sorted([*_LAZY, *_OWN])


def load_autoencoder(path: str | None = None, device: str = "cpu") -> Any:
    """An auto-encoder checkpoint, or the shipped FreeSolv model when ``path`` is None
    (the same as ``load(path or "default")``)."""
    from .models import load

    return load("default" if path is None else path, device=device)


def encode(model: Any, molecules: Any, refine_steps: int = 0) -> Any:
    """Latents ``[M, L]`` of molecules or SMILES (`encode_molecules`); one SMILES string or
    `Molecule` is one molecule (``[1, L]``)."""
    from .autoencoder.encode import encode_molecules

    one = isinstance(molecules, str) or not isinstance(molecules, Iterable)
    return encode_molecules(model, [molecules] if one else list(molecules),
                            refine_steps=refine_steps)


def __getattr__(name: str) -> Any:
    if name == "models":
        return importlib.import_module("napari_molfield.models")
    if name in _ALIASES:
        return __getattr__(_ALIASES[name])
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'napari_molfield' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
