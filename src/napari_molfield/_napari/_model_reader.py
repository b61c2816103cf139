"""napari reader for model checkpoints (``*.safetensors``): load into the session, show item 0.

Imports torch only when a checkpoint is actually read.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from .layers import FieldParams, LayerData, field_layers

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
    """Load the checkpoint into the session's models and decode its first item."""
    from ..autodecoder.decode import decode
    from .session import MODELS

    if isinstance(path, list):
        path = path[0]
    name = MODELS.load(path)
    model = MODELS.get(name)
    field = decode(model, 0, PREVIEW_RESOLUTION)
    params = FieldParams(resolution=PREVIEW_RESOLUTION, channels=",".join(model.channels))
    label = f"{model.items[0]['name']} decoded"
    return field_layers([field], None, params, f"decode:{name}:0", name=label, role="decoded")
