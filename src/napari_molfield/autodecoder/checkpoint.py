"""Checkpoints: one `.safetensors` file per `FittedModel`, never unpickled.

Tensors: ``network.<name>`` (the state dict), ``latents`` ``[I, L]`` and the packed
atoms ``atoms.*``. Everything else (format name and version, model and fit settings,
channels, β, items) is one JSON string under the ``"molfield"`` key of the safetensors
metadata header.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import MolfieldError
from ..fields.io import atomic_write
from .config import ModelConfig
from .model import AtomPack, FittedModel
from .siren import ModulatedSiren

FORMAT = "napari-molfield/auto-decoder"
VERSION = 1
META_KEY = "molfield"


def save_model(model: FittedModel, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to ``path`` atomically (a temporary file, then a rename).

    If writing fails, an existing file at ``path`` is left untouched.

    Returns
    -------
    Path
        The path written.
    """
    from safetensors.torch import save_file

    from .. import __version__

    path = Path(path)
    tensors = {f"network.{k}": v.detach().to("cpu").contiguous().clone()
               for k, v in model.network.state_dict().items()}
    tensors["latents"] = model.latents.detach().to("cpu").float().contiguous().clone()
    if model.atoms is not None:
        a = model.atoms
        for name in ("xyz", "radius", "channel", "weight", "offsets"):
            tensors[f"atoms.{name}"] = torch.from_numpy(np.ascontiguousarray(getattr(a, name)))
    header = {
        "format": FORMAT,
        "version": VERSION,
        "writer": f"napari-molfield {__version__}",
        "model": model.config.to_dict(),
        "channels": list(model.channels),
        "beta": model.beta,
        "train_resolution": model.train_resolution,
        "items": model.items,
        "fit": model.fit_config,
        "history": model.history,
    }
    meta = {META_KEY: json.dumps(header, allow_nan=True)}
    atomic_write(path, lambda tmp: save_file(tensors, tmp, metadata=meta))
    return path


def load_model(path: str | os.PathLike[str], device: str | None = "cpu") -> FittedModel:
    """Read a checkpoint written by `save_model` (no pickle involved).

    Raises
    ------
    MolfieldError
        For a missing file, a file that is not safetensors, a safetensors file without
        our metadata, a truncated or damaged file, or a newer format version.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise MolfieldError(f"{path.name}: no such model file ({path}).")
    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            meta = f.metadata() or {}
            header = _header(path, meta)
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except MolfieldError:
        raise
    except Exception as e:  # safetensors raises its own error types and OSError
        raise MolfieldError(
            f"{path.name} is not a readable napari-molfield model (not a safetensors file, "
            f"or truncated/damaged: {str(e).splitlines()[0] if str(e) else type(e).__name__})."
        ) from e
    try:
        config = ModelConfig.from_dict(header["model"])
        net = ModulatedSiren(config)
        state = {k[len("network."):]: v for k, v in tensors.items() if k.startswith("network.")}
        net.load_state_dict(state, strict=True)
        latents = tensors["latents"]
        atoms = None
        if "atoms.xyz" in tensors:
            atoms = AtomPack(*(tensors[f"atoms.{n}"].numpy() for n in
                               ("xyz", "radius", "channel", "weight", "offsets")))
        model = FittedModel(
            network=net,
            config=config,
            latents=latents,
            items=list(header["items"]),
            channels=tuple(header["channels"]),
            beta=float(header["beta"]),
            train_resolution=int(header["train_resolution"]),
            atoms=atoms,
            fit_config=dict(header.get("fit") or {}),
            history=list(header.get("history") or []),
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        raise MolfieldError(f"{path.name}: the model file is inconsistent ({e}).") from e
    if latents.ndim != 2 or latents.shape != (len(model.items), config.latent_dim):
        raise MolfieldError(f"{path.name}: the latents do not match the stored items.")
    net.eval()
    if device is not None:
        net.to(device)
        model.latents = latents.to(device)
    return model


def checkpoint_format(path: str | os.PathLike[str]) -> str | None:
    """The ``format`` of a napari-molfield checkpoint (auto-decoder or auto-encoder).

    Reads only the safetensors header; None for anything that is not one of ours.
    """
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            header = json.loads((f.metadata() or {}).get(META_KEY, "null"))
    except Exception:  # not safetensors, unreadable, or bad JSON
        return None
    return header.get("format") if isinstance(header, dict) else None


def _header(path: Path, meta: dict[str, str]) -> dict[str, Any]:
    if META_KEY not in meta:
        raise MolfieldError(
            f"{path.name} is a safetensors file but not a napari-molfield model."
        )
    try:
        header = json.loads(meta[META_KEY])
    except json.JSONDecodeError:
        raise MolfieldError(f"{path.name}: the model metadata is damaged.") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise MolfieldError(f"{path.name} is not a napari-molfield auto-decoder model.")
    version = header.get("version")
    if not isinstance(version, int) or version < 1:
        raise MolfieldError(f"{path.name}: the model format version {version!r} is invalid.")
    if version > VERSION:
        raise MolfieldError(
            f"{path.name} was written by a newer napari-molfield (format version {version}, "
            f"this one reads up to {VERSION}): update napari-molfield."
        )
    return header
