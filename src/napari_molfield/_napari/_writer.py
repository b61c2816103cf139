"""napari writers: field image layers to ``.npz`` (all channels) or MRC/CCP4 (one map)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import MolfieldError
from ..fields.field import Field
from ..fields.io import write_field


def _current_conformer() -> int:
    """The conformer (first axis) the current viewer shows; 0 without a viewer."""
    try:
        import napari

        viewer = napari.current_viewer()
    except Exception:  # pragma: no cover - no Qt
        return 0
    return int(viewer.dims.current_step[0]) if viewer is not None else 0


def _layer_field(layers: list[tuple[Any, dict, str]]) -> Field:
    """One `Field` from image layers on the same 3D grid (the current conformer for 4D data)."""
    if not layers:
        raise MolfieldError("Select at least one field layer to save.")
    arrays, names = [], []
    spacing = origin = None
    for data, meta, _ in layers:
        data = np.asarray(data)
        scale = np.asarray(meta.get("scale", (1.0,) * data.ndim), dtype=float)
        translate = np.asarray(meta.get("translate", (0.0,) * data.ndim), dtype=float)
        if data.ndim == 4:  # conformer axis first: save the conformer on screen
            k = min(_current_conformer(), data.shape[0] - 1)
            data, scale, translate = data[k], scale[1:], translate[1:]
        if data.ndim != 3 or not np.allclose(scale, scale[0]):
            raise MolfieldError(
                f"Layer {meta.get('name')!r} is not a 3D field with cubic voxels."
            )
        if spacing is None:
            spacing, origin = float(scale[0]), translate
        elif not (np.isclose(spacing, scale[0]) and np.allclose(origin, translate)
                  and data.shape == arrays[0].shape):
            raise MolfieldError("The selected layers are not on the same grid.")
        info = meta.get("metadata", {}).get("molfield", {})
        names.append(str(info.get("channel", meta.get("name", f"channel {len(names)}"))))
        arrays.append(data)
    info = layers[0][1].get("metadata", {}).get("molfield", {})
    return Field(
        np.stack(arrays),
        origin,
        spacing,
        tuple(names),
        meta={"beta": info.get("beta"), "source": info.get("source")},
    )


def write_npz(path: str, layer_data: list[tuple[Any, dict, str]]) -> list[str]:
    """Write the selected field layers as channels of one ``.npz`` file."""
    write_field(_layer_field(layer_data), path)
    return [path]


def write_mrc(path: str, data: Any, meta: dict) -> list[str]:
    """Write one field layer as an MRC/CCP4 map placed on the atoms."""
    write_field(_layer_field([(data, meta, "image")]), path)
    return [path]
