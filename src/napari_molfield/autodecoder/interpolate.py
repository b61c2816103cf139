"""A latent path through items of a fitted auto-decoder (`interpolation.field.Interpolator`).

The same constructor exists in every model kind (``autoencoder.interpolate``,
``deform.interpolate``)::

    interp = interpolator(model, [0, 3, 7], 48, mode="slerp")
    field = interp.field(0.25)
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..fields.support import atom_support
from ..interpolation.field import Interpolator
from ..interpolation.paths import check_support
from .model import FittedModel


def interpolator(model: FittedModel, keys: Sequence[int | str], resolution: int, *,
                 mode: str = "linear", support: str = "atoms",
                 names: Sequence[str] | None = None) -> Interpolator:
    """Frames along the path through the latents of items ``keys`` (indices or names).

    Parameters
    ----------
    model
        The fitted auto-decoder.
    keys
        At least two items, in path order.
    resolution
        ``N`` voxels per edge.
    mode
        ``"linear"`` or ``"slerp"``.
    support
        ``"atoms"``: only voxels near the stored atoms of the key items are evaluated
        (a model that stores no atoms decodes each frame coarse-to-fine instead);
        ``"all"``: every voxel.
    names
        Names of the keys (default: the items' names).

    Returns
    -------
    Interpolator
        Its endpoints and via-points reproduce `decode` of the key items.
    """
    ids = [model.item_index(i) for i in keys]
    boxes = [model.box(i) for i in ids]
    where = check_support(support)
    mask = None
    if where == "atoms" and model.atoms is not None:
        mask = atom_support(boxes, [model.table(i) for i in ids], int(resolution), model.beta)
    return Interpolator(
        model.network, model.latents[ids].detach(), boxes, model.channels, resolution,
        mode=mode, names=names if names is not None else [model.items[i]["name"] for i in ids],
        scales=np.stack([model.scale(i) for i in ids]), support=mask,
        meta={"beta": model.beta, "items": ids, "normalised": True},
        skip_empty=where == "atoms",
    )


__all__ = ["interpolator"]
