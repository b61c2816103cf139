"""Which frames of a latent path give a valid RDKit molecule (Qt-free jobs of the
Interpolate and Latent map widgets).

The atoms of each frame are recovered as ``molfield interpolate --atoms`` recovers them:
`models.atoms` at the frame's latent, in the frame of the nearest key item (the auto-
decoder's known scales; an auto-encoder latent's estimated ones); a frame is valid when
RDKit sanitizes its molecule (`RecoveredAtoms.valid`). The valid frames are written one
SDF record a frame (`atoms.write_atoms`).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError


@dataclass
class FrameCheck:
    """The recovered atoms of every frame of a path, and which of them are valid."""

    label: str
    times: np.ndarray
    results: list[Any]

    @property
    def valid(self) -> list[int]:
        """Indices of the frames whose atoms RDKit sanitizes."""
        return [f for f, r in enumerate(self.results) if r.valid]

    def summary(self) -> str:
        """``"3 of 10 frames give a valid RDKit molecule: 0 (t = 0.00), …"``."""
        ok, n = self.valid, len(self.results)
        head = f"{len(ok)} of {n} frames of the {self.label} give a valid RDKit molecule"
        if not ok:
            return head + "."
        shown = ", ".join(f"{f} (t = {self.times[f]:.2f})" for f in ok[:8])
        more = f" and {len(ok) - 8} more" if len(ok) > 8 else ""
        return f"{head}: {shown}{more}."


def nearest_item(items: Sequence[int], t: float) -> int:
    """The key item nearest ``t`` on a path through ``items`` (0 without items)."""
    if not items:
        return 0
    return int(items[round(min(max(t, 0.0), 1.0) * (len(items) - 1))])


def check_frames(model: Any, interp: Any, items: Sequence[int], n_frames: int,
                 resolution: int, label: str = "path"
                 ) -> Generator[tuple[int, int], None, FrameCheck]:
    """Recover the atoms of ``n_frames`` even frames of ``interp`` (a worker generator
    yielding ``(done, n_frames)``); returns the `FrameCheck`."""
    from ..interpolation.paths import frame_times
    from ..models import atoms

    times = frame_times(int(n_frames))
    results = []
    for f, t in enumerate(times):
        t = float(t)
        results.append(atoms(model, nearest_item(items, t), int(resolution),
                             latent=interp.latent(t)))
        yield f + 1, len(times)
    return FrameCheck(label, np.asarray(times, float), results)


def save_valid(check: FrameCheck, path: str | Path) -> Path:
    """Write the valid frames' molecules, one SDF record a frame (a worker's job).

    Raises
    ------
    MolfieldError
        When no frame is valid or the file cannot be written.
    """
    path = Path(path)
    if path.suffix.lower() != ".sdf":
        raise MolfieldError(f"{path.name}: valid frames are written as an .sdf file.")
    if not check.valid:
        raise MolfieldError(f"No frame of the {check.label} gives a valid RDKit molecule: "
                            "nothing to write.")
    from ..atoms import write_atoms

    return write_atoms([check.results[f] for f in check.valid], path)
