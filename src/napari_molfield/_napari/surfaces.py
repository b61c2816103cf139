"""Iso-surface layers of field channels and maps (no Qt): what `display` draws on software
OpenGL instead of ray-marched volumes.

The image layers of a result whose ``metadata["molfield"]`` names a ``surface_level``
get one surface layer beside them: each one's iso-surface at that level (the van der
Waals surface of Eq. 1 for a molecule's channel, the contour level of a map) in its
channel's colour, vertices in Å; a stack of conformers adds the conformer as the first
coordinate (napari's slider picks it). The image layers stay, hidden, as the data
(writers, widgets and the user's eye button use them).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .display import SURFACE, display_mode

LayerData = tuple[Any, dict[str, Any], str]

#: Opacity of channel surfaces: atoms inside the van der Waals surface stay visible.
SURFACE_OPACITY = 0.55
#: σ above the mean of the isosurface a map opens with (`_map_reader`), and of a decoded
#: map too weak to reach its map's level (the Maps widget).
ISO_SIGMA = 1.5
#: Grids with more voxels per axis are contoured every second voxel (a 128³ protein has
#: over a million triangles at full resolution; redraws cost in proportion).
COARSE_ABOVE = 96


def surfaces_wanted() -> bool:
    """Whether field channels are drawn as surfaces in this session (`display_mode`)."""
    return display_mode() == SURFACE


def with_surfaces(layers: list[LayerData], wanted: bool | None = None) -> list[LayerData]:
    """``layers`` with one surface layer after their images that name a
    ``surface_level`` (each channel's iso-surface in its channel's colour), those images
    then hidden; unchanged when surfaces are not ``wanted`` (default: the session's
    `display_mode`). One layer for all channels of a result: napari spends ~0.15 s of the
    Qt thread on each layer it adds (its list row, controls and visual), so a protein's
    six channels as six layers would freeze the window six times as long. A channel with
    no value above its level adds no vertices; with none at all there is no surface and
    the images stay as they are (shown)."""
    if not (surfaces_wanted() if wanted is None else wanted):
        return layers
    def level(kwargs: dict[str, Any], kind: str) -> float | None:
        info = kwargs.get("metadata", {}).get("molfield", {})
        return None if kind != "image" else info.get("surface_level")

    drawn = [(data, kwargs, float(lv)) for data, kwargs, kind in layers
             if (lv := level(kwargs, kind)) is not None]
    surface = surface_layer(drawn)
    if surface is None:  # nothing crosses its level: the volumes are all there is to show
        return layers
    out: list[LayerData] = []
    for data, kwargs, kind in layers:
        if level(kwargs, kind) is None:
            out.append((data, kwargs, kind))
            continue
        kwargs["metadata"]["molfield"]["drawn_as_surface"] = True
        out.append((data, {**kwargs, "visible": False}, kind))
    last_image = max(k for k, (_, _, kind) in enumerate(out) if kind == "image")
    out.insert(last_image + 1, surface)
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


def surface_layer(images: list[tuple[Any, dict[str, Any], float]]) -> LayerData | None:
    """One surface layer data of the iso-surfaces of ``(values, image kwargs, level)``
    images (None when all are empty), vertices in Å, coloured per channel."""
    verts: list[np.ndarray] = []
    faces: list[np.ndarray] = []
    which: list[np.ndarray] = []  # per vertex: its image's index
    n = 0
    for k, (values, image, level) in enumerate(images):
        mesh = iso_mesh(values, level)
        if mesh is None:
            continue
        v, f = mesh
        verts.append(_in_angstrom(v, image))
        faces.append(f + n)
        which.append(np.full(len(v), k))
        n += len(v)
    if not verts:
        return None
    channels = [images[k][1] for k in sorted({int(w[0]) for w in which})]
    return _layer_data(np.concatenate(verts), np.concatenate(faces), np.concatenate(which),
                       [image for _, image, _ in images], channels)


def preview_surface(layers: list[LayerData]) -> list[LayerData]:
    """The scrubbing form of `with_surfaces`' result: its surface layer only, as one
    iso-surface of the channels' sum (their union: about a third of the triangles of the
    channels' surfaces, and software OpenGL's redraw costs in proportion), each vertex in
    the colour of the channel that is densest there. Same name and colours as the full
    surface, so a frame updates that layer in place; ``[]`` when ``layers`` have none."""
    drawn = [(np.asarray(data), kwargs) for data, kwargs, kind in layers
             if kind == "image" and kwargs["metadata"]["molfield"].get("drawn_as_surface")]
    full = next((ly for ly in layers if ly[2] == "surface"), None)
    if not drawn or full is None:
        return []
    stack = np.stack([data for data, _ in drawn])  # [C, (K,) N, N, N]
    level = float(drawn[0][1]["metadata"]["molfield"]["surface_level"])
    mesh = iso_mesh(stack.sum(axis=0), level)
    if mesh is None:
        return []
    v, f = mesh
    voxel = np.clip(np.rint(v), 0, np.array(stack.shape[1:]) - 1).astype(np.intp)
    densest = stack[(slice(None), *voxel.T)].argmax(axis=0)  # [V]: image per vertex
    images = [kwargs for _, kwargs in drawn]
    data, kwargs, kind = _layer_data(_in_angstrom(v, images[0]), f, densest, images, images)
    kwargs["name"] = full[1]["name"]
    kwargs["metadata"]["molfield"].update(full[1]["metadata"]["molfield"], preview=True)
    return [(data, kwargs, kind)]


def with_union_surface(layers: list[LayerData]) -> list[LayerData]:
    """``layers`` with their channels' surfaces drawn as one union surface (`preview_surface`,
    kept as the result: a picked point of a landscape, where one surface coloured by the
    densest channel shows the structure at a third of the redraw); unchanged without one."""
    union = preview_surface(layers)
    if not union:
        return layers
    union[0][1]["metadata"]["molfield"]["preview"] = False
    union[0][1]["metadata"]["molfield"]["union"] = True
    union[0][1].update(opacity=1.0, blending="opaque")  # one closed shell: no see-through
    return [union[0] if kind == "surface" else (data, kwargs, kind)
            for data, kwargs, kind in layers]


def _in_angstrom(v: np.ndarray, image: dict[str, Any]) -> np.ndarray:
    """Voxel vertices (a stack's first coordinate kept) in the image's Å frame. The
    surface layer's own frame is the identity: a frame that moves with the data
    (interpolation) then changes the vertices only, not the layer's scale and translate,
    each of which makes napari recompute the viewer's dimensions."""
    xyz = slice(v.shape[1] - 3, None)
    v[:, xyz] = (v[:, xyz] * np.asarray(image.get("scale", (1.0,) * 3))[-3:]
                 + np.asarray(image.get("translate", (0.0,) * 3))[-3:])
    return v


def _layer_data(verts: np.ndarray, faces: np.ndarray, which: np.ndarray,
                images: list[dict[str, Any]], drawn: list[dict[str, Any]]) -> LayerData:
    """Surface layer data: each vertex in the colour of the image ``which`` names
    (colours, not values through a colormap: a value between two channels' vertices would
    pass through the colours of the channels numbered between them)."""
    first = images[0]
    info = dict(first.get("metadata", {}).get("molfield", {}))
    for key in ("drawn_as_surface", "channel", "surface_level", "ligand_residues"):
        info.pop(key, None)
    info.update(surface=True, channels=[_channel(image) for image in drawn])
    kwargs: dict[str, Any] = {
        "name": _surface_name([image["name"] for image in images],
                              [_channel(image) for image in images]),
        "vertex_colors": np.stack([_colour(image.get("colormap")) for image in images])[
            np.asarray(which, dtype=np.intp)],
        "opacity": SURFACE_OPACITY,
        "blending": "translucent",
        "shading": "smooth",
        "metadata": {"molfield": info},
    }
    if "units" in first:
        kwargs["units"] = first["units"]
    ones = np.ones(len(verts), np.float32)
    return (verts, np.asarray(faces).astype(np.int64), ones), kwargs, "surface"


def _channel(image: dict[str, Any]) -> str:
    return str(image["metadata"]["molfield"].get("channel", image["name"]))


def _surface_name(names: list[str], channels: list[str]) -> str:
    """``"<result> surfaces"`` (the images' names without their channel), or
    ``"<image> surface"`` for one image."""
    if len(names) == 1:
        return f"{names[0]} surface"
    bases = {name[: -len(ch) - 1] if ch and name.endswith(f" {ch}") else name
             for name, ch in zip(names, channels, strict=True)}
    return f"{bases.pop()} surfaces" if len(bases) == 1 else f"{names[0]} surfaces"


def _colour(colormap: Any) -> np.ndarray:
    """The opaque top colour of an image's colormap (its channel's colour)."""
    colors = getattr(colormap, "colors", None)
    if colors is None:
        return np.array([0.0, 1.0, 1.0, 1.0], np.float32)  # cyan
    top = np.array(colors[-1], dtype=np.float32)
    top[3] = 1.0
    return top
