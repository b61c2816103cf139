"""A result's layers arrive one per turn of the event loop (`_napari.pending`).

Checked: a read's first shown layer (the surface) is added at once (drawn from the next
turn) and the rest follow in order (shown ones first, hidden channel images last, each
below its surface), the
user's selection stays where it was, a newer result of the same group drops what an
older one still had queued (no duplicates), and a widget's job is not idle until its
layers are in.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
from qtpy.QtWidgets import QApplication

from napari_molfield._napari import background, pending
from napari_molfield._napari._reader import read_paths
from napari_molfield._napari.widgets.common import layer_kind, replace_group_layers
from napari_molfield._napari.workers import JobRunner


def _drain(timeout: float = 60.0) -> int:
    """Run the event loop until nothing is queued; returns the turns it took."""
    turns, t0 = 0, time.perf_counter()
    while pending.busy() and time.perf_counter() - t0 < timeout:
        QApplication.processEvents()
        turns += 1
    assert not pending.busy()
    return turns


def _kinds(layers) -> list[str]:
    return [layer_kind(ly) for ly in layers]


def test_split_adds_the_surface_now_and_hidden_images_last():
    img = ({}, {"name": "C", "visible": False,
                "metadata": {"molfield": {"drawn_as_surface": True}}}, "image")
    atoms = ({}, {"name": "atoms"}, "points")
    surface = ({}, {"name": "surfaces"}, "surface")
    now, later = pending.split([img, atoms, surface])
    assert now == [surface] and later == [atoms, img]
    assert pending.split([img]) == ([], [img])  # nothing shown: all of it later


@pytest.mark.surfaces
def test_a_read_arrives_surface_first(viewer, data_dir):
    layers = read_paths(data_dir / "1iep_sti_pocket.pdb")
    n_images = sum(kind == "image" for _, _, kind in layers)
    assert n_images >= 4
    viewer.add_points([[0.0, 0.0, 0.0]], name="the user's layer")
    added = background.add_layers(viewer, layers)
    assert _kinds(added) == ["surface"] and pending.busy()
    assert len(viewer.layers) == 2  # the user's layer and the surface, nothing else yet
    assert viewer.layers.selection.active is added[0]
    assert not added[0].visible  # drawn from the next turn on (its first draw is costly)
    overlays = getattr(getattr(viewer, "canvas", None), "overlays", None)
    bar = getattr(overlays, "scale_bar", None) or viewer.scale_bar
    assert bar.visible  # the layers are in Å: the scale bar says how long one is
    assert _drain() >= n_images  # at least one turn per queued layer
    names = [ly.name for ly in viewer.layers]
    assert len(names) == len(layers) + 1 and len(set(names)) == len(names)
    # the hidden images sit just below their surface; the atoms on top
    kinds = _kinds(viewer.layers)
    surface_at = kinds.index("surface")
    assert kinds[surface_at - n_images:surface_at] == ["image"] * n_images
    assert not any(ly.visible for ly in viewer.layers if layer_kind(ly) == "image")
    # the layers that followed did not take the selection from the result
    assert viewer.layers.selection.active is added[0] and added[0].visible


@pytest.mark.surfaces
def test_a_newer_result_drops_the_older_ones_queue(viewer, data_dir):
    layers = read_paths(data_dir / "1iep_sti_pocket.pdb")
    group = layers[0][1]["metadata"]["molfield"]["group"]
    replace_group_layers(viewer, group, layers)
    assert pending.busy()
    replace_group_layers(viewer, group, read_paths(data_dir / "1iep_sti_pocket.pdb"))
    _drain()
    names = [ly.name for ly in viewer.layers]
    assert sorted(names) == sorted(kw["name"] for _, kw, _ in layers)  # one of each


def test_a_job_is_idle_only_once_its_layers_are_in(viewer, qtbot, data_dir):
    runner = JobRunner()
    layers = read_paths(data_dir / "1iep_sti_pocket.pdb")
    group = layers[0][1]["metadata"]["molfield"]["group"]
    seen: list[bool] = []

    def show(result) -> None:
        replace_group_layers(viewer, group, result)
        seen.append(pending.busy())

    runner.start(lambda: layers, on_return=show)
    qtbot.waitUntil(lambda: runner.idle, timeout=60_000)
    assert seen == [True]  # layers were still queued when the result was shown …
    assert len(viewer.layers) == len(layers)  # … and all in once the job counts as idle


@pytest.mark.surfaces
def test_hidden_images_get_new_data_in_place_later(viewer, data_dir):
    layers = read_paths(data_dir / "1iep_sti_pocket.pdb")
    group = layers[0][1]["metadata"]["molfield"]["group"]
    replace_group_layers(viewer, group, layers)
    _drain()
    images = {ly.name: ly for ly in viewer.layers if layer_kind(ly) == "image"}
    ids = {name: ly.unique_id for name, ly in images.items()}
    halved = [(data * 0.5 if kind == "image" else data, kwargs, kind)
              for data, kwargs, kind in layers]
    replace_group_layers(viewer, group, halved)
    assert pending.busy()  # the images wait for their turns …
    _drain()
    for data, kwargs, kind in halved:  # … and then hold the new data, in the same layers
        if kind == "image":
            layer = images[kwargs["name"]]
            assert layer.unique_id == ids[kwargs["name"]] and not layer.visible
            assert np.array_equal(np.asarray(layer.data), data)
    assert len(viewer.layers) == len(layers)


def test_a_jobs_finish_callback_sees_it_finished(qtbot):
    """``on_finish`` runs once the runner counts the job finished, so it can start the
    next job (napari delivers a worker's signal to each slot as a separate queued call:
    a callback in its own slot could run before the bookkeeping)."""
    runner = JobRunner()
    seen: list[bool] = []
    runner.start(lambda: None, on_finish=lambda: seen.append(runner.running))
    qtbot.waitUntil(lambda: bool(seen), timeout=30_000)
    assert seen == [False]


def test_a_job_starts_without_waiting_for_the_event_loop(qtbot):
    """An ``at_once`` runner's job runs as soon as it is started: ``worker.start()`` on the
    Qt thread defers it to a timer, which Qt runs after any pending redraw (~0.1 s on
    software OpenGL)."""
    import threading

    from qtpy.QtCore import QEventLoop, QTimer

    ran, seen = threading.Event(), []
    runner = JobRunner(at_once=True)
    loop = QEventLoop()

    def in_the_loop() -> None:  # as a widget's slot: inside Qt's event loop
        runner.start(ran.set)
        seen.append(ran.wait(10))  # no Qt event processed meanwhile
        loop.quit()

    QTimer.singleShot(0, in_the_loop)
    loop.exec()
    assert seen == [True]
    qtbot.waitUntil(lambda: runner.idle, timeout=30_000)


def test_a_checkpoint_dropped_in_an_empty_window_arrives_as_a_file_read(
        viewer, tmp_path, ethanol):
    """Into an empty window a checkpoint's decode arrives as a file read does (its first
    layer made, then shown a turn later; the rest queued); read again, its layers are
    updated in place."""
    from napari_molfield.models import save

    from .conftest import open_file

    path = save(ethanol, tmp_path / "ethanol.safetensors")
    layers = open_file(viewer, path)
    names = [ly.name for ly in viewer.layers]
    assert names and all("decoded" in name for name in names), names
    assert any(ly.visible for ly in layers)
    ids = {ly.unique_id for ly in viewer.layers}
    open_file(viewer, path)  # the same file again: the same layers, new data
    assert {ly.unique_id for ly in viewer.layers} == ids


@pytest.mark.surfaces
def test_a_widgets_new_result_is_drawn_from_the_next_turn(viewer, data_dir):
    """A widget's new result (`replace_group_layers` + `show_result`) is made hidden and
    shown at its turn: making a layer and its first draw froze the window for 1.3–1.6 s
    in one turn (a decoded map). Other volumes are hidden at once; an update in place
    keeps the layer shown."""
    from napari_molfield._napari.widgets.common import show_result

    other = viewer.add_image(np.zeros((4, 4, 4)), name="older result", units="angstrom",
                             metadata={"molfield": {"role": "decoded", "group": "x"}})
    layers = read_paths(data_dir / "1iep_sti_pocket.pdb")
    group = layers[0][1]["metadata"]["molfield"]["group"]
    kept = replace_group_layers(viewer, group, layers)
    show_result(viewer, kept, frame=False)
    assert _kinds(kept) == ["surface"] and not kept[0].visible and pending.showing(kept[0])
    assert not other.visible  # the older result is hidden now
    _drain()
    assert kept[0].visible and not pending.showing(kept[0])
    again = replace_group_layers(viewer, group, read_paths(data_dir / "1iep_sti_pocket.pdb"))
    assert again[0] is kept[0] and again[0].visible  # in place: no hide-and-show
