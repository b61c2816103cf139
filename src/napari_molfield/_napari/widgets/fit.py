"""The Fit widget: fit a modulated SIREN to molecules in the viewer, live.

The fit runs as a napari ``thread_worker`` generator: the viewer stays responsive, a
curve shows loss and PSNR, a preview layer shows the current decoded field every few
seconds, and Pause/Resume and Cancel leave a model that decodes and saves.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Iterator
from typing import TYPE_CHECKING, Any

from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FloatSpinBox,
    Label,
    LineEdit,
    PushButton,
    Select,
    SpinBox,
)
from napari.utils.notifications import show_info

from ..layers import FieldParams, field_layers
from ..session import MODELS
from ..workers import JobRunner
from .common import (
    group_layers,
    molecule_choices,
    molecule_groups,
    replace_group_layers,
    wrapping_label,
)
from .plot import CurvePlot

if TYPE_CHECKING:
    import napari


def fit_with_previews(
    run: Iterator, preview_every: float, preview_resolution: int
) -> Generator[dict[str, Any], None, Any]:
    """Wrap a `fit` generator: yield ``{"progress", "preview"}`` records (no Qt).

    A low-resolution decode of item 0 is attached every ``preview_every`` seconds (and
    to the last record), computed in the worker thread between two optimiser steps.
    """
    from ...autodecoder.decode import decode

    last_preview = time.perf_counter()
    progress = None
    for progress in run:
        record: dict[str, Any] = {"progress": progress, "preview": None}
        now = time.perf_counter()
        if now - last_preview >= preview_every:
            record["preview"] = decode(progress.model, 0, preview_resolution)
            last_preview = now
        yield record
    if progress is not None:
        yield {"progress": progress, "preview": decode(progress.model, 0, preview_resolution)}
    return progress.model if progress is not None else None


class FitWidget(Container):
    """Fit an auto-decoder to the chosen molecules (every conformer is an item)."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        import torch

        from ...autodecoder.config import PRESETS

        self.viewer = viewer
        self.molecules = Select(label="molecules", choices=self._molecule_choices)
        self.molecules.native.setMaximumHeight(80)
        self.channels = LineEdit(label="channels", value="H,C,N,O,F,P,S,Cl,other")
        self.split = CheckBox(label="split ligand / protein", value=False)
        self.hydrogens = CheckBox(label="add hydrogens", value=False)
        self.preset = ComboBox(label="preset", choices=list(PRESETS), value="cpu")
        self.resolution = SpinBox(label="train resolution", value=32, min=8, max=128, step=4)
        self.steps = SpinBox(label="steps (0 = preset)", value=0, min=0, max=1_000_000, step=100)
        self.time_budget = FloatSpinBox(label="time budget (s)", value=60.0, min=0.0,
                                        max=36_000.0, step=10.0)
        devices = ["auto", "cpu"] + (["cuda"] if torch.cuda.is_available() else [])
        self.device = ComboBox(label="device", choices=devices, value="auto")
        self.preview_every = FloatSpinBox(label="preview every (s)", value=3.0, min=0.5,
                                          max=120.0, step=0.5)
        self.start_button = PushButton(text="Fit")
        self.pause_button = PushButton(text="Pause", enabled=False)
        self.cancel_button = PushButton(text="Cancel", enabled=False)
        buttons = Container(widgets=[self.start_button, self.pause_button,
                                     self.cancel_button], layout="horizontal", labels=False)
        self.status = wrapping_label(Label(value=""))
        self.plot = CurvePlot(viewer)
        super().__init__(widgets=[
            self.molecules, self.channels, self.split, self.hydrogens, self.preset,
            self.resolution, self.steps, self.time_budget, self.device, self.preview_every,
            buttons, self.status,
        ])
        self.native.layout().addWidget(self.plot.canvas)
        self.runner = JobRunner()
        self.model = None
        self.model_name: str | None = None
        self._group: str | None = None
        self._paused = False
        self.start_button.changed.connect(self.start)
        self.pause_button.changed.connect(self.toggle_pause)
        self.cancel_button.changed.connect(self.cancel)
        viewer.layers.events.inserted.connect(self._refresh)
        viewer.layers.events.removed.connect(self._refresh)
        self._refresh()

    # -- choices ---------------------------------------------------------------------
    def _molecule_choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        return molecule_choices(self.viewer)

    def _refresh(self, _event: Any = None) -> None:
        self.molecules.reset_choices()
        if not self.molecules.value and self.molecules.choices:
            self.molecules.value = [self.molecules.choices[-1]]
            fields = group_layers(self.viewer, self.molecules.choices[-1], "field")
            if fields:
                params = fields[0].metadata["molfield"]["params"]
                self.channels.value = params.channels
                self.split.value = params.split

    # -- running ---------------------------------------------------------------------
    def start(self) -> Any:
        """Start a fit in a worker (refused with a message while one runs)."""
        if self.runner.running:
            self.status.value = "A fit is running: cancel it before starting another."
            show_info(self.status.value)
            return None
        groups = list(self.molecules.value)
        if not groups:
            self.status.value = "Open a molecule first (File ▸ Open or Open Sample)."
            return None
        from ...autodecoder.fit import fit

        atoms = molecule_groups(self.viewer)
        mols = [atoms[g].metadata["molfield"]["molecule"] for g in groups if g in atoms]
        if not mols:
            self.status.value = "The chosen molecules are no longer in the viewer."
            return None
        settings = dict(
            channels=self.channels.value,
            split=bool(self.split.value),
            add_hydrogens=bool(self.hydrogens.value),
            preset=self.preset.value,
            resolution=int(self.resolution.value),
            steps=int(self.steps.value) or None,
            time_budget=float(self.time_budget.value) or None,
            device=self.device.value,
        )
        every = float(self.preview_every.value)

        def job() -> Generator[dict[str, Any], None, Any]:
            # settings are checked (and hydrogens added) inside the worker, off the Qt thread
            return (yield from fit_with_previews(fit(mols, **settings), every, 24))

        self._group = groups[0]
        self.model = None
        self.model_name = None
        self.plot.clear()
        self._paused = False
        self.pause_button.text = "Pause"
        self._set_running(True)
        self.status.value = f"Fitting {sum(m.n_conformers for m in mols)} item(s) …"
        return self.runner.start(
            job, on_yield=self._on_record, on_finish=self._on_finish,
            progress={"desc": "Fitting neural field"},
        )

    def toggle_pause(self) -> None:
        """Pause or resume the running fit (between two steps)."""
        worker = self.runner.worker
        if worker is None or not self.runner.running:
            return
        worker.toggle_pause()
        self._paused = not self._paused
        self.pause_button.text = "Resume" if self._paused else "Pause"
        self.status.value = "Paused." if self._paused else "Fitting …"

    def cancel(self) -> None:
        """Stop the fit after the current step; the model so far is kept."""
        if self.runner.running:
            if self._paused:
                self.toggle_pause()
            self.runner.cancel()
            self.status.value = "Cancelling …"

    def _set_running(self, running: bool) -> None:
        self.start_button.enabled = not running
        self.pause_button.enabled = running
        self.cancel_button.enabled = running

    def _on_record(self, record: dict[str, Any]) -> None:
        p = record["progress"]
        self.model = p.model
        self.plot.add(p.step, p.loss, p.psnr if p.evaluated else None)
        psnr = f", PSNR {p.psnr:.1f} dB" if p.psnr is not None else ""
        self.status.value = f"step {p.step}/{p.steps}, loss {p.loss:.2e}{psnr}, {p.elapsed:.0f} s"
        if record["preview"] is not None:
            self._show_preview(record["preview"])

    def _show_preview(self, field: Any) -> None:
        group = f"fit-preview:{self._group}"
        params = FieldParams(resolution=field.resolution[0], channels=",".join(field.channels))
        layers = field_layers([field], None, params, group, name="fit preview", role="preview")
        replace_group_layers(self.viewer, group, layers, roles=("preview",))

    def _on_finish(self) -> None:
        self._set_running(False)
        self.plot.flush()
        if self.model is None:
            return
        atoms = molecule_groups(self.viewer).get(self._group)
        base = atoms.metadata["molfield"]["molecule"].name if atoms is not None else "model"
        self.model_name = MODELS.add(self.model, f"{base} fit")
        last = self.model.history[-1] if self.model.history else None
        psnr = f"{last['psnr']:.1f} dB" if last and last.get("psnr") is not None else "n/a"
        self.status.value = f"Done: model {self.model_name!r}, PSNR {psnr} at train resolution."
