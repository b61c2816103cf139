"""Results land in view, as a user meets them (docks from the Plugins menu, so widgets
hold napari's ``PublicOnlyProxy`` of the viewer): a decode shows itself and hides the
rest, the Fit dock offers molecules only with the CLI's channels, interpolation frames
have no layer for an empty channel, and which frames are valid molecules is said and
saved as SDF."""

from __future__ import annotations

from napari_molfield._napari.session import MODELS

from .conftest import assert_not_blank, decode_in_dock, dock, open_file, save_shot


def _role(viewer, role):
    return [ly for ly in viewer.layers if ly.metadata.get("molfield", {}).get("role") == role]


def test_a_decode_through_the_dock_shows_itself(viewer, qtbot, data_dir, ethanol):
    open_file(viewer, data_dir / "freesolv_mobley_7378987.sdf")
    inputs = _role(viewer, "field")
    assert inputs and all(ly.visible for ly in inputs)
    MODELS.add(ethanol, "ethanol")
    w = decode_in_dock(viewer, qtbot)
    decoded = _role(viewer, "decoded")
    # its own layers shown (a proxy of a layer is not the layer), the inputs hidden
    assert decoded and all(ly.visible for ly in decoded), w.status.value
    assert not any(ly.visible for ly in inputs)
    assert {ly.metadata["molfield"]["channel"] for ly in decoded} == {"C", "O", "H"}
    shot = viewer.screenshot(canvas_only=True, size=(400, 400), flash=False)
    assert_not_blank(shot)
    save_shot(shot, "decode_through_dock.png")


def test_fit_dock_offers_molecules_and_the_cli_channels(viewer, data_dir):
    from napari_molfield._napari.layers import recovered_layer
    from napari_molfield._napari.widgets.common import replace_group_layers
    from napari_molfield.atoms import atoms_from_field
    from napari_molfield.fields.channels import DEFAULT_CHANNELS
    from napari_molfield.fields.sample import sample_field

    layers = open_file(viewer, data_dir / "1iep_sti_pocket.pdb")
    assert any(ly.metadata["molfield"].get("channel") == "ligand:all" for ly in layers)
    w = dock(viewer, "Fit")
    assert w.ready and w.plot is not None and "tiny" in w.preset.choices
    assert w.channels.value == ",".join(DEFAULT_CHANNELS)  # not the display's ligand:all
    (group,) = w.molecules.value
    # atoms recovered from a field are a result, not a molecule to fit
    mol = next(ly for ly in layers if ly.metadata["molfield"]["role"] == "atoms")
    field = sample_field(mol.metadata["molfield"]["molecule"], 24, "C,N,O")
    replace_group_layers(viewer, "recovered:x", [recovered_layer(
        atoms_from_field(field), "recovered:x", "pocket recovered")], roles=("atoms",))
    assert len(_role(viewer, "atoms")) == 2
    assert list(w.molecules.choices) == [group]


def test_interpolation_frames_say_which_are_molecules(viewer, qtbot, tmp_path, ethanol):
    from rdkit import Chem

    name = MODELS.add(ethanol, "ethanol")
    w = dock(viewer, "Interpolate")
    w.resolution.value = 16
    w.request()
    qtbot.waitUntil(lambda: w.runner.idle and w._pending is None, timeout=60_000)
    frames = _role(viewer, "interpolated")
    # the model has an N channel but no item has N atoms: no layer for it
    assert {ly.metadata["molfield"]["channel"] for ly in frames} == {"C", "O", "H"}
    assert all(ly.visible for ly in frames)

    w.frames.value = 3
    w.valid.check()
    qtbot.waitUntil(lambda: w.valid.runner.idle, timeout=180_000)
    check = w.valid.last
    assert check is not None and len(check.results) == 3, w.valid.status.value
    assert w.valid.status.value.startswith(f"{len(check.valid)} of 3 frames")
    for f in check.valid:  # valid: RDKit sanitizes the frame's molecule
        flags = Chem.SanitizeMol(Chem.Mol(check.results[f].mol), catchErrors=True)
        assert flags == Chem.SanitizeFlags.SANITIZE_NONE
    out = tmp_path / "valid.sdf"
    w.valid.save(out)
    qtbot.waitUntil(lambda: w.valid.runner.idle, timeout=60_000)
    if check.valid:
        assert w.valid.saved == out
        records = [m for m in Chem.SDMolSupplier(str(out)) if m is not None]
        assert len(records) == len(check.valid)
    else:
        assert not out.exists() and "nothing to write" in w.valid.status.value
    assert name in MODELS
