"""The Interpolate widget's atoms: the atoms layer a deformable model's frames move,
recovering a frame's atoms (auto-decoders), saving them, a deformable model's atom frames
as a multi-model PDB, and the path handed to `ValidFrames` — all jobs in workers
(`interpolate_jobs`, `valid_frames`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import MolfieldError
from .. import pending
from ..layers import interpolation_group
from ..session import MODELS
from .common import group_layers, replace_group_layers
from .decode import save_atoms
from .interpolate_jobs import (
    build_interpolator,
    frame_atoms_layer,
    moves_atoms,
    recover_frame,
    write_frames,
)


class InterpolateAtoms:
    """Atoms of the path's frames (a mixin of `InterpolateWidget`, which owns the controls,
    the runners and `_settings`)."""

    model: Any
    t: Any
    frames: Any
    atoms_path: Any
    status: Any
    viewer: Any
    atoms_runner: Any
    recovered: Any
    saved: Path | None
    _interp: Any
    _interp_key: tuple | None

    def _settings(self) -> tuple[Any, list[int], tuple]:  # pragma: no cover - the widget's
        raise NotImplementedError

    def _failed(self, exc: BaseException) -> None:  # pragma: no cover - the widget's
        raise NotImplementedError

    def atoms_layer(self, model_name: str) -> Any:
        """The points layer that follows the slider (None before the first frame)."""
        found = group_layers(self.viewer, interpolation_group(model_name), role="atoms")
        return found[0] if found else None

    def update_atoms(self, coords: Any, model_name: str) -> Any:
        """Move the frame's atoms layer to ``coords`` (Å) in place and return it; made on
        first use, one turn of the event loop after the frame's field (`pending`: each
        new layer costs the window a redraw), and then None is returned."""
        layer = self.atoms_layer(model_name)
        if layer is not None and layer.data.shape == coords.shape:
            layer.data = coords
            return layer
        if layer is not None:
            self.viewer.layers.remove(layer)
        pending.defer(self.viewer, *frame_atoms_layer(
            MODELS.get(model_name), coords, interpolation_group(model_name),
            f"{model_name} interpolation"))
        return None

    def frame_source(self) -> tuple[Any, Any, list[int], int, int, str]:
        """The current path for `ValidFrames`: model, interpolator builder, key items,
        frames, resolution and a label."""
        model, keys, key = self._settings()
        cached = self._interp if key == self._interp_key else None

        def make() -> Any:
            return cached if cached is not None else build_interpolator(model, keys, key)

        label = "path " + " → ".join(str(k) for k in keys)
        return model, make, keys, int(self.frames.value), int(key[-1]), label

    # ------------------------------------------------------------------ atoms

    def recover(self) -> Any:
        """Recover the atoms of the frame at ``t`` on the network (auto-decoders) in a
        worker: one points layer, replaced by the next recovery. Returns the worker."""
        try:
            model, keys, key = self._settings()
        except MolfieldError as exc:
            self.status.value = str(exc)
            return None
        name = self.model.value
        if moves_atoms(model):
            self.status.value = "A deformable model's atoms follow the slider already."
            return None
        t = float(self.t.value)
        cached, group = (self._interp if key == self._interp_key else None,
                         f"recovered:{interpolation_group(name)}")
        self.status.value = f"Recovering the atoms at t = {t:.2f} …"

        def shown(r: tuple[Any, Any]) -> None:
            self.recovered, layer = r
            if name in MODELS:
                replace_group_layers(self.viewer, group, [layer], roles=("atoms",))
            self.status.value = f"t = {t:.2f}: {self.recovered.summary()}"

        return self.atoms_runner.submit(recover_frame, cached, model, keys, key, t, group,
                                        f"{name} interpolation recovered", on_return=shown,
                                        on_error=self._failed)

    def save_atoms(self, path: str | Path | None = None) -> Any:
        """Write the last recovered atoms (suffix: SDF/PDB/MOL/XYZ) in a worker."""
        if self.recovered is None:
            self.status.value = "No atoms yet: press Atoms first."
            return None
        self.saved = None

        def done(out: Path) -> None:
            self.saved, self.status.value = out, f"Atoms → {out}"

        return self.atoms_runner.submit(
            save_atoms, self.recovered, path if path is not None else self.atoms_path.value,
            on_return=done, on_error=self._failed)

    def export_atoms(self, path: str | Path | None = None) -> Any:
        """A deformable model's atoms at ``frames`` even steps of ``t`` as a multi-model
        PDB (in a worker); the file ends up in :attr:`saved`. Returns the worker."""
        try:
            model, keys, key = self._settings()
        except MolfieldError as exc:
            self.status.value = str(exc)
            return None
        path = Path(path if path is not None else self.atoms_path.value)
        if not moves_atoms(model) or path.suffix.lower() != ".pdb":
            self.status.value = ("Atom frames of a deformable model are written as a .pdb "
                                 "file (an auto-decoder: use Atoms, then Save atoms).")
            return None
        n = int(self.frames.value)
        cached = self._interp if key == self._interp_key else None
        self.saved = None
        self.status.value = f"Writing the atoms of {n} frames …"

        def done(out: Path) -> None:
            self.saved, self.status.value = out, f"{n} atom frames → {out}"

        return self.atoms_runner.submit(write_frames, cached, model, keys, key, path, n,
                                        on_return=done, on_error=self._failed)

