"""The Maps widget: fit map layers, decode on the map's voxels, compare with a molecule."""

from __future__ import annotations

import os

import numpy as np
import pytest

from napari_molfield._napari.session import MODELS
from napari_molfield._napari.widgets.maps import layer_field
from napari_molfield.chem.readers import read_molecules
from napari_molfield.fields.io import write_field
from napari_molfield.fields.sample import sample_field

from .conftest import assert_not_blank, dock, open_file, save_shot

PLUGIN = "napari-molfield"


@pytest.fixture
def pocket_map(tmp_path, data_dir):
    """The imatinib pocket of 1IEP sampled as a density map (and its molecule file)."""
    pdb = data_dir / "1iep_sti_pocket.pdb"
    path = tmp_path / "pocket.mrc"
    write_field(sample_field(read_molecules(pdb)[0], 32, "all"), path)
    return path, pdb


def test_map_layer_round_trips_to_a_field(viewer, pocket_map):
    layers = open_file(viewer, pocket_map[0])
    f = layer_field(layers[0])
    assert f.resolution == (32, 32, 32)
    np.testing.assert_allclose(f.origin, layers[0].translate)
    np.testing.assert_allclose(f.voxel_size, layers[0].scale)


def test_fit_compare_and_screenshot(viewer, qtbot, pocket_map):
    path, pdb = pocket_map
    open_file(viewer, path)
    open_file(viewer, pdb)
    w = dock(viewer, "Maps")
    assert [ly.name for ly in w.maps.value] == ["pocket"]
    w.compare()
    qtbot.waitUntil(lambda: w.runner.idle, timeout=120_000)
    assert "correlation" in w.status.value and "Failed" not in w.status.value
    w.seconds.value = 8
    w.resolution.value = 16
    proc = w.fit()
    assert proc is not None and proc.process.pid != os.getpid()  # in its own process
    assert w.fit() is None and "running" in w.status.value  # one fit at a time
    qtbot.waitUntil(lambda: w.idle, timeout=240_000)
    assert "zero field" in w.status.value, w.status.value
    assert len(MODELS) == 1
    decoded = viewer.layers["pocket decoded"]
    assert decoded.data.shape == (32, 32, 32) and tuple(decoded.scale) == tuple(
        viewer.layers["pocket"].scale)
    for ly in viewer.layers:
        ly.visible = ly.name in ("pocket", "pocket decoded")
    viewer.layers["pocket"].translate = viewer.layers["pocket"].translate  # same frame
    shot = viewer.screenshot(canvas_only=False)
    assert_not_blank(shot)
    save_shot(shot, "maps_widget.png")


def test_no_map_says_so(viewer):
    w = dock(viewer, "Maps")
    assert w.fit() is None and "Open a map" in w.status.value


@pytest.mark.surfaces
def test_a_weak_decoded_map_is_contoured_at_its_own_level(viewer, qtbot, pocket_map):
    """A short fit whose decoded map never reaches the map's contour level is drawn as its
    own contour (a shown volume would cost seconds a redraw on software OpenGL)."""
    from napari_molfield._napari import pending
    from napari_molfield._napari.widgets.common import layer_kind
    from napari_molfield.fields.field import Field

    layers = open_file(viewer, pocket_map[0])
    w = dock(viewer, "Maps")
    like = next(ly for ly in layers if layer_kind(ly) == "image")
    grid = layer_field(like)
    weak = Field(grid.values * 0.01, grid.origin, grid.voxel_size, grid.channels)
    assert weak.values.max() < like.metadata["molfield"]["level"]
    w._show(weak, like)
    qtbot.waitUntil(lambda: not pending.busy(), timeout=30_000)  # its hidden image last
    decoded = [ly for ly in viewer.layers if ly.name.startswith("pocket decoded")]
    kinds = {layer_kind(ly): ly for ly in decoded}
    assert set(kinds) == {"image", "surface"} and w.own_level
    assert kinds["surface"].visible and not kinds["image"].visible
