"""Density maps and auto-decoders: decode an item on a map's own voxels, PSNR against it.

Finer grids than the map's are interpolation of the fitted network, not new detail; the
honest comparison is on the map's voxels (`map_psnr`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import MolfieldError
from ..fields.field import Field
from ..fields.metrics import psnr
from .decode import decode_points
from .model import FittedModel


def decode_on_map(model: FittedModel, item: int | str, grid: Field) -> Field:
    """The network of ``item`` at every voxel centre of ``grid`` (normalised values).

    ``grid`` only lends its voxels (origin, voxel size, shape); values are on the item's
    normalised scale (multiply by ``meta["scale"]`` for map units).
    """
    i = model.item_index(item)
    axes = [grid.origin[d] + grid.voxel_size[d] * np.arange(grid.resolution[d])
            for d in range(3)]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1)
    vals = decode_points(model, i, pts)  # [X, Y, Z, C]
    meta = {"kind": "decoded", "item": i, "name": model.items[i]["name"],
            "normalised": True, "scale": list(model.items[i]["scale"])}
    return Field(np.ascontiguousarray(np.moveaxis(vals, -1, 0)), grid.origin,
                 grid.voxel_size, model.channels, meta=meta)


def map_psnr(model: FittedModel, item: int | str, truth: Field) -> dict[str, Any]:
    """PSNR (MAX = 1) of ``item`` against a map, at the map's own voxels.

    The map is divided by the item's stored scale (its maxima at fit time).

    Returns
    -------
    dict
        ``psnr``, ``zero_psnr`` (the baseline of predicting zeros everywhere) and
        ``decoded`` (the `Field` on the map's grid).
    """
    i = model.item_index(item)
    scale = np.asarray(model.items[i]["scale"], dtype=np.float64)
    if len(truth.channels) != len(model.channels):
        raise MolfieldError(
            f"The map has {len(truth.channels)} channel(s); the model has {len(model.channels)}."
        )
    target = np.asarray(truth.values, dtype=np.float64) / scale[:, None, None, None]
    decoded = decode_on_map(model, i, truth)
    return {"psnr": psnr(decoded.values, target), "zero_psnr": psnr(np.zeros_like(target),
                                                                     target),
            "decoded": decoded}


__all__ = ["decode_on_map", "map_psnr"]
