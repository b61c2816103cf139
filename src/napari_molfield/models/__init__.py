"""One model, three kinds: the protocol every model implements and the functions that take
any of them (the one dispatch used by the CLI, the widgets and notebooks).

::

    from napari_molfield import models
    model = models.fit_model(molecules, time_budget=60)  # the kind the inputs call for
    model = models.load("fit.safetensors")     # auto-decoder, deformable or auto-encoder
    models.kind_of(model)                       # "auto-decoder" | "deformable" | "auto-encoder"
    field = models.decode(model, 0, 128)        # any resolution, skip-empty, sub-boxes
    truth = models.truth(model, 0, 128)         # Eq. 1 at the same voxels
    path = models.interpolator(model, [0, 1], 48)
    mol = models.atoms(model, 0)                # RecoveredAtoms, with bonds
    models.save(model, "copy.safetensors")

Importing this package imports neither torch nor Qt: each function imports its kind's
module when called.
"""

from __future__ import annotations

from .files import DEFAULT, checkpoint_kind, load, save
from .fit import MODEL_CHOICES, choose_kind, fit, fit_model
from .kinds import AUTODECODER, AUTOENCODER, DEFORMABLE, KINDS, describe, is_model, kind_of
from .ops import atoms, decode, held_out, interpolator, item_coords, latents, truth
from .protocol import FieldModel

__all__ = ["AUTODECODER", "AUTOENCODER", "DEFAULT", "DEFORMABLE", "KINDS",
           "MODEL_CHOICES", "FieldModel", "atoms", "checkpoint_kind", "choose_kind",
           "decode", "describe", "fit", "fit_model", "held_out", "interpolator",
           "is_model", "item_coords", "kind_of", "latents", "load", "save", "truth"]
