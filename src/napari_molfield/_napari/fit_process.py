"""Fits in a separate process, so the viewer keeps its GIL and its frame rate.

The Fit widget starts :class:`FitProcess` (multiprocessing, *spawn* context: no Qt, no
fork of a GUI). The child runs the plain `models.fit` generator (the kind the inputs call
for, ``settings['model']``) and sends small messages on a
queue:

- ``{"kind": "progress", …}`` at most every `SEND_EVERY` seconds, with every loss since
  the last message (so the curve gets every step) and each PSNR evaluation;
- ``{"kind": "preview", …}`` a low-resolution decode of item 0 every ``preview_every``
  seconds (values, origin, spacing, channels, occupied-channel peaks);
- ``{"kind": "done", …}`` once, on finish *or cancel*: the model is evaluated against the
  analytic truth (`quality.model_report`) — density maps (`Field` inputs, the Maps
  widget) against the first map on its own voxels, which comes back decoded — and written
  as a checkpoint, which the widget loads — a cancelled fit keeps the last good model;
- ``{"kind": "error", "message": …}`` instead, when the fit fails.

Nothing here imports Qt or napari; the child imports torch, the parent does not. The
child does not re-run the user's ``__main__`` (a script that opens napari without an
``if __name__ == "__main__":`` guard would otherwise open a second viewer in it, or fail):
see `_main_hidden`.
"""

from __future__ import annotations

import multiprocessing as mp
import queue as queue_mod
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: Seconds between two progress messages.
SEND_EVERY = 0.2
#: Items whose PSNR the final report averages.
REPORT_ITEMS = 4


@dataclass
class FitRequest:
    """Everything the child needs (picklable)."""

    molecules: list[Any]
    settings: dict[str, Any]
    checkpoint: str
    preview_every: float = 3.0
    preview_resolution: int = 24
    ligand: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


def _preview(model: Any, resolution: int) -> dict[str, Any]:
    from ..models import decode
    from .layers import decoded_peaks

    f = decode(model, 0, resolution)
    return {"kind": "preview", "values": f.values, "origin": f.origin, "spacing": f.spacing,
            "channels": tuple(f.channels), "peaks": decoded_peaks(model, 0)}


def _report(model: Any, resolution: int) -> dict[str, Any]:
    from ..fields.metrics import FieldReport
    from .quality import model_report

    reports = [model_report(model, i, resolution)
               for i in range(min(model.n_items, REPORT_ITEMS))]
    return {**FieldReport.mean(reports).to_dict(), "items": len(reports)}


def _zero_baseline(model: Any, resolution: int) -> float:
    """PSNR of predicting zeros on the train grid of the items the fit evaluates."""
    import numpy as np

    from ..fields.metrics import psnr_from_mse
    from ..models import truth as truth_field

    n = min(model.n_items, int(model.fit_config.get("eval_items", 1) or 1))
    sq = [np.square(truth_field(model, i, resolution).values, dtype=np.float64).mean()
          for i in range(n)]
    return psnr_from_mse(float(np.mean(sq)))


def _maps(request: FitRequest) -> list[Any]:
    """The density maps a request fits (`Field` inputs; ``[]`` for molecules)."""
    from ..fields.field import Field

    return [m for m in request.molecules if isinstance(m, Field)]


def _map_zero_baseline(model: Any, grid: Any) -> float:
    """PSNR of predicting zeros for the first map, on its voxels and normalised scale."""
    import numpy as np

    from ..fields.metrics import psnr_from_mse

    scale = np.asarray(model.scale(0), dtype=np.float64)[:, None, None, None]
    return psnr_from_mse(float(np.mean(np.square(grid.values / scale))))


def _map_result(model: Any, grid: Any) -> dict[str, Any]:
    """The first map decoded on its own voxels (map units) and its report against it."""
    import numpy as np

    from ..autodecoder.maps import decode_on_map
    from ..fields.metrics import field_report

    decoded = decode_on_map(model, 0, grid)
    scale = np.asarray(model.scale(0), dtype=np.float64)[:, None, None, None]
    report = field_report(decoded.values, grid.values / scale)
    return {"report": {**report.to_dict(), "items": 1},
            "decoded": (decoded.values * scale).astype(np.float32)}


def run_child(request: FitRequest, out: Any, stop: Any, pause: Any) -> None:
    """The child process: fit, stream progress and previews, save the model at the end."""
    try:
        # every core: with previews drawn in the dock the viewer is idle while the fit
        # runs (1IEP-A, 2 cores: 0.85 of the CLI's steps/s with two threads, 0.63 with
        # one), and while the user turns the view both give the same (0.29)
        _fit_and_report(request, out, stop, pause)
    except BaseException as exc:  # everything reaches the widget as one sentence
        import traceback

        from ..errors import MolfieldError

        msg = str(exc) if isinstance(exc, MolfieldError) else f"{type(exc).__name__}: {exc}"
        out.put({"kind": "error", "message": msg, "traceback": traceback.format_exc()})


def _planned(steps: int) -> int | None:
    """The planned steps, or None when only the time budget ends the fit."""
    from ..nn.schedule import UNLIMITED_STEPS

    return None if steps >= UNLIMITED_STEPS else int(steps)


def _fit_and_report(request: FitRequest, out: Any, stop: Any, pause: Any) -> None:
    from ..models import fit, save
    from .ligands import resplit

    mols = request.molecules
    if request.extra.get("trajectory"):  # read here: MDAnalysis never loads in the viewer
        from ..chem.trajectory import read_trajectory

        spec = dict(request.extra["trajectory"])
        mols = [read_trajectory(spec.pop("topology"), spec.pop("trajectory"), **spec)]
    maps = _maps(request)
    if request.ligand:
        mols = [resplit(m, request.ligand) for m in mols]
    run = fit(mols, **request.settings)
    losses: list[tuple[int, float]] = []
    evals: list[tuple[int, float]] = []
    last_send = last_preview = time.perf_counter()
    progress = None
    cancelled = False
    try:
        for progress in run:
            # (a deformable fit's held-out frames come after it, counting their own steps:
            # not points of the training curve)
            stage = getattr(progress, "stage", "fit")
            if progress.step > 0 and stage == "fit":
                losses.append((progress.step, float(progress.loss)))
            if progress.evaluated and progress.psnr is not None:
                evals.append((progress.step, float(progress.psnr)))
            now = time.perf_counter()
            if progress.step == 0:
                out.put({"kind": "baseline", "zero": _map_zero_baseline(
                    progress.model, maps[0]) if maps else _zero_baseline(
                    progress.model, int(request.settings.get("resolution", 32)))})
            if now - last_send >= SEND_EVERY or progress.step == 0:
                out.put({"kind": "progress", "step": progress.step,
                         "label": "held-out frames' latents: " if stage == "held-out" else "",
                         "steps": _planned(progress.steps), "loss": float(progress.loss),
                         "psnr": progress.psnr,
                         "elapsed": progress.elapsed, "losses": losses, "evals": evals})
                losses, evals, last_send = [], [], now
            if now - last_preview >= request.preview_every:
                out.put(_preview(progress.model, request.preview_resolution))
                last_preview = time.perf_counter()
            while pause.is_set() and not stop.is_set():
                time.sleep(0.05)
            if stop.is_set():
                cancelled = True
                break
    finally:
        run.close()
    if progress is None:
        raise RuntimeError("the fit yielded nothing")
    model = progress.model
    out.put({"kind": "progress", "step": progress.step, "steps": _planned(progress.steps),
             "loss": float(progress.loss), "psnr": progress.psnr,
             "elapsed": progress.elapsed, "losses": losses, "evals": evals})
    if maps:  # the first map decoded on its voxels and compared with it
        result = _map_result(model, maps[0])
    else:
        out.put(_preview(model, request.preview_resolution))
        result = {"report": _report(model, int(request.settings.get("resolution", 32))),
                  "ligand": [tuple(m.ligand_residues) for m in mols]}
    path = save(model, request.checkpoint)
    out.put({"kind": "done", "cancelled": cancelled, "step": progress.step,
             "elapsed": progress.elapsed, "path": str(path), **result})


@contextmanager
def _main_hidden() -> Iterator[None]:
    """While a spawn child starts, make ``__main__`` look like an interactive session.

    *spawn* re-imports the parent's main module in the child (by its ``__spec__`` name or
    ``__file__``) so that pickled functions defined there resolve. `run_child` lives in
    this package, so the child needs none of it — and a user's napari script without a
    main guard would be run again in the child. Without ``__spec__`` and ``__file__`` the
    child imports nothing of it, as from a notebook.
    """
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__spec__", "__file__") if k in main.__dict__}
    main.__dict__["__spec__"] = None
    main.__dict__.pop("__file__", None)
    try:
        yield
    finally:
        main.__dict__.pop("__spec__", None)
        main.__dict__.update(saved)


class FitProcess:
    """A fit running in a child process; :meth:`poll` collects what it sent (Qt-free)."""

    def __init__(self, request: FitRequest) -> None:
        ctx = mp.get_context("spawn")
        self.request = request
        self.queue = ctx.Queue()
        self._stop = ctx.Event()
        self._pause = ctx.Event()
        self.process = ctx.Process(target=run_child, args=(request, self.queue, self._stop,
                                                           self._pause), daemon=True,
                                   name="molfield-fit")
        self.finished = False
        self.started = time.perf_counter()

    def start(self) -> FitProcess:
        """Start the child."""
        with _main_hidden():
            self.process.start()
        return self

    @property
    def paused(self) -> bool:
        """Whether the child was asked to pause."""
        return self._pause.is_set()

    @property
    def stopping(self) -> bool:
        """Whether the child was asked to stop (Cancel)."""
        return self._stop.is_set()

    def set_paused(self, paused: bool) -> None:
        """Pause (between two steps) or resume."""
        if paused:
            self._pause.set()
        else:
            self._pause.clear()

    def cancel(self) -> None:
        """Stop after the current step; the child still evaluates and saves the model."""
        self._pause.clear()
        self._stop.set()

    def poll(self, limit: int = 200) -> list[dict[str, Any]]:
        """Messages sent since the last call (non-blocking); an ``error`` message when the
        child died without a word."""
        msgs: list[dict[str, Any]] = []
        while len(msgs) < limit:
            try:
                msgs.append(self.queue.get_nowait())
            except queue_mod.Empty:
                break
        if any(m["kind"] in ("done", "error") for m in msgs):
            self.finished = True
        elif not msgs and not self.finished and not self.process.is_alive() and (
            self.process.exitcode is not None
        ):
            try:  # the last message may still be in the pipe
                msgs.append(self.queue.get(timeout=0.5))
                self.finished = msgs[-1]["kind"] in ("done", "error")
            except queue_mod.Empty:
                self.finished = True
                msgs.append({"kind": "error", "message":
                             f"The fit process ended unexpectedly (exit code "
                             f"{self.process.exitcode})."})
        return msgs

    def close(self, timeout: float = 5.0) -> None:
        """Stop the child (if still running) and release the queue."""
        if self.process.is_alive():
            self.cancel()
            self.process.join(timeout)
        if self.process.is_alive():
            self.process.terminate()
            self.process.join(timeout)
        self.queue.close()
        Path(self.request.checkpoint).unlink(missing_ok=True)


class ChildFitOwner:
    """What a widget that fits in a child process (`FitProcess`) shares: the process, kept
    in a one-item list that `shutdown_slot` closes when Qt destroys the widget."""

    _proc_ref: list[FitProcess | None]

    @property
    def process(self) -> FitProcess | None:
        """The running fit's process (None between fits)."""
        return self._proc_ref[0]

    @process.setter
    def process(self, value: FitProcess | None) -> None:
        self._proc_ref[0] = value


def shutdown_slot(timer: Any, proc_ref: list[FitProcess | None], alive: list[bool]) -> Any:
    """A slot that stops the poll timer and the fit process of a destroyed widget."""

    def slot(*_: Any) -> None:
        alive[0] = False
        try:
            timer.stop()
        except RuntimeError:  # already deleted with the widget
            pass
        if proc_ref[0] is not None:
            proc_ref[0].close(timeout=2.0)
            proc_ref[0] = None

    return slot
