"""How smooth the napari session is while it fits, decodes and resamples.

Run under a display, e.g. ``xvfb-run -a .venv/bin/python benchmarks/gui_responsiveness.py``
(software OpenGL: Mesa llvmpipe). On the bundled 1IEP complex (chain A + imatinib, the
``kinase_inhibitor`` sample, its default layers visible) it prints:

1. fit speed as the user feels it: steps per **wall-clock** second, from the start of a
   plain `fit` generator loop for ``--seconds`` (what ``molfield fit`` runs) to its end,
   and from pressing the Fit widget's Start to its fit being done (process start, model
   set-up, previews on) — and their ratio (goal ≥ 0.70). Beside them, labelled, the same
   on the fits' own training clock (`nn.loop`'s clock, which stops while progress is
   handed out and leaves out what happens before the fit starts);
2. the longest event-loop freeze during the widget's fit, from a 50 ms QTimer heartbeat
   (goal ≤ 1 s);
3. the longest freeze while a 128³ decode runs and its layers are applied, and while the
   Fields widget resamples at 128³ (goal ≤ 2 s each).

The two fits take turns for ``--rounds`` rounds (default 2) in this process's session, on
the same machine, so the ratio (steps over seconds, pooled over the rounds) is fair; a busy
machine makes both slower and the ratio noisier (each round's ratio is printed too).
"""

from __future__ import annotations

import argparse
import math
import time

from _results import readme_row, write_result


class Heartbeat:
    """A 50 ms QTimer; the longest gap between two ticks is the longest freeze."""

    def __init__(self, interval_ms: int = 50) -> None:
        from qtpy.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self._tick)
        self.reset()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now

    def reset(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0

    def start(self) -> None:
        self.reset()
        self.timer.start()


def spin(condition, timeout: float) -> bool:
    """Run the Qt event loop until ``condition()`` or ``timeout`` seconds.

    A real `QEventLoop` (as napari's own `exec`), which sleeps while nothing happens; a
    20 ms timer checks the condition.
    """
    from qtpy.QtCore import QEventLoop, QTimer

    if condition():
        return True
    loop = QEventLoop()
    t0 = time.perf_counter()

    def check() -> None:
        if condition() or time.perf_counter() - t0 >= timeout:
            loop.quit()

    timer = QTimer()
    timer.setInterval(20)
    timer.timeout.connect(check)
    timer.start()
    loop.exec()
    timer.stop()
    return condition()


def apply_freeze(beat: Heartbeat, what: str, run, widget) -> dict[str, float]:
    """Start ``run`` (a widget's button), wait for its job and the redraw after it, and
    print the time and the longest freeze (goal ≤ 2 s) with the widget's status line."""
    spin(lambda: False, 0.5)
    beat.reset()
    t0 = time.perf_counter()
    run()
    spin(lambda: widget.runner.idle, 600)
    spin(lambda: False, 1.0)  # the redraw after the swap counts too
    took = time.perf_counter() - t0 - 1
    print(f"{what} and apply: {took:.1f} s, longest freeze "
          f"{beat.longest:.2f} s (goal ≤ 2 s) — {widget.status.value}")
    return {"seconds": took, "longest_freeze_s": beat.longest}


CHANNELS = "C,N,O,S,other"


def cli_rate(mol, seconds: float, resolution: int, preset: str
             ) -> tuple[int, float, float]:
    """Steps, wall-clock seconds (from the call to the end of the loop) and training-clock
    seconds of a plain `fit` loop with a time budget (the CLI's loop)."""
    from napari_molfield import models

    last = None
    t0 = time.perf_counter()
    for progress in models.fit(mol, model="siren", channels=CHANNELS, resolution=resolution,
                               preset=preset, steps=10**9, time_budget=seconds):
        last = progress
    wall = time.perf_counter() - t0
    assert last is not None
    return last.step, wall, last.elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=30.0, help="fit time of each run")
    ap.add_argument("--resolution", type=int, default=32, help="train resolution")
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--turn", action="store_true",
                    help="turn the 3D view every second during the widget's fit")
    ap.add_argument("--apply", type=int, default=128, help="decode/resample resolution")
    ap.add_argument("--rounds", type=int, default=2,
                    help="rounds of (CLI fit, widget fit), taking turns")
    args = ap.parse_args()

    import napari
    from napari_molfield._napari._sample_data import kinase_complex, kinase_inhibitor
    from napari_molfield._napari.widgets.decode import DecodeWidget
    from napari_molfield._napari.widgets.fields import FieldsWidget
    from napari_molfield._napari.widgets.fit import FitWidget

    mol = kinase_complex()
    print(f"{mol.name}: {mol.n_atoms} atoms; {args.rounds} round(s) of two fits of "
          f"{args.seconds:.0f} s at {args.resolution}³ (the CLI's loop, then the widget), "
          f"preset {args.preset}")

    viewer = napari.Viewer(show=True)
    viewer.window.resize(1400, 900)
    for data, kwargs, kind in kinase_inhibitor():
        getattr(viewer, f"add_{kind}")(data, **kwargs)
    viewer.dims.ndisplay = 3
    fit_w = FitWidget(viewer)
    viewer.window.add_dock_widget(fit_w, name="Fit")
    spin(lambda: fit_w.ready, 120)  # its presets come with torch, imported in a worker
    fit_w.time_budget.value = args.seconds
    fit_w.resolution.value = args.resolution
    fit_w.preset.value = args.preset
    fit_w.steps.value = 0
    fit_w.channels.value = CHANNELS
    spin(lambda: False, 1.0)
    beat = Heartbeat()
    turner = None
    if args.turn:
        from qtpy.QtCore import QTimer

        def turn() -> None:  # what a user rotating the view asks for: one redraw a second
            a = viewer.scene.camera.angles
            viewer.scene.camera.angles = (a[0], a[1] + 10.0, a[2])

        turner = QTimer()
        turner.setInterval(1000)
        turner.timeout.connect(turn)
    what = "previews, view turned every 1 s" if args.turn else "previews"
    rounds = []
    for k in range(args.rounds):  # CLI and widget take turns: a change of load hits both
        steps, cli_wall, elapsed = cli_rate(mol, args.seconds, args.resolution, args.preset)
        cli = {"steps": steps, "wall_s": cli_wall, "train_s": elapsed}
        print(f"round {k + 1}: plain fit loop (CLI): {steps:6d} steps in {cli_wall:5.1f} s "
              f"wall = {steps / cli_wall:6.1f} steps/s (training clock: {elapsed:5.1f} s = "
              f"{steps / elapsed:6.1f} steps/s)")
        spin(lambda: False, 0.5)
        beat.start()
        if turner is not None:
            turner.start()
        t0, cpu0 = time.perf_counter(), time.process_time()
        fit_w.start()
        spin(lambda: fit_w.idle, args.seconds + 300)
        if turner is not None:
            turner.stop()
        wall = time.perf_counter() - t0  # from pressing Start to done: what the user feels
        last = fit_w._last or {}
        widget = {"steps": int(last.get("step", 0)), "wall_s": wall,
                  "train_s": float(last.get("elapsed", math.nan)),
                  "viewer_cpu_s": time.process_time() - cpu0, "longest_freeze_s": beat.longest}
        print(f"round {k + 1}: Fit widget ({what}): {widget['steps']:6d} steps in {wall:5.1f} "
              f"s wall (process start and model set-up included) = "
              f"{widget['steps'] / wall:6.1f} steps/s (training clock: "
              f"{widget['train_s']:5.1f} s); longest freeze {beat.longest:.2f} s; the "
              f"viewer's process used {widget['viewer_cpu_s']:.1f} CPU-s")
        print(f"  status: {fit_w.status.value}")
        rounds.append({"cli": cli, "widget": widget,
                       "ratio_wall": (widget["steps"] / wall) / (steps / cli_wall),
                       "ratio_train": (widget["steps"] / widget["train_s"])
                       / (steps / elapsed)})

    def pooled(who: str, clock: str) -> float:
        return sum(r[who]["steps"] for r in rounds) / sum(r[who][clock] for r in rounds)

    cli_rate_wall, widget_rate_wall = pooled("cli", "wall_s"), pooled("widget", "wall_s")
    ratio = widget_rate_wall / cli_rate_wall
    ratio_train = pooled("widget", "train_s") / pooled("cli", "train_s")
    per_round = [r["ratio_wall"] for r in rounds]
    fit_freeze = max(r["widget"]["longest_freeze_s"] for r in rounds)
    print(f"widget / CLI, steps per wall-clock second: {ratio:.2f} over {args.rounds} "
          f"round(s) (per round {', '.join(f'{x:.2f}' for x in per_round)}; goal ≥ 0.70); "
          f"on the training clock {ratio_train:.2f}")
    print(f"longest freeze during the widget's fits: {fit_freeze:.2f} s (goal ≤ 1 s)")
    res: dict = {"atoms": mol.n_atoms, "rounds": rounds,
                 "cli_steps_per_wall_s": cli_rate_wall,
                 "widget_steps_per_wall_s": widget_rate_wall,
                 "ratio_wall": ratio, "ratio_train": ratio_train,
                 "longest_freeze_s": fit_freeze}
    beat.start()

    dec = DecodeWidget(viewer)
    viewer.window.add_dock_widget(dec, name="Decode", tabify=True)
    dec.model.value = fit_w.model_name
    dec.resolution.value = args.apply
    res["decode"] = apply_freeze(beat, f"decode {args.apply}³", dec.decode, dec)

    fields = FieldsWidget(viewer)
    viewer.window.add_dock_widget(fields, name="Fields", tabify=True)
    fields.resolution.value = args.apply
    res["resample"] = apply_freeze(beat, f"resample {args.apply}³", fields.resample, fields)
    beat.timer.stop()
    viewer.close()
    turned = ", view turned every second" if args.turn else ""
    res["readme"] = [
        readme_row(f"napari: Fit widget (1IEP-A, {args.seconds:.0f} s at {args.resolution}³, "
                   f"previews in the dock{turned}) vs the CLI's loop, steps per wall-clock "
                   "second",
                   f"**{ratio:.2f}** of the CLI's steps/s ({widget_rate_wall:.1f} vs "
                   f"{cli_rate_wall:.1f}, {args.rounds} alternating round(s): "
                   f"{', '.join(f'{x:.2f}' for x in per_round)}; goal 0.70), the widget's "
                   f"wall clock from Start to done; on the fits' training clocks "
                   f"{ratio_train:.2f}; longest event-loop freeze during its fits "
                   f"{fit_freeze:.2f} s (goal 1 s)"),
        readme_row(f"napari: apply a {args.apply}³ decode / resample",
                   f"{res['decode']['seconds']:.2f} s / {res['resample']['seconds']:.2f} s, "
                   f"longest freezes {res['decode']['longest_freeze_s']:.2f} / "
                   f"{res['resample']['longest_freeze_s']:.2f} s (goal 2 s)"),
    ]
    write_result("gui_responsiveness", res, args)


if __name__ == "__main__":
    main()
