"""Paths through latents (`interpolation.paths`): lerp, slerp, positions, frame times."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.errors import MolfieldError
from napari_molfield.interpolation.paths import (
    check_mode,
    check_support,
    frame_times,
    lerp,
    path_latent,
    path_position,
    slerp,
    times_of,
)


def test_slerp_keeps_equal_norms_and_interpolates_unequal_ones_linearly():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=16), rng.normal(size=16)
    b_eq = b * np.linalg.norm(a) / np.linalg.norm(b)
    for t in np.linspace(0, 1, 11):
        assert np.linalg.norm(slerp(a, b_eq, t)) == pytest.approx(np.linalg.norm(a))
        want = (1 - t) * np.linalg.norm(a) + t * np.linalg.norm(b)
        assert np.linalg.norm(slerp(a, b, t)) == pytest.approx(want)
    np.testing.assert_allclose(slerp(a, b, 0.0), a)
    np.testing.assert_allclose(slerp(a, b, 1.0), b)
    np.testing.assert_allclose(slerp(a, 2 * a, 0.5), 1.5 * a)  # parallel: linear
    np.testing.assert_allclose(slerp(np.zeros(16), b, 0.25), 0.25 * b)  # zero: linear
    # the direction moves at constant angular speed, in the plane of a and b
    ua = a / np.linalg.norm(a)
    angles = [np.arccos(np.clip(slerp(a, b, t) @ ua / np.linalg.norm(slerp(a, b, t)), -1, 1))
              for t in (0.25, 0.5, 1.0)]
    assert angles[1] == pytest.approx(2 * angles[0]) and angles[2] == pytest.approx(4 * angles[0])
    # and differs from the straight line in between
    assert not np.allclose(slerp(a, b, 0.5), lerp(a, b, 0.5))


def test_path_through_keys():
    keys = np.arange(12, dtype=float).reshape(4, 3) + 1
    assert path_position(4, 0.0) == (0, 0.0) and path_position(4, 1.0) == (2, 1.0)
    assert path_position(4, -0.5) == (0, 0.0) and path_position(4, 7.0) == (2, 1.0)
    seg, u = path_position(4, 0.5)
    assert seg == 1 and u == pytest.approx(0.5)
    for k in range(4):
        np.testing.assert_allclose(path_latent(keys, k / 3, "slerp"), keys[k])
        np.testing.assert_allclose(path_latent(keys, k / 3, "linear"), keys[k])
    np.testing.assert_allclose(path_latent(keys, 0.5, "lerp"), 0.5 * (keys[1] + keys[2]))
    with pytest.raises(MolfieldError):
        path_latent(keys[:1], 0.5)
    with pytest.raises(MolfieldError):
        path_latent(keys, 0.5, "cubic")


def test_frame_times_end_at_both_keys():
    ts = frame_times(5)
    assert ts[0] == 0.0 and ts[-1] == 1.0 and np.allclose(np.diff(ts), 0.25)
    assert frame_times(1).tolist() == [0.0] and frame_times(np.int64(2)).tolist() == [0, 1]
    for bad in (0, -3, True, 2.5, "4"):
        with pytest.raises(MolfieldError, match="number of frames"):
            frame_times(bad)
    assert times_of(3).tolist() == [0.0, 0.5, 1.0]
    assert times_of([0.2, 0.9]).tolist() == [0.2, 0.9]
    for bad in ([], [1.5], [np.nan]):
        with pytest.raises(MolfieldError, match="between 0 and 1"):
            times_of(bad)


def test_mode_and_support_names():
    assert check_mode("Spherical") == "slerp" and check_mode("lerp") == "linear"
    assert check_support("ATOMS") == "atoms" and check_support(None) == "all"
    with pytest.raises(MolfieldError, match="use atoms or all"):
        check_support("near")
    with pytest.raises(MolfieldError, match="use atoms or all"):
        check_support(np.ones((2, 2, 2), bool))
