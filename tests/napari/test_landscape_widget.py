"""The Landscape dock (issue 24): a trajectory's frames on a map; hover names a frame,
a click anywhere shows its field and atoms; a path becomes frames and a multi-model PDB;
states are saved as PDB files. Opened as users open it (Plugins menu: a viewer proxy)."""

from __future__ import annotations

import gemmi
import numpy as np
import pytest

from napari_molfield._napari.session import MODELS
from napari_molfield._napari.widgets.common import molfield_info

from ..deform.conftest import ELEMENTS, TINY, rigid_motion
from .conftest import assert_not_blank, dock, save_shot


@pytest.fixture(scope="module")
def slide_model():
    """A tiny deformable fit of methanol sliding 4 Å in 9 frames, every 4th held out."""
    from napari_molfield.chem.molecule import Molecule
    from napari_molfield.deform.fit import fit_deform_model

    frames = np.stack([rigid_motion(0.0, 4.0 * k / 8)[1] for k in range(9)])
    mol = Molecule(ELEMENTS, frames, name="slide", source="test",
                   atom_names=["C1", "O1", "H1", "H2", "H3", "HO"], residue_names=["MOH"] * 6,
                   residue_numbers=[1] * 6, chains=["A"] * 6,
                   conformer_names=[f"frame {k}" for k in range(9)])
    return fit_deform_model(mol, steps=80, seed=0, holdout=4, **TINY)


def _wait(qtbot, runner):
    qtbot.waitUntil(lambda: runner.idle, timeout=120_000)


def test_landscape_dock_decodes_clicked_points_paths_and_states(viewer, qtbot, slide_model,
                                                                  tmp_path):
    MODELS.add(slide_model, "slide")
    w = dock(viewer, "Landscape")
    _wait(qtbot, w.runner)  # it loads the session's model on its own
    assert w.ls is not None and len(w.ls.names) == 9
    assert list(np.flatnonzero(w.ls.held_out)) == [3, 7]
    assert "held out of the fit" in w.label(3) and "frame 3" in w.label(3)
    assert "held out" not in w.label(4)
    w.pick(5)
    _wait(qtbot, w.decoder)
    shown = [ly for ly in viewer.layers if molfield_info(ly).get("group") == "landscape"]
    roles = {molfield_info(ly).get("role") for ly in shown}
    assert roles == {"decoded", "atoms"} and all(ly.visible for ly in shown)
    atoms = next(ly for ly in shown if molfield_info(ly).get("role") == "atoms")
    # a deformable model's frame-5 atoms sit on the input frame (within the fit's error)
    assert np.sqrt(np.mean(np.sum((atoms.data - slide_model.coords[5]) ** 2, -1))) < 1.5
    assert "ms" in w.status.value
    # a point between frames 1 and 2 on the map: decoded, replacing the last result
    x, y = w.ls.xy[[1, 2]].mean(axis=0)
    w.pick_xy(float(x), float(y))
    _wait(qtbot, w.decoder)
    again = [ly for ly in viewer.layers if molfield_info(ly).get("group") == "landscape"]
    assert len(again) == len(shown) and "map point" in w.status.value
    # a path through the frames between the last two clicked: a time axis and a PDB
    w.pick(0)
    _wait(qtbot, w.decoder)
    w.pick(8)
    _wait(qtbot, w.decoder)
    w.n_frames.value = 5
    w.pdb.value = str(tmp_path / "path.pdb")
    w.path()
    _wait(qtbot, w.path_runner)
    st = gemmi.read_structure(str(tmp_path / "path.pdb"))
    assert len(st) == 5 and st[0].count_atom_sites() == 6
    path = [ly for ly in viewer.layers if molfield_info(ly).get("group") == "landscape-path"]
    assert path and all(ly.data.shape[0] == 5 for ly in path)
    # states: each representative's own frame as PDB
    w.states_dir.value = str(tmp_path)
    w.save_states()
    assert (tmp_path / "state_0.pdb").is_file(), w.status.value
    img = viewer.screenshot(canvas_only=True)
    assert_not_blank(img)
    save_shot(img, "landscape_click.png")


def test_landscape_dock_says_when_there_is_nothing_to_map(viewer, qtbot):
    w = dock(viewer, "Landscape")
    assert w.ls is None and "fitted model" in w.status.value
    w.load()
    assert "No fitted model" in w.status.value


@pytest.mark.surfaces
def test_a_picked_point_is_one_opaque_union_surface(viewer, qtbot, slide_model):
    """On software OpenGL a pick is drawn as one closed surface of the channels' sum in
    their colours (a third of the channels' triangles); the channels stay as hidden images."""
    MODELS.add(slide_model, "slide")
    w = dock(viewer, "Landscape")
    _wait(qtbot, w.runner)
    w.resolution.value = 24
    w.pick(2)
    _wait(qtbot, w.decoder)
    group = [ly for ly in viewer.layers if molfield_info(ly).get("group") == "landscape"]
    surfaces = [ly for ly in group if type(ly).__name__ == "Surface"]
    images = [ly for ly in group if type(ly).__name__ == "Image"]
    assert len(surfaces) == 1 and len(images) >= 2
    union = surfaces[0]
    assert molfield_info(union).get("union") and union.opacity == 1.0
    qtbot.waitUntil(lambda: union.visible, timeout=10_000)
    assert not any(ly.visible for ly in images)
    colours = np.unique(np.round(union.vertex_colors, 3), axis=0)
    assert len(colours) >= 2  # vertices in the colours of different channels
