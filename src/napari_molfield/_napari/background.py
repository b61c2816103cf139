"""Readers' work off the Qt thread: read in a worker, add the layers when it returns.

napari calls a reader on its Qt thread and waits for its layer data. Reading a protein,
sampling its channels (the compiled samplers load their cache on first use: ~1 s) and
contouring them, or loading a checkpoint (torch's import), would freeze the window for
seconds. In a viewer the plugin's readers therefore return napari's "nothing to add" at
once and run `later` instead: the job in a worker, its layers added on the Qt thread
when it returns, a `MolfieldError` shown as the plugin's own one-sentence notification.
In a script (no viewer) readers work synchronously and return their layers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

#: Workers still running (kept alive until they report back).
WORKERS: set[Any] = set()


def busy() -> bool:
    """Whether a reader's worker is still running, or its hidden layers still queued."""
    from . import pending

    return bool(WORKERS) or pending.busy()


def later(job: Callable[..., Any], args: tuple, then: Callable[[Any], None]) -> None:
    """Run ``job(*args)`` in a worker and ``then(result)`` on the Qt thread.

    ``then`` is not called when the viewer was closed meanwhile (a `RuntimeError` from a
    deleted Qt object is swallowed); errors become one notification each.
    """
    from napari.qt.threading import create_worker

    from .display import display_mode

    display_mode()  # decided here, on the Qt thread, before a worker builds layer data
    worker = create_worker(_warmed, job, *args, _ignore_errors=True)

    def returned(result: Any) -> None:
        try:
            then(result)
        except RuntimeError:  # the viewer was closed meanwhile
            pass

    def failed(exc: BaseException) -> None:
        from .workers import notify_error

        notify_error(exc)

    worker.returned.connect(returned)
    worker.errored.connect(failed)
    worker.finished.connect(lambda: WORKERS.discard(worker))
    WORKERS.add(worker)
    worker.start()


def _warmed(job: Callable[..., Any], *args: Any) -> Any:
    """``job(*args)``, after paying napari's first-use costs of making layers here."""
    warm_layers()
    return job(*args)


def warm_layers() -> None:
    """Pay, once, what napari's first layer costs whoever makes it: its unit registry
    (pint parses its definitions: 0.9 s) and pandas for the points' features (0.3 s).
    On the Qt thread these froze the window when the first file arrived."""
    import pandas  # noqa: F401
    import pint

    pint.get_application_registry().pixel  # noqa: B018 (builds the registry)


def add_layers(viewer: Any, layers: list[tuple[Any, dict, str]]) -> list[Any]:
    """Add layer data to ``viewer`` (the camera framing them when they are its first).

    Only the first shown layer (a surface, preferably) is added now; the others follow
    one per turn of the event loop (`pending`). The layers added now are returned.
    """
    from napari.layers import Layer

    from . import pending

    first = len(viewer.layers) == 0
    now, later = pending.split([item for item in layers if item[0] is not None])
    # made hidden, shown one turn later: making a layer (its controls, its visual) and
    # drawing it for the first time (shaders compiled, the mesh uploaded) each cost
    # ~0.5 s on software OpenGL; in one turn they froze the window for 1.1–1.3 s
    added = [viewer.add_layer(Layer.create(data, {**kwargs, "visible": False}, kind))
             for data, kwargs, kind in now]
    for layer, (_, kwargs, _) in zip(added, now, strict=True):
        if kwargs.get("visible", True):
            pending.show_later(viewer, layer)
    surface = pending.surface_of(added)
    for item in later:
        pending.defer(viewer, *item, below=surface)
    if first and added:
        viewer.reset_view()
    if added:
        from .widgets.common import enable_scale_bar

        enable_scale_bar(viewer)  # the layers are in Å
    return added


