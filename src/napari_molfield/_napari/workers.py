"""A small helper around napari's ``thread_worker``: one job at a time per owner.

``JobRunner.start`` cancels (quits) the running job, numbers the new one and drops the
results of any job that is no longer the latest, so a slow, stale result can never
overwrite a newer one. ``quit()`` cannot stop a plain function, so ``JobRunner.submit``
never runs two jobs at once: a request made while one runs waits (replacing any older
waiting request) and starts when the running job ends. Errors reach the user as napari
notifications.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

from napari.qt.threading import FunctionWorker, GeneratorWorker, create_worker
from napari.utils.notifications import show_error

from ..errors import MolfieldError
from ..logs import configure, get_logger, log_exception

log = get_logger(__name__)
configure()  # a debug-log file when MOLFIELD_LOG names one


def notify_error(exc: BaseException) -> None:
    """Show an exception as one readable notification (no traceback for user errors); the
    traceback goes to the debug log (`napari_molfield.logs`)."""
    log_exception(log, exc, "a background job failed")
    if isinstance(exc, MolfieldError):
        show_error(str(exc))
    else:
        show_error(f"{type(exc).__name__}: {exc}")


class JobRunner:
    """Runs one background job at a time and keeps only the latest job's results."""

    def __init__(self, at_once: bool = False) -> None:
        """``at_once``: jobs start in this turn of the event loop (`start_now`), where a
        latency matters (a dragged slider's frames) more than sharing the cores with the
        redraw the last result asked for."""
        self.at_once = at_once
        self.worker: FunctionWorker | GeneratorWorker | None = None
        self._job = 0
        self._finished = 0
        self._pending: tuple[Callable[..., Any], tuple, dict] | None = None

    @property
    def idle(self) -> bool:
        """Whether the latest job has finished (its callbacks have run) and every layer a
        result queued (`pending`) is in the viewer."""
        from . import pending

        return self._finished == self._job and not pending.busy()

    @property
    def running(self) -> bool:
        """Whether the latest job was started and has not finished yet."""
        return self._finished != self._job

    @property
    def pending(self) -> bool:
        """Whether a submitted job waits for the running one to end."""
        return self._pending is not None

    def submit(
        self, func: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> FunctionWorker | GeneratorWorker | None:
        """`start` when idle; else remember this request (dropping an older waiting one)
        and start it when the running job ends. Returns the worker, or None when queued."""
        if self.running:
            self._pending = (func, args, kwargs)
            return None
        return self.start(func, *args, **kwargs)

    def cancel(self) -> None:
        """Ask the running job to stop (generator jobs stop at their next yield)."""
        if self.worker is not None:
            self.worker.quit()

    def start(
        self,
        func: Callable[..., Any] | Callable[..., Generator],
        *args: Any,
        on_return: Callable[[Any], None] | None = None,
        on_yield: Callable[[Any], None] | None = None,
        on_finish: Callable[[], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        progress: dict | None = None,
        **kwargs: Any,
    ) -> FunctionWorker | GeneratorWorker:
        """Start ``func(*args, **kwargs)`` in a thread; a running job is cancelled first.

        Callbacks run on the Qt thread and only for the latest job. Errors are always shown
        as a notification; ``on_error`` may add to that (e.g. a status line).

        ``progress`` shows napari's progress bar: pass it only for long jobs (a movie, a map
        fit). The bar resizes the canvas by a pixel as it appears and goes, and each resize
        redraws every visible volume — seconds on software OpenGL; short jobs say what they
        do on their widget's status line instead.
        """
        self.cancel()
        self._job += 1
        job = self._job

        def latest(cb: Callable[..., None] | None) -> Callable[..., None]:
            def call(*a: Any) -> None:
                if cb is not None and job == self._job:
                    cb(*a)

            return call

        worker = create_worker(func, *args, _progress=progress, _ignore_errors=True, **kwargs)
        worker.returned.connect(latest(on_return))
        if isinstance(worker, GeneratorWorker):
            worker.yielded.connect(latest(on_yield))
        worker.errored.connect(latest(notify_error))
        if on_error is not None:
            worker.errored.connect(latest(on_error))

        def finished() -> None:
            # one slot, in this order: ``on_finish`` sees the job finished (and may start
            # the next one); two slots are two queued calls, with other events between
            self._finished = max(self._finished, job)
            if on_finish is not None and job == self._job:
                on_finish()
            if not self.running and self._pending is not None:
                func_, args_, kwargs_ = self._pending
                self._pending = None
                self.start(func_, *args_, **kwargs_)

        worker.finished.connect(finished)
        self.worker = worker
        if self.at_once:
            start_now(worker)
        else:
            worker.start()  # from a timer, after the pending redraw
        return worker


#: Workers started by `start_now` and not finished (the thread pool holds no reference).
_LIVE: set[Any] = set()


def start_now(worker: FunctionWorker | GeneratorWorker) -> None:
    """Hand ``worker`` (every signal already connected) to Qt's thread pool now.

    ``worker.start()`` on the Qt thread starts it from a 1 ms timer, and Qt runs a pending
    redraw before timers: on software OpenGL every job would wait for the redraw its last
    result asked for (~0.1 s a frame while the Interpolate slider is dragged). This is
    what ``start()`` does in a thread without an event loop.
    """
    from qtpy.QtCore import QThreadPool

    _LIVE.add(worker)
    worker.finished.connect(lambda: _LIVE.discard(worker))
    QThreadPool.globalInstance().start(worker)
