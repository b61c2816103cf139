"""napari-molfield: molecular neural fields.

The notebook API is imported lazily, so ``import napari_molfield`` is cheap and never
imports torch or Qt::

    import napari_molfield as mf
    mol = mf.read_molecules("1iep.pdb")[0]
    field = mf.sample_field(mol, resolution=64)
    model = mf.fit_model(mol, time_budget=60)          # auto-decoder
    mf.save_model(model, "1iep.safetensors")
    dense = mf.decode(mf.load_model("1iep.safetensors"), 0, 128)
    truth = mf.truth_field(model, 0, 128)
    ae = mf.load_autoencoder()                          # the shipped FreeSolv auto-encoder
    z = mf.encode(ae, ["CCO", "c1ccccc1"])
"""

from __future__ import annotations

import importlib
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
    # auto-decoder
    "fit": "napari_molfield.autodecoder.fit",
    "fit_model": "napari_molfield.autodecoder.fit",
    "FittedModel": "napari_molfield.autodecoder.model",
    "decode": "napari_molfield.autodecoder.decode",
    "decode_points": "napari_molfield.autodecoder.decode",
    "truth_field": "napari_molfield.autodecoder.decode",
    "load_model": "napari_molfield.autodecoder.checkpoint",
    "save_model": "napari_molfield.autodecoder.checkpoint",
    # auto-encoder
    "train": "napari_molfield.autoencoder.train",
    "save_autoencoder": "napari_molfield.autoencoder.checkpoint",
    "encode_molecules": "napari_molfield.autoencoder.encode",
    "decode_latent": "napari_molfield.autoencoder.encode",
    # latent paths
    "Interpolator": "napari_molfield.interpolate",
    # deformable ensembles: interpolation that moves density (and atoms)
    "fit_deform": "napari_molfield.deform.fit",
    "fit_deform_model": "napari_molfield.deform.fit",
    "decode_deform": "napari_molfield.deform.decode",
    "save_deform": "napari_molfield.deform.checkpoint",
    "load_deform": "napari_molfield.deform.checkpoint",
    "DeformInterpolator": "napari_molfield.deform.interpolate",
}
#: Names whose object is defined here (lazily) rather than re-exported.
_OWN = ("encode", "load_autoencoder")

__all__ = sorted([*_LAZY, *_OWN])


def load_autoencoder(path: str | None = None, device: str = "cpu") -> Any:
    """An auto-encoder checkpoint, or the shipped FreeSolv model when ``path`` is None."""
    from .autoencoder.checkpoint import load_autoencoder as load
    from .autoencoder.checkpoint import load_default_model

    return load_default_model(device) if path is None else load(path, device=device)


def encode(model: Any, molecules: Any, refine_steps: int = 0) -> Any:
    """Latents ``[M, L]`` of molecules or SMILES (`encode_molecules`)."""
    from .autoencoder.encode import encode_molecules

    return encode_molecules(model, list(molecules), refine_steps=refine_steps)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'napari_molfield' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
