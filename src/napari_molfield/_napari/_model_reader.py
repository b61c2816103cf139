"""napari reader for model checkpoints (``*.safetensors``): load into the session, show item 0.

Auto-decoders and deformable ensemble models are both read (the checkpoint's header
says which); a deformable model shows its first conformer.

Imports torch only when a checkpoint is actually read. One model per checkpoint file: a
file read again (and unchanged) reuses the session's model, and its layers, when they are
still in the viewer, are refreshed in place instead of being added again. With a viewer
at hand the decode runs in a worker: the reader returns the layers at once (empty) and
the worker fills them in.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .layers import LayerData, current_viewer, decoded_layers, view_in_3d

#: Resolution at which a dropped checkpoint's first item is shown.
PREVIEW_RESOLUTION = 48
#: Workers still running (kept alive until they report back).
_WORKERS: set[Any] = set()


def get_model_reader(path: str | os.PathLike | list) -> Callable[..., list[LayerData]] | None:
    """A reader for one existing ``.safetensors`` file, else None."""
    if isinstance(path, list):
        if len(path) != 1:
            return None
        path = path[0]
    p = Path(path)
    if p.suffix.lower() != ".safetensors" or not p.is_file():
        return None
    return read_model


def read_model(path: str | os.PathLike | list) -> list[LayerData]:
    """Load the checkpoint into the session's models and show its first item decoded."""
    from .. import models
    from ..fields.field import Field
    from .session import MODELS

    if isinstance(path, list):
        path = path[0]
    name = MODELS.load(path)
    model = MODELS.get(name)
    group, label = f"decode:{name}:0", f"{model.items[0]['name']} decoded"
    viewer = current_viewer()
    view_in_3d()
    if viewer is None:  # a script: decode now
        return decoded_layers(models.decode(model, 0, PREVIEW_RESOLUTION), model, 0, group,
                              label)
    box, n = model.box(0), PREVIEW_RESOLUTION
    empty = Field(np.zeros((len(model.channels), n, n, n), np.float32), box.origin(n),
                  box.spacing(n), model.channels, box=box)
    layers = decoded_layers(empty, model, 0, group, label)
    _decode_later(viewer, model, group, label)
    from .widgets.common import group_layers

    if group_layers(viewer, group):  # read before: the same layers get the new decode
        return [(None,)]  # napari's "nothing to add" sentinel
    return layers


def _decode_later(viewer: Any, model: Any, group: str, label: str) -> None:
    from napari.qt.threading import create_worker
    from qtpy.QtCore import QTimer

    from .. import models
    from .widgets.common import update_group_layers

    def work() -> list[LayerData]:
        return decoded_layers(models.decode(model, 0, PREVIEW_RESOLUTION), model, 0, group,
                              label)

    worker = create_worker(work, _ignore_errors=True)

    def fill(layers: list[LayerData], tries: int = 0) -> None:
        # napari adds the reader's layers after the reader returns: wait for them
        try:
            if update_group_layers(viewer, group, layers) == 0 and tries < 100:
                QTimer.singleShot(100, lambda: fill(layers, tries + 1))
        except RuntimeError:  # the viewer was closed meanwhile
            pass

    def failed(exc: BaseException) -> None:
        from .workers import notify_error

        notify_error(exc)

    worker.returned.connect(fill)
    worker.errored.connect(failed)
    worker.finished.connect(lambda: _WORKERS.discard(worker))
    _WORKERS.add(worker)
    worker.start()

