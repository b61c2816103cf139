"""The Fit widget: fit a neural field to molecules in the viewer, live.

The model kind is chosen as ``molfield fit`` and `models.fit` choose it (``auto``: a
deformable model for an ensemble of the same atoms, else the modulated SIREN
auto-decoder; ``siren`` or ``deform`` to insist).

The fit runs in a separate process (`fit_process.FitProcess`), so neither its GIL nor
its cores' work freezes the viewer. A 100 ms timer collects what the child sends: the
curve gets every step's loss and each PSNR evaluation, a low-resolution preview is drawn
every few seconds — by default as three projections in the dock (`preview.ProjectionPreview`:
no canvas redraw, which on software OpenGL costs seconds and the fit's cores), or replacing
the same volume layers — and the status line says where the fit is. Pause,
Resume and Cancel act between two steps; a cancelled fit keeps its model (evaluated and
handed back by the child) and says so, with the PSNR of that last evaluation next to the
zero-field baseline and the occupied-channel PSNR.
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
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
from napari.utils.notifications import show_error, show_info

from ...errors import MolfieldError
from ...fields.metrics import FieldReport
from ...logs import get_logger
from ..display import display_mode
from ..fit_process import ChildFitOwner, FitProcess, FitRequest, shutdown_slot
from ..layers import FieldParams, field_layers
from ..ligands import ligand_choices
from ..session import MODELS
from ..workers import JobRunner
from .common import (
    ScrollingDock,
    enable_scale_bar,
    import_later,
    molecule_choices,
    molecule_groups,
    replace_group_layers,
    show_result,
    wrapping_label,
)
from .fit_trajectory import TrajectoryInputs, load_with_first_frame
from .plot import CurvePlot
from .preview import ProjectionPreview

if TYPE_CHECKING:
    import napari

log = get_logger(__name__)

#: Milliseconds between two looks at the fit process's messages.
POLL_MS = 100
#: Resolution of the live previews (small: they are redrawn while the fit runs).
PREVIEW_RESOLUTION = 24
#: What the widget imports in a worker before it builds its presets and curve.
HEAVY_IMPORTS = ("napari_molfield.autodecoder.config", "matplotlib.figure",
                 "matplotlib.backends.backend_qtagg")
#: Where the live preview goes (see the module docs).
PREVIEW_MODES = ("dock", "layers", "off")


class FitWidget(ChildFitOwner, ScrollingDock, Container):
    """Fit the chosen molecules (every conformer is an item) with the model kind they call
    for."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        from qtpy.QtCore import QTimer

        from ...fields.channels import DEFAULT_CHANNELS
        from ...models import MODEL_CHOICES

        self.viewer = viewer
        self.molecules = Select(label="molecules", choices=self._molecule_choices)
        self.molecules.native.setMaximumHeight(80)
        self.ligand = ComboBox(label="ligand", choices=self._ligand_choices)
        self.ligand.tooltip = "The hetero residue(s) that form the ligand of a complex"
        self.channels = LineEdit(label="channels", value=",".join(DEFAULT_CHANNELS))
        self.channels.tooltip = "The channels to fit (default: those of molfield fit)"
        self.split = CheckBox(label="split ligand / protein", value=False)
        self.hydrogens = CheckBox(label="add hydrogens", value=False)
        self.kind = ComboBox(label="model", choices=list(MODEL_CHOICES), value="auto")
        self.kind.tooltip = ("auto: deformable for conformers of the same atoms (NMR models, "
                             "MD frames), else siren; siren: modulated SIREN auto-decoder; "
                             "deform: template + displacement field")
        # the presets' names come with torch: loaded in a worker (`_build`)
        self.preset = ComboBox(label="preset", choices=["cpu"], value="cpu")
        self.resolution = SpinBox(label="train resolution", value=32, min=8, max=128, step=4)
        self.steps = SpinBox(label="steps (0 = preset)", value=0, min=0, max=1_000_000, step=100)
        self.time_budget = FloatSpinBox(label="time budget (s)", value=60.0, min=0.0,
                                        max=36_000.0, step=10.0)
        # no torch here: a CUDA device that is missing is reported when the fit starts
        self.device = ComboBox(label="device", choices=["auto", "cpu", "cuda"], value="auto")
        self.preview = ComboBox(label="live preview", choices=list(PREVIEW_MODES),
                                value="dock")
        self.preview.tooltip = ("dock: projections drawn in this panel (no viewer redraw); "
                                "layers: volume layers in the viewer, replaced each time "
                                "(slow on software OpenGL); off")
        self.preview_every = FloatSpinBox(label="preview every (s)", value=3.0, min=0.5,
                                          max=120.0, step=0.5)
        self.traj = TrajectoryInputs()
        self.start_button = PushButton(text="Fit")
        self.pause_button = PushButton(text="Pause", enabled=False)
        self.cancel_button = PushButton(text="Cancel", enabled=False)
        buttons = Container(widgets=[self.start_button, self.pause_button,
                                     self.cancel_button], layout="horizontal", labels=False)
        self.status = wrapping_label(Label(value=""), lines=5)
        self.plot: CurvePlot | None = None  # matplotlib: built once imported (`_build`)
        super().__init__(widgets=[
            self.molecules, self.ligand, self.kind, self.channels, self.split, self.hydrogens,
            self.preset, self.resolution, self.steps, self.time_budget, self.device,
            self.preview, self.preview_every, self.traj, buttons, self.status,
        ], scrollable=True)
        self.projection = ProjectionPreview()
        self.inner.layout().addWidget(self.projection.label)
        self.pack_top()
        self.builder = JobRunner()
        import_later(self.builder, HEAVY_IMPORTS, self._build)
        self.loader = JobRunner()
        self.model = None
        self.model_name: str | None = None
        self.report: FieldReport | None = None
        self.last_psnr: float | None = None
        self.zero: float | None = None
        self.step = 0
        self._group: str | None = None
        self._traj = False
        self._last: dict[str, Any] | None = None
        self.timer = QTimer(self.native)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self.start_button.changed.connect(self.start)
        self.pause_button.changed.connect(self.toggle_pause)
        self.cancel_button.changed.connect(self.cancel)
        self.molecules.changed.connect(lambda _=None: self.ligand.reset_choices())
        viewer.layers.events.inserted.connect(self._refresh)
        viewer.layers.events.removed.connect(self._refresh)
        # a closure, not a method: the widget's Python side may be gone when Qt destroys it
        self._proc_ref: list[FitProcess | None] = [None]
        self._alive = [True]  # False once Qt deleted the dock: a late `_build` does nothing
        self.native.destroyed.connect(shutdown_slot(self.timer, self._proc_ref, self._alive))
        enable_scale_bar(viewer)
        self._refresh()

    def _build(self) -> None:
        """The parts that need torch (the presets) and matplotlib (the curve), once their
        imports are done (in a worker); at the latest when a fit starts."""
        if self.plot is not None or not self._alive[0]:
            return
        from ...autodecoder.config import PRESETS

        value = self.preset.value
        self.preset.choices = list(PRESETS)
        self.preset.value = value
        self.plot = CurvePlot(self.viewer)
        layout = self.inner.layout()
        layout.insertWidget(layout.indexOf(self.projection.label) + 1, self.plot.canvas)

    @property
    def ready(self) -> bool:
        """Whether the presets and the curve are built (see `_build`)."""
        return self.plot is not None

    # -- choices ---------------------------------------------------------------------
    def _molecule_choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        return molecule_choices(self.viewer)

    def _first_molecule(self) -> Any:
        groups = list(self.molecules.value or [])
        atoms = molecule_groups(self.viewer)
        return atoms[groups[0]].metadata["molfield"]["molecule"] if groups and (
            groups[0] in atoms) else None

    def _ligand_choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        return ligand_choices(self._first_molecule())

    def _refresh(self, _event: Any = None) -> None:
        self.molecules.reset_choices()
        if not self.molecules.value and self.molecules.choices:
            # the newest molecule; the channels stay the CLI's default (`molfield fit`), not
            # the display channels of its layers (a complex's ligand:all is for the eye)
            self.molecules.value = [self.molecules.choices[-1]]
        self.ligand.reset_choices()

    # -- state -----------------------------------------------------------------------
    @property
    def running(self) -> bool:
        """Whether a fit (or the loading of its model) is in progress."""
        return self.process is not None or self.loader.running

    @property
    def idle(self) -> bool:
        """Whether no fit is in progress (its model, if any, is in the session)."""
        return not self.running

    # -- running ---------------------------------------------------------------------
    def start(self) -> FitProcess | None:
        """Start a fit in a child process (refused with a message while one runs)."""
        if self.running:
            self.status.value = "A fit is running: cancel it before starting another."
            show_info(self.status.value)
            return None
        groups = list(self.molecules.value)
        try:
            traj = self.traj.request()
        except MolfieldError as exc:
            self.status.value = str(exc)
            return None
        if not groups and traj is None:
            self.status.value = "Open a molecule first (File ▸ Open or Open Sample)."
            return None
        atoms = molecule_groups(self.viewer)
        mols = [atoms[g].metadata["molfield"]["molecule"] for g in groups if g in atoms]
        if not mols and traj is None:
            self.status.value = "The chosen molecules are no longer in the viewer."
            return None
        settings = dict(
            model=self.kind.value,
            channels=self.channels.value,
            split=bool(self.split.value),
            add_hydrogens=bool(self.hydrogens.value),
            preset=self.preset.value,
            resolution=int(self.resolution.value),
            steps=int(self.steps.value) or None,
            time_budget=float(self.time_budget.value) or None,
            device=self.device.value,
        )
        on = self.preview.value != "off"
        every = float(self.preview_every.value) if on else float("inf")
        ckpt = Path(tempfile.gettempdir()) / f"molfield-fit-{uuid.uuid4().hex}.safetensors"
        if traj is not None:  # the frames of one trajectory, as `molfield fit --trajectory`
            mols, groups = [], [self.traj.stem()]
            display_mode()  # its first frame's layers are built in a worker: decide here
            self.viewer.dims.ndisplay = 3
            settings.update(model="deform", decoder="atoms", preset="atoms")
            if self.traj.holdout.value:
                settings["holdout"] = int(self.traj.holdout.value)
        request = FitRequest(mols, settings, str(ckpt), every, PREVIEW_RESOLUTION,
                             ligand=self.ligand.value if traj is None else "",
                             extra={"trajectory": traj})
        self._build()
        assert self.plot is not None
        self._group, self._traj = groups[0], traj is not None
        self.model = self.report = self.last_psnr = self.zero = self.model_name = None
        self.step = 0
        self.plot.clear()
        self.projection.clear()
        self.pause_button.text = "Pause"
        self._set_running(True)
        n = sum(m.n_conformers for m in mols)
        self.status.value = (f"Starting a fit of {n} item(s) …" if traj is None else
                             f"Reading {groups[0]} and starting its fit …")
        self.process = FitProcess(request).start()
        self.timer.start()
        return self.process

    def toggle_pause(self) -> None:
        """Pause or resume the running fit (between two steps)."""
        if self.process is None:
            return
        paused = not self.process.paused
        self.process.set_paused(paused)
        self.pause_button.text = "Resume" if paused else "Pause"
        self.status.value = "Paused." if paused else "Fitting …"

    def cancel(self) -> None:
        """Stop the fit after the current step; the model so far is kept."""
        if self.process is not None:
            self.process.cancel()
            self.pause_button.text = "Pause"
            self.status.value = "Cancelling (the model so far is kept) …"

    def _set_running(self, running: bool) -> None:
        self.start_button.enabled = not running
        self.pause_button.enabled = running
        self.cancel_button.enabled = running

    # -- messages from the child -----------------------------------------------------
    def poll(self) -> None:
        """Handle what the fit process sent since the last tick (Qt thread, cheap)."""
        if self.process is None:
            self.timer.stop()
            return
        msgs = self.process.poll()
        progress = [m for m in msgs if m["kind"] == "progress"]
        for m in progress:
            assert self.plot is not None
            for step, loss in m["losses"]:
                self.plot.add(step, loss, None, draw=False)
            for step, value in m["evals"]:
                self.plot.add(step, float("nan"), value, draw=False)
                self.last_psnr = value
        for m in msgs:
            if m["kind"] == "baseline":
                self.zero = m["zero"]
        if progress and self.plot is not None:
            self.plot.redraw()
            self._show_progress(progress[-1])
        previews = [m for m in msgs if m["kind"] == "preview"]
        if previews:
            self._show_preview(previews[-1])
        for m in msgs:
            if m["kind"] == "done":
                self._on_done(m)
            elif m["kind"] == "error":
                log.error("the fit process failed: %s\n%s", m["message"],
                          m.get("traceback", ""))
                self._on_error(m["message"])

    def _show_progress(self, m: dict[str, Any]) -> None:
        self.step = m["step"]
        if self.process is not None and (self.process.paused or self.process.stopping):
            return  # keep "Paused." / "Cancelling …"
        psnr = ""
        if self.last_psnr is not None:
            zero = f" (zero field {self.zero:.1f} dB)" if self.zero is not None else ""
            psnr = f", PSNR {self.last_psnr:.1f} dB{zero}"
        loss = f", loss {m['loss']:.2e}" if m["loss"] == m["loss"] else ""
        of = f"/{m['steps']}" if m["steps"] else ""  # None: the time budget ends it
        self.status.value = (f"{m.get('label', '')}step {m['step']}{of}{loss}{psnr}, "
                             f"{m['elapsed']:.0f} s")

    def _show_preview(self, m: dict[str, Any]) -> None:
        if self.preview.value == "dock":
            self.projection.show(m["values"], m["channels"], m["peaks"])
            return
        if self.preview.value != "layers":
            return
        from ...fields.field import Field

        field = Field(m["values"], m["origin"], m["spacing"], m["channels"])
        group = f"fit-preview:{self._group}"
        params = FieldParams(resolution=field.resolution[0], channels=",".join(m["channels"]))
        layers = field_layers([field], None, params, group, name="fit preview", role="preview",
                              peaks=m["peaks"])
        replace_group_layers(self.viewer, group, layers, roles=("preview",))

    def _on_done(self, m: dict[str, Any]) -> None:
        from ...models import load as load_model

        if self.plot is not None:
            self.plot.flush()
        self.report = FieldReport.from_dict(m["report"])
        self._last = m
        self.timer.stop()
        self.status.value = ("Cancelled: loading the model so far …" if m["cancelled"]
                             else "Done: loading the model …")
        # torch and the checkpoint load in a thread; the child is released afterwards
        job = (load_model, m["path"]) if not self._traj else (
            load_with_first_frame, m["path"], f"fit:{self._group}")
        self.loader.start(*job, on_return=self._on_model,
                          on_error=lambda exc: self._on_error(str(exc)),
                          on_finish=self._release)

    def _release(self) -> None:
        if self.process is not None:
            self.process.close(timeout=2.0)
            self.process = None
        self._set_running(False)

    def _on_model(self, model: Any) -> None:
        m, layers = self._last or {}, None
        if isinstance(model, tuple):  # a trajectory's model and its first frame
            model, layers = model
            show_result(self.viewer, replace_group_layers(self.viewer, f"fit:{self._group}",
                                                          layers, roles=("decoded",)))
        self.model = model
        atoms = molecule_groups(self.viewer).get(self._group)
        base = (atoms.metadata["molfield"]["molecule"].name if atoms is not None
                else self._group or "model")
        self.model_name = MODELS.add(model, f"{base} fit")
        assert self.report is not None
        what = (f"Cancelled at step {m.get('step')}" if m.get("cancelled")
                else f"Done: {m.get('step')} steps")
        items = m["report"].get("items", 1)
        on = "item 0" if items == 1 else f"mean of {items} items"
        self.status.value = (f"{what} in {m.get('elapsed', 0):.0f} s, model "
                             f"{self.model_name!r}: {self.report.text()} at the train "
                             f"resolution ({on}).")

    def _on_error(self, message: str) -> None:
        self.timer.stop()
        self.status.value = f"Failed: {message}"
        show_error(message)
        self._release()
