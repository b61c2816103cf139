"""The Fields widget resamples a molecule in place."""

from __future__ import annotations

from napari_molfield._napari.widgets.common import layer_kind

from .conftest import assert_not_blank, dock, open_file, save_shot

PLUGIN = "napari-molfield"


def test_resample_in_place(viewer, qtbot, data_dir):
    layers = open_file(viewer, data_dir / "freesolv_mobley_7378987.sdf")
    carbon = next(ly for ly in layers if ly.name.endswith(" C"))
    widget = dock(viewer, "Fields")
    assert widget.molecule.value == carbon.metadata["molfield"]["group"]
    assert widget.resolution.value == carbon.data.shape[0]

    widget.channels.value = "C,O,electronegativity"
    widget.resolution.value = 40
    widget.hydrogens.value = False
    widget.resample()
    qtbot.waitUntil(lambda: widget.runner.idle, timeout=60_000)
    qtbot.waitUntil(lambda: carbon.data.shape == (40, 40, 40), timeout=10_000)
    names = {ly.name.split(" ", 1)[1] for ly in viewer.layers if layer_kind(ly) == "image"}
    assert names == {"C", "O", "electronegativity"}
    assert carbon in viewer.layers  # same layer object, new data: updated in place
    abs_h = abs(carbon.scale[0] - carbon.metadata["molfield"]["box"]["edge"] / 40)
    assert abs_h < 1e-9
    shot = viewer.screenshot(canvas_only=False)
    assert_not_blank(shot)
    save_shot(shot, "fields_widget.png")


def test_resample_bad_channels_reports_and_keeps_layers(viewer, qtbot, data_dir):
    open_file(viewer, data_dir / "freesolv_mobley_7378987.sdf")
    before = [ly.name for ly in viewer.layers]
    widget = dock(viewer, "Fields")
    widget.channels.value = "C,Xx"
    widget.resample()
    qtbot.waitUntil(lambda: widget.runner.idle, timeout=60_000)
    assert [ly.name for ly in viewer.layers] == before
    assert widget.status.value.startswith("Failed") and "Xx" in widget.status.value
    assert "Sampling" not in widget.status.value
