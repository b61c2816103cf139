"""The napari map reader: MRC/CCP4/DX files open as image layers in Å, in the molecules' frame."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from napari_molfield._napari._map_reader import (
    get_map_reader,
    read_map_paths,
    read_maps_in_viewer,
)
from napari_molfield._napari.widgets.common import layer_kind
from napari_molfield.errors import MolfieldError
from napari_molfield.fields.maps import read_map

from .conftest import assert_not_blank, open_file

MAPS = Path(__file__).resolve().parents[1] / "data" / "maps"
PLUGIN = "napari-molfield"


def test_reader_claims_map_files_only(tmp_path):
    for name in ["a.mrc", "a.map", "a.ccp4", "a.dx", "a.map.gz", "A.MRC.BZ2", "a.dx.gz"]:
        reader = get_map_reader(str(tmp_path / name))  # errors become the plugin's toast
        assert getattr(reader, "__wrapped__", None) is read_maps_in_viewer, name
    for name in ["a.pdb", "a.npz", "a.gz", "a.safetensors", "mrc"]:
        assert get_map_reader(str(tmp_path / name)) is None, name
    assert get_map_reader([str(tmp_path / "a.mrc"), str(tmp_path / "b.pdb")]) is None


def test_layer_data_in_angstrom():
    path = MAPS / "1jzv.ccp4"
    [(data, kw, kind)] = read_map_paths(str(path))
    f = read_map(path)
    assert kind == "image" and data.shape == f.resolution
    np.testing.assert_allclose(kw["scale"], f.voxel_size)
    np.testing.assert_allclose(kw["translate"], f.origin)
    meta = kw["metadata"]["molfield"]
    assert meta["role"] == "map" and set(meta["stats"]) == {"mean", "sd", "rms", "min", "max"}
    lo, hi = kw["contrast_limits"]
    assert lo == pytest.approx(meta["stats"]["mean"] + meta["stats"]["sd"])
    assert hi == pytest.approx(meta["stats"]["max"])
    assert lo < kw["iso_threshold"] < hi and kw["rendering"] == "iso"


def test_reader_errors_are_one_sentence(tmp_path):
    bad = tmp_path / "bad.mrc"
    bad.write_bytes(b"\0" * 100)
    with pytest.raises(MolfieldError):
        read_map_paths(str(bad))


def test_open_real_map_in_viewer(make_napari_viewer):
    viewer = make_napari_viewer()
    path = MAPS / "1jzv.ccp4"
    layers = open_file(viewer, str(path))
    assert len(layers) == 1
    layer = layers[0]
    f = read_map(path)
    np.testing.assert_allclose(layer.scale, f.voxel_size)
    np.testing.assert_allclose(layer.translate, f.origin)
    assert viewer.dims.ndisplay == 3
    assert layer.rendering == "iso"
    assert layer.metadata["molfield"]["stats"]["max"] == pytest.approx(9.0504, abs=1e-3)
    # voxel (i, j, k) sits at origin + voxel_size * (i, j, k) Å in the world
    np.testing.assert_allclose(layer.data_to_world((10, 20, 30)),
                               f.origin + f.voxel_size * (10, 20, 30))


def test_map_and_molecule_share_one_frame(make_napari_viewer, tmp_path, data_dir):
    """Sample 1IEP's pocket to a map, open the map and the molecule: atoms sit in density."""
    from napari_molfield.chem.readers import read_molecules
    from napari_molfield.fields.io import write_field
    from napari_molfield.fields.sample import sample_field

    pdb = data_dir / "1iep_sti_pocket.pdb"
    mol = read_molecules(pdb)[0]
    (path,) = write_field(sample_field(mol, 40, "all"), tmp_path / "pocket.mrc")
    viewer = make_napari_viewer()
    mol_layers = open_file(viewer, str(pdb))
    [map_layer] = open_file(viewer, str(path))
    points = next(ly for ly in mol_layers if layer_kind(ly) == "points")
    world = np.array([points.data_to_world(p) for p in points.data])
    np.testing.assert_allclose(world, mol.coords[0], atol=1e-6)
    idx = np.array([map_layer.world_to_data(w) for w in world])
    ijk = np.rint(idx).astype(int)
    assert (ijk >= 0).all() and (ijk < np.array(map_layer.data.shape)).all()
    at_atoms = map_layer.data[tuple(ijk.T)]
    level = map_layer.metadata["molfield"]["level"]
    assert (at_atoms > level).mean() > 0.95
    # a field layer of the molecule reader uses the same Å placement
    field_layer = next(ly for ly in mol_layers if layer_kind(ly) == "image")
    np.testing.assert_allclose(field_layer.data_to_world((0, 0, 0)),
                               field_layer.translate, atol=1e-9)


def test_screenshot_of_a_real_map_is_not_blank(viewer):
    layers = open_file(viewer, str(MAPS / "1jzv.ccp4"))
    assert viewer.dims.ndisplay == 3 and layers
    viewer.reset_view()
    img = viewer.screenshot(canvas_only=True, size=(300, 300))
    assert_not_blank(img, 0.05)


def test_map_reader_imports_neither_torch_nor_qt():
    code = (
        "import sys\n"
        "from napari_molfield._napari._map_reader import get_map_reader\n"
        f"p = {str(MAPS / '1jzv.ccp4')!r}\n"
        "layers = get_map_reader(p)(p)\n"
        "assert layers[0][2] == 'image'\n"
        "print('torch' in sys.modules, 'PyQt6' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split()[-2:] == ["False", "False"]
