"""The quality report: one PSNR formula, one occupied-channel rule, one record."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from napari_molfield.fields.metrics import (
    EMPTY_LEVEL,
    FieldReport,
    channel_report,
    field_report,
    format_report,
    occupied_channels,
    psnr,
    psnr_from_mse,
)

SRC = Path(__file__).resolve().parents[2] / "src" / "napari_molfield"


@pytest.fixture
def fields():
    """Three channels: a cube, a fainter cube, an empty channel; decoded with noise."""
    rng = np.random.default_rng(0)
    truth = np.zeros((3, 8, 8, 8))
    truth[0, 2:6, 2:6, 2:6] = 1.0
    truth[1, 3:5, 3:5, 3:5] = 0.5
    decoded = truth + 0.01 * rng.standard_normal(truth.shape)
    return decoded, truth


def test_psnr_from_mse_scalars_and_arrays():
    assert psnr_from_mse(0.01) == pytest.approx(20.0)
    assert psnr_from_mse(0.0) == math.inf
    assert math.isnan(psnr_from_mse(math.nan)) and math.isnan(psnr_from_mse(math.inf))
    assert psnr_from_mse(0.01, max_value=255.0) == pytest.approx(20 + 20 * math.log10(255))
    out = psnr_from_mse(np.array([1e-4, 0.0, np.nan]))
    assert out.shape == (3,) and out[0] == pytest.approx(40.0)
    assert out[1] == np.inf and np.isnan(out[2])


def test_occupied_channels_is_the_truth_reaching_the_empty_level():
    t = np.zeros((4, 3, 3, 3))
    t[0, 1, 1, 1] = 1.0
    t[1, 0, 0, 0] = EMPTY_LEVEL  # reaches the level: occupied
    t[2] = 0.5 * EMPTY_LEVEL  # faint everywhere: empty, as for `spurious_mass`
    t[3, 0, 0, 0] = -1.0  # negative values are empty too
    assert occupied_channels(t).tolist() == [True, True, False, False]


def test_field_report_numbers(fields):
    decoded, truth = fields
    r = field_report(decoded, truth)
    assert r.psnr == pytest.approx(psnr(decoded, truth))
    assert r.zero_psnr == pytest.approx(10 * np.log10(1 / np.mean(truth**2)))
    assert r.occupied_psnr == pytest.approx(psnr(decoded[:2], truth[:2]))
    assert r.zero_occupied_psnr == pytest.approx(10 * np.log10(1 / np.mean(truth[:2] ** 2)))
    assert r.psnr > r.zero_psnr and r.occupied_psnr > r.zero_occupied_psnr
    assert 0 < r.spurious_mass < 1
    assert r["psnr"] == r.psnr and dict(r) == r.to_dict() and len(r) == 5


def test_per_channel_path_gives_the_same_report(fields):
    """The auto-encoder's batched path (per-channel MSEs) and the array path agree."""
    decoded, truth = fields
    err = ((decoded - truth) ** 2).reshape(3, -1).mean(axis=1)
    zero = (truth**2).reshape(3, -1).mean(axis=1)
    a = channel_report(err, zero, occupied_channels(truth))
    b = field_report(decoded, truth)
    for k in ("psnr", "zero_psnr", "occupied_psnr", "zero_occupied_psnr"):
        assert a[k] == pytest.approx(b[k], rel=1e-12)
    assert math.isnan(a.spurious_mass)


def test_no_occupied_channel_and_its_text():
    truth = np.zeros((2, 4, 4, 4))
    r = field_report(truth + 0.1, truth)
    assert math.isnan(r.occupied_psnr) and math.isnan(r.zero_occupied_psnr)
    assert r.zero_psnr == math.inf and r.psnr == pytest.approx(20.0)
    assert "occupied" not in r.text() and "spurious mass 100.0 %" in r.text()
    full = FieldReport(32.04, 30.5, 29.13, 24.3, 0.008)
    assert full.text() == ("PSNR 32.0 dB (zero field 30.5 dB); occupied channels 29.1 dB "
                           "(zero field 24.3 dB); spurious mass 0.8 %")
    assert format_report(full.to_dict()) == full.text(2)
    assert "spurious" not in FieldReport(1.0, 2.0, 3.0, 4.0).text()


def test_mean_leaves_empty_items_out_of_the_occupied_numbers_only():
    a = FieldReport(30.0, 20.0, 28.0, 18.0, 0.1)
    b = FieldReport(40.0, 25.0, math.nan, math.nan, 0.3)
    m = FieldReport.mean([a, b.to_dict()])
    assert (m.psnr, m.zero_psnr, m.spurious_mass) == pytest.approx((35.0, 22.5, 0.2))
    assert (m.occupied_psnr, m.zero_occupied_psnr) == (28.0, 18.0)
    broken = FieldReport(math.nan, 20.0, math.nan, 18.0)  # a non-finite decode stays visible
    assert math.isnan(FieldReport.mean([a, broken]).psnr)
    assert math.isnan(FieldReport.mean([a, broken]).occupied_psnr)
    assert FieldReport.from_dict({**a.to_dict(), "items": 4}) == a


def test_the_psnr_formula_is_written_once():
    hits = [p.relative_to(SRC).as_posix() for p in SRC.rglob("*.py")
            if "log10" in p.read_text(encoding="utf-8")]
    assert hits == ["fields/metrics.py"]
