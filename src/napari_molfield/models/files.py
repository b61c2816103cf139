"""One `load` for every checkpoint (the header's ``format`` says the kind) and one `save`."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .kinds import AUTOENCODER, DEFORMABLE, kind_of

log = logging.getLogger(__name__)

#: What `load` accepts instead of a path for the auto-encoder shipped with the package.
DEFAULT = "default"
#: Items whose box and scale `load` reads back at most (evenly spaced).
_CHECKED = 10000


def checkpoint_kind(path: str | os.PathLike[str]) -> str | None:
    """The kind of model a checkpoint holds (reads its header only); ``None`` for a file
    that is not a napari-molfield checkpoint."""
    from ..nn.checkpoint import AUTODECODER as AD_FORMAT
    from ..nn.checkpoint import AUTOENCODER as AE_FORMAT
    from ..nn.checkpoint import DEFORMABLE as DEFORM_FORMAT
    from ..nn.checkpoint import checkpoint_format
    from .kinds import AUTODECODER

    fmt = checkpoint_format(path)
    return {AD_FORMAT: AUTODECODER, AE_FORMAT: AUTOENCODER,
            DEFORM_FORMAT: DEFORMABLE}.get(fmt or "")


def load(path: str | os.PathLike[str] | None = DEFAULT, device: str | None = "cpu") -> Any:
    """The model in a checkpoint, of whichever kind its header names.

    Parameters
    ----------
    path
        A ``.safetensors`` checkpoint written by napari-molfield, or ``"default"`` / ``None``
        for the shipped FreeSolv auto-encoder.
    device
        Where to put the network (``"cpu"``, ``"cuda"``, ``"auto"``).

    Raises
    ------
    MolfieldError
        One sentence for a missing, damaged or foreign file.
    """
    if path is None or str(path) == DEFAULT:
        from ..autoencoder.checkpoint import load_default_model

        return load_default_model(device or "cpu")
    if not Path(path).is_file():
        raise MolfieldError(f"{path}: no such checkpoint file.")
    kind = checkpoint_kind(path)
    log.debug("loading %s as %s", path, kind)
    _check_sizes(path)
    if device is not None:
        from ..nn.device import pick_device

        device = str(pick_device(device))  # "auto" → cuda or cpu
    if kind == DEFORMABLE:
        from ..deform.checkpoint import load_deform

        return _checked(load_deform(path, device=device), path)
    if kind == AUTOENCODER:
        from ..autoencoder.checkpoint import load_autoencoder

        return _checked(load_autoencoder(path, device=device or "cpu"), path)
    from ..autodecoder.checkpoint import load_model

    # load_model also names what is wrong with any other file
    return _checked(load_model(path, device=device), path)


def _check_sizes(path: str | os.PathLike[str]) -> None:
    """Refuse network sizes (width, depth, levels, …) larger than the number of stored
    weights, before a network of that size is built: a damaged header asking for 2⁴⁰
    layers would otherwise exhaust memory or run for hours. Anything unreadable is left
    to the kind's loader to name."""
    import json

    from safetensors import safe_open

    from ..nn.checkpoint import META_KEY

    try:
        with safe_open(str(path), framework="numpy") as f:
            header = json.loads((f.metadata() or {}).get(META_KEY, "{}"))
            stored = sum(int(np.prod(f.get_slice(k).get_shape())) for k in f.keys())
    except Exception:  # not readable here: the kind's loader says why
        return
    if not isinstance(header, dict):
        return
    for section in ("model", "encoder"):
        settings = header.get(section)
        for key, value in (settings.items() if isinstance(settings, dict) else ()):
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > stored:
                raise MolfieldError(
                    f"{Path(path).name}: the model header's {section} {key} = {value} is larger "
                    f"than the {stored} weights stored; the header is damaged."
                )


def _checked(model: Any, path: str | os.PathLike[str]) -> Any:
    """``model``, once every item's name, box and scale could be read from its header
    (they are read lazily, and a damaged header would fail at the first decode instead);
    of more than `_CHECKED` items, that many evenly spaced ones.

    Raises
    ------
    MolfieldError
        Naming the file, for an item the header describes wrongly.
    """
    channels = model.channels
    if not channels or not all(isinstance(c, str) and c for c in channels) or len(
            set(channels)) != len(channels):
        raise MolfieldError(f"{Path(path).name}: the model's channel names {list(channels)!r} "
                            "are damaged.")
    try:
        names = model.item_names
        if len(names) != model.n_items:
            raise ValueError(f"{len(names)} names for {model.n_items} items")
        for i in np.unique(np.linspace(0, model.n_items - 1, min(model.n_items, _CHECKED))
                           .astype(int)):
            model.box(int(i))
            model.scale(int(i))
    except MolfieldError as exc:
        raise MolfieldError(f"{Path(path).name}: the model's items are damaged ({exc})") from exc
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as exc:
        why = " ".join(f"{type(exc).__name__}: {exc}".split())
        raise MolfieldError(f"{Path(path).name}: the model's items are damaged ({why}).") from exc
    return model


def save(model: Any, path: str | os.PathLike[str]) -> Path:
    """Write ``model``'s checkpoint (atomically); returns the path written."""
    kind = kind_of(model)
    if kind == DEFORMABLE:
        from ..deform.checkpoint import save_deform

        return Path(save_deform(model, path))
    if kind == AUTOENCODER:
        from ..autoencoder.checkpoint import save_autoencoder

        return Path(save_autoencoder(model, path))
    from ..autodecoder.checkpoint import save_model

    return Path(save_model(model, path))


__all__ = ["DEFAULT", "checkpoint_kind", "load", "save"]
