"""Auto-decoder checkpoints: a `FittedModel` in the shared container (`nn.checkpoint`).

Tensors: ``network.<name>`` (the state dict), ``latents`` ``[I, L]`` and the packed atoms
``atoms.*``. Header: the model and fit settings, channels, β, training resolution, items
and history.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..errors import MolfieldError
from ..nn.checkpoint import AUTODECODER, read_checkpoint, require, strip_prefix, write_checkpoint
from ..nn.config import ModelConfig
from ..nn.siren import ModulatedSiren
from .model import AtomPack, FittedModel

_ATOM_FIELDS = ("xyz", "radius", "channel", "weight", "offsets")


def save_model(model: FittedModel, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to ``path`` atomically (an existing file survives a failure).

    Returns
    -------
    Path
        The path written.
    """
    tensors = {f"network.{k}": v for k, v in model.network.state_dict().items()}
    tensors["latents"] = model.latents.detach().float()
    if model.atoms is not None:
        for name in _ATOM_FIELDS:
            arr = np.ascontiguousarray(getattr(model.atoms, name))
            tensors[f"atoms.{name}"] = torch.from_numpy(arr)
    header = {
        "model": model.config.to_dict(),
        "channels": list(model.channels),
        "beta": model.beta,
        "train_resolution": model.train_resolution,
        "items": model.items,
        "fit": model.fit_config,
        "history": model.history,
    }
    return write_checkpoint(path, tensors, header, AUTODECODER)


def load_model(path: str | os.PathLike[str], device: str | None = "cpu") -> FittedModel:
    """Read a checkpoint written by `save_model` (no pickle involved).

    Raises
    ------
    MolfieldError
        For anything `read_checkpoint` refuses, and for a header or tensors that do not
        fit together.
    """
    header, tensors = read_checkpoint(path, AUTODECODER)
    name = Path(path).name
    require(header, ("model", "items", "channels", "beta", "train_resolution"), path)
    try:
        config = ModelConfig.from_dict(header["model"])
        net = ModulatedSiren(config)
        net.load_state_dict(strip_prefix(tensors, "network."), strict=True)
        latents = tensors["latents"]
        atoms = None
        if "atoms.xyz" in tensors:
            atoms = AtomPack(*(tensors[f"atoms.{n}"].numpy() for n in _ATOM_FIELDS))
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
        if atoms is not None:  # the stored atoms (read at truth and atoms calls) fit
            _check_atoms(atoms, len(model.items), len(model.channels))
    except (KeyError, TypeError, ValueError, RuntimeError, OverflowError, IndexError) as e:
        why = " ".join(str(e).split())  # torch's state-dict errors span lines
        raise MolfieldError(f"{name}: the model file is inconsistent ({why}).") from e
    if latents.ndim != 2 or latents.shape != (len(model.items), config.latent_dim):
        raise MolfieldError(f"{name}: the latents do not match the stored items.")
    net.eval()
    if device is not None:
        net.to(device)
        model.latents = latents.to(device)
    return model


def _check_atoms(atoms: AtomPack, n_items: int, n_channels: int) -> None:
    """A ValueError unless the packed atoms have matching shapes, item offsets and
    channel indices."""
    e = len(atoms.xyz)
    ok = (atoms.xyz.shape == (e, 3)
          and all(v.shape == (e,) for v in (atoms.radius, atoms.channel, atoms.weight))
          and atoms.offsets.shape == (n_items + 1,) and int(atoms.offsets[0]) == 0
          and int(atoms.offsets[-1]) == e and bool((np.diff(atoms.offsets) >= 0).all())
          and bool(((atoms.channel >= 0) & (atoms.channel < n_channels)).all()))
    if not ok:
        raise ValueError("the stored atoms do not fit together")


__all__ = ["load_model", "save_model"]
