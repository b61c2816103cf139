"""The three model kinds by name, and which one a model object is (torch-free).

Each model class names its kind in a ``kind`` class attribute; `kind_of` reads it, so
asking a model's kind imports nothing — the CLI, the widgets and notebooks never test
``type(model)``.
"""

from __future__ import annotations

from typing import Any

from ..errors import MolfieldError

#: A modulated SIREN with one latent per item (`autodecoder.FittedModel`).
AUTODECODER = "auto-decoder"
#: A 3D conv encoder + modulated SIREN sharing one latent space (`autoencoder.AEModel`).
AUTOENCODER = "auto-encoder"
#: A template field seen through a latent-modulated displacement (`deform.DeformModel`).
DEFORMABLE = "deformable"
#: Every kind, in the order they are offered.
KINDS = (AUTODECODER, AUTOENCODER, DEFORMABLE)


def kind_of(model: Any) -> str:
    """The kind of ``model`` (one of `KINDS`), else one `MolfieldError` sentence."""
    kind = getattr(type(model), "kind", None)
    if kind not in KINDS:
        raise MolfieldError(f"{type(model).__name__} is not a napari-molfield model "
                            f"(expected an {', '.join(KINDS)} model).")
    return str(kind)


def is_model(obj: Any) -> bool:
    """Whether ``obj`` is a model of one of the `KINDS`."""
    return getattr(type(obj), "kind", None) in KINDS


def describe(model: Any) -> str:
    """One line: the kind, its items (conformers, molecules) and channels."""
    kind = kind_of(model)
    n, c = model.n_items, len(model.channels)
    if kind == DEFORMABLE:
        return f"deformable, {n} conformers of {model.n_atoms} atoms, {c} ch"
    if kind == AUTOENCODER:
        return f"auto-encoder, {n} dataset latents, {model.box_edge:g} Å box, {c} ch"
    return f"auto-decoder, {n} item(s), {c} ch"


__all__ = ["AUTODECODER", "AUTOENCODER", "DEFORMABLE", "KINDS", "describe", "is_model",
           "kind_of"]
