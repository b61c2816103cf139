"""Checkpoints: bit-identical round trip, atomic writes, foreign and damaged files."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from napari_molfield.autodecoder.checkpoint import load_model, save_model
from napari_molfield.autodecoder.decode import decode, truth_field
from napari_molfield.errors import MolfieldError
from napari_molfield.nn.checkpoint import META_KEY


def test_round_trip_is_bit_identical(tiny_model, tmp_path):
    path = save_model(tiny_model, tmp_path / "m.safetensors")
    back = load_model(path)
    assert back.channels == tiny_model.channels and back.items == tiny_model.items
    assert back.config == tiny_model.config and back.beta == tiny_model.beta
    np.testing.assert_array_equal(decode(back, 0, 12).values, decode(tiny_model, 0, 12).values)
    np.testing.assert_array_equal(truth_field(back, 0, 8).values,
                                  truth_field(tiny_model, 0, 8).values)


def test_overwrite_is_atomic(tiny_model, tmp_path, monkeypatch):
    path = save_model(tiny_model, tmp_path / "m.safetensors")
    before = path.read_bytes()
    import safetensors.torch

    def boom(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(safetensors.torch, "save_file", boom)
    with pytest.raises(MolfieldError, match="Cannot save"):
        save_model(tiny_model, path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def test_foreign_files(tmp_path):
    rnd = tmp_path / "random.safetensors"
    rnd.write_bytes(np.random.default_rng(0).bytes(1000))
    with pytest.raises(MolfieldError, match="not a readable"):
        load_model(rnd)
    npz = tmp_path / "arrays.npz"
    np.savez(npz, a=np.zeros(3))
    with pytest.raises(MolfieldError, match="not a readable"):
        load_model(npz)
    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, str(plain))
    with pytest.raises(MolfieldError, match="not a napari-molfield model"):
        load_model(plain)
    with pytest.raises(MolfieldError, match="no such model file"):
        load_model(tmp_path / "missing.safetensors")


def test_truncated_file(tiny_model, tmp_path):
    path = save_model(tiny_model, tmp_path / "m.safetensors")
    data = path.read_bytes()
    for cut in (len(data) - 100, 20, 5):
        bad = tmp_path / f"cut{cut}.safetensors"
        bad.write_bytes(data[:cut])
        with pytest.raises(MolfieldError):
            load_model(bad)


def test_newer_version_is_refused(tiny_model, tmp_path):
    path = save_model(tiny_model, tmp_path / "m.safetensors")
    from safetensors import safe_open

    with safe_open(str(path), "pt") as f:
        meta = f.metadata()
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    header = json.loads(meta[META_KEY])
    header["version"] = 99
    newer = tmp_path / "newer.safetensors"
    save_file(tensors, str(newer), metadata={META_KEY: json.dumps(header)})
    with pytest.raises(MolfieldError, match="newer"):
        load_model(newer)
