"""The CLI and the Fit widget's process choose the model kind with one rule."""

from __future__ import annotations

import queue
import threading

from napari_molfield import models
from napari_molfield._napari.fit_process import FitRequest, _fit_and_report

TINY = {"channels": "C,O,H", "resolution": 10, "preset": "tiny", "steps": 3,
        "time_budget": None, "device": "cpu"}


def _fit_in_widget_process(mols, tmp_path, model="auto") -> str:
    out: queue.Queue = queue.Queue()
    req = FitRequest(list(mols), {**TINY, "model": model}, str(tmp_path / "w.safetensors"),
                     float("inf"), 8)
    _fit_and_report(req, out, threading.Event(), threading.Event())
    done = []
    while not out.empty():
        m = out.get_nowait()
        if m["kind"] == "done":
            done.append(m)
    assert len(done) == 1
    return models.checkpoint_kind(done[0]["path"])


def test_the_fit_widget_fits_an_ensemble_as_the_cli_does(moving, water_methanol, tmp_path):
    # two conformers of the same atoms: deformable, as `molfield fit` picks it
    assert _fit_in_widget_process([moving], tmp_path) == models.DEFORMABLE
    assert models.choose_kind([moving], "auto") == models.DEFORMABLE
    # asked for the plain SIREN, or given one conformer: the auto-decoder
    assert _fit_in_widget_process([moving], tmp_path, "siren") == models.AUTODECODER
    assert _fit_in_widget_process([water_methanol], tmp_path) == models.AUTODECODER


def test_a_diverging_deformable_warm_up_is_one_sentence(moving):
    """Absurd warp rates used to leave NaN weights that the loop's divergence restore then
    brought back; the warm-up now stops with a sentence that names the setting."""
    import pytest

    from napari_molfield.errors import MolfieldError

    with pytest.raises(MolfieldError, match=r"warm-up diverged.*lr_warp"):
        models.fit_model(moving, model="deform", channels="C,O,H", resolution=10,
                         preset="tiny", steps=5, device="cpu", lr_warp=1e12, warmup=200)
