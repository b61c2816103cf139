"""What the viewer shows: Å units, 3D, contrast from analytic peaks, no empty channels,
the ligand of a complex (and choosing another), docks that fit a 1080-pixel screen, one
decode at a time."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield._napari.session import MODELS

from .conftest import assert_not_blank, dock, open_file, save_shot

PLUGIN = "napari-molfield"


def _angstrom(layer) -> bool:
    return all(str(u) == "angstrom" for u in layer.units[-3:])


def _info(layer) -> dict:
    return layer.metadata.get("molfield", {})


def test_complex_opens_in_3d_with_a_ligand_layer(viewer, data_dir):
    layers = open_file(viewer, data_dir / "1iep_sti_pocket.pdb")
    assert viewer.dims.ndisplay == 3
    assert all(_angstrom(ly) for ly in layers)
    ligand = [ly for ly in layers if _info(ly).get("channel") == "ligand:all"]
    assert len(ligand) == 1 and ligand[0].visible
    assert ligand[0].metadata["molfield"]["ligand_residues"] == ["STI"]
    atoms = next(ly for ly in layers if _info(ly).get("role") == "atoms")
    assert atoms.metadata["molfield"]["ligand_residues"] == ["STI"]
    # contrast: 0.7 × the analytic peak (`channel_peaks`), not the grid maximum
    from napari_molfield.fields.sample import channel_peaks

    mol = atoms.metadata["molfield"]["molecule"]
    spec = _info(ligand[0])["params"].spec()
    peaks = channel_peaks(spec.assign(mol, 0))
    for ly in layers:
        if _info(ly).get("role") == "field":
            c = spec.names.index(_info(ly)["channel"])
            assert ly.contrast_limits[1] == pytest.approx(0.7 * peaks[c], rel=1e-6)
            assert ly.data.max() <= peaks[c] * (1 + 1e-5)
    # channels without atoms (F, P, Cl …) get no layer
    names = {_info(ly).get("channel") for ly in layers}
    assert "F" not in names and "P" not in names
    shot = viewer.screenshot(canvas_only=True, size=(400, 400))
    assert_not_blank(shot)
    save_shot(shot, "complex_ligand.png")


def test_fields_widget_offers_hetero_residues_and_resplits(viewer, qtbot, data_dir):

    layers = open_file(viewer, data_dir / "1iep_sti_pocket.pdb")
    atoms = next(ly for ly in layers if _info(ly).get("role") == "atoms")
    w = dock(viewer, "Fields")
    values = list(w.ligand.choices)
    assert values == ["", "CL", "STI"]  # as read, then the file's hetero residues
    assert "STI" in w.ligand.native.itemText(0)
    fw = dock(viewer, "Fit")
    assert list(fw.ligand.choices) == values
    ligand_layer = next(ly for ly in layers if _info(ly).get("channel") == "ligand:all")
    n_layers = len(viewer.layers)
    w.resolution.value = 32
    w.ligand.value = "CL"
    w.resample()
    qtbot.waitUntil(lambda: w.runner.idle, timeout=120_000)
    assert "ligand CL" in w.status.value, w.status.value
    mol = atoms.metadata["molfield"]["molecule"]
    assert mol.ligand_residues == ("CL",) and int(mol.ligand_mask.sum()) == 4
    assert ligand_layer in viewer.layers and len(viewer.layers) == n_layers  # in place
    assert ligand_layer.metadata["molfield"]["ligand_residues"] == ["CL"]
    assert ligand_layer.data.shape == (32, 32, 32)


def test_map_and_molecule_layers_share_angstrom(viewer, data_dir):
    open_file(viewer, data_dir / "maps" / "test.dx")
    open_file(viewer, data_dir / "freesolv_mobley_7378987.sdf")
    assert all(_angstrom(ly) for ly in viewer.layers)


DOCKS = ("Fields", "Fit", "Maps", "Decode", "Models", "Encode", "Latent map", "Interpolate",
         "Landscape")


def test_every_dock_at_once_fits_a_1080_pixel_screen(viewer, qtbot):
    # as users open them (Plugins menu): each dock gets a proxy of the viewer
    viewer.window.resize(1920, 1000)
    for name in DOCKS:
        dock, widget = viewer.window.add_plugin_dock_widget(PLUGIN, name)
        # the dock may be shorter than its content: it scrolls
        assert dock.minimumSizeHint().height() < 200, name
        builder = getattr(widget, "builder", None)  # parts built after imports in a worker
        if builder is not None:  # (then the Latent map loads its map: no worker left behind)
            qtbot.waitUntil(lambda w=widget: w.builder.idle and getattr(
                w, "runner", w.builder).idle, timeout=180_000)
    assert viewer.window.geometry()[3] <= 1040
    assert viewer.canvas.overlays.scale_bar.visible  # lengths in Å


@pytest.fixture
def ethanol_model():
    from napari_molfield.autodecoder.fit import fit_model
    from napari_molfield.chem.smiles import from_smiles

    model = fit_model(from_smiles("CCO", seed=0), channels="C,O,S", preset="tiny", steps=15,
                      resolution=12)
    return MODELS.add(model, "ethanol")


def test_decodes_never_overlap_and_skip_empty_channels(viewer, qtbot, ethanol_model,
                                                       monkeypatch):
    import threading

    from napari_molfield._napari.widgets import decode as decode_mod

    active, peak, calls = [0], [0], []
    lock = threading.Lock()
    real = decode_mod.run_decode

    def counting(*args, **kwargs):
        with lock:
            active[0] += 1
            peak[0] = max(peak[0], active[0])
        try:
            calls.append(args[2])
            return real(*args, **kwargs)
        finally:
            with lock:
                active[0] -= 1

    monkeypatch.setattr(decode_mod, "run_decode", counting)
    w = dock(viewer, "Decode")
    for n in (40, 24, 32, 16):  # impatient clicks
        w.resolution.value = n
        w.decode()
    qtbot.waitUntil(lambda: w.runner.idle, timeout=120_000)
    assert peak[0] == 1
    assert calls[0] == 40 and calls[-1] == 16 and len(calls) <= 2  # the waiting one: newest
    decoded = [ly for ly in viewer.layers if _info(ly).get("role") == "decoded"]
    assert {_info(ly)["channel"] for ly in decoded} == {"C", "O"}  # no S: ethanol has none
    assert all(ly.data.shape == (16, 16, 16) for ly in decoded)
    assert all(tuple(ly.contrast_limits) == pytest.approx((0.0, 0.7)) for ly in decoded)
    assert all(_angstrom(ly) for ly in decoded)
    assert "zero field" in w.status.value and "occupied channels" in w.status.value


def test_decode_error_clears_the_decoding_status(viewer, qtbot, ethanol_model, monkeypatch):
    from napari_molfield._napari.widgets import decode as decode_mod
    from napari_molfield.errors import MolfieldError

    def broken(*_a, **_k):
        raise MolfieldError("The decode could not run.")

    monkeypatch.setattr(decode_mod, "run_decode", broken)
    w = dock(viewer, "Decode")
    w.decode()
    qtbot.waitUntil(lambda: w.runner.idle, timeout=60_000)
    assert w.status.value == "Failed: The decode could not run."


def test_field_report_has_its_baselines():
    from napari_molfield.fields.metrics import field_report

    rng = np.random.default_rng(0)
    truth = np.zeros((3, 8, 8, 8))
    truth[0, 2:6, 2:6, 2:6] = 1.0
    truth[1, 3:5, 3:5, 3:5] = 0.5
    decoded = truth + 0.01 * rng.standard_normal(truth.shape)
    r = field_report(decoded, truth)
    zero = 10 * np.log10(1 / np.mean(truth**2))
    assert r.zero_psnr == pytest.approx(zero)
    assert r.psnr > r.zero_psnr
    occ = 10 * np.log10(1 / np.mean((decoded[:2] - truth[:2]) ** 2))
    assert r.occupied_psnr == pytest.approx(occ)
    assert "zero field" in r.text() and "occupied channels" in r.text()


def test_a_result_hides_other_volumes_not_itself(viewer, qtbot):
    from napari_molfield._napari import pending
    from napari_molfield._napari.widgets.common import focus_volumes, replace_group_layers

    meta = {"molfield": {"group": "g", "role": "decoded"}}
    new = [(np.zeros((n, n, n), np.float32), {"name": f"v{n}", "metadata": meta,
                                               "scale": (60.0 / n,) * 3}, "image")
           for n in (64, 128)]
    other = viewer.add_image(np.zeros((8, 8, 8), np.float32), name="old",
                             metadata={"molfield": {"group": "h", "role": "field"}})
    kept = replace_group_layers(viewer, "g", new, roles=("decoded",))
    # the result is what shows: other molfield volumes are hidden, not summed in
    assert focus_volumes(viewer, kept) == 1 and not other.visible
    qtbot.waitUntil(lambda: not pending.busy(), timeout=30_000)  # (new: shown at their turn)
    assert all(layer.visible for layer in kept)
