"""Auto-encoder checkpoints: an `AEModel` in the shared container (`nn.checkpoint`).

Tensors: ``encoder.*``, ``siren.*``, ``dataset.latents`` (and ``optim.*`` for resuming).
Header: ``kind = "autoencoder"``, the network shapes, channels, box, β, the train/val/test
split and the dataset's names, SMILES and properties. The shipped FreeSolv model lives in
the package's ``data`` folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import MolfieldError
from ..nn.atom_slots import SlotConfig
from ..nn.checkpoint import AUTOENCODER, read_checkpoint, require, strip_prefix, write_checkpoint
from ..nn.config import ModelConfig
from ..nn.device import pick_device
from ..nn.encoder import EncoderConfig
from .model import AEModel, AutoEncoder

#: File name of the shipped model inside the package's ``data`` folder.
DEFAULT_MODEL = "freesolv_ae.safetensors"
KIND = "autoencoder"
#: Header fields that are not part of ``AEModel.meta``.
_HEADER = ("format", "version", "kind", "writer", "model", "encoder", "layout", "channels",
           "resolution", "box_edge", "beta", "conformer_seed", "frame", "sparse_latents")
#: Dataset latents of an atom-slot model are stored as their filled slots only: a slot
#: whose amplitudes all stay below this is stored as empty (zeros).
SPARSE_FLOOR = 0.02


def save_autoencoder(model: AEModel, path: str | os.PathLike[str], optimizer: Any = None
                     ) -> Path:
    """Write ``model`` (and optionally the optimiser state) atomically to ``path``."""
    net = model.net
    tensors = {f"encoder.{k}": v for k, v in net.encoder.state_dict().items()}
    tensors |= {f"siren.{k}": v for k, v in net.siren.state_dict().items()}
    sparse = None
    if model.dataset_latents is not None and net.layout == "slots":
        tensors |= sparse_slot_latents(model.dataset_latents, net.decoder_config.width)
        sparse = list(model.dataset_latents.shape)
    elif model.dataset_latents is not None:  # for latent maps: half precision is plenty
        tensors["dataset.latents"] = torch.as_tensor(model.dataset_latents, dtype=torch.float16)
    if optimizer is not None:
        tensors |= optimizer_tensors(optimizer)
    header = {
        "kind": KIND,
        "model": net.decoder_config.to_dict(),
        "encoder": net.encoder_config.to_dict(),
        "layout": net.layout,
        "channels": list(model.channels),
        "resolution": model.resolution,
        "box_edge": model.box_edge,
        "beta": model.beta,
        "conformer_seed": model.conformer_seed,
        "frame": model.frame,
        "sparse_latents": sparse,
        **{k: v for k, v in model.meta.items() if k not in _HEADER},
    }
    return write_checkpoint(path, tensors, header, AUTOENCODER)


def load_autoencoder(
    path: str | os.PathLike[str],
    *,
    device: str = "cpu",
    with_state: bool = False,
) -> Any:
    """Read a checkpoint written by :func:`save_autoencoder`.

    Returns
    -------
    AEModel, or ``(AEModel, optimiser tensors)`` with ``with_state``.

    Raises
    ------
    MolfieldError
        For anything `read_checkpoint` refuses, and for a header or weights that do not
        fit together.
    """
    header, tensors = read_checkpoint(path, AUTOENCODER)
    name = Path(path).name
    require(header, ("model", "encoder", "channels", "resolution", "box_edge", "beta"), path)
    try:
        layout = str(header.get("layout", "global"))
        dec_cls = SlotConfig if layout == "slots" else ModelConfig
        net = AutoEncoder(EncoderConfig.from_dict(header["encoder"]),
                          dec_cls.from_dict(header["model"]), layout)
        net.encoder.load_state_dict(strip_prefix(tensors, "encoder."))
        net.siren.load_state_dict(strip_prefix(tensors, "siren."))
        lat = tensors.get("dataset.latents")
        if header.get("sparse_latents"):
            lat = dense_slot_latents(tensors, header["sparse_latents"],
                                     net.decoder_config.latent_dim)
        model = AEModel(
            net, tuple(header["channels"]), int(header["resolution"]),
            float(header["box_edge"]), float(header["beta"]),
            int(header.get("conformer_seed", 0)),
            {k: v for k, v in header.items() if k not in _HEADER},
            None if lat is None else lat.float().numpy(),
            header.get("frame"),
        )
    except (KeyError, TypeError, ValueError, RuntimeError) as e:
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise MolfieldError(f"{name}: the model file is inconsistent ({first}).") from e
    net.to(pick_device(device)).eval()
    if with_state:
        return model, {k: v for k, v in tensors.items() if k.startswith("optim.")}
    return model


def sparse_slot_latents(latents: np.ndarray, width: int) -> dict[str, torch.Tensor]:
    """The filled slots of atom-slot latents ``[M, L]``: item and slot index (int32) and
    the slot's ``width`` values (float16) of every slot with an amplitude above
    `SPARSE_FLOOR` — a few dozen slots a molecule instead of thousands."""
    lat = np.asarray(latents, np.float32)
    rows = lat.reshape(len(lat), -1, width)
    item, slot = np.nonzero(np.abs(rows[..., 4:]).max(-1) > SPARSE_FLOOR)
    return {"dataset.slot_item": torch.as_tensor(item.astype(np.int32)),
            "dataset.slot_index": torch.as_tensor(slot.astype(np.int32)),
            "dataset.slot_values": torch.as_tensor(rows[item, slot], dtype=torch.float16)}


def dense_slot_latents(tensors: dict[str, torch.Tensor], shape: Any, latent_dim: int
                       ) -> torch.Tensor:
    """Inverse of :func:`sparse_slot_latents`: ``[M, L]`` float32, empty slots zero."""
    m, n = (int(x) for x in shape)
    if n != latent_dim:
        raise ValueError(f"stored latents of length {n}, the decoder's are {latent_dim}")
    item = tensors["dataset.slot_item"].long()
    slot = tensors["dataset.slot_index"].long()
    values = tensors["dataset.slot_values"].float()
    width = values.shape[1]
    if len(item) and (item.min() < 0 or item.max() >= m or slot.min() < 0
                      or slot.max() >= n // width):
        raise ValueError("stored slot indices lie outside the latents")
    out = torch.zeros(m, n // width, width)
    out[item, slot] = values
    return out.reshape(m, n)


def default_model_path() -> Path:
    """Path of the shipped FreeSolv auto-encoder inside the installed package."""
    from importlib.resources import files

    return Path(str(files("napari_molfield") / "data" / DEFAULT_MODEL))


def load_default_model(device: str = "cpu") -> AEModel:
    """The shipped FreeSolv auto-encoder (``data/freesolv_ae.safetensors``)."""
    path = default_model_path()
    if not path.is_file():
        raise MolfieldError(f"The shipped model {DEFAULT_MODEL} is missing from {path.parent}.")
    return load_autoencoder(path, device=device)


def load_optimizer_state(opt: torch.optim.Optimizer, state: dict[str, torch.Tensor]) -> None:
    """Restore Adam moments saved by :func:`optimizer_tensors`."""
    params = [p for g in opt.param_groups for p in g["params"]]
    for i, p in enumerate(params):
        if f"optim.{i}.exp_avg" not in state:
            continue
        opt.state[p] = {
            "step": state[f"optim.{i}.step"].to("cpu").reshape(()),
            "exp_avg": state[f"optim.{i}.exp_avg"].to(p.device),
            "exp_avg_sq": state[f"optim.{i}.exp_avg_sq"].to(p.device),
        }


def optimizer_tensors(opt: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """Adam moments as flat named tensors (for safetensors)."""
    out = {}
    params = [p for g in opt.param_groups for p in g["params"]]
    for i, p in enumerate(params):
        st = opt.state.get(p)
        if not st:
            continue
        out[f"optim.{i}.step"] = torch.as_tensor(st["step"], dtype=torch.float32).reshape(1)
        out[f"optim.{i}.exp_avg"] = st["exp_avg"].detach()
        out[f"optim.{i}.exp_avg_sq"] = st["exp_avg_sq"].detach()
    return out


__all__ = [
    "DEFAULT_MODEL",
    "default_model_path",
    "load_autoencoder",
    "load_default_model",
    "load_optimizer_state",
    "optimizer_tensors",
    "save_autoencoder",
    "sparse_slot_latents",
]
