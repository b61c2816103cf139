"""The Interpolate widget in a real viewer: slider updates layers in place, play, export."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield._napari.layers import INTERPOLATED_ROLE as ROLE
from napari_molfield._napari.session import MODELS

from .conftest import assert_not_blank, dock


def _interp_layers(viewer):
    return [ly for ly in viewer.layers if ly.metadata.get("molfield", {}).get("role") == ROLE]


def _settle(w, qtbot):
    qtbot.waitUntil(lambda: w.runner.idle and w._pending is None, timeout=60_000)


def test_slider_updates_sample_layers_in_place_and_exports(viewer, qtbot, tmp_path):
    from napari_molfield.interpolation.movie import count_frames

    viewer.open_sample("napari-molfield", "nmr_interpolation")
    assert viewer.dims.ndisplay == 3  # a volume: the default movie is 3D, not a slice
    before = _interp_layers(viewer)
    assert all(str(u) == "angstrom" for ly in before for u in ly.units)
    assert [ly.metadata["molfield"]["channel"] for ly in before] == ["H", "C", "N", "O"]
    assert len(MODELS) == 1 and MODELS.get(MODELS.names()[0]).n_items == 10
    first = [ly.data.copy() for ly in before]

    w = dock(viewer, "Interpolate")
    assert (w.start.value, w.end.value) == (0, 9) and w.via.value.startswith("1, 2")
    w.mode.value = "slerp"
    for t in (0.1, 0.2, 0.35):  # a drag: requests while a decode runs are coalesced
        w.t.value = t
    _settle(w, qtbot)
    after = _interp_layers(viewer)
    assert [id(ly) for ly in after] == [id(ly) for ly in before]  # same layer objects
    assert all(not np.array_equal(a.data, d) for a, d in zip(after, first, strict=True))
    assert after[0].metadata["molfield"]["t"] == pytest.approx(0.35)
    assert w.frame_ms is not None and "ms/frame" in w.status.value

    w.toggle_play()
    qtbot.waitUntil(lambda: w.t.value >= 0.45, timeout=60_000)
    w.toggle_play()
    assert not w.timer.isActive() and w.play_button.text == "Play"
    _settle(w, qtbot)

    w.resolution.value = 24
    w.frames.value = 4
    assert w.export(tmp_path / "movie.mp4") is not None
    qtbot.waitUntil(lambda: w.exporter.idle, timeout=120_000)
    out = w.exported
    assert out is not None and count_frames(out) == 4, w.status.value
    assert w.status.value == "4 frames → movie.mp4"
    _settle(w, qtbot)
    assert [id(ly) for ly in _interp_layers(viewer)] == [id(ly) for ly in before]
    assert_not_blank(viewer.screenshot(canvas_only=True))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["movie.mp4"]


def test_a_release_shows_the_full_frame_not_a_stale_preview(viewer, qtbot):
    viewer.open_sample("napari-molfield", "nmr_interpolation")
    w = dock(viewer, "Interpolate")
    w.resolution.value = 32
    _settle(w, qtbot)
    shown: list[int] = []
    update = w.update_layers

    def counted(field, *args, **kwargs):
        shown.append(field.resolution[0])
        return update(field, *args, **kwargs)

    w.update_layers = counted
    w._drag(True)
    w.t.value = 0.3  # a preview starts decoding (no event loop runs until _settle) …
    w.t.value = 0.6  # … this position waits for it …
    w._drag(False)  # … and the slider is released before the preview is back
    _settle(w, qtbot)
    assert shown == [32], shown  # the preview, stale on arrival, is never drawn
    assert _interp_layers(viewer)[0].metadata["molfield"]["t"] == pytest.approx(0.6)


def test_a_waiting_position_is_decoded_once_the_runner_is_free(viewer, qtbot):
    """The position that waited for a frame's job is decoded when the job ends (its
    finish callback once saw the runner still busy and the position was dropped)."""
    import threading

    viewer.open_sample("napari-molfield", "nmr_interpolation")
    w = dock(viewer, "Interpolate")
    _settle(w, qtbot)
    gate = threading.Event()
    w.runner.start(gate.wait, 60, on_finish=w._next)  # holds the runner, as a frame's job
    w.t.value = 0.4
    assert w._pending == pytest.approx(0.4)  # waits for it
    gate.set()
    _settle(w, qtbot)
    assert _interp_layers(viewer)[0].metadata["molfield"]["t"] == pytest.approx(0.4)


@pytest.mark.surfaces
def test_a_drag_previews_one_surface_in_place_and_the_release_restores_the_full_frame(
        viewer, qtbot):
    """While the slider is held, each frame is the union surface at the preview
    resolution, swapped into the frame's surface layer (the hidden channel images wait);
    on release the full frame's surfaces and images come back."""
    from napari_molfield._napari.widgets.common import layer_kind

    viewer.open_sample("napari-molfield", "nmr_interpolation")
    w = dock(viewer, "Interpolate")
    w.resolution.value = 32
    w.request()
    _settle(w, qtbot)

    def surface():
        found = [ly for ly in _interp_layers(viewer) if layer_kind(ly) == "surface"]
        assert len(found) == 1
        return found[0]

    full, images = surface(), [ly for ly in _interp_layers(viewer) if layer_kind(ly) == "image"]
    assert images and not any(im.visible for im in images)
    full_faces, image_data = len(full.data[1]), [im.data.copy() for im in images]
    w._drag(True)
    w.t.value = 0.5
    _settle(w, qtbot)
    preview = surface()
    assert preview is full and preview.metadata["molfield"].get("preview")
    assert len(preview.data[1]) < full_faces  # the union, at the preview resolution
    assert len(preview.vertex_colors) == len(preview.data[0])
    assert all(np.array_equal(im.data, d) for im, d in zip(images, image_data, strict=True))
    assert "preview" in w.status.value
    w._drag(False)
    _settle(w, qtbot)
    after = surface()
    assert after is full and not after.metadata["molfield"].get("preview")
    assert images[0].metadata["molfield"]["t"] == pytest.approx(0.5)
    assert not any(np.array_equal(im.data, d) for im, d in zip(images, image_data,
                                                               strict=True))
    assert_not_blank(viewer.screenshot(canvas_only=True))


def test_another_model_joining_the_session_leaves_the_frame_alone(viewer, qtbot, ethanol):
    """A fit or a checkpoint elsewhere adds a model: the frame on view is not decoded
    again (a protein's frame redraw costs seconds on software OpenGL)."""
    viewer.open_sample("napari-molfield", "nmr_interpolation")
    w = dock(viewer, "Interpolate")
    w.request()
    _settle(w, qtbot)
    name, shown = w.model.value, []
    update = w.update_layers
    w.update_layers = lambda *a, **k: shown.append(1) or update(*a, **k)
    MODELS.add(ethanol, "ethanol")
    assert not w.runner.running
    _settle(w, qtbot)
    assert w.model.value == name and shown == []
    assert "ethanol" in [c for c in w.model.choices]
