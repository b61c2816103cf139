"""A result's layers added one per turn of the event loop, so the window keeps answering.

napari spends 0.2–0.5 s of the Qt thread on each layer it adds (its list row, its layer
controls, its vispy visual, the selection moving to it; 2 cores, software OpenGL), and
the canvas redraws after each. A result drawn as surfaces (`surfaces`) is a visible
surface layer, often an atoms layer, and a hidden image layer per channel kept for the
data (the eye shows the volume; the writer and the widgets read them). Added together,
the eight layers of a protein froze the window for 2.3 s. So a result's first shown
layer (its surface, preferably) is added at once, and the rest wait here: the other
shown layers, then the hidden images, one per turn of the event loop, the images just
below their result's surface. Between two of them the window answers and redraws.

A queued layer is replaced by newer data of the same name, and dropped when its result
is replaced or its viewer closed. `busy` says whether any are still queued (a widget's
job counts as running until its layers are in: `workers.JobRunner.idle`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class _Entry:
    viewer: Any
    group: str
    data: Any
    kwargs: dict
    kind: str
    below: Any = None
    update: bool = False
    call: Any = None  # a callable run at its turn instead (`call_later`)


_QUEUE: list[_Entry] = []
_timer: Any = None


def is_deferred(kwargs: dict, kind: str) -> bool:
    """Whether layer data is a hidden channel image of a result drawn as a surface."""
    info = kwargs.get("metadata", {}).get("molfield", {})
    return kind == "image" and bool(info.get("drawn_as_surface"))


def split(items: list[tuple[Any, dict, str]]) -> tuple[list, list]:
    """New layer data → (to add now, to `defer` in this order): the first shown surface
    (else the first shown layer) now; the other shown layers, then the hidden ones, later."""
    shown = [it for it in items if it[1].get("visible", True)]
    first = next((it for it in shown if it[2] == "surface"), shown[0] if shown else None)
    if first is None:
        return [], list(items)
    rest = [it for it in items if it is not first]
    rest.sort(key=lambda it: not it[1].get("visible", True))  # (stable) shown ones first
    return [first], rest


def defer(viewer: Any, data: Any, kwargs: dict, kind: str, below: Any = None,
          update: bool = False) -> None:
    """Queue one layer (replacing a queued one of the same group and name); a hidden
    channel image goes just below the layer ``below`` (its result's surface) if given.
    With ``update`` the group's layer of that name gets the data in place (`update_layer`)
    when its turn comes (added if it is gone by then)."""
    group = kwargs.get("metadata", {}).get("molfield", {}).get("group", "")
    drop(viewer, group, names={kwargs["name"]})
    _QUEUE.append(_Entry(viewer, group, data, kwargs, kind, below, update))
    _schedule()


def surface_of(layers: list[Any]) -> Any:
    """The molfield surface layer among ``layers`` (None if none)."""
    from napari.layers import Surface

    return next((ly for ly in layers if isinstance(ly, Surface)), None)


def call_later(viewer: Any, call: Any) -> None:
    """Run ``call()`` at its turn (after what is queued already)."""
    _QUEUE.append(_Entry(viewer, "", None, {"name": ""}, "", call=call))
    _schedule()


#: Layers made hidden that `show_later` shows at their turn (their ``unique_id``).
_SHOWING: set[Any] = set()


def show_later(viewer: Any, layer: Any) -> None:
    """Show ``layer`` (just added, hidden) at its turn: making a layer (its controls, its
    visual) and drawing it for the first time (shaders compiled, the mesh uploaded, its
    normals computed) each cost ~0.5 s on software OpenGL; in one turn they froze the
    window for over a second. Until then `showing` is true for it."""
    _SHOWING.add(layer.unique_id)

    def show() -> None:
        if layer.unique_id in _SHOWING:
            _SHOWING.discard(layer.unique_id)
            layer.visible = True

    call_later(viewer, show)


def showing(layer: Any) -> bool:
    """Whether ``layer`` waits for `show_later` to show it."""
    return layer.unique_id in _SHOWING


def drop(viewer: Any, group: str, names: set[str] | None = None,
         roles: tuple[str, ...] | None = None) -> None:
    """Forget queued layers of ``group`` (only ``names``, or only ``roles``, if given)."""
    def goes(e: _Entry) -> bool:
        role = e.kwargs.get("metadata", {}).get("molfield", {}).get("role")
        return (_same(e.viewer, viewer) and e.group == group
                and (names is None or e.kwargs["name"] in names)
                and (roles is None or role in roles))

    _QUEUE[:] = [e for e in _QUEUE if not goes(e)]


def busy() -> bool:
    """Whether layers are still queued."""
    return bool(_QUEUE)


def _same(a: Any, b: Any) -> bool:
    """One viewer, whether handed as itself or as napari's proxy of it."""
    return _unwrapped(a) is _unwrapped(b)


def _unwrapped(viewer: Any) -> Any:
    return getattr(viewer, "__wrapped__", viewer)  # napari's PublicOnlyProxy wraps it


def _schedule() -> None:
    global _timer
    if _timer is None:
        from qtpy.QtCore import QTimer

        _timer = QTimer()
        _timer.setSingleShot(True)
        _timer.setInterval(0)
        _timer.timeout.connect(_step)
    if _QUEUE and not _timer.isActive():
        _timer.start()


def _step() -> None:
    try:
        _add_next()
    finally:
        _schedule()


def _add_next() -> None:
    if not _QUEUE:
        return
    e = _QUEUE.pop(0)
    try:
        _insert(e)
    except Exception as exc:  # (its viewer closed meanwhile: Qt objects deleted)
        forget(e.viewer)
        if not isinstance(exc, RuntimeError):
            from napari.utils.notifications import show_error

            from ..logs import get_logger, log_exception

            log_exception(get_logger(__name__), exc, "a result's layer could not be added")
            show_error(f"{type(exc).__name__}: {exc}")


def forget(viewer: Any = None) -> None:
    """Drop every queued layer of ``viewer`` (of all viewers when None)."""
    _QUEUE[:] = [] if viewer is None else [e for e in _QUEUE if not _same(e.viewer, viewer)]
    if viewer is None:
        _SHOWING.clear()


def _insert(e: _Entry) -> None:
    from napari.layers import Layer

    if e.call is not None:
        e.call()
        return
    layers = e.viewer.layers
    if e.update:
        same = [ly for ly in layers if ly.name == e.kwargs["name"] and getattr(
            ly, "metadata", {}).get("molfield", {}).get("group") == e.group]
        if same:
            update_layer(same[0], e.data, e.kwargs, e.kind)
            return
    at = len(layers)
    if is_deferred(e.kwargs, e.kind) and e.below is not None:  # below its surface
        at = next((i for i, ly in enumerate(layers) if ly.unique_id ==
                   e.below.unique_id), at)
    selection = layers.selection
    selected, active = list(selection), selection.active
    # the user's selection stays: napari selects an inserted layer, and each change of
    # the active layer rebuilds the layer controls (0.15–0.6 s); with the selection's
    # events blocked the controls never see the detour
    with selection.events.blocker_all():
        layers.insert(at, Layer.create(e.data, e.kwargs, e.kind))
        selection.clear()
        selection.update(selected)
        selection.active = active


def update_layer(layer: Any, data: Any, kwargs: dict, kind: str) -> None:
    """Swap data and frame of an existing layer without recreating it.

    Only what changed is set (each setter redraws the layer, which costs on software
    OpenGL); the frame is set before the data so the new data is drawn once, in place.
    """
    import numpy as np

    layer.metadata = kwargs.get("metadata", {})
    for key in ("scale", "translate"):
        if key in kwargs and not np.allclose(getattr(layer, key), kwargs[key]):
            setattr(layer, key, kwargs[key])
    if kind == "points":
        layer.data = data
        layer.features = kwargs["features"]
        layer.face_color = kwargs["face_color"]
        return
    if kind == "surface" and "vertex_colors" in kwargs:  # colours follow the vertices:
        # (napari checks them against the data on each set: one redraw and one controls
        # update for the three sets, not three)
        with layer.events.data.blocker(), layer.events.set_data.blocker():
            layer.vertex_colors = None
            layer.data = data
        layer.vertex_colors = kwargs["vertex_colors"]
        if "visible" in kwargs and layer.visible != kwargs["visible"]:
            layer.visible = kwargs["visible"]
        return
    limits = kwargs.get("contrast_limits")
    if limits is not None and tuple(layer.contrast_limits) != tuple(limits):
        layer.contrast_limits_range = limits
        layer.contrast_limits = limits
    layer.data = data
    if "visible" in kwargs and layer.visible != kwargs["visible"]:
        layer.visible = kwargs["visible"]  # (setting it, even unchanged, redraws)
