"""Helpers the widgets share: finding a molecule's layers and replacing them in place."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from napari.layers import Layer

    import napari


def molfield_info(layer: Layer) -> dict[str, Any]:
    """The ``metadata["molfield"]`` dict of a layer ({} for other layers)."""
    return layer.metadata.get("molfield", {}) if hasattr(layer, "metadata") else {}


def molecule_groups(viewer: napari.viewer.Viewer) -> dict[str, Layer]:
    """Atoms layers of the molecules in the viewer, keyed by their group id."""
    return {
        molfield_info(layer)["group"]: layer
        for layer in viewer.layers
        if molfield_info(layer).get("role") == "atoms"
    }


def molecule_choices(viewer: napari.viewer.Viewer) -> list[tuple[str, str]]:
    """``(molecule name, group id)`` of every molecule in the viewer, for combo boxes."""
    return [
        (layer.metadata["molfield"]["molecule"].name, group)
        for group, layer in molecule_groups(viewer).items()
    ]


def group_layers(viewer: napari.viewer.Viewer, group: str, role: str | None = None) -> list:
    """Layers of one molecule group (optionally only one role)."""
    return [
        layer
        for layer in viewer.layers
        if molfield_info(layer).get("group") == group
        and (role is None or molfield_info(layer).get("role") == role)
    ]


def replace_group_layers(
    viewer: napari.viewer.Viewer, group: str, new: list[tuple[Any, dict, str]],
    roles: tuple[str, ...] = ("field", "atoms"),
) -> list[Layer]:
    """Update the group's layers in place from layer data; add new ones, remove stale ones.

    Layers are matched by name; matched layers keep their position, visibility and any
    user settings not given in ``new`` (so the view does not jump or flicker).
    """
    old = {layer.name: layer for layer in group_layers(viewer, group) if
           molfield_info(layer).get("role") in roles}
    kept = []
    for data, kwargs, kind in new:
        layer = old.pop(kwargs["name"], None)
        if layer is None or layer._type_string != kind or (
            kind != "surface" and layer.data.ndim != data.ndim
        ):
            if layer is not None:
                viewer.layers.remove(layer)
            layer = viewer.add_layer(_make_layer(data, kwargs, kind))
        else:
            _update_layer(layer, data, kwargs, kind)
        kept.append(layer)
    for layer in old.values():
        viewer.layers.remove(layer)
    return kept


def _make_layer(data: Any, kwargs: dict, kind: str) -> Layer:
    from napari.layers import Layer

    return Layer.create(data, kwargs, kind)


def _update_layer(layer: Layer, data: Any, kwargs: dict, kind: str) -> None:
    """Swap data and frame of an existing layer without recreating it."""
    layer.metadata = kwargs.get("metadata", {})
    if kind == "points":
        layer.data = data
        layer.features = kwargs["features"]
        layer.face_color = kwargs["face_color"]
    else:
        layer.data = data
        if "contrast_limits" in kwargs:
            layer.contrast_limits_range = kwargs["contrast_limits"]
            layer.contrast_limits = kwargs["contrast_limits"]
    layer.scale = kwargs["scale"] if "scale" in kwargs else layer.scale
    layer.translate = kwargs["translate"] if "translate" in kwargs else layer.translate


def wrapping_label(label: Any, lines: int = 2) -> Any:
    """Let a magicgui `Label` wrap, reserving ``lines`` lines so docks never clip it."""
    native = label.native
    native.setWordWrap(True)
    native.setMinimumHeight(lines * native.fontMetrics().lineSpacing() + 4)
    return label
