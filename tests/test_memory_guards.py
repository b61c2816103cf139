"""Grids too large for memory are refused before any work, with the estimate in the
message (issue 22): interpolation frames, their buffers, movies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_molfield.cli.interpolate import check_output_memory
from napari_molfield.cli.main import main
from napari_molfield.errors import MolfieldError
from napari_molfield.interpolation.base import LatentPath, check_frames_memory

GIB = 2.0**30


@pytest.fixture
def four_gib(monkeypatch: pytest.MonkeyPatch) -> None:
    """4 GiB available: 2 GiB allowed."""
    monkeypatch.setattr("napari_molfield.fields.limits.available_bytes", lambda: 4 * GIB)


def test_frames_estimate_in_the_message(four_gib: None) -> None:
    check_frames_memory(24, 5, 64)  # 24 × 5 × 64³ × 4 B = 0.12 GiB
    with pytest.raises(MolfieldError, match=r"^48 frames of 256³ voxels × 5 channels needs "
                       r"15\.00 GiB, more than the 2\.00 GiB allowed .*write fewer frames"):
        check_frames_memory(48, 5, 256)


def test_interpolator_buffers_are_checked(four_gib: None) -> None:
    keys = np.zeros((2, 8))
    LatentPath(keys, ["C", "N"], 64)
    with pytest.raises(MolfieldError, match=r"buffers of one frame of 1024³ voxels × 9 "
                       r"channels needs 72\.00 GiB"):
        LatentPath(keys, list("CNOSHPFIX"), 1024)


def test_arrays_refused_before_allocating(four_gib: None) -> None:
    path = LatentPath(np.zeros((2, 8)), ["C", "N", "O"], 128)
    with pytest.raises(MolfieldError, match=r"1000 frames of 128³ voxels × 3 channels needs "
                       r"23\.44 GiB"):
        path.arrays(1000)  # the base class decodes nothing: the check comes first


def test_movie_outputs(four_gib: None) -> None:
    check_output_memory(".gif", 24, 5, 48, 384)
    check_output_memory(".mp4", 100000, 5, 48, 384)  # one frame at a time
    with pytest.raises(MolfieldError, match=r"A GIF of 2000 frames of 1536×1536 pixels "
                       r"needs 13\.2\d GiB.*or \.mp4"):
        check_output_memory(".gif", 2000, 5, 48, 1500)
    with pytest.raises(MolfieldError, match=r"An? MP4 of 10 frames of 40000×40000 pixels"):
        check_output_memory(".mp4", 10, 5, 100, 40000)
    with pytest.raises(MolfieldError, match=r"needs"):
        check_output_memory(".npz", 1000, 5, 256, 384)


def test_cli_interpolate_npz_refused_before_decoding(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]
                                                     ) -> None:
    out = tmp_path / "frames.npz"
    rc = main(["interpolate", "default", "--from", "CCO", "--to", "CCN", "--frames", "100000",
               "-n", "256", "-o", str(out)])
    err = [ln for ln in capsys.readouterr().err.splitlines() if ln.strip()]
    assert rc == 2 and not out.exists()
    assert err[-1].startswith("molfield: error: 100000 frames of 256³ voxels ×")
    assert "GiB, more than the" in err[-1]
