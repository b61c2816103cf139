"""Checkpoints whose header or tensor table was damaged: one `MolfieldError` line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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


def _with_items(tmp_path: Path, name: str, change: Any) -> Path:
    table, body = _split((CHECKPOINTS / name).read_bytes())
    meta = json.loads(table["__metadata__"]["molfield"])
    change(meta["items"])
    table["__metadata__"]["molfield"] = json.dumps(meta, allow_nan=True)
    out = tmp_path / name
    out.write_bytes(_join(table, body))
    return out


@pytest.mark.parametrize(("name", "change"), [
    ("glycine_autodecoder.safetensors", lambda items: items[0]["box"].update(centre={})),
    ("glycine_autodecoder.safetensors", lambda items: items.__setitem__(0, "nan")),
    ("glycine_autodecoder.safetensors", lambda items: items[0].pop("scale")),
    ("glycine_deform.safetensors", lambda items: items.__setitem__(2, {"a": 1})),
    ("glycine_deform.safetensors", lambda items: items[1].pop("conformer_name")),
])
def test_damaged_items_refused_at_load(tmp_path: Path, name: str, change: Any) -> None:
    # found by the fuzzer through the napari reader: these loaded, then failed with a
    # TypeError or KeyError at the first decode
    with pytest.raises(MolfieldError, match=rf"{name}: the model('s items are damaged| file "
                                            "is inconsistent)") as info:
        load(_with_items(tmp_path, name, change))
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("channels", [["C", None, "O"], [], ["C", "C", "O"], [True, "N", "O"]])
def test_damaged_channel_names(tmp_path: Path, channels: list[Any]) -> None:
    name = "glycine_autodecoder.safetensors"
    table, body = _split((CHECKPOINTS / name).read_bytes())
    meta = json.loads(table["__metadata__"]["molfield"])
    meta["channels"] = channels
    table["__metadata__"]["molfield"] = json.dumps(meta)
    path = tmp_path / name
    path.write_bytes(_join(table, body))
    with pytest.raises(MolfieldError, match=r"channel names .* are damaged|inconsistent"):
        load(path)


@pytest.mark.parametrize("tensor", ["atoms.offsets", "atoms.channel"])
def test_stored_atoms_of_another_shape(tmp_path: Path, tensor: str) -> None:
    name = "glycine_autodecoder.safetensors"
    table, body = _split((CHECKPOINTS / name).read_bytes())
    n = table[tensor]["shape"][0]
    table[tensor]["shape"] = [1, n]
    path = tmp_path / name
    path.write_bytes(_join(table, body))
    with pytest.raises(MolfieldError, match="the model file is inconsistent"):
        load(path)


@pytest.mark.parametrize(("name", "section", "key"), [
    ("glycine_deform.safetensors", "model", "depth"),
    ("glycine_autodecoder.safetensors", "model", "width"),
    (str(Path(__file__).resolve().parents[2] / "src" / "napari_molfield" / "data"
         / "freesolv_ae.safetensors"), "encoder", "levels"),
])
def test_network_larger_than_its_weights(tmp_path: Path, name: str, section: str,
                                         key: str) -> None:
    # found by the fuzzer: depth 2⁴⁰ ran out of memory building the network, encoder
    # levels 2⁴⁰ hung computing 2**levels
    src = CHECKPOINTS / name
    table, body = _split(src.read_bytes())
    meta = json.loads(table["__metadata__"]["molfield"])
    meta[section][key] = 2**40
    table["__metadata__"]["molfield"] = json.dumps(meta)
    path = tmp_path / src.name
    path.write_bytes(_join(table, body))
    with pytest.raises(MolfieldError, match=rf"{section} {key} = 1099511627776 is larger than "
                       r"the \d+ weights stored"):
        load(path)


AE_MODEL = (Path(__file__).resolve().parents[2] / "src" / "napari_molfield" / "data"
            / "freesolv_ae.safetensors")
#: One network weight of each kind's checkpoint.
WEIGHTS = [(CHECKPOINTS / "glycine_autodecoder.safetensors", "network.layers.0.weight"),
           (CHECKPOINTS / "glycine_deform.safetensors", "network.template.layers.0.weight"),
           (AE_MODEL, "encoder.down.0.weight")]


def _rewritten(tmp_path: Path, src: Path, name: str, change: Any) -> Path:
    """``src`` with tensor ``name`` replaced by ``change(tensor)``, header kept."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(src), framework="pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    tensors[name] = change(tensors[name]).contiguous()
    out = tmp_path / src.name
    save_file(tensors, str(out), metadata=meta)
    return out


@pytest.mark.parametrize(("src", "tensor"), WEIGHTS)
@pytest.mark.parametrize("dtype", ["float64", "int32", "float16"])
def test_weights_of_another_dtype(tmp_path: Path, src: Path, tensor: str, dtype: str) -> None:
    # load_state_dict converts any dtype into the network's float32: these loaded
    import torch

    path = _rewritten(tmp_path, src, tensor, lambda t: t.to(getattr(torch, dtype)))
    with pytest.raises(MolfieldError, match=rf"tensor '{tensor}' holds {dtype} values where "
                       "the model stores float32; the file is damaged") as info:
        load(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("src", "tensor"), [
    *WEIGHTS,
    (CHECKPOINTS / "glycine_autodecoder.safetensors", "atoms.offsets"),
])
def test_same_bytes_read_as_another_dtype(tmp_path: Path, src: Path, tensor: str) -> None:
    # the fuzzer's dtype mutation: F32 weights read as I32 (or I64 offsets as F64) keep
    # the file well-formed, and the weights loaded as garbage
    table, body = _split(src.read_bytes())
    table[tensor]["dtype"] = {"F32": "I32", "I64": "F64"}[table[tensor]["dtype"]]
    path = tmp_path / src.name
    path.write_bytes(_join(table, body))
    with pytest.raises(MolfieldError, match=rf"tensor '{tensor}' holds \w+ values where the "
                       "model stores") as info:
        load(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(("src", "tensor"), [
    *WEIGHTS,
    (CHECKPOINTS / "glycine_autodecoder.safetensors", "latents"),
    (CHECKPOINTS / "glycine_deform.safetensors", "coords"),
    (AE_MODEL, "dataset.slot_values"),
])
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_weights_not_finite(tmp_path: Path, src: Path, tensor: str, bad: float) -> None:
    def poison(t: Any) -> Any:
        t = t.clone()
        t.view(-1)[len(t.view(-1)) // 2] = bad
        return t

    path = _rewritten(tmp_path, src, tensor, poison)
    with pytest.raises(MolfieldError, match=rf"tensor '{tensor}' holds NaN or infinite values; "
                       "the file is damaged") as info:
        load(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("tensor", ["dataset.slot_index", "dataset.slot_item"])
def test_sparse_latents_pointing_outside_are_one_line(tmp_path: Path, tensor: str) -> None:
    def shift(t: Any) -> Any:
        t = t.clone()
        t.view(-1)[0] = 10**8
        return t

    path = _rewritten(tmp_path, AE_MODEL, tensor, shift)
    with pytest.raises(MolfieldError, match="inconsistent") as info:
        load(path)
    assert "\n" not in str(info.value)
