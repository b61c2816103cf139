"""``molfield demo``: the bundled complex in napari, or headless with a screenshot."""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path
from typing import Any

from ..errors import MolfieldError


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield demo``."""
    m = sub.add_parser("demo", help="open napari on the bundled kinase–inhibitor complex")
    m.add_argument("--screenshot", metavar="PNG", help="render headless, save a PNG and exit")
    m.add_argument("--resolution", type=int, default=96)
    m.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    """``molfield demo``: the sample complex in napari (or headless with a screenshot)."""
    headless = args.screenshot is not None or not os.environ.get("DISPLAY")
    xvfb = None
    if headless and not os.environ.get("DISPLAY"):
        xvfb = _start_xvfb()
    try:
        return _run_demo(args, headless)
    finally:
        if xvfb is not None:
            xvfb.terminate()


def _run_demo(args: argparse.Namespace, headless: bool) -> int:
    import napari

    from .._napari._sample_data import kinase_complex, kinase_params
    from .._napari.layers import molecule_layers
    from .._napari.widgets.common import enable_scale_bar
    from .._napari.widgets.decode import DecodeWidget
    from .._napari.widgets.fields import FieldsWidget
    from .._napari.widgets.fit import FitWidget
    from .._napari.widgets.models import ModelsWidget

    # the viewer first: how fields are drawn (volumes, or surfaces on software OpenGL) is
    # decided once a viewer is open (`_napari.display`)
    viewer = napari.Viewer(title="napari-molfield demo", show=True)
    t0 = time.perf_counter()
    mol = kinase_complex()
    params = kinase_params()
    params.resolution = args.resolution
    layers = molecule_layers(mol, params)
    channels = sum(kind == "image" for _, _, kind in layers)
    print(
        f"{mol.name}: {mol.n_atoms} atoms ({int(mol.ligand_mask.sum())} ligand), "
        f"{channels} channels at {params.resolution}³ in {time.perf_counter() - t0:.2f} s"
    )
    for data, kwargs, kind in layers:
        getattr(viewer, f"add_{kind}")(data, **kwargs)
    viewer.dims.ndisplay = 3
    enable_scale_bar(viewer)  # every layer is in Å
    camera = viewer.scene.camera if hasattr(viewer, "scene") else viewer.camera  # napari<0.9
    camera.angles = (15, 35, 120)
    fields_dock = viewer.window.add_dock_widget(FieldsWidget(viewer), name="Fields",
                                                area="right")
    for name, widget in (("Fit", FitWidget), ("Decode", DecodeWidget),
                         ("Models", ModelsWidget)):
        viewer.window.add_dock_widget(widget(viewer), name=name, area="right", tabify=True)
    ligand = [ly for ly in viewer.layers if ly.name.endswith("ligand:all")]
    if ligand:
        viewer.layers.selection.active = ligand[0]
    viewer.window.resize(1500, 950)
    _process_events()
    fields_dock.raise_()  # the Fields tab in front
    viewer.reset_view()
    camera.zoom *= 0.95
    if headless:
        _process_events()
        out = Path(args.screenshot or "molfield-demo.png")
        viewer.screenshot(str(out), canvas_only=False, size=None)
        viewer.close()
        print(f"screenshot → {out}")
        return 0
    napari.run()
    return 0


def _process_events() -> None:
    """Let Qt lay out docked widgets before a screenshot."""
    from qtpy.QtWidgets import QApplication

    for _ in range(5):
        QApplication.processEvents()
        time.sleep(0.05)


def _start_xvfb() -> Any:
    """Start a private Xvfb server and point DISPLAY at it (None when Xvfb is missing)."""
    import shutil
    import subprocess

    exe = shutil.which("Xvfb")
    if exe is None:
        raise MolfieldError(
            "No display and no Xvfb: install it (apt-get install xvfb) or run with a display."
        )
    for num in range(90, 140):
        if Path(f"/tmp/.X{num}-lock").exists():
            continue
        proc = subprocess.Popen(
            [exe, f":{num}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{num}").exists():
                os.environ["DISPLAY"] = f":{num}"
                os.environ.pop("QT_QPA_PLATFORM", None)
                return proc
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        proc.terminate()
    raise MolfieldError("Could not start Xvfb for a headless screenshot.")
