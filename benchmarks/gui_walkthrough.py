"""A chemist's walk through the napari window: every dock on real files, timed.

Run under a display, e.g.
``xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python benchmarks/gui_walkthrough.py``
(software OpenGL: Mesa llvmpipe). A real window (``show=True``) at 1920×1080; docks are
opened as users open them (``add_plugin_dock_widget``, which hands the widget a
``PublicOnlyProxy`` of the viewer). A 50 ms QTimer heartbeat runs throughout: the longest
gap between two ticks during an action is its longest freeze (goal ≤ 1 s).

The actions: open a PDB (1IEP), a density map (1JZV), a damaged PDB (written to a
temporary folder: its toast is printed), a checkpoint (the 1L2Y ensemble); open each
dock; resample; a short fit; decode at 128³; atoms; encode a SMILES; the latent map's
load and a click; Interpolate frames, a slider drag (frames shown per second while
dragging, seconds from release to the final frame); a short map fit. Per action it
prints the wall time (until the job's result is in the viewer), the longest freeze and
the layer count (visible) — with ``--redraw`` also one redraw's cost — and saves a canvas
screenshot in ``--shots``; at the end a screenshot of the whole window with every dock
open and the window's height.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _results import ROOT, readme_row, write_result
from gui_responsiveness import Heartbeat, spin

PLUGIN = "napari-molfield"
DOCKS = ("Fields", "Fit", "Maps", "Decode", "Models", "Encode", "Latent map", "Interpolate")
PDB = ROOT / "sample_data" / "1iep.pdb"
MAP = ROOT / "tests" / "data" / "maps" / "1jzv.ccp4"
CHECKPOINT = ROOT / "sample_data" / "1l2y_ensemble.safetensors"
SMILES = "CC(C)Cc1ccc(cc1)C(C)C(=O)O"


def busy(widget: Any) -> bool:
    """Whether a widget still works on something: a job runner, a fit, a lazy build."""
    from napari_molfield._napari import pending
    from napari_molfield._napari.workers import JobRunner

    if pending.busy():  # a result's hidden layers still arriving: part of the action
        return True
    if widget is None:
        return False
    if getattr(widget, "building", False):
        return True
    if getattr(widget, "idle", True) is False:
        return True
    return any(isinstance(v, JobRunner) and (v.running or v.pending)
               for v in vars(widget).values())


class Walk:
    """The viewer, the heartbeat, the docks and the table of results."""

    def __init__(self, shots: Path, settle: float, redraw: bool) -> None:
        import napari

        self.viewer = napari.Viewer(show=True)
        self.viewer.window.resize(1920, 1080)
        self.beat = Heartbeat()
        self.beat.start()
        self.shots = shots
        self.settle = settle
        self.measure_redraw = redraw
        self.docks: dict[str, Any] = {}
        self.rows: list[dict[str, Any]] = []
        shots.mkdir(parents=True, exist_ok=True)
        spin(lambda: False, 2.0)

    def widget(self, name: str) -> Any:
        """The dock's widget (opened on first use)."""
        if name not in self.docks:
            self.open_dock(name)
        return self.docks[name]

    def open_dock(self, name: str) -> None:
        def run() -> None:
            _, w = self.viewer.window.add_plugin_dock_widget(PLUGIN, name)
            self.docks[name] = w

        self.act(f"open dock {name}", run, lambda: not busy(self.docks.get(name)))

    def act(self, what: str, run: Callable[[], Any], done: Callable[[], bool] | None = None,
            timeout: float = 600.0, note: Callable[[], str] | None = None) -> dict[str, Any]:
        """Run one action, wait for ``done``, print and keep its row, take a screenshot."""
        spin(lambda: False, 0.3)
        self.beat.reset()
        t0 = time.perf_counter()
        error = ""
        try:
            run()
        except Exception as exc:  # a refused file: napari's message is what a user sees
            error = f"{type(exc).__name__}: {exc}"
        spin(done or (lambda: True), timeout)
        wall = time.perf_counter() - t0
        spin(lambda: False, self.settle)  # the redraw after the result counts too
        freeze = self.beat.longest
        layers = list(self.viewer.layers)
        row = {"action": what, "wall_s": wall, "freeze_s": freeze, "redraw_s": self.redraw(),
               "layers": len(layers), "visible": sum(ly.visible for ly in layers),
               "note": error or (note() if note else "")}
        k = len(self.rows)
        shot = self.shots / f"{k:02d}-{what.replace(' ', '_').replace('/', '_')}.png"
        self.viewer.screenshot(str(shot), canvas_only=True, flash=False)
        row["shot"] = shot.name
        self.rows.append(row)
        print(f"{what:<32} {wall:6.2f} s  freeze {freeze:5.2f} s  redraw {row['redraw_s']:4.2f} s"
              f"  layers {row['layers']:2d} ({row['visible']:2d} shown)  {row['note'][:80]}",
              flush=True)
        return row

    def redraw(self) -> float:
        """Seconds of one redraw of what is shown now (the camera nudged): the part of a
        freeze that is the canvas's own cost on software OpenGL."""
        if not self.measure_redraw:
            return float("nan")
        self.beat.reset()
        self.viewer.scene.camera.zoom = self.viewer.scene.camera.zoom * 1.0001
        spin(lambda: False, 0.3)
        return self.beat.longest

    def status(self, name: str) -> Callable[[], str]:
        return lambda: str(self.docks[name].status.value) if name in self.docks else ""


def opening(walk: Walk) -> None:
    from napari_molfield._napari import background

    v = walk.viewer
    idle = lambda: not background.busy()  # noqa: E731
    walk.act("open PDB (1IEP)", lambda: v.open(str(PDB), plugin=PLUGIN), idle)
    walk.act("open map (1JZV)", lambda: v.open(str(MAP), plugin=PLUGIN), idle)
    import tempfile

    from napari.utils.notifications import notification_manager

    bad = Path(tempfile.mkdtemp()) / "damaged.pdb"
    bad.write_bytes(b"\x00\x01\x02 not a pdb \xff" * 20)
    seen = len(notification_manager.records)
    walk.act("open a damaged PDB", lambda: v.open(str(bad), plugin=PLUGIN),
             note=lambda: " | ".join(f"toast: {n.message}"
                                     for n in notification_manager.records[seen:]))
    walk.act("open checkpoint (1L2Y)", lambda: v.open(str(CHECKPOINT), plugin=PLUGIN),
             lambda: not background.busy())


def fields_and_fit(walk: Walk, fit_seconds: float) -> str | None:
    w = walk.widget("Fields")
    w.resolution.value = 96
    walk.act("Fields: resample 96³", w.resample, lambda: not busy(w), note=walk.status("Fields"))
    fit = walk.widget("Fit")
    fit.time_budget.value = fit_seconds
    fit.steps.value = 0
    walk.act(f"Fit ({fit_seconds:.0f} s budget)", fit.start, lambda: not busy(fit),
             note=walk.status("Fit"))
    return fit.model_name


def decode(walk: Walk, model: str | None) -> None:
    w = walk.widget("Decode")
    if model is not None:
        w.model.value = model
    w.resolution.value = 128
    walk.act("Decode 128³", w.decode, lambda: not busy(w), note=walk.status("Decode"))
    walk.act("Decode: Atoms", w.recover, lambda: not busy(w), note=walk.status("Decode"))


def encode(walk: Walk) -> None:
    w = walk.widget("Encode")
    w.smiles.value = SMILES
    w.molecule.value = w.molecule.choices[0]
    walk.act("Encode (SMILES)", w.encode, lambda: not busy(w), note=walk.status("Encode"))
    walk.act("Encode again", w.encode, lambda: not busy(w), note=walk.status("Encode"))
    walk.act("Encode: Atoms", w.recover, lambda: not busy(w), note=walk.status("Encode"))


def latent_map(walk: Walk) -> None:
    w = walk.widget("Latent map")  # loads the shipped model's map on opening
    spin(lambda: w.data is not None, 120)
    for i in (3, 40):
        walk.act(f"Latent map: click point {i}", lambda i=i: w.select(i), lambda: not busy(w),
                 note=walk.status("Latent map"))


def interpolate(walk: Walk, model: str) -> dict[str, float]:
    w = walk.widget("Interpolate")
    w.model.value = model
    w.resolution.value = 48
    shown: list[float] = []
    update = w.update_layers

    def counted(field: Any, *a: Any, **k: Any) -> Any:
        shown.append(time.perf_counter())
        return update(field, *a, **k)

    w.update_layers = counted
    walk.act("Interpolate: first frame", w.request, lambda: not busy(w),
             note=walk.status("Interpolate"))
    walk.act("Interpolate: t = 0.5", lambda: setattr(w.t, "value", 0.5), lambda: not busy(w),
             note=walk.status("Interpolate"))
    # a drag: 21 slider positions 50 ms apart, as a mouse sends them
    shown.clear()
    from qtpy.QtWidgets import QSlider

    slider = w.t.native.findChild(QSlider)  # what the mouse holds
    res: dict[str, float] = {}

    def drag() -> None:
        t0 = time.perf_counter()
        slider.sliderPressed.emit()
        for k in range(21):
            w.t.value = 0.5 + 0.5 * k / 20
            spin(lambda: False, 0.05)
        res["drag_s"] = time.perf_counter() - t0
        res["released"] = time.perf_counter()
        slider.sliderReleased.emit()

    walk.act("Interpolate: drag 21 steps", drag, lambda: not busy(w),
             note=walk.status("Interpolate"))
    during = [s for s in shown if s <= res["released"]]
    res["frames_while_dragging"] = len(during)
    res["fps"] = len(during) / res["drag_s"]
    res["final_after_release_s"] = (shown[-1] - res["released"]) if shown else float("nan")
    print(f"  drag: {len(during)} frames shown in {res['drag_s']:.2f} s "
          f"({res['fps']:.1f} frames/s); final frame {res['final_after_release_s']:.2f} s "
          "after release", flush=True)
    w.update_layers = update
    return res


def maps(walk: Walk, seconds: int) -> None:
    w = walk.widget("Maps")
    w.seconds.value = seconds
    walk.act(f"Maps: fit ({seconds} s)", w.fit, lambda: not busy(w), note=walk.status("Maps"))


def all_docks(walk: Walk) -> dict[str, Any]:
    for name in DOCKS:
        walk.widget(name)
    spin(lambda: False, 1.0)
    _, _, width, height = walk.viewer.window.geometry()
    shot = walk.shots / "all-docks-window.png"
    walk.viewer.screenshot(str(shot), canvas_only=False, flash=False)
    print(f"window with all {len(DOCKS)} docks open: {width}×{height} px (screen 1920×1080)")
    return {"window_width": width, "window_height": height}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--fit-seconds", type=float, default=15.0)
    ap.add_argument("--map-seconds", type=int, default=10)
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds of event loop after each result (its redraw counts)")
    ap.add_argument("--redraw", action="store_true",
                    help="also time one redraw of the canvas after each action")
    ap.add_argument("--pair", type=Path, default=None,
                    help="checkpoint to drag the Interpolate slider on (default: the 1L2Y "
                         "ensemble); e.g. an adenylate kinase closed/open fit: molfield fit "
                         "adk_closed.pdb adk_open.pdb --time 120 -o adk_pair.safetensors")
    ap.add_argument("--shots", type=Path, default=Path("/tmp/molfield-walkthrough"))
    args = ap.parse_args()
    t_import = time.perf_counter()
    import os

    from napari_molfield._napari import background

    walk = Walk(args.shots, args.settle, args.redraw)
    print(f"viewer up in {time.perf_counter() - t_import:.1f} s; load {os.getloadavg()}")
    print(f"{'action':<32} {'wall':>8}  {'longest freeze':>14}  {'one redraw':>11}  layers")
    opening(walk)
    model = fields_and_fit(walk, args.fit_seconds)
    decode(walk, model)
    encode(walk)
    latent_map(walk)
    if args.pair is not None:
        walk.act(f"open checkpoint ({args.pair.stem})",
                 lambda: walk.viewer.open(str(args.pair), plugin=PLUGIN),
                 lambda: not background.busy())
    drag = interpolate(walk, (args.pair or CHECKPOINT).stem)
    maps(walk, args.map_seconds)
    window = all_docks(walk)
    walk.beat.timer.stop()
    worst = max(r["freeze_s"] for r in walk.rows)
    over = [r["action"] for r in walk.rows if r["freeze_s"] > 1.0]
    print(f"longest freeze of all: {worst:.2f} s; over 1 s: {', '.join(over) or 'none'}; "
          f"load {os.getloadavg()}")
    res = {"actions": walk.rows, "drag": drag, "window": window, "longest_freeze_s": worst,
           "readme": [readme_row(
               "napari walkthrough (every dock, 1920×1080, software GL)",
               f"longest freeze {worst:.2f} s (goal 1 s), over 1 s: {len(over)} of "
               f"{len(walk.rows)} actions ({', '.join(over) or 'none'}); slider drag "
               f"{drag.get('fps', float('nan')):.1f} frames/s (goal 4), final frame "
               f"{drag.get('final_after_release_s', float('nan')):.2f} s after release "
               f"(goal 1 s); window with every dock {window['window_height']} px "
               "(goal 1080)")]}
    write_result("gui_walkthrough", res, args)
    walk.viewer.close()


if __name__ == "__main__":
    main()
