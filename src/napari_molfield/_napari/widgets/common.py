"""Helpers the widgets share: finding a molecule's layers, replacing them in place, the
scale bar."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .. import pending

if TYPE_CHECKING:
    from napari.layers import Layer

    import napari


class ScrollingDock:
    """Mixin for magicgui Containers built with ``scrollable=True``, so napari's dock
    scrolls: napari docks ``native``, which magicgui makes the inner widget; here it is
    the scroll area around it. A dock can then be shorter than its content, and several
    docks fit on a 1080-pixel screen. `inner` is the widget with the form's layout."""

    @property
    def native(self) -> Any:
        """The scroll area (the widget napari docks)."""
        backend = self._widget  # type: ignore[attr-defined]
        return getattr(backend, "_scroll", None) or backend._mgui_get_native_widget()

    @property
    def inner(self) -> Any:
        """The widget inside the scroll area (its layout holds the form)."""
        return self._widget._mgui_get_native_widget()  # type: ignore[attr-defined]

    def pack_top(self) -> None:
        """Keep the form at its natural height at the top of a taller dock."""
        self.inner.layout().addStretch(1)


def layer_kind(layer: Any) -> str:
    """``"image"``, ``"points"``, ``"surface"`` … of a layer (or of a viewer's proxy of it),
    from public napari classes."""
    from napari import layers

    for kind in ("Image", "Points", "Surface", "Labels", "Shapes", "Vectors", "Tracks"):
        if isinstance(layer, getattr(layers, kind)):
            return kind.lower()
    return type(layer).__name__.lower()


def _import_all(modules: tuple[str, ...]) -> None:
    import importlib

    for name in modules:
        importlib.import_module(name)


def import_later(runner: Any, modules: tuple[str, ...], then: Any) -> None:
    """Import ``modules`` in ``runner``'s worker (torch, matplotlib …: seconds on first
    use, which on the Qt thread freeze the window) and call ``then()`` on the Qt thread
    once they are loaded; a failed import is reported and ``then`` still runs."""
    runner.start(_import_all, modules, on_finish=then)


def molfield_info(layer: Layer) -> dict[str, Any]:
    """The ``metadata["molfield"]`` dict of a layer ({} for other layers)."""
    return layer.metadata.get("molfield", {}) if hasattr(layer, "metadata") else {}


def molecule_groups(viewer: napari.viewer.Viewer) -> dict[str, Layer]:
    """Atoms layers of the molecules in the viewer, keyed by their group id: molecules
    read, embedded or encoded — not atoms derived from a field (an interpolation frame's,
    recovered atoms), which are results, not inputs."""
    return {
        molfield_info(layer)["group"]: layer
        for layer in viewer.layers
        if molfield_info(layer).get("role") == "atoms"
        and not molfield_info(layer).get("derived")
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
    user settings not given in ``new`` (so the view does not jump or flicker). Of the
    layers that are new, only the first shown one (its surface, preferably) is added now:
    the others follow one per turn of the event loop (`pending`) and are not among the
    returned layers. Hidden channel images of a surface get their new data that way too
    (each update uploads a volume and recomputes a thumbnail).
    """
    pending.drop(viewer, group, roles=roles)  # superseded by this result
    old = {layer.name: layer for layer in group_layers(viewer, group) if
           molfield_info(layer).get("role") in roles}
    first, later = pending.split([it for it in new if it[1]["name"] not in old])
    updates = [it for it in new if pending.is_deferred(it[1], it[2]) and it[1]["name"] in old
               and layer_kind(old[it[1]["name"]]) == "image"
               and old[it[1]["name"]].data.ndim == it[0].ndim]
    for it in updates:
        del old[it[1]["name"]]  # (kept as they are until their turn)
    waiting = {id(it) for it in later + updates}
    now = [it for it in new if id(it) not in waiting]
    matched = {(kwargs["name"], kind) for _, kwargs, kind in now}
    changes = sum((name, layer_kind(layer)) not in matched for name, layer in old.items())
    if changes + len(first) <= 1:  # in place, or one layer added or removed: no batch
        kept = _replace(viewer, old, now)
    else:
        with batched(viewer):
            kept = _replace(viewer, old, now)
    surface = pending.surface_of(kept)
    for item in later:
        pending.defer(viewer, *item, below=surface)
    for item in updates:
        pending.defer(viewer, *item, update=True)
    return kept


def batched(viewer: napari.viewer.Viewer) -> Any:
    """A context in which layers are added and removed with one scene-graph update at
    its end (napari's ``LayerList.batched_update``) instead of one per layer. Its end
    costs what each removal costs: a garbage collection (~0.2 s in a process holding
    torch), waiting for the renderer to finish (a whole redraw on software OpenGL) and a
    scene-graph rebuild — worth it for several layers, not for one, nor for visibility
    changes (those only schedule a redraw, which Qt merges)."""
    import contextlib

    batch = getattr(viewer.layers, "batched_update", None)
    return batch() if batch is not None else contextlib.nullcontext()


def _replace(viewer: napari.viewer.Viewer, old: dict[str, Layer],
             new: list[tuple[Any, dict, str]]) -> list[Layer]:
    """Update ``old`` layers (by name) from ``new`` layer data, add and remove the rest."""
    old = dict(old)
    kept = []
    for data, kwargs, kind in new:
        layer = old.pop(kwargs["name"], None)
        if layer is None or layer_kind(layer) != kind or (
            kind != "surface" and layer.data.ndim != data.ndim
        ):
            if layer is not None:
                viewer.layers.remove(layer)
            shown = kwargs.get("visible", True)
            layer = viewer.add_layer(_make_layer(data, {**kwargs, "visible": False}, kind))
            if shown:  # drawn at the next turn, not in the turn that made it
                pending.show_later(viewer, layer)
        else:
            pending.update_layer(layer, data, kwargs, kind)
        kept.append(layer)
    for layer in old.values():
        viewer.layers.remove(layer)
    return kept


#: Roles of the volume layers the widgets make (maps opened from files are left alone).
VOLUME_ROLES = ("field", "preview", "decoded", "error", "input", "interpolated")


def focus_volumes(viewer: napari.viewer.Viewer, shown: list[Layer]) -> int:
    """Show the volume layers in ``shown`` and hide the viewer's other molfield volumes.

    A result the user asked for (a decode, a resample) is then what the viewer shows, not
    the sum of it and every earlier volume — two representations of one molecule added
    together look like neither — and a redraw costs one ray-marching pass per visible
    volume (≈ 1.3 s at 96³ on software OpenGL, 2 cores). Channels drawn as surfaces
    (`display`) count as volumes; their images stay hidden. Hidden layers stay in the
    list: their eye shows them again. Returns how many layers were hidden.
    """
    keep = {layer.unique_id for layer in shown}  # proxies of one layer are not `is` equal
    hidden = 0
    for layer in viewer.layers:
        if not _is_volume(layer):
            continue  # stacks (frames on a slider axis) are left as they are
        info = molfield_info(layer)
        if layer.unique_id in keep:
            if not pending.showing(layer):  # (else shown at its turn)
                layer.visible = not info.get("drawn_as_surface")
        elif layer.visible and info.get("role") in VOLUME_ROLES:
            layer.visible = False
            hidden += 1
    return hidden


def _is_volume(layer: Layer) -> bool:
    """A 3D image, or the surface of a molfield field channel (`surfaces`)."""
    kind = layer_kind(layer)
    if kind == "image":
        return layer.data.ndim == 3
    return kind == "surface" and layer.ndim == 3 and bool(molfield_info(layer).get("surface"))


def show_result(viewer: napari.viewer.Viewer, shown: list[Layer], frame: bool = True) -> int:
    """Put a new result in view: its volumes shown, the viewer's other molfield volumes
    hidden (`focus_volumes`: inputs and superseded results stay in the list, one click on
    their eye away), so are maps and the atoms of other molecules, and, with ``frame``,
    the camera framing the result (its angles kept). Returns how many volumes were
    hidden. (Not in a `batched` context: visibility changes only schedule one redraw.)"""
    hidden = focus_volumes(viewer, shown)
    groups = {molfield_info(layer).get("group") for layer in shown}
    for layer in viewer.layers:  # other molecules' atoms, and maps over the same place
        role = molfield_info(layer).get("role")
        if not layer.visible or layer.ndim != 3 or (
                role != "map" and (role != "atoms" or molfield_info(layer).get("group")
                                   in groups)):
            continue
        layer.visible = False
        hidden += role == "map"
    if frame and shown and all(layer.ndim == viewer.dims.ndim for layer in shown):
        # (napari frames only layers with every axis of the viewer: not 3D results beside
        # a stack of frames)
        viewer.reset_view(layers=list(shown), reset_camera_angle=False)
    return hidden


def hidden_note(hidden: int) -> str:
    """`` (N other volumes hidden …)`` for a status line, or ``""``."""
    if not hidden:
        return ""
    s = "s" if hidden > 1 else ""
    return f" ({hidden} other volume{s} hidden: click the eye to compare)"


def update_group_layers(
    viewer: napari.viewer.Viewer, group: str, new: list[tuple[Any, dict, str]]
) -> int:
    """Swap new data into the group's layers of the same names; adds and removes nothing.

    Returns how many layers were updated.
    """
    old = {layer.name: layer for layer in group_layers(viewer, group)}
    done = 0
    for data, kwargs, kind in new:
        layer = old.get(kwargs["name"])
        if layer is not None and layer_kind(layer) == kind:
            pending.update_layer(layer, data, kwargs, kind)
            done += 1
    return done


def _make_layer(data: Any, kwargs: dict, kind: str) -> Layer:
    from napari.layers import Layer

    return Layer.create(data, kwargs, kind)


def enable_scale_bar(viewer: napari.viewer.Viewer) -> None:
    """Show the viewer's scale bar (lengths in Å: every plugin layer has Å units)."""
    overlays = getattr(getattr(viewer, "canvas", None), "overlays", None)
    bar = getattr(overlays, "scale_bar", None) if overlays is not None else None
    if bar is None:  # napari < 0.9
        bar = viewer.scale_bar
    bar.visible = True


def wrapping_label(label: Any, lines: int = 2) -> Any:
    """Let a magicgui `Label` wrap, reserving ``lines`` lines so docks never clip it."""
    native = label.native
    native.setWordWrap(True)
    native.setMinimumHeight(lines * native.fontMetrics().lineSpacing() + 4)
    return label
