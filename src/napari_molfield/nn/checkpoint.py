"""One checkpoint container for every model kind: safetensors tensors + one JSON header.

A checkpoint is a ``.safetensors`` file (never pickle). Its metadata holds one JSON
object under the ``"molfield"`` key with at least ``format`` (which model kind),
``version`` and ``writer``; each model kind adds its own fields and names its tensors.
`write_checkpoint` writes atomically; `read_checkpoint` validates the header the same way
for every kind and turns every problem into one `MolfieldError` sentence.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import torch

from ..errors import MolfieldError

META_KEY = "molfield"
AUTODECODER = "napari-molfield/auto-decoder"
AUTOENCODER = "napari-molfield/autoencoder"
DEFORMABLE = "napari-molfield/deformable"
#: Newest header version this build reads, per format.
VERSIONS = {AUTODECODER: 1, AUTOENCODER: 1, DEFORMABLE: 1}
_WHAT = {AUTODECODER: "a fitted auto-decoder", AUTOENCODER: "an auto-encoder",
         DEFORMABLE: "a deformable ensemble model"}
#: The dtype each kind's writer gives its tensors (a name, or a prefix ending in ``"."``),
#: checked at every read: the same bytes read as integers where floats were stored (or
#: the reverse) would load silently wrong, since ``load_state_dict`` converts.
DTYPES: dict[str, dict[str, torch.dtype]] = {
    AUTODECODER: {"network.": torch.float32, "latents": torch.float32,
                  "atoms.xyz": torch.float64, "atoms.radius": torch.float64,
                  "atoms.channel": torch.int32, "atoms.weight": torch.float64,
                  "atoms.offsets": torch.int64},
    AUTOENCODER: {"encoder.": torch.float32, "siren.": torch.float32,
                  "dataset.latents": torch.float16, "optim.": torch.float32},
    DEFORMABLE: {"network.": torch.float32, "latents": torch.float32,
                 "coords": torch.float64, "template_xyz": torch.float64},
}


def write_checkpoint(
    path: str | os.PathLike[str],
    tensors: Mapping[str, torch.Tensor],
    header: Mapping[str, Any],
    fmt: str,
) -> Path:
    """Write ``tensors`` and ``header`` (plus ``format``, ``version``, ``writer``) atomically.

    An existing file at ``path`` is left untouched if writing fails.
    """
    from safetensors.torch import save_file

    from .._version import __version__
    from ..fields.io import atomic_write

    path = Path(path)
    data = {k: v.detach().to("cpu").contiguous().clone() for k, v in tensors.items()}
    meta = {"format": fmt, "version": VERSIONS[fmt],
            "writer": f"napari-molfield {__version__}", **header}
    text = json.dumps(meta, allow_nan=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, lambda tmp: save_file(data, tmp, metadata={META_KEY: text}))
    return path


def read_checkpoint(
    path: str | os.PathLike[str], fmt: str, *, device: str = "cpu",
    dtypes: Mapping[str, torch.dtype] | None = None,
) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """``(header, tensors)`` of a checkpoint of format ``fmt``, validated.

    Parameters
    ----------
    path, fmt, device
        The file, the format it must hold and where its tensors go.
    dtypes
        The dtype the writer gives each tensor (default: ``DTYPES[fmt]``): keys are tensor
        names, or prefixes ending in ``"."`` (``"network."``: every tensor of the
        network); the longest match rules and tensors that match none are not checked
        (`check_tensors`).

    Raises
    ------
    MolfieldError
        For a missing file, a file that is not safetensors, a truncated or damaged file,
        a safetensors file without our header, a checkpoint of another kind, a newer
        format version, a tensor of another dtype than ``dtypes`` gives it (the same
        bytes read as integers where the writer stored floats load silently wrong), or a
        floating-point tensor with NaN or infinite values.
    """
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise MolfieldError(f"{path.name}: no such model file ({path}).")
    try:
        with safe_open(str(path), framework="pt", device=device) as f:
            meta = f.metadata() or {}
            header = _header(path, meta, fmt)
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except MolfieldError:
        raise
    except Exception as e:  # safetensors raises its own error types and OSError
        first = str(e).splitlines()[0] if str(e) else type(e).__name__
        raise MolfieldError(
            f"{path.name} is not a readable napari-molfield model (not a safetensors file, "
            f"or truncated/damaged: {first})."
        ) from e
    check_tensors(tensors, DTYPES[fmt] if dtypes is None else dtypes, path)
    return header, tensors


def check_tensors(tensors: Mapping[str, torch.Tensor], dtypes: Mapping[str, torch.dtype],
                  path: str | os.PathLike[str]) -> None:
    """A `MolfieldError` naming the first tensor whose dtype is not the one ``dtypes``
    gives it (a name, or a prefix ending in ``"."``; the longest match rules), or whose
    floating-point values are not all finite (a model never stores NaN or inf)."""
    name = Path(path).name
    for key, t in tensors.items():
        rules = [k for k in dtypes if k == key or (k.endswith(".") and key.startswith(k))]
        if rules:
            want = dtypes[max(rules, key=len)]
            if t.dtype != want:
                raise MolfieldError(
                    f"{name}: tensor {key!r} holds {_dtype_name(t.dtype)} values where the "
                    f"model stores {_dtype_name(want)}; the file is damaged."
                )
        if t.is_floating_point() and not bool(torch.isfinite(t).all()):
            raise MolfieldError(
                f"{name}: tensor {key!r} holds NaN or infinite values; the file is damaged."
            )


def _dtype_name(dtype: torch.dtype) -> str:
    return str(dtype).removeprefix("torch.")


def checkpoint_format(path: str | os.PathLike[str]) -> str | None:
    """The ``format`` of a napari-molfield checkpoint (reads only the header).

    None for anything that is not one of ours (or not readable).
    """
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt", device="cpu") as f:
            header = json.loads((f.metadata() or {}).get(META_KEY, "null"))
    except Exception:  # not safetensors, unreadable, or bad JSON
        return None
    fmt = header.get("format") if isinstance(header, dict) else None
    return fmt if isinstance(fmt, str) else None


def require(header: Mapping[str, Any], keys: Iterable[str], path: str | os.PathLike[str]
            ) -> None:
    """A `MolfieldError` naming the first of ``keys`` missing from ``header``."""
    for k in keys:
        if k not in header:
            raise MolfieldError(f"{Path(path).name}: the model header lacks {k!r}.")


def strip_prefix(tensors: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    """The tensors whose name starts with ``prefix``, without it."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def _header(path: Path, meta: Mapping[str, str], fmt: str) -> dict[str, Any]:
    if META_KEY not in meta:
        raise MolfieldError(f"{path.name} is a safetensors file but not a napari-molfield model.")
    try:
        header = json.loads(meta[META_KEY])
    except json.JSONDecodeError:
        raise MolfieldError(f"{path.name}: the model metadata is damaged.") from None
    if not isinstance(header, dict):
        raise MolfieldError(f"{path.name}: the model metadata is damaged.")
    found = header.get("format")
    if found != fmt:
        if found in _WHAT:
            raise MolfieldError(
                f"{path.name} holds {_WHAT[found]}, not {_WHAT[fmt]}."
            )
        raise MolfieldError(f"{path.name} is not {_WHAT[fmt]} of napari-molfield.")
    version = header.get("version")
    if not isinstance(version, int) or version < 1:
        raise MolfieldError(f"{path.name}: the model format version {version!r} is invalid.")
    if version > VERSIONS[fmt]:
        raise MolfieldError(
            f"{path.name} was written by a newer napari-molfield (format version {version}, "
            f"this one reads up to {VERSIONS[fmt]}): update napari-molfield."
        )
    return header


__all__ = [
    "AUTODECODER",
    "AUTOENCODER",
    "DEFORMABLE",
    "DTYPES",
    "META_KEY",
    "check_tensors",
    "checkpoint_format",
    "read_checkpoint",
    "require",
    "strip_prefix",
    "write_checkpoint",
]
