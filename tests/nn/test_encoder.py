"""`EncoderConfig` refuses absurd shapes with one sentence before anything is built."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from napari_molfield.autoencoder.checkpoint import default_model_path, load_autoencoder
from napari_molfield.errors import MolfieldError
from napari_molfield.nn.encoder import ConvEncoder, EncoderConfig

from ..fuzz.checkpoints import _join, _split


@pytest.mark.parametrize(("settings", "message"), [
    ({"levels": 6}, r"6 encoder levels halve a 32³ grid below one voxel"),
    ({"levels": 2**40}, r"1099511627776 encoder levels halve a 32³ grid below one voxel"),
    ({"levels": 10**8}, r"100000000 encoder levels"),
    ({"levels": 1e308}, r"levels must be an integer, got 1e\+308"),
    ({"levels": 3.0}, r"levels must be an integer, got 3.0"),
    ({"resolution": "32"}, r"resolution must be an integer"),
    ({"base": True}, r"base must be an integer"),
    ({"resolution": 2**16}, r"encoder resolution 65536 is above the limit of 1024"),
    ({"grid": -1}, r"latent grid must be 0 or more"),
    ({"first_mix": "no"}, r"first_mix must be true or false"),
])
def test_absurd_settings(settings: dict[str, Any], message: str) -> None:
    with pytest.raises(MolfieldError, match=message) as info:
        EncoderConfig(**settings)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("settings", [
    {"resolution": 1024, "levels": 1, "base": 4},  # a 512³ × 4 map into a linear head
    {"base": 2**30},
    {"latent_dim": 2**40},
])
def test_encoder_too_large_to_build(settings: dict[str, Any]) -> None:
    # these were torch allocation errors (or an allocation that fits and then fills memory)
    with pytest.raises(MolfieldError, match=r"An encoder of [\d,]+ weights needs .* GiB"):
        ConvEncoder(EncoderConfig(**settings))


@pytest.mark.parametrize("settings", [
    {}, {"stem": 2, "first_mix": False}, {"levels": 2, "resolution": 16, "base": 4},
    {"in_channels": 1, "latent_dim": 4**3 * 3, "resolution": 32, "levels": 3, "grid": 4},
])
def test_weights_counted_without_building(settings: dict[str, Any]) -> None:
    cfg = EncoderConfig(**settings)
    assert cfg.n_weights == sum(p.numel() for p in ConvEncoder(cfg).parameters())


@pytest.mark.parametrize(("key", "value", "message"), [
    ("levels", 2**40, "encoder levels halve"),
    ("levels", 1e308, "must be an integer"),  # was an OverflowError traceback
    ("resolution", 2**16, "above the limit"),
    ("base", 2**20, "weights needs"),
])
def test_damaged_encoder_header(tmp_path: Path, key: str, value: Any, message: str) -> None:
    # the kind's own loader (models.load also compares sizes with the stored weights)
    src = default_model_path()
    table, body = _split(src.read_bytes())
    meta = json.loads(table["__metadata__"]["molfield"])
    meta["encoder"][key] = value
    table["__metadata__"]["molfield"] = json.dumps(meta)
    path = tmp_path / src.name
    path.write_bytes(_join(table, body))
    with pytest.raises(MolfieldError, match=message) as info:
        load_autoencoder(path)
    assert "\n" not in str(info.value)
