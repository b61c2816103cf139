"""Encode and Latent map widgets, driven as a user would, in a real viewer under Xvfb,
with the shipped FreeSolv auto-encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from napari_molfield._napari.session import AUTOENCODER
from napari_molfield._napari.widgets import encode as encode_mod
from napari_molfield._napari.widgets.encode import EncodeWidget
from napari_molfield._napari.widgets.latent_map import GROUP, LatentMapWidget

from .._quality import assert_beats_zero, autoencoder_truth
from .conftest import assert_not_blank, dock, open_file, save_shot

PLUGIN = "napari-molfield"
#: Not in FreeSolv (tests/ae/test_shipped_model.py checks this against database.txt).
PARACETAMOL = "CC(=O)Nc1ccc(O)cc1"
#: dB over the zero field, which the test computes (tests/_quality.py). Measured with
#: the shipped model: paracetamol +5.48 (all channels) / +5.66 (occupied), caffeine
#: +3.20 / +3.40; another molecule's latent scores at most +2.2
#: (tests/autoencoder/test_shipped_model.py).
MARGIN = 2.5


@pytest.fixture(scope="module")
def ae():
    """``(model, checkpoint path)``: the shipped model (package data, so always there)."""
    from napari_molfield.autoencoder.checkpoint import default_model_path, load_default_model

    return load_default_model(), default_model_path()


@pytest.fixture(autouse=True)
def fresh_session():
    AUTOENCODER.reset()
    yield
    AUTOENCODER.reset()


@pytest.fixture
def errors(monkeypatch):
    """Messages the widgets send as napari error notifications (directly or via workers)."""
    from napari_molfield._napari import workers

    seen: list[str] = []
    monkeypatch.setattr(encode_mod, "show_error", seen.append)
    monkeypatch.setattr(workers, "show_error", seen.append)
    return seen


def assert_encoded_beats_zero(r) -> None:
    """The PSNRs an encode reports clear the zero field of its molecule by `MARGIN`."""
    truth, occupied = autoencoder_truth(r.model, [r.molecule])
    assert_beats_zero(r.psnr, truth[0], MARGIN, "all channels:")
    assert_beats_zero(r.psnr_occupied, truth[0][occupied[0]], MARGIN, "occupied:")


def by_role(viewer, role: str) -> list:
    """The layers of one role holding data (not the surfaces drawn for them)."""
    return [ly for ly in viewer.layers if ly.metadata.get("molfield", {}).get("role") == role
            and not ly.metadata["molfield"].get("surface")]


def data_id(layer) -> int:
    """Identity of a layer's data (a surface's vertices: its ``data`` is a new tuple)."""
    return id(layer.data[0]) if isinstance(layer.data, tuple) else id(layer.data)


def voxel_extent(layer) -> np.ndarray:
    scale, translate = np.asarray(layer.scale), np.asarray(layer.translate)
    shape = np.asarray(layer.data.shape)
    return np.stack([translate - scale / 2, translate + (shape - 0.5) * scale])


def encode_widget(viewer, ae) -> EncodeWidget:
    w = dock(viewer, "Encode")
    w.checkpoint.value = str(ae[1])
    w.resolution.value = 32
    return w


def run_and_wait(qtbot, w) -> None:
    w.encode()
    qtbot.waitUntil(lambda: w.runner.idle, timeout=120_000)


def test_encode_smiles_not_in_freesolv(viewer, qtbot, ae, errors):
    model, _ = ae
    w = encode_widget(viewer, ae)
    w.smiles.value = PARACETAMOL
    run_and_wait(qtbot, w)
    assert not errors, errors
    assert w.last is not None, w.status.value
    assert_encoded_beats_zero(w.last)
    assert "PSNR" in w.psnr.value and "occupied" in w.psnr.value
    assert AUTOENCODER.last is not None and AUTOENCODER.last.latent.shape == (model.latent_dim,)
    inputs, decoded = by_role(viewer, "input"), by_role(viewer, "decoded")
    assert {"C", "N", "O"} <= {ly.metadata["molfield"]["channel"] for ly in inputs}
    assert {"C", "N", "O"} <= {ly.metadata["molfield"]["channel"] for ly in decoded}
    # the decoded field lies in the input's Å frame, which holds the atoms
    for ly in inputs + decoded:
        assert ly.data.shape == (32,) * 3
        np.testing.assert_allclose(voxel_extent(ly), voxel_extent(inputs[0]), atol=1e-6)
    atoms = by_role(viewer, "atoms")
    assert len(atoms) == 1
    lo, hi = voxel_extent(inputs[0])
    assert ((atoms[0].data > lo) & (atoms[0].data < hi)).all()
    c_in = next(ly for ly in inputs if ly.metadata["molfield"]["channel"] == "C").data
    c_out = next(ly for ly in decoded if ly.metadata["molfield"]["channel"] == "C").data
    assert np.corrcoef(c_in.ravel(), c_out.ravel())[0, 1] > 0.6  # same place, same shape
    # the molecule just made can be chosen and encoded again: layers update in place
    group = next(g for _, g in w._molecule_choices() if g.startswith("encode:"))
    w.molecule.value = group
    before = list(viewer.layers)
    run_and_wait(qtbot, w)
    assert list(viewer.layers) == before and "PSNR" in w.psnr.value
    for ly in inputs:
        ly.visible = False  # the screenshot shows the decoded field on the atoms
    viewer.dims.ndisplay = 3
    viewer.reset_view()
    viewer.scene.camera.angles = (0.0, -35.0, 60.0)
    viewer.scene.camera.zoom *= 0.8
    shot = viewer.screenshot(canvas_only=False)
    assert_not_blank(shot)
    save_shot(shot, "encode_widget.png")


def test_encode_a_molecule_from_the_viewer(viewer, qtbot, ae, data_dir, errors):
    open_file(viewer, data_dir / "freesolv_mobley_7378987.sdf")
    w = encode_widget(viewer, ae)
    group = next(g for _, g in w._molecule_choices() if g != encode_mod.FROM_SMILES)
    w.molecule.value = group
    run_and_wait(qtbot, w)
    assert not errors, errors
    decoded = by_role(viewer, "decoded")
    assert decoded and all(ly.metadata["molfield"]["group"] == group for ly in decoded)
    assert len(by_role(viewer, "atoms")) == 1  # no second copy of the molecule
    assert_encoded_beats_zero(w.last)


@pytest.mark.parametrize(("smiles", "words"), [
    ("C1CC((", "SMILES"),
    ("c1ccc(-c2ccc(-c3ccc(-c4ccc(-c5ccc(-c6ccccc6)cc5)cc4)cc3)cc2)cc1", "box"),  # 26 Å, rigid
])
def test_bad_input_shows_an_error_and_leaves_layers(viewer, qtbot, ae, errors, smiles, words):
    w = encode_widget(viewer, ae)
    w.smiles.value = PARACETAMOL
    run_and_wait(qtbot, w)
    layers = [(ly.name, data_id(ly)) for ly in viewer.layers]
    w.smiles.value = smiles
    run_and_wait(qtbot, w)
    assert w.status.value.startswith("⚠") and words.lower() in w.status.value.lower()
    assert "\n" not in w.status.value
    assert len(errors) == 1 and words.lower() in errors[0].lower()
    assert [(ly.name, data_id(ly)) for ly in viewer.layers] == layers
    assert w.psnr.value == ""
    w.smiles.value = PARACETAMOL  # and the widget still works
    run_and_wait(qtbot, w)
    assert "PSNR" in w.psnr.value


def test_bad_checkpoint_is_one_status_line(viewer, qtbot, tmp_path, errors):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model" * 20)
    w = dock(viewer, "Encode")
    w.checkpoint.value = str(bad)
    run_and_wait(qtbot, w)
    assert w.status.value.startswith("⚠") and "bad.safetensors" in w.status.value
    assert len(viewer.layers) == 0


def lonely(xy: np.ndarray, key: np.ndarray) -> int:
    """The point with the largest ``key`` that no other point lies near (2 % of the map's
    span): a click on it cannot land on a neighbour."""
    span = float(np.ptp(xy, axis=0).max())
    for i in np.argsort(-key):
        d = np.linalg.norm(xy - xy[i], axis=1)
        d[i] = np.inf
        if d.min() > 0.02 * span:
            return int(i)
    raise AssertionError("every point of the map has a close neighbour")


def mouse(canvas, kind: str, xy: np.ndarray, button=None):
    """Send a synthetic matplotlib mouse event at display coordinates ``xy``."""
    from matplotlib.backend_bases import MouseEvent

    event = MouseEvent(kind, canvas, float(xy[0]), float(xy[1]), button=button)
    canvas.callbacks.process(kind, event)
    return event


def test_latent_map_colours_hover_click_and_marker(viewer, qtbot, ae, errors):
    model, path = ae
    AUTOENCODER.set_model(model, Path(path).name, path)
    m = dock(viewer, "Latent map")
    qtbot.waitUntil(lambda: m.runner.idle and m.data is not None, timeout=120_000)
    n = len(m.data.names)
    assert m.scatter.get_offsets().shape == (n, 2)
    choices = [v for v in m.colour.choices]
    for prop in ("dG_hyd", "MolMR", "ExactMolWt", "TPSA", "MolLogP", "NumRotatableBonds"):
        assert prop in choices
    m.canvas.draw()
    m.colour.value = "dG_hyd"
    m.canvas.draw()
    a = m.scatter.get_facecolors().copy()
    m.colour.value = "ExactMolWt"
    m.canvas.draw()
    b = m.scatter.get_facecolors().copy()
    assert a.shape == b.shape == (n, 4) and not np.allclose(a, b)
    assert "weight" in m.colorbar.ax.get_ylabel()

    # hover: a motion event over a point shows its name and SMILES
    i = lonely(m.data.embedding.xy, m.data.embedding.xy[:, 0])  # no other point on top
    at = m.ax.transData.transform(m.data.embedding.xy[i])
    mouse(m.canvas, "motion_notify_event", at)
    assert m.annotation.get_visible()
    assert m.data.names[i] in m.annotation.get_text()
    assert m.data.smiles[i] in m.annotation.get_text()
    mouse(m.canvas, "motion_notify_event", m.ax.transAxes.transform((0.999, 0.001)))
    assert not m.annotation.get_visible()

    # click: a real button press on the point decodes that molecule
    mouse(m.canvas, "button_press_event", at, button=1)
    assert m.selected == i
    qtbot.waitUntil(lambda: m.decoder.idle, timeout=60_000)
    decoded = by_role(viewer, "decoded")
    assert decoded and {ly.metadata["molfield"]["index"] for ly in decoded} == {i}
    assert all(ly.metadata["molfield"]["group"] == GROUP for ly in decoded)
    assert decoded[0].data.shape == (32,) * 3
    atoms = [ly for ly in by_role(viewer, "atoms") if ly.metadata["molfield"]["group"] == GROUP]
    assert len(atoms) == 1  # decoded on the molecule's own conformer, atoms shown
    lo, hi = voxel_extent(decoded[0])
    assert ((atoms[0].data > lo) & (atoms[0].data < hi)).all()
    first = {ly.name: ly.unique_id for ly in decoded}
    # select() directly: the previous molecule's layers are replaced, not piled up
    xy = m.data.embedding.xy
    # a typical molecule (near the median) that no other point hides
    near = np.argsort(np.hypot(*(xy - np.median(xy, axis=0)).T))[:50]
    gap = [np.sort(np.hypot(*(xy - xy[k]).T))[1] for k in near]
    j = int(near[int(np.argmax(gap))])
    assert j != i
    m.select(j)
    qtbot.waitUntil(lambda: m.decoder.idle, timeout=60_000)
    decoded = by_role(viewer, "decoded")
    assert {ly.metadata["molfield"]["index"] for ly in decoded} == {j}
    assert all(ly.metadata["molfield"]["name"] == m.data.names[j] for ly in decoded)
    assert m.data.names[j] in m.status.value
    # the first click's layers, updated in place (their names do not name the molecule)
    again = [ly for ly in decoded if ly.name in first]
    assert again and all(first[ly.name] == ly.unique_id for ly in again)
    # atoms of the decoded molecule: one points layer, replaced by the next recovery
    for _ in range(2):
        m.recover()
        qtbot.waitUntil(lambda: m.decoder.idle, timeout=120_000)
    rec = [ly for ly in viewer.layers if "recovered" in ly.metadata.get("molfield", {})]
    assert len(rec) == 1 and m.recovered is not None and m.recovered.n_atoms > 0, m.status.value

    # encoding a molecule marks it on the map, projected like the points
    w = encode_widget(viewer, ae)
    w.smiles.value = PARACETAMOL
    run_and_wait(qtbot, w)
    assert m.data is not None and m.marker is not None
    expect = m.data.embedding.project(AUTOENCODER.last.latent)[0]
    np.testing.assert_allclose(m.marker.get_xydata()[0], expect, rtol=1e-6)
    for ly in viewer.layers:  # the screenshot shows the molecule decoded from the map
        ly.visible = ly.metadata.get("molfield", {}).get("group") == GROUP
    viewer.dims.ndisplay = 3
    viewer.reset_view()
    viewer.scene.camera.angles = (0.0, -35.0, 60.0)
    viewer.scene.camera.zoom *= 0.8
    qtbot.wait(200)
    m.canvas.draw()
    at = m.ax.transData.transform(m.data.embedding.xy[j])  # the dock moved: recompute
    mouse(m.canvas, "motion_notify_event", at)
    assert m.annotation.get_visible() and m.data.names[j] in m.annotation.get_text()
    m.canvas.draw()
    shot = viewer.screenshot(canvas_only=False)
    assert_not_blank(shot)
    save_shot(shot, "latent_map.png")
    assert not errors, errors


def test_widgets_open_from_the_plugins_menu(viewer, qtbot):
    for title, cls in (("Encode", EncodeWidget), ("Latent map", LatentMapWidget)):
        _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, title)
        assert isinstance(widget, cls)
    # the plot is built after matplotlib's import (a worker), then the shipped map loads
    qtbot.waitUntil(lambda: widget.builder.idle and widget.runner.idle, timeout=120_000)
    assert widget.canvas is not None


def test_latent_map_umap_library_paths_and_representatives(viewer, qtbot, ae, errors,
                                                           tmp_path):
    # umap-learn comes with the "napari" extra (so with "testing"): required, not skipped
    from napari_molfield._napari.widgets.latent_map import PATH_GROUP
    from napari_molfield.interpolation.movie import count_frames

    model, path = ae
    AUTOENCODER.set_model(model, Path(path).name, path)
    m = dock(viewer, "Latent map")
    qtbot.waitUntil(lambda: m.runner.idle and m.data is not None, timeout=120_000)
    m.method.value = "UMAP"
    qtbot.waitUntil(lambda: m.runner.idle and m.data.embedding.method == "UMAP",
                    timeout=300_000)
    d = m.data
    assert d.embedding.xy.shape == (len(d.names), 2) and "UMAP" in m.ax.get_title()
    m.canvas.draw()

    # the user's library, encoded onto the same map (one bad row is reported, not fatal)
    lib = tmp_path / "mine.smi"
    lib.write_text("CC(=O)Nc1ccc(O)cc1 paracetamol\nCCN(CC)CC(=O)Nc1c(C)cccc1C lidocaine\n"
                   "C1CC(( broken\nOC(=O)c1ccccc1O salicylic_acid\n")
    m.library.value = str(lib)
    m.encode_library()
    qtbot.waitUntil(lambda: m.library_runner.idle, timeout=120_000)
    assert m.lib is not None and m.lib.names == ["paracetamol", "lidocaine", "salicylic_acid"]
    assert "3 molecules" in m.status.value and "skipped" in m.status.value
    crosses = next(a for a in m.overlays if getattr(a, "get_label", lambda: "")()
                   .startswith("library"))
    np.testing.assert_allclose(crosses.get_xydata(), d.embedding.project(m.lib.latents),
                               rtol=1e-5, atol=1e-5)

    # a path drawn with clicks on the map, decoded as frames and a GIF
    xy = d.embedding.xy
    picks = [lonely(xy, -xy[:, 0]), lonely(xy, xy[:, 1]), lonely(xy, xy[:, 0])]
    assert len(set(picks)) == 3
    m.drawing.value = True
    m.canvas.draw()
    for i in picks:
        mouse(m.canvas, "button_press_event", m.ax.transData.transform(d.embedding.xy[i]),
              button=1)
    assert len(m.path_xy) == 3 and m.selected is None  # drawing does not decode points
    np.testing.assert_allclose(m.path_xy, d.embedding.xy[picks], atol=1e-6)
    m.n_frames.value, m.resolution.value = 6, 16
    m.movie.value = str(tmp_path / "path.gif")
    m.decode_drawn_path()
    qtbot.waitUntil(lambda: m.path_runner.idle, timeout=120_000)
    frames = [ly for ly in by_role(viewer, "decoded")
              if ly.metadata["molfield"]["group"] == PATH_GROUP]
    assert frames and all(ly.data.shape == (6, 16, 16, 16) for ly in frames)
    assert count_frames(tmp_path / "path.gif") >= 2
    first = m.last_path.values[0]  # the path starts on the first molecule clicked
    from napari_molfield.autoencoder.encode import decode_latent

    ref = decode_latent(model, d.latents[picks[0]], 16).values
    np.testing.assert_allclose(first, ref, atol=2e-3)

    # a path through the data between two clicked molecules, beside the straight line
    m.drawing.value = False
    a, b = picks[0], picks[2]
    for i in (a, b):
        mouse(m.canvas, "button_press_event", m.ax.transData.transform(d.embedding.xy[i]),
              button=1)
        qtbot.waitUntil(lambda: m.decoder.idle, timeout=60_000)
    assert m.clicked == [a, b]
    m.path_through_data()
    assert m.graph[0] == a and m.graph[-1] == b and len(m.graph) >= 3
    labels = [a.get_label() for a in m.overlays if hasattr(a, "get_xydata")]
    assert "straight line" in labels and any(s.startswith("path through") for s in labels)
    qtbot.waitUntil(lambda: m.path_runner.idle, timeout=120_000)
    assert "through the data" in m.status.value, m.status.value

    # k-means representatives, clicked through one by one
    m.n_reps.value = 5
    m.find_representatives()
    assert len(set(m.reps)) == 5
    m.next_representative()
    assert m.selected == m.reps[0]
    qtbot.waitUntil(lambda: m.decoder.idle, timeout=60_000)
    m.next_representative()
    assert m.selected == m.reps[1]
    qtbot.waitUntil(lambda: m.decoder.idle, timeout=60_000)
    for ly in viewer.layers:  # the screenshot shows the path's first frame
        ly.visible = ly.metadata.get("molfield", {}).get("group") == PATH_GROUP
    viewer.dims.ndisplay = 3
    viewer.reset_view()
    viewer.scene.camera.angles = (0.0, -35.0, 60.0)
    m.canvas.draw()
    qtbot.wait(200)
    shot = viewer.screenshot(canvas_only=False)
    assert_not_blank(shot)
    save_shot(shot, "latent_map_navigation.png")
    assert not errors, errors


def test_encode_atoms_action_gives_one_replaced_points_layer(viewer, qtbot, ae, errors):
    w = encode_widget(viewer, ae)
    assert w.recover() is None and "Encode" in w.status.value
    w.smiles.value = PARACETAMOL
    run_and_wait(qtbot, w)
    w.recover()
    qtbot.waitUntil(lambda: w.runner.idle, timeout=180_000)
    assert w.recovered is not None, w.status.value
    rec = [ly for ly in viewer.layers if "recovered" in ly.metadata.get("molfield", {})]
    assert len(rec) == 1 and rec[0].data.shape == (w.recovered.n_atoms, 3)
    w.recover()
    qtbot.waitUntil(lambda: w.runner.idle, timeout=180_000)
    rec = [ly for ly in viewer.layers if "recovered" in ly.metadata.get("molfield", {})]
    assert len(rec) == 1  # replaced, not piled
