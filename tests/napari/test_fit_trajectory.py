"""The Fit widget fits an MD trajectory's frames (issue 24), as ``molfield fit --trajectory``."""

from __future__ import annotations

from napari_molfield import models
from napari_molfield._napari.session import MODELS

from .conftest import DATA, dock

STRUCTURES = DATA / "structures"


def _trajectory_fit(viewer):
    w = dock(viewer, "Fit")
    w.traj.topology.value = str(STRUCTURES / "tip125_tric_C36.psf")
    w.traj.trajectory.value = str(STRUCTURES / "tip125_tric_C36.dcd")
    w.traj.waters.value = True  # a water box: nothing is left without its waters
    w.channels.value = "O,H"
    w.resolution.value = 12
    w.steps.value = 60
    w.time_budget.value = 0.0
    w.preview.value = "off"
    return w


def test_the_fit_widget_fits_a_trajectory_with_held_out_frames(viewer, qtbot):
    w = _trajectory_fit(viewer)
    w.traj.frames.value = "0:8"
    w.traj.holdout.value = 4
    assert not list(w.molecules.value)  # no molecule is open: the trajectory is the input
    assert w.start() is not None
    assert "tip125_tric_C36" in w.status.value
    qtbot.waitUntil(lambda: w.idle, timeout=300_000)
    assert w.status.value.startswith("Done"), w.status.value
    model = MODELS.get(w.model_name)
    assert models.kind_of(model) == models.DEFORMABLE and model.decodes_atoms
    assert model.n_items == 8 and models.held_out(model) == [3]
    # the held-out latents' steps (1, 2, … after the fit's) are not on the training curve
    steps = list(w.plot.steps)
    assert steps and steps == sorted(steps), steps
    assert w.model_name.startswith("tip125_tric_C36")
    # the viewer holds nothing of a trajectory: its first frame comes in decoded, in view
    from napari_molfield._napari.widgets.common import molfield_info

    shown = [ly for ly in viewer.layers if molfield_info(ly).get("role") == "decoded"]
    assert shown and "frame 0" in shown[0].name
    qtbot.waitUntil(lambda: any(ly.visible for ly in shown), timeout=10_000)


def test_bad_trajectory_inputs_are_one_sentence(viewer, tmp_path):
    w = _trajectory_fit(viewer)
    w.traj.frames.value = "a:b"
    assert w.start() is None and "must be integers" in w.status.value
    w.traj.frames.value = ""
    w.traj.trajectory.value = str(tmp_path / "missing.dcd")
    assert w.start() is None and "is not a file" in w.status.value
    assert not w.running
