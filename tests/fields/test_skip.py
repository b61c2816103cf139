"""Coarse-to-fine evaluation: what it keeps, what it may miss, on exact Eq. 1 and toy fields."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.fields.box import Box
from napari_molfield.fields.channels import ChannelSpec
from napari_molfield.fields.sample import channel_peaks, sample_points, sample_table
from napari_molfield.fields.skip import coarse_stride, coarse_to_fine

TAU = 1e-3


def _grid_evaluator(values: np.ndarray, calls: list[int] | None = None):
    """An evaluator reading a dense ``[C, X, Y, Z]`` array (counts points in ``calls``)."""

    def evaluate(idx: np.ndarray) -> np.ndarray:
        assert idx.dtype == np.int64 and idx.ndim == 2 and idx.shape[1] == 3
        if calls is not None:
            calls.append(len(idx))
        return values[:, idx[:, 0], idx[:, 1], idx[:, 2]].T.astype(np.float32)

    return evaluate


def _occupied(values: np.ndarray, tau: float = TAU) -> np.ndarray:
    return np.abs(values).max(axis=0) > tau


@pytest.mark.parametrize("n", [40, 57])
def test_eq1_nothing_above_threshold_is_missed(random_molecule, n):
    """On exact Eq. 1 with the default stride (coarse samples ≤ 2.5 Å apart) every voxel
    above 1e-3 of its channel's peak keeps its value, and empty space is skipped."""
    table = ChannelSpec.parse(None).assign(random_molecule)
    box = Box.around(random_molecule.coords, 8.0)  # room to skip
    peaks = channel_peaks(table).astype(np.float32)
    dense = sample_table(table, box, n) / peaks[:, None, None, None]
    o, h = box.origin(n), box.spacing(n)

    def evaluate(idx: np.ndarray) -> np.ndarray:  # the same numbers as the grid kernel
        return sample_points(table, o + h * idx) / peaks

    s = coarse_stride(h)
    assert s >= 2 and s * h <= 2.5 + 1e-9
    got, stats = coarse_to_fine(evaluate, (n, n, n), len(peaks), threshold=TAU, stride=s)
    occ = _occupied(dense)
    np.testing.assert_allclose(got[:, occ], dense[:, occ], atol=1e-6, rtol=1e-5)
    # elsewhere: either skipped (0) or evaluated (the dense value, below τ)
    rest = got[:, ~occ]
    assert np.all((rest == 0) | np.isclose(rest, dense[:, ~occ], atol=1e-6))
    assert np.abs(rest).max() <= TAU * 1.01
    assert stats.fraction < 0.9 and stats.passes >= 1
    assert stats.coarse == len(range(0, n, s)) ** 3


def test_closure_follows_a_thin_structure_far_from_its_seed():
    """A one-voxel-thin occupied path that snakes through the grid and touches one coarse
    sample is decoded in full (the flood fill runs over many passes)."""
    n = 33
    vals = np.zeros((2, n, n, n), np.float32)
    path = [(8, 8, k) for k in range(8, 30)] + [(8, j, 29) for j in range(8, 30)]
    path += [(i, 29, 29) for i in range(8, 31)]
    for p in path:
        vals[1][p] = 0.5
    got, stats = coarse_to_fine(_grid_evaluator(vals), (n, n, n), 2, stride=8)
    np.testing.assert_array_equal(got, vals)
    assert stats.passes > 5
    assert stats.fine < 0.1 * n**3


def test_what_can_be_missed_is_only_what_holds_no_coarse_sample():
    n, s = 24, 4
    vals = np.zeros((1, n, n, n), np.float32)
    vals[0, 9:11, 5:7, 1:3] = 0.9  # holds no voxel with all indices ≡ 0 (mod 4)
    vals[0, 15:18, 7:10, 11:14] = 0.4  # holds (16, 8, 12)
    got, _ = coarse_to_fine(_grid_evaluator(vals), (n, n, n), 1, stride=s)
    assert not got[0, 9:11, 5:7, 1:3].any()
    np.testing.assert_array_equal(got[0, 15:18, 7:10, 11:14], np.float32(0.4))
    assert got.sum() == pytest.approx(0.4 * 27, rel=1e-6)
    # the same blob one voxel over touches (8, 4, 0): found
    vals2 = np.roll(vals, (-1, -1, -1), axis=(1, 2, 3))
    got, _ = coarse_to_fine(_grid_evaluator(vals2), (n, n, n), 1, stride=s)
    np.testing.assert_array_equal(got, vals2)


def test_negative_values_count_and_stride_one_is_dense():
    rng = np.random.default_rng(3)
    n = (11, 7, 9)  # not cubic, not multiples of the block or stride
    vals = (rng.normal(0, 1e-4, (3, *n))).astype(np.float32)
    vals[2, 2:6, 3:5, 4:9] = -0.3
    got, _ = coarse_to_fine(_grid_evaluator(vals), n, 3, stride=3)
    occ = _occupied(vals)
    np.testing.assert_array_equal(got[:, occ], vals[:, occ])
    calls: list[int] = []
    got, stats = coarse_to_fine(_grid_evaluator(vals, calls), n, 3, stride=1)
    np.testing.assert_array_equal(got, vals)
    assert sum(calls) == stats.coarse == int(np.prod(n)) and stats.fine == 0


def test_empty_field_costs_only_the_coarse_pass_and_batches_are_bounded():
    n = 32
    calls: list[int] = []
    vals = np.zeros((1, n, n, n), np.float32)
    vals[0, 16:20, 16:20, 16:20] = 1.0
    got, stats = coarse_to_fine(_grid_evaluator(vals, calls), (n, n, n), 1, stride=4,
                                 batch=64)
    np.testing.assert_array_equal(got, vals)
    assert max(calls) <= 64
    calls.clear()
    got, stats = coarse_to_fine(_grid_evaluator(vals * 0), (n, n, n), 1, stride=4)
    assert stats.fine == 0 and stats.coarse == 8**3 and not got.any()


def test_coarse_stride():
    assert coarse_stride(0.78) == 3
    assert coarse_stride(0.39) == 6
    assert coarse_stride(5.0) == 1
    assert coarse_stride(0.01) == 8
    assert coarse_stride(0.5, coarse_spacing=1.0) == 2
