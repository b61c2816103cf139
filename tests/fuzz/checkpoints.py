"""Seeded mutations of napari-molfield checkpoints (safetensors + one JSON header).

Besides damaged bytes (`mutate.RAW_MUTATORS`), a checkpoint is mutated where its
structure is: the ``molfield`` JSON header (a key removed, a value of the wrong type, a
huge, negative or NaN number, a list cut short) and the tensor table (a shape or dtype
that no longer matches, a tensor renamed or removed). The file stays a well-formed
safetensors container unless the bytes themselves are damaged, so the model loaders'
own checks are what is exercised.
"""

from __future__ import annotations

import json
import struct
from typing import Any

import numpy as np

from .mutate import RAW_MUTATORS, mutate

_ODD_VALUES: tuple[Any, ...] = (None, "x", "", -1, 0, 1, 2**40, -(2**40), 1e308, float("nan"),
                                float("inf"), True, [], {}, [1, 2], {"a": 1}, 0.5, "nan")


def _split(data: bytes) -> tuple[dict[str, Any], bytes]:
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8: 8 + n]), data[8 + n:]


def _join(table: dict[str, Any], body: bytes) -> bytes:
    text = json.dumps(table, allow_nan=True).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + body


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key/index path into nested dicts and lists."""
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj[:8]):
            out += _paths(v, (*prefix, i))
    return out


def _header(meta: dict[str, Any], rng: np.random.Generator) -> str:
    paths = _paths(meta)
    path = paths[int(rng.integers(len(paths)))]
    parent = meta
    for k in path[:-1]:
        parent = parent[k]
    last = path[-1]
    op = int(rng.integers(4))
    if op == 0 and isinstance(parent, dict):
        del parent[last]
        return f"header_drop:{'.'.join(map(str, path))}"
    if op == 1 and isinstance(parent[last], list) and parent[last]:
        parent[last] = parent[last][: int(rng.integers(len(parent[last])))]
        return f"header_cut:{'.'.join(map(str, path))}"
    parent[last] = _ODD_VALUES[int(rng.integers(len(_ODD_VALUES)))]
    return f"header_value:{'.'.join(map(str, path))}={parent[last]!r}"


def _tensors(table: dict[str, Any], rng: np.random.Generator) -> str:
    names = [k for k in table if k != "__metadata__"]
    name = names[int(rng.integers(len(names)))]
    entry = table[name]
    op = int(rng.integers(4))
    if op == 0:  # another shape with the same number of elements (or a wrong one)
        shape = list(entry["shape"])
        entry["shape"] = shape[::-1] if rng.random() < 0.5 and len(shape) > 1 else [
            int(np.prod(shape))] if len(shape) != 1 else [1, *shape]
        return f"tensor_shape:{name}={entry['shape']}"
    if op == 1:
        table[name + "_renamed"] = table.pop(name)
        return f"tensor_rename:{name}"
    if op == 2:  # the same bytes read as another dtype of that width
        entry["dtype"] = {"F32": "I32", "F64": "I64", "I64": "F64", "I32": "F32"}.get(
            entry["dtype"], "U8")
        if entry["dtype"] == "U8":
            entry["shape"] = [entry["data_offsets"][1] - entry["data_offsets"][0]]
        return f"tensor_dtype:{name}={entry['dtype']}"
    other = names[int(rng.integers(len(names)))]  # two tensors exchange names
    table[name], table[other] = table[other], table[name]
    return f"tensor_swap:{name},{other}"


def mutate_checkpoint(data: bytes, rng: np.random.Generator) -> tuple[str, bytes]:
    """One structured or byte-level mutation of a checkpoint."""
    r = rng.random()
    if r < 0.3:
        return mutate(data, rng, RAW_MUTATORS)
    table, body = _split(data)
    if r < 0.8:
        meta = json.loads(table["__metadata__"]["molfield"])
        how = _header(meta, rng)
        table["__metadata__"]["molfield"] = json.dumps(meta, allow_nan=True)
    else:
        how = _tensors(table, rng)
    return how, _join(table, body)
