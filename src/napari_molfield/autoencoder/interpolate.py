"""A latent path through auto-encoder latents (`interpolation.field.Interpolator`).

The same constructor exists in every model kind (``autodecoder.interpolate``,
``deform.interpolate``); here the keys are latents, e.g. of `encode_molecules`::

    z = encode_molecules(model, ["CCO", "CCCO"])
    interp = interpolator(model, z, 48, names=["ethanol", "propanol"])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch

from ..errors import MolfieldError
from ..fields.box import Box
from ..interpolation.field import Interpolator
from ..interpolation.paths import check_support
from .model import AEModel


def interpolator(model: AEModel, keys: np.ndarray | torch.Tensor, resolution: int, *,
                 mode: str = "linear", support: str = "atoms",
                 names: Sequence[str] | None = None) -> Interpolator:
    """Frames along the path through latents ``keys`` ``[K, L]`` (``K ≥ 2``).

    Frames match `encode.decode_latent` in the model's box centred at the origin.

    Parameters
    ----------
    model
        The auto-encoder.
    keys
        ``[K, L]`` latents in path order.
    resolution
        ``N`` voxels per edge.
    mode
        ``"linear"`` or ``"slerp"``.
    support
        ``"atoms"``: a latent has no atoms, so each frame is decoded coarse-to-fine and
        empty space stays 0 (`fields.skip.coarse_to_fine`); ``"all"``: every voxel.
    names
        Names of the keys (default ``latent k``).
    """
    z = keys.detach().cpu().numpy() if torch.is_tensor(keys) else np.asarray(keys)
    if z.ndim != 2 or not np.issubdtype(z.dtype, np.number):
        raise MolfieldError("An auto-encoder's keys are latents [K, L]: encode the molecules "
                            "first (encode_molecules).")
    box = Box((0.0, 0.0, 0.0), model.box_edge)
    return Interpolator(model.net.siren, z, box, model.channels, resolution, mode=mode,
                        names=names, skip_empty=check_support(support) == "atoms",
                        meta={"beta": model.beta, "normalised": True,
                              "source": "autoencoder"})


__all__ = ["interpolator"]
