"""The plugin in a real viewer: reader, sample data, writer, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield._napari._reader import get_reader
from napari_molfield._napari.widgets.common import layer_kind

from .conftest import assert_not_blank, open_file, save_shot

PLUGIN = "napari-molfield"


def test_get_reader_declines_what_it_cannot_read(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    assert get_reader(str(tmp_path / "notes.txt")) is None
    assert get_reader(str(tmp_path / "missing.pdb")) is None
    assert get_reader([]) is None


def test_manifest_is_valid():
    from npe2 import PluginManifest

    manifest = PluginManifest.from_distribution(PLUGIN)
    assert {c.id.split(".")[-1] for c in manifest.contributions.commands} >= {
        "get_reader", "write_npz", "write_mrc", "fields_widget",
    }


def test_open_sdf_in_viewer(viewer, data_dir):
    layers = open_file(viewer, data_dir / "freesolv_mobley_7378987.sdf")
    images = [ly for ly in layers if layer_kind(ly) == "image"]
    points = [ly for ly in layers if layer_kind(ly) == "points"]
    assert {ly.metadata["molfield"]["channel"] for ly in images} == {"H", "C", "N", "O"}
    assert len(points) == 1 and len(points[0].data) == 24
    assert viewer.dims.ndisplay == 3
    img = images[0]
    # the grid frame is in Å: the atoms lie inside the layer's world extent
    lo, hi = np.asarray(img.extent.world)
    atoms = points[0].data
    assert (atoms >= lo).all() and (atoms <= hi).all()
    assert img.blending == "additive"
    shot = viewer.screenshot(canvas_only=True, size=(400, 400))
    assert_not_blank(shot)
    save_shot(shot, "caffeine.png")


def test_open_nmr_ensemble_has_conformer_axis(viewer, data_dir):
    layers = open_file(viewer, data_dir / "1l2y.pdb")
    image = next(ly for ly in layers if layer_kind(ly) == "image")
    assert image.data.ndim == 4 and image.data.shape[0] == 38
    viewer.dims.set_point(0, 10)
    assert_not_blank(viewer.screenshot(canvas_only=True, size=(300, 300)))


def test_sample_data_kinase_complex(viewer):
    layers = viewer.open_sample(PLUGIN, "kinase_inhibitor")
    names = [ly.name for ly in layers]
    assert any(n.endswith("ligand:all") for n in names)
    viewer.dims.ndisplay = 3
    shot = viewer.screenshot(canvas_only=True, size=(512, 512))
    assert_not_blank(shot, 0.05)
    save_shot(shot, "kinase_inhibitor.png")


@pytest.mark.parametrize("key", ["nmr_ensemble", "freesolv_molecule"])
def test_other_sample_data(viewer, key):
    layers = viewer.open_sample(PLUGIN, key)
    assert any(layer_kind(ly) == "image" for ly in layers)


def test_bad_file_gives_the_plugins_sentence_and_viewer_survives(viewer, tmp_path, data_dir):
    from napari.utils.notifications import notification_manager

    from napari_molfield._napari._reader import get_reader, read_paths
    from napari_molfield.errors import MolfieldError

    bad = tmp_path / "broken.pdb"
    bad.write_bytes(b"\x00\x01\x02 not a pdb \xff" * 20)
    with pytest.raises(MolfieldError, match=r"broken\.pdb"):
        read_paths(bad)  # in a script: raised
    seen = len(notification_manager.records)
    assert open_file(viewer, bad) == []  # in a viewer: the plugin's own toast
    messages = [str(n.message) for n in notification_manager.records[seen:]]
    assert len(messages) == 1 and "broken.pdb" in messages[0].split(":")[0], messages
    assert "Tried" not in messages[0]
    assert get_reader(str(bad)) is not None and len(viewer.layers) == 0
    open_file(viewer, data_dir / "freesolv_mobley_7378987.sdf")
    assert len(viewer.layers) > 0


def test_writer_round_trip(viewer, tmp_path, data_dir):
    from napari_molfield.fields.io import read_field

    layers = open_file(viewer, data_dir / "freesolv_mobley_7378987.sdf")
    images = [ly for ly in layers if layer_kind(ly) == "image"]
    out = tmp_path / "caffeine.npz"
    viewer.layers.selection = set(images)
    written = viewer.layers.save(str(out), selected=True, plugin=PLUGIN)
    assert written == [str(out)]
    field = read_field(out)
    assert field.channels == tuple(ly.metadata["molfield"]["channel"] for ly in images)
    np.testing.assert_allclose(field.values[0], images[0].data)
    np.testing.assert_allclose(field.origin, images[0].translate)
    mrc = tmp_path / "carbon.mrc"
    viewer.layers.selection = {images[1]}
    assert viewer.layers.save(str(mrc), selected=True, plugin=PLUGIN) == [str(mrc)]
    assert mrc.exists()
