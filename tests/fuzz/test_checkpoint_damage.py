"""Checkpoints whose header or tensor table was damaged: one `MolfieldError` line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from napari_molfield.errors import MolfieldError
from napari_molfield.models import load

from .checkpoints import _join, _split

CHECKPOINTS = Path(__file__).resolve().parents[1] / "data" / "checkpoints"
KINDS = ["glycine_autodecoder.safetensors", "glycine_deform.safetensors"]


def _damaged(tmp_path: Path, name: str, header: dict | None = None,
             shape: tuple[str, list[int]] | None = None) -> Path:
    table, body = _split((CHECKPOINTS / name).read_bytes())
    if header:
        meta = json.loads(table["__metadata__"]["molfield"])
        meta["model"].update(header)
        table["__metadata__"]["molfield"] = json.dumps(meta, allow_nan=True)
    if shape:
        table[shape[0]]["shape"] = shape[1]
    out = tmp_path / name
    out.write_bytes(_join(table, body))
    return out


@pytest.mark.parametrize("name", KINDS)
def test_infinite_size_in_the_header(tmp_path: Path, name: str) -> None:
    key = "depth" if "autodecoder" in name else "width"
    with pytest.raises(MolfieldError, match="the model file is inconsistent") as info:
        load(_damaged(tmp_path, name, header={key: float("inf")}))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("name", "tensor"), [
    ("glycine_autodecoder.safetensors", "network.modulator.1.bias"),
    ("glycine_deform.safetensors", "network.template.out.bias"),
])
def test_tensor_of_another_shape(tmp_path: Path, name: str, tensor: str) -> None:
    table, _ = _split((CHECKPOINTS / name).read_bytes())
    n = table[tensor]["shape"][0]
    with pytest.raises(MolfieldError, match="the model file is inconsistent") as info:
        load(_damaged(tmp_path, name, shape=(tensor, [1, n])))
    assert "\n" not in str(info.value)  # torch's message spans lines
