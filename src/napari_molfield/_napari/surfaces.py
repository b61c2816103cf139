"""Iso-surface layers of field channels and maps (no Qt): what `display` draws on software
OpenGL instead of ray-marched volumes.

Each image layer whose ``metadata["molfield"]`` names a ``surface_level`` gets a surface
layer beside it: its iso-surface at that level (the van der Waals surface of Eq. 1 for a
molecule's channel, the contour level of a map), in the image's voxel coordinates with
the image's scale and translate, so both sit in the same Å frame; a stack of conformers
becomes one surface with the conformer as its first coordinate (napari's slider picks
it). The image layer stays, hidden, as the data (writers, widgets and the user's eye
button use it).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .display import SURFACE, display_mode

LayerData = tuple[Any, dict[str, Any], str]

#: Opacity of channel surfaces: atoms inside the van der Waals surface stay visible.
SURFACE_OPACITY = 0.55
#: Grids with more voxels per axis are contoured every second voxel (a 128³ protein has
#: over a million triangles at full resolution; redraws cost in proportion).
COARSE_ABOVE = 96


def surfaces_wanted() -> bool:
    """Whether field channels are drawn as surfaces in this session (`display_mode`)."""
    return display_mode() == SURFACE


def with_surfaces(layers: list[LayerData], wanted: bool | None = None) -> list[LayerData]:
    """``layers`` with a surface layer after each image that names a ``surface_level``,
    that image then hidden; unchanged when surfaces are not ``wanted`` (default: the
    session's `display_mode`). A channel with no value above its level gets no surface
    (nothing would show; its image stays hidden all the same)."""
    if not (surfaces_wanted() if wanted is None else wanted):
        return layers
    out: list[LayerData] = []
    for data, kwargs, kind in layers:
        info = kwargs.get("metadata", {}).get("molfield", {})
        if kind != "image" or info.get("surface_level") is None:
            out.append((data, kwargs, kind))
            continue
        surface = surface_layer(data, kwargs, float(info["surface_level"]))
        info["drawn_as_surface"] = True
        out.append((data, {**kwargs, "visible": False}, kind))
        if surface is not None:
            out.append(surface)
    return out


def iso_mesh(values: Any, level: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Vertices (voxel coordinates, float32) and faces of the ``level`` iso-surface of a
    3D or 4D (stack on the first axis) array; None when no voxel crosses ``level``."""
    from skimage.measure import marching_cubes

    values = np.asarray(values)
    stacks = values[None] if values.ndim == 3 else values
    step = 2 if max(stacks.shape[1:]) > COARSE_ABOVE else 1
    verts: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    n = 0
    for k, volume in enumerate(stacks):
        if not float(volume.min()) < level < float(volume.max()):
            continue
        v, f, _, _ = marching_cubes(volume, level, step_size=step, allow_degenerate=False)
        if values.ndim == 4:
            v = np.column_stack([np.full(len(v), k, dtype=v.dtype), v])
        verts.append(v.astype(np.float32))
        faces.append(f + n)
        n += len(v)
    if not verts:
        return None
    return np.concatenate(verts), np.concatenate(faces).astype(np.int64)


def surface_layer(values: Any, image: dict[str, Any], level: float) -> LayerData | None:
    """Surface layer data of one image layer's iso-surface at ``level`` (None: empty)."""
    mesh = iso_mesh(values, level)
    if mesh is None:
        return None
    verts, faces = mesh
    # vertices in Å (the layer's frame is the identity): a frame that moves with the data
    # (interpolation) then changes the vertices only, not the layer's scale and translate,
    # each of which makes napari recompute the viewer's dimensions
    spatial = slice(verts.shape[1] - 3, None)
    verts[:, spatial] = (verts[:, spatial] * np.asarray(image.get("scale", (1.0,) * 3))[-3:]
                         + np.asarray(image.get("translate", (0.0,) * 3))[-3:])
    info = dict(image.get("metadata", {}).get("molfield", {}))
    info.pop("drawn_as_surface", None)
    info["surface"] = True
    kwargs: dict[str, Any] = {
        "name": f"{image['name']} surface",
        "colormap": _surface_colormap(image.get("colormap")),
        "contrast_limits": (0.0, 1.0),
        "opacity": SURFACE_OPACITY,
        "blending": "translucent",
        "shading": "smooth",
        "metadata": {"molfield": info},
    }
    if "units" in image:
        kwargs["units"] = image["units"]
    return (verts, faces, np.ones(len(verts), dtype=np.float32)), kwargs, "surface"


def _surface_colormap(colormap: Any) -> Any:
    """The image's colormap made opaque at both ends: the surface is one colour."""
    colors = getattr(colormap, "colors", None)
    if colors is None:
        return colormap if colormap is not None else "cyan"
    from napari.utils.colormaps import Colormap

    top = np.array(colors[-1], dtype=np.float32)
    top[3] = 1.0
    return Colormap(colors=np.stack([top, top]), name=f"{colormap.name} surface",
                    display_name=f"{colormap.name} surface")
