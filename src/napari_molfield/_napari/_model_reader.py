"""napari reader for model checkpoints (``*.safetensors``): load into the session, show item 0.

Auto-decoders and deformable ensemble models are both read (the checkpoint's header
says which); a deformable model shows its first conformer.

Imports torch only when a checkpoint is actually read. One model per checkpoint file: a
file read again (and unchanged) reuses the session's model, and its layers, when they are
still in the viewer, are refreshed in place instead of being added again. With a viewer
at hand the load and the decode run in a worker (torch's import too): the reader returns
at once and the worker's result adds the layers.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .layers import LayerData, current_viewer, decoded_layers, view_in_3d

#: Resolution at which a dropped checkpoint's first item is shown.
PREVIEW_RESOLUTION = 48


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
    """Load the checkpoint into the session's models and show its first item decoded.

    In a script (no viewer) both happen now and the layers are returned. With a viewer
    both run in a worker — torch's import and the checkpoint's load included, seconds on
    first use — and the reader returns at once: the layers arrive when the decode is done;
    a bad file becomes the plugin's own one-sentence notification.
    """
    from .session import MODELS

    if isinstance(path, list):
        path = path[0]
    viewer = current_viewer()
    view_in_3d()
    if viewer is None:  # a script: load and decode now
        from .. import models

        name = MODELS.load(path)
        model = MODELS.get(name)
        field = models.decode(model, 0, PREVIEW_RESOLUTION)
        return decoded_layers(field, model, 0, f"decode:{name}:0",
                              f"{model.item_names[0]} decoded")
    _load_later(viewer, Path(path))
    return [(None,)]  # napari's "nothing to add" sentinel: the worker adds them


def load_and_decode(path: Path, known: Any) -> tuple[Any, Any]:
    """The checkpoint's model (``known`` when the session has it already) and its first
    item decoded at `PREVIEW_RESOLUTION` (a worker's job)."""
    from .. import models

    model = known if known is not None else models.load(path)
    return model, models.decode(model, 0, PREVIEW_RESOLUTION)


def _load_later(viewer: Any, path: Path) -> None:
    from . import background
    from .session import MODELS

    known_name = MODELS.find(path)
    known = MODELS.get(known_name) if known_name is not None else None

    def show(result: tuple[Any, Any]) -> None:
        from .widgets.common import replace_group_layers, show_result

        model, field = result
        name = known_name or MODELS.add(model, path.stem, path=path)
        group = f"decode:{name}:0"
        layers = decoded_layers(field, model, 0, group, f"{model.item_names[0]} decoded")
        if len(viewer.layers) == 0:  # an empty window: as a file read (`add_layers`: its
            background.add_layers(viewer, layers)  # first layer made, then drawn)
            return
        kept = replace_group_layers(viewer, group, layers, roles=("decoded",))
        show_result(viewer, kept)

    background.later(load_and_decode, (path, known), show)
