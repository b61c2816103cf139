"""Atoms recovered in the Decode widget, and deformable models in Models, the checkpoint
reader and the Interpolate widget (atoms that follow the slider)."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield._napari.session import MODELS
from napari_molfield._napari.widgets.common import layer_kind
from napari_molfield.chem.molecule import Molecule
from napari_molfield.models import DEFORMABLE as DEFORMABLE_KIND

from .conftest import assert_not_blank, dock, open_file, save_shot

#: Methanol, then turned about z and shifted by 4 Å (as tests/deform/conftest.py).
ELEMENTS = ["C", "O", "H", "H", "H", "H"]
XYZ = np.array([
    [0.000, 0.000, 0.000], [1.410, 0.000, 0.000], [-0.360, 1.030, 0.000],
    [-0.360, -0.510, 0.890], [-0.360, -0.510, -0.890], [1.730, 0.900, 0.000],
])


def _moving() -> Molecule:
    a = np.radians(30.0)
    rot = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
    c = XYZ.mean(0)
    moved = (XYZ - c) @ rot.T + c + np.array([4.0, 0.0, 0.0])
    return Molecule(ELEMENTS, np.stack([XYZ, moved]), name="methanol", source="test")


@pytest.fixture(scope="module")
def ethanol():
    """A tiny auto-decoder fit of ethanol (hydrogens included), seeded. Only 30 steps: the
    tests below check what any fit must give (atoms of the model's elements, inside the
    item's box), not how good the atoms are (tests/atoms does that on exact fields)."""
    from napari_molfield.autodecoder.fit import fit_model
    from napari_molfield.chem.smiles import from_smiles

    return fit_model(from_smiles("CCO", seed=0), channels="C,O,H", preset="tiny", steps=30,
                     resolution=12, device="cpu", seed=0)


@pytest.fixture(scope="module")
def deform_file(tmp_path_factory):
    """A tiny deformable fit of a rigid motion, saved; and its molecule."""
    from napari_molfield.deform.checkpoint import save_deform
    from napari_molfield.deform.fit import fit_deform_model

    mol = _moving()
    model = fit_deform_model(mol, channels="C,O,H", resolution=12, preset="tiny",
                             device="cpu", batch_points=512, atom_points=32, steps=10,
                             warmup=3, seed=0)
    path = tmp_path_factory.mktemp("deform") / "methanol_motion.safetensors"
    save_deform(model, path)
    return path, mol


def _recovered(viewer):
    return [ly for ly in viewer.layers
            if "recovered" in ly.metadata.get("molfield", {})]


def test_decode_atoms_replace_and_save_sdf(viewer, qtbot, tmp_path, ethanol):
    from rdkit import Chem


    name = MODELS.add(ethanol, "ethanol")
    w = dock(viewer, "Decode")
    assert w.model.value == name
    w.resolution.value = 32
    w.truth.value = False
    w.decode()
    qtbot.waitUntil(lambda: w.runner.idle, timeout=60_000)
    assert w.save_atoms(tmp_path / "none.sdf") is None and "Atoms first" in w.status.value

    w.recover()
    qtbot.waitUntil(lambda: w.atoms_runner.idle, timeout=60_000)
    (layer,) = _recovered(viewer)
    result = w.recovered
    assert layer_kind(layer) == "points" and len(layer.data) == result.n_atoms > 0
    assert set(result.elements.astype(str)) <= {"C", "O", "H"}
    assert all(str(u) == "angstrom" for u in layer.units)
    assert result.summary() in w.status.value
    assert list(layer.features["element"]) == list(result.elements.astype(str))
    np.testing.assert_allclose(layer.data, result.coords)
    # coloured by element: same element, same colour; carbon and oxygen differ
    colours = {e: tuple(c) for e, c in zip(layer.features["element"], layer.face_color,
                                          strict=True)}
    assert len(set(colours.values())) == len(colours)
    # the atoms sit inside the item's box, over the decoded field, however short the fit
    # (recovery drops an atom it refines out of the box: 30-step fits of other seeds, or
    # of this one elsewhere, had put an H up to 8 Å outside)
    box = ethanol.box(0)
    assert np.all(np.abs(layer.data - np.asarray(box.centre)) <= box.edge / 2)

    w.recover()  # a second run replaces the layer instead of adding one
    qtbot.waitUntil(lambda: w.atoms_runner.idle, timeout=60_000)
    assert len(_recovered(viewer)) == 1

    viewer.dims.ndisplay = 3
    viewer.reset_view()
    shot = viewer.screenshot(canvas_only=True, size=(512, 512), flash=False)
    assert_not_blank(shot)
    save_shot(shot, "decode_recovered_atoms.png")

    out = tmp_path / "ethanol_back.sdf"
    w.save_atoms(out)
    qtbot.waitUntil(lambda: w.atoms_runner.idle, timeout=30_000)
    assert w.saved == out and out.name in w.status.value
    mol = Chem.MolFromMolFile(str(out), removeHs=False, sanitize=False)
    assert mol is not None and mol.GetNumAtoms() == result.n_atoms
    elements = sorted(a.GetSymbol() for a in mol.GetAtoms())
    assert elements == sorted(result.elements.astype(str))


def test_interpolate_recovers_the_atoms_of_a_frame(viewer, qtbot, tmp_path, ethanol):

    name = MODELS.add(ethanol, "ethanol")
    w = dock(viewer, "Interpolate")
    assert w.atoms_button.enabled and not w.export_atoms_button.enabled
    w.resolution.value = 16
    w.t.value = 0.5
    w.recover()
    qtbot.waitUntil(lambda: w.atoms_runner.idle, timeout=60_000)
    (layer,) = _recovered(viewer)
    assert w.recovered is not None and len(layer.data) == w.recovered.n_atoms > 0
    assert w.status.value.startswith("t = 0.50: ") and name in layer.name
    w.recover()
    qtbot.waitUntil(lambda: w.atoms_runner.idle, timeout=60_000)
    assert len(_recovered(viewer)) == 1
    out = tmp_path / "frame.xyz"
    w.save_atoms(out)
    qtbot.waitUntil(lambda: w.atoms_runner.idle, timeout=30_000)
    assert w.saved == out and int(out.read_text().split()[0]) == w.recovered.n_atoms
    assert w.export_atoms(tmp_path / "frames.pdb") is None  # only deformable models


def test_deformable_model_loads_and_interpolates_atoms(viewer, qtbot, tmp_path,
                                                       deform_file):
    from napari_molfield._napari._model_reader import get_model_reader

    path, mol = deform_file
    models = dock(viewer, "Models")
    models.load(path)
    qtbot.waitUntil(lambda: models.runner.idle, timeout=30_000)
    name = models.last
    assert name is not None and MODELS.kind(name) == DEFORMABLE_KIND, models.status.value
    assert "deformable" in MODELS.entry(name).describe()
    assert "deformable" in models.status.value and "2 conformers" in models.status.value

    # the reader: the same file gives the same model, shown decoded (conformer 0)
    assert get_model_reader(str(path)) is not None
    from napari_molfield._napari import background

    open_file(viewer, str(path))  # loads and decodes in a worker
    qtbot.waitUntil(lambda: not background.busy(), timeout=60_000)
    assert MODELS.names() == [name]
    decoded = [ly for ly in viewer.layers
               if ly.metadata.get("molfield", {}).get("role") == "decoded"]
    assert decoded and any(ly.data.max() > 0 for ly in decoded)

    w = dock(viewer, "Interpolate")
    assert w.model.value == name and (w.start.value, w.end.value) == (0, 1)
    assert w.export_atoms_button.enabled and not w.atoms_button.enabled
    w.resolution.value = 16
    w.t.value = 0.0
    w.request()
    qtbot.waitUntil(lambda: w.runner.idle and w.atoms_layer(name) is not None,
                    timeout=60_000)
    layer = w.atoms_layer(name)
    assert all(str(u) == "angstrom" for u in layer.units)
    assert np.abs(layer.data - mol.coords[0]).max() < 0.05
    w.t.value = 1.0
    qtbot.waitUntil(lambda: w.runner.idle and w._pending is None, timeout=60_000)
    assert w.atoms_layer(name) is layer  # moved in place, not added again
    assert np.abs(layer.data - mol.coords[1]).max() < 0.05
    w.t.value = 0.5
    qtbot.waitUntil(lambda: w.runner.idle and w._pending is None, timeout=60_000)
    middle = layer.data.mean(0)[0]  # on the way along x (a tiny fit: not exactly halfway)
    assert mol.coords[0].mean(0)[0] < middle < mol.coords[1].mean(0)[0]
    assert min(np.abs(layer.data - c).max() for c in mol.coords) > 0.1

    w.frames.value = 3
    out = tmp_path / "frames.pdb"
    w.export_atoms(out)
    qtbot.waitUntil(lambda: w.atoms_runner.idle, timeout=60_000)
    assert w.saved == out, w.status.value
    text = out.read_text()
    assert text.count("MODEL ") == 3 and text.count("ENDMDL") == 3
    assert w.export_atoms(tmp_path / "frames.sdf") is None and ".pdb" in w.status.value
