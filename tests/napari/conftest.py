"""Fixtures for GUI tests: a real viewer under Xvfb (pytest-xvfb) and screenshot helpers."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pytest

DATA = Path(__file__).resolve().parents[1] / "data"
#: Screenshots go to a temporary folder unless MOLFIELD_SCREENSHOTS names one (set it to
#: docs/screenshots to refresh the README's pictures).
SHOTS = Path(os.environ.get("MOLFIELD_SCREENSHOTS")
             or Path(tempfile.gettempdir()) / "molfield-screenshots")


@pytest.fixture(autouse=True)
def fresh_models():
    """Every GUI test starts and ends with an empty session model store."""
    from napari_molfield._napari.session import MODELS

    for name in MODELS.names():
        MODELS.remove(name)
    yield
    for name in MODELS.names():
        MODELS.remove(name)


@pytest.fixture(autouse=True)
def no_queued_layers():
    """Layers a test's results left queued (`pending`) do not reach the next test."""
    from napari_molfield._napari import pending

    yield
    pending.forget()


@pytest.fixture(autouse=True)
def display(request, monkeypatch):
    """Fields drawn as volumes, as on a GPU, unless a test is marked ``surfaces``: the
    automatic choice (`display`) would draw surfaces under Xvfb's software OpenGL, and
    tests/napari/test_surfaces.py checks that path."""
    mode = "surface" if request.node.get_closest_marker("surfaces") else "volume"
    monkeypatch.setenv("MOLFIELD_DISPLAY", mode)
    return mode


@pytest.fixture
def data_dir() -> Path:
    return DATA


@pytest.fixture
def viewer(make_napari_viewer):
    """A shown viewer (so screenshots render) in 3D."""
    v = make_napari_viewer(show=True)
    v.window.resize(1200, 800)
    return v


def assert_not_blank(img: np.ndarray, min_fraction: float = 0.01) -> None:
    """At least ``min_fraction`` of the pixels differ from the background colour."""
    rgb = img[..., :3].astype(int)
    bg = rgb[0, 0]
    differs = np.abs(rgb - bg).sum(axis=-1) > 30
    assert differs.mean() > min_fraction, f"screenshot looks blank ({differs.mean():.4f} lit)"


def save_shot(img: np.ndarray, name: str) -> Path:
    """Keep a screenshot PNG for people to look at (in `SHOTS`)."""
    import imageio.v3 as iio

    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / name
    iio.imwrite(path, img)
    return path


PLUGIN = "napari-molfield"
#: Dock titles of the plugin's widget classes (napari.yaml).
TITLES = {"FieldsWidget": "Fields", "FitWidget": "Fit", "MapsWidget": "Maps",
          "DecodeWidget": "Decode", "ModelsWidget": "Models", "EncodeWidget": "Encode",
          "LatentMapWidget": "Latent map", "InterpolateWidget": "Interpolate",
          "LandscapeWidget": "Landscape"}


def dock(viewer, title: str, timeout: float = 180.0):
    """Open a plugin dock as a user does (Plugins menu: the widget gets napari's
    ``PublicOnlyProxy`` of the viewer); waits for parts built after their imports."""
    import time

    from qtpy.QtWidgets import QApplication

    _, widget = viewer.window.add_plugin_dock_widget(PLUGIN, title)
    builder = getattr(widget, "builder", None)
    t0 = time.perf_counter()
    while builder is not None and not builder.idle and time.perf_counter() - t0 < timeout:
        QApplication.processEvents()
        time.sleep(0.02)
    QApplication.processEvents()
    return widget


def open_file(viewer, path, timeout: float = 180.0) -> list:
    """Open a file as a user does (File ▸ Open, the plugin chosen) and wait for the
    reader's worker (`background`); returns the layers it added."""
    import time

    from qtpy.QtWidgets import QApplication

    from napari_molfield._napari import background

    before = {layer.unique_id for layer in viewer.layers}
    assert viewer.open(path, plugin=PLUGIN) == []  # readers return at once in a viewer
    t0 = time.perf_counter()
    while background.busy() and time.perf_counter() - t0 < timeout:
        QApplication.processEvents()
        time.sleep(0.02)
    QApplication.processEvents()
    assert not background.busy(), f"reading {path} took over {timeout} s"
    return [layer for layer in viewer.layers if layer.unique_id not in before]


@pytest.fixture(scope="session")
def ethanol():
    """A tiny seeded auto-decoder fit of ethanol (C, O, H; no N channel atoms)."""
    from napari_molfield.autodecoder.fit import fit_model
    from napari_molfield.chem.smiles import from_smiles

    return fit_model(from_smiles("CCO", seed=0), channels="C,N,O,H", preset="tiny",
                     steps=30, resolution=12, device="cpu", seed=0)


def decode_in_dock(viewer, qtbot, resolution: int = 24, widget=None):
    """Decode the Decode dock's chosen item at ``resolution`` (no truth) as a user does,
    and wait for the result; returns the dock's widget."""
    w = widget if widget is not None else dock(viewer, "Decode")
    w.resolution.value = resolution
    w.truth.value = False
    w.decode()
    qtbot.waitUntil(lambda: w.runner.idle, timeout=120_000)
    return w
