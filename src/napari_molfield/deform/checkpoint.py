"""Deformable-model checkpoints: a `DeformModel` in the shared container (`nn.checkpoint`).

Tensors: ``network.template.*`` and ``network.warp.*`` (the state dict; ``network.linear.*``
and ``network.mlp.*`` for the ``"atoms"`` decoder), ``latents``
``[K, L]``, ``coords`` ``[K, A, 3]`` (float64, the input atoms) and ``template_xyz``
``[A, 3]``. Header: the model and fit settings, channels, β, training resolution, the
box, the conformers (items), the per-atom annotations and the history.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from ..errors import MolfieldError
from ..fields.box import Box
from ..nn.checkpoint import DEFORMABLE, read_checkpoint, require, strip_prefix, write_checkpoint
from ..nn.deform_net import DeformNet
from .config import DeformConfig
from .fit_atoms import atoms_network
from .model import ATOM_FIELDS, DeformModel


def save_deform(model: DeformModel, path: str | os.PathLike[str]) -> Path:
    """Write ``model`` to ``path`` atomically (an existing file survives a failure)."""
    tensors = {f"network.{k}": v for k, v in model.network.state_dict().items()}
    tensors["latents"] = model.latents.detach().float()
    tensors["coords"] = torch.from_numpy(np.ascontiguousarray(model.coords, dtype=np.float64))
    tensors["template_xyz"] = torch.from_numpy(
        np.ascontiguousarray(model.template_xyz, dtype=np.float64))
    header = {
        "model": model.config.to_dict(),
        "channels": list(model.channels),
        "beta": model.beta,
        "train_resolution": model.train_resolution,
        "box": model.region.to_dict(),
        "items": model.items,
        "atoms": model.atoms,
        "name": model.name,
        "source": model.source,
        "hydrogens_added": model.hydrogens_added,
        "fit": model.fit_config,
        "history": model.history,
    }
    return write_checkpoint(path, tensors, header, DEFORMABLE)


def load_deform(path: str | os.PathLike[str], device: str | None = "cpu") -> DeformModel:
    """Read a checkpoint written by `save_deform` (no pickle involved).

    Raises
    ------
    MolfieldError
        For anything `read_checkpoint` refuses, and for a header or tensors that do not
        fit together.
    """
    header, tensors = read_checkpoint(path, DEFORMABLE)
    name = Path(path).name
    require(header, ("model", "items", "channels", "beta", "train_resolution", "box", "atoms"),
            path)
    try:
        config = DeformConfig.from_dict(header["model"])
        net = atoms_network(config) if config.decoder == "atoms" else DeformNet(config)
        net.load_state_dict(strip_prefix(tensors, "network."), strict=True)
        model = DeformModel(
            network=net, config=config, latents=tensors["latents"],
            items=list(header["items"]), channels=tuple(header["channels"]),
            beta=float(header["beta"]), train_resolution=int(header["train_resolution"]),
            region=Box.from_dict(header["box"]), coords=tensors["coords"].numpy(),
            template_xyz=tensors["template_xyz"].numpy(),
            atoms={k: list(header["atoms"][k]) for k in ATOM_FIELDS},
            name=str(header.get("name", "ensemble")), source=header.get("source"),
            hydrogens_added=bool(header.get("hydrogens_added", False)),
            fit_config=dict(header.get("fit") or {}), history=list(header.get("history") or []),
        )
        model.molecule()  # the atoms and conformer names a truth or atoms call reads
    except (KeyError, TypeError, ValueError, RuntimeError, OverflowError) as e:
        why = " ".join(str(e).split())  # torch's state-dict errors span lines
        raise MolfieldError(f"{name}: the model file is inconsistent ({why}).") from e
    k, a = len(model.items), len(model.atoms["elements"])
    if model.latents.shape != (k, config.latent_dim) or model.coords.shape != (k, a, 3) or (
        model.template_xyz.shape != (a, 3)
    ):
        raise MolfieldError(f"{name}: the latents or atoms do not match the stored conformers.")
    net.eval()
    if device is not None:
        net.to(device)
        model.latents = model.latents.to(device)
    return model


__all__ = ["load_deform", "save_deform"]
