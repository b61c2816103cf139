"""Controls that say which frames of a path give a valid RDKit molecule and save them as
SDF (one record a frame): part of the Interpolate and Latent map widgets. The jobs are
`napari_molfield._napari.valid_frames` (Qt-free, in a worker)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from pathlib import Path
from typing import Any

from magicgui.widgets import FileEdit, Label, PushButton

from ...errors import MolfieldError
from ..valid_frames import FrameCheck, check_frames, save_valid
from ..workers import JobRunner
from .common import wrapping_label

#: Grid on which each frame's atoms are first located (then refined on the network).
ATOMS_RESOLUTION = 48
#: What a host hands over: model, a function building the path's interpolator (called in
#: the worker), the key items, the number of frames, the resolution and a label.
Source = tuple[Any, Callable[[], Any], list[int], int, int, str]


def run_check(model: Any, make_interp: Callable[[], Any], items: list[int], n_frames: int,
              resolution: int, label: str) -> Generator[tuple[int, int], None, FrameCheck]:
    """Build the interpolator, then `check_frames` (a worker generator)."""
    interp = make_interp()
    return (yield from check_frames(model, interp, items, n_frames, resolution, label))


class ValidFrames:
    """"Check frames (RDKit)" and "Save valid frames" with their file and status line.

    ``source()`` returns the host's current path (`Source`) or raises `MolfieldError`
    with what is missing. `widgets` go into the host's container.
    """

    def __init__(self, source: Callable[[], Source]) -> None:
        self.source = source
        self.check_button = PushButton(text="Check frames (valid RDKit molecules)")
        self.check_button.tooltip = ("Recover the atoms of every frame (as molfield "
                                     "interpolate --atoms) and list the frames RDKit sanitizes")
        self.path = FileEdit(label="valid frames", mode="w", filter="*.sdf",
                             value="valid_frames.sdf")
        self.save_button = PushButton(text="Save valid frames (SDF)")
        self.status = wrapping_label(Label(value=""), lines=3)
        self.widgets = [self.check_button, self.path, self.save_button, self.status]
        self.runner = JobRunner()
        self.last: FrameCheck | None = None
        self.saved: Path | None = None
        self.check_button.changed.connect(lambda _=None: self.check())
        self.save_button.changed.connect(lambda _=None: self.save())

    def check(self) -> Any:
        """Recover every frame's atoms in a worker; the summary ends up in the status."""
        try:
            model, make_interp, items, n, resolution, label = self.source()
        except MolfieldError as exc:
            self.status.value = str(exc)
            return None
        self.last = None
        self.status.value = f"Checking {n} frames …"

        def step(p: tuple[int, int]) -> None:
            self.status.value = f"Checking frames: {p[0]} of {p[1]} …"

        def done(check: FrameCheck) -> None:
            self.last = check
            self.status.value = check.summary()

        return self.runner.start(run_check, model, make_interp, items, n,
                                 min(resolution, ATOMS_RESOLUTION), label, on_yield=step,
                                 on_return=done, on_error=self._failed)

    def save(self, path: str | Path | None = None) -> Any:
        """Write the valid frames of the last check (one SDF record a frame) in a worker."""
        if self.last is None:
            self.status.value = "Check the frames first."
            return None
        self.saved = None
        check = self.last

        def done(out: Path) -> None:
            self.saved = out
            self.status.value = f"{len(check.valid)} valid frames → {out}"

        return self.runner.start(save_valid, check,
                                 path if path is not None else self.path.value,
                                 on_return=done, on_error=self._failed)

    def _failed(self, exc: BaseException) -> None:
        self.status.value = f"Failed: {exc}"
