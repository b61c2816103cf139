"""napari reader: density maps (MRC/CCP4/MAP, OpenDX; also .gz/.bz2) as image layers in Å.

A map becomes one image layer with ``scale`` = voxel size and ``translate`` = the Å
position of voxel ``(0, 0, 0)``: the frame of the molecule layers (`layers.field_layers`
and the atoms layer place everything in Å the same way), so a map and its model opened
together overlay. Data axes are ``(x, y, z)`` as in every napari-molfield layer.

Display: an isosurface (``rendering="iso"``) at ``mean + ISO_SIGMA · σ``, the usual first
contour of a density map, coloured with a light blue colormap; contrast limits run from
``mean + 1 σ`` to the maximum; on software OpenGL the same contour as a surface layer
(`surfaces`), the image hidden. The map's statistics, level, voxel size and origin are in
``metadata["molfield"]``. Imports neither torch nor Qt.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..fields.field import Field
from ..fields.maps import map_format, read_map, sigma_level
from .layers import current_viewer, shown_as_notification, view_in_3d
from .surfaces import ISO_SIGMA, with_surfaces

PathLike = str | os.PathLike
LayerData = tuple[Any, dict[str, Any], str]

#: Colour of map isosurfaces (RGB, 0..1): the light blue of density in most viewers.
MAP_COLOUR = (0.45, 0.7, 1.0)


def get_map_reader(path: PathLike | Sequence[PathLike]) -> Callable[..., list[LayerData]] | None:
    """Return a reader when every path is a map file napari-molfield understands."""
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    if not paths or not all(map_format(p) is not None for p in paths):
        return None
    return shown_as_notification(read_maps_in_viewer)


def read_maps_in_viewer(path: PathLike | Sequence[PathLike]) -> list[LayerData]:
    """`read_map_paths`, in a worker when a viewer is open (`background`), else now."""
    viewer = current_viewer()
    if viewer is None:
        return read_map_paths(path)
    from . import background

    view_in_3d()
    background.later(read_map_paths, (path,),
                     lambda layers: background.add_layers(viewer, layers))
    return [(None,)]  # napari's "nothing to add": the worker adds them


def read_map_paths(path: PathLike | Sequence[PathLike]) -> list[LayerData]:
    """One image layer per map file.

    Raises
    ------
    MolfieldError
        With one sentence for the user when a file cannot be read.
    """
    paths = [path] if isinstance(path, str | os.PathLike) else list(path)
    return [layer for p in paths for layer in with_surfaces([map_layer(read_map(p))])]


def map_layer(field: Field, channel: int = 0, name: str | None = None) -> LayerData:
    """Image layer data for one channel of a map `Field`, placed in Å."""
    ch = field.channels[channel]
    stats = field.meta.get("stats", {}).get(ch)
    level = sigma_level(field, 1.0, channel)
    iso = sigma_level(field, ISO_SIGMA, channel)
    top = float(stats["max"]) if stats else float(np.max(field.values[channel]))
    if iso >= top:  # a very peaked map: keep the surface below the maximum
        iso = level if level < top else (float(stats["mean"]) if stats else 0.0)
    kwargs: dict[str, Any] = {
        "name": name or ch,
        "scale": tuple(float(h) for h in field.voxel_size),
        "translate": tuple(float(o) for o in field.origin),
        "colormap": _colormap(),
        "rendering": "iso",
        "iso_threshold": iso,
        "contrast_limits": (level, top) if level < top else (top - 1.0, top),
        "blending": "translucent",
        "units": ("angstrom",) * 3,  # as every molecule layer: mixed units make napari warn
        "metadata": {
            "molfield": {
                "role": "map",
                "channel": ch,
                "source": field.meta.get("source"),
                "stats": stats,
                "level": iso,
                "surface_level": iso,
                "voxel_size": [float(h) for h in field.voxel_size],
                "origin": [float(o) for o in field.origin],
                "header": field.meta.get("header"),
            }
        },
    }
    return field.values[channel], kwargs, "image"


def _colormap():
    from napari.utils.colormaps import Colormap

    r, g, b = MAP_COLOUR
    return Colormap(
        colors=np.array([[0.6 * r, 0.6 * g, 0.6 * b, 1.0], [r, g, b, 1.0]], dtype=np.float32),
        name="molfield map", display_name="molfield map",
    )


