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


@pytest.mark.parametrize(("old", "new", "match"), [
    ("delta 1.00 0 0", "delta 1e308 0 0", r"span no grid|needs .* GiB|not a number"),
    ("delta 0 1.00 0", "delta 0 1.0-0 0", r"'1\.0-0' in the grid header is not a number"),
    ("origin", "origin -1e", r"'-1e' in the grid header is not a number"),
])
def test_damaged_dx_header(tmp_path: Path, old: str, new: str, match: str) -> None:
    # found by the fuzzer: OverflowError (1e308³) and ValueError from the header numbers
    text = (MAPS / "test.dx").read_text()
    assert old in text
    path = tmp_path / "damaged.dx"
    path.write_text(text.replace(old, new, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MolfieldError, match=match) as info:
            read_map(path)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("cell_a", [1e30, 1e-30])
def test_oblique_map_with_absurd_cell(tmp_path: Path, cell_a: float) -> None:
    # found by the fuzzer (seed 101): a ValueError (negative dimensions) in the resampling
    import bz2

    raw = bytearray(bz2.decompress((MAPS / "EMD-3001.map.bz2").read_bytes()))
    struct.pack_into("<f", raw, 40, cell_a)  # word 11: cell length a
    path = tmp_path / "absurd.map"
    path.write_bytes(bytes(raw))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(MolfieldError, match=r"absurd\.map: the orthogonal .* resampling of "
                           r"a non-orthogonal map needs .* GiB") as info:
            read_map(path)
    assert "\n" not in str(info.value)
