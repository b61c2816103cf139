"""MRC/CCP4 headers the fuzzer damaged: one `MolfieldError` line, never a map placed at
NaN or a grid of negative size."""

from __future__ import annotations

import struct
import warnings
from pathlib import Path

import pytest

from napari_molfield.errors import MolfieldError
from napari_molfield.fields.maps import read_map

MAPS = Path(__file__).resolve().parents[1] / "data" / "maps"


@pytest.mark.parametrize(("word", "value", "match"), [
    (49, float("nan"), r"ORIGIN words \(nan, 0, 0\) are not numbers"),
    (51, float("inf"), r"ORIGIN words \(0, 0, inf\) are not numbers"),
    (10, float("inf"), r"gives no voxel size \(cell \(inf"),
    (11, float("nan"), r"gives no voxel size \(cell \(6, nan"),
    (14, 0.001, r"cell angles .* describe no cell"),
])
def test_damaged_header_word(tmp_path: Path, word: int, value: float, match: str) -> None:
    raw = bytearray((MAPS / "test.ccp4").read_bytes())
    struct.pack_into("<f", raw, 4 * word, value)
    path = tmp_path / "damaged.ccp4"
    path.write_bytes(bytes(raw))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MolfieldError, match=match) as info:
            read_map(path)
    assert "\n" not in str(info.value) and "damaged.ccp4" in str(info.value)
