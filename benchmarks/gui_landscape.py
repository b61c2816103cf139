"""The Landscape dock on a real trajectory model, as a user drives it (issue 24).

Opens a deformable checkpoint of a trajectory (e.g. the one
``trajectory_landscape.py --model-out`` keeps) in a shown napari window, opens the
Landscape dock from the Plugins menu, clicks frames and a point between frames, and decodes
a path through the frames; per action: wall time, longest freeze (50 ms QTimer heartbeat),
the decode time the dock reports and the time from a click to the end of the canvas draw
that shows its result, layers; screenshots of the canvas and of the whole window::

    xvfb-run -a -s "-screen 0 1920x1080x24" .venv/bin/python benchmarks/gui_landscape.py \\
        /tmp/adk.safetensors --shots /tmp/landscape-shots
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _results import readme_row, write_result
from gui_walkthrough import Walk, busy, spin


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("checkpoint", type=Path)
    ap.add_argument("--shots", type=Path, default=Path("/tmp/molfield-landscape"))
    ap.add_argument("--settle", type=float, default=1.0)
    args = ap.parse_args()
    walk = Walk(args.shots, args.settle, redraw=False)
    v = walk.viewer
    from napari_molfield._napari import background

    walk.act("open checkpoint", lambda: v.open(str(args.checkpoint), plugin="napari-molfield"),
             lambda: not background.busy())  # (the reader's worker loads the model)
    w = walk.widget("Landscape")
    spin(lambda: not busy(w), 300)
    assert w.ls is not None, w.status.value
    ls = w.ls
    n = len(ls.names)
    decode_ms: list[float] = []
    shown_ms: list[float] = []
    # click → its layers drawn: the end of the first canvas draw after the dock's `_show`
    marks: dict[str, float] = {}
    show = w._show

    def timed_show(done: object) -> None:
        show(done)
        marks["shown"] = time.perf_counter()
        marks.pop("drawn", None)

    def drawn(_event: object) -> None:
        if "shown" in marks and "drawn" not in marks:
            marks["drawn"] = time.perf_counter()

    w._show = timed_show
    v.window._qt_viewer.canvas._scene_canvas.events.draw.connect(drawn, position="last")

    def click(run: object, what: str) -> None:
        marks.clear()

        def start() -> None:
            marks["click"] = time.perf_counter()
            run()

        walk.act(what, start, lambda: not busy(w), note=lambda: str(w.status.value))
        if w.last is not None:
            decode_ms.append(w.last.seconds * 1000)
        if "drawn" in marks:
            shown_ms.append((marks["drawn"] - marks["click"]) * 1000)

    click(lambda: w.pick(0), "click frame 0")
    click(lambda: w.pick(n // 2), f"click frame {n // 2}")
    x, y = ls.xy[[n // 4, n // 4 + 1]].mean(axis=0)
    click(lambda: w.pick_xy(float(x), float(y)), "click between two frames")
    click(lambda: w.pick(n - 1), f"click frame {n - 1}")
    v.window._qt_window.grab().save(str(args.shots / "window_after_clicks.png"))
    with tempfile.TemporaryDirectory() as tmp:
        w.n_frames.value = 12
        w.pdb.value = str(Path(tmp) / "path.pdb")
        walk.act("path through the frames", w.path, lambda: not busy(w),
                 note=lambda: str(w.status.value))
    v.window._qt_window.grab().save(str(args.shots / "window_after_path.png"))
    walk.beat.timer.stop()
    worst = max(r["freeze_s"] for r in walk.rows)
    print(f"longest freeze {worst:.2f} s; decode + atoms per click (worker) "
          f"{', '.join(f'{t:.0f}' for t in decode_ms)} ms; median {np.median(decode_ms):.0f}; "
          f"click → drawn {', '.join(f'{t:.0f}' for t in shown_ms)} ms")
    write_result("gui_landscape", {
        "actions": walk.rows, "decode_ms": decode_ms, "shown_ms": shown_ms,
        "longest_freeze_s": worst,
        "readme": [readme_row("Landscape dock (AdK frames, software GL)",
                              f"longest freeze {worst:.2f} s; click → field 48³ + atoms "
                              f"{np.median(decode_ms):.0f} ms median (worker), drawn in the "
                              f"viewer {np.median(shown_ms):.0f} ms median")]}, args)
    time.sleep(0.1)
    v.close()


if __name__ == "__main__":
    main()
