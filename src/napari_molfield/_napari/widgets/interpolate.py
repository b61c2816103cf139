"""The Interpolate widget: slide (or play) through a latent path and export it as a movie.

Each slider move decodes one frame in a worker and updates the same image layers in
place; a movie export decodes and encodes in workers too (only the screenshots are taken
on the Qt thread). Only one decode runs at a time; while it runs, newer requests replace each other
and only the latest is decoded next, so dragging stays fluid and nothing stale is shown.
While the slider is held, frames are decoded at `SCRUB_RESOLUTION` (a preview that keeps
up with the mouse); on release the frame where it rests is decoded at full resolution.

A deformable model's frames come with their atoms: one points layer follows the slider
(moved in place), "Export atoms" writes a multi-model PDB. For an auto-decoder, "Atoms"
recovers the frame's atoms on the network; "Save atoms" writes them. All in workers.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from magicgui.widgets import (
    ComboBox,
    Container,
    FileEdit,
    FloatSlider,
    Label,
    LineEdit,
    PushButton,
    SpinBox,
)

from ...errors import MolfieldError
from ..display import display_mode
from ..layers import INTERPOLATED_ROLE, interpolation_group, interpolation_layers, path_peaks
from ..session import MODELS
from ..workers import JobRunner
from .common import (
    ScrollingDock,
    enable_scale_bar,
    group_layers,
    replace_group_layers,
    show_result,
    update_group_layers,
    wrapping_label,
)
from .interpolate_atoms import InterpolateAtoms
from .interpolate_jobs import (
    build_interpolator,
    decode_frame,
    export_frames,
    frame_label,
    moves_atoms,
    parse_items,
)
from .valid_frames import ValidFrames

#: Resolution of the frames shown while the slider is dragged (the full one on release).
SCRUB_RESOLUTION = 20

if TYPE_CHECKING:
    import napari

    from ...fields.field import Field
    from ...interpolation.base import LatentPath


class InterpolateWidget(ScrollingDock, InterpolateAtoms, Container):
    """Interpolate between items of a session model: slider, play, GIF/MP4 export."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self.viewer = viewer
        self.model = ComboBox(label="model", choices=lambda _w=None: MODELS.names())
        self.start = ComboBox(label="start", choices=self._item_choices)
        self.end = ComboBox(label="end", choices=self._item_choices)
        self.via = LineEdit(label="via items", value="")
        self.via.tooltip = "Items passed on the way, in order, e.g. 2, 3, 4 (empty: none)"
        self.mode = ComboBox(label="interpolation",
                             choices=[("linear", "linear"), ("spherical", "slerp")])
        self.resolution = SpinBox(label="resolution", value=48, min=8, max=256, step=8)
        self.t = FloatSlider(label="t", value=0.0, min=0.0, max=1.0, step=0.01)
        self.frames = SpinBox(label="frames", value=30, min=2, max=1000)
        self.fps = SpinBox(label="frames / s", value=12, min=1, max=60)
        self.play_button = PushButton(text="Play")
        self.path = FileEdit(label="movie", mode="w", filter="*.gif *.mp4",
                             value="interpolation.gif")
        self.export_button = PushButton(text="Export movie")
        self.atoms_button = PushButton(text="Atoms")
        self.atoms_path = FileEdit(label="atoms file", mode="w",
                                   filter="*.pdb *.sdf *.mol *.xyz", value="atoms.pdb")
        self.save_atoms_button = PushButton(text="Save atoms…")
        self.export_atoms_button = PushButton(text="Export atoms (multi-model PDB)")
        self.status = wrapping_label(Label(value=""))
        self.valid = ValidFrames(self.frame_source)  # which frames are molecules
        super().__init__(widgets=[
            self.model, self.start, self.end, self.via, self.mode, self.resolution, self.t,
            self.frames, self.fps, self.play_button, self.path, self.export_button,
            self.atoms_button, self.atoms_path, self.save_atoms_button,
            self.export_atoms_button, *self.valid.widgets, self.status,
        ], scrollable=True)
        self.pack_top()
        from qtpy.QtCore import QTimer

        self.timer = QTimer(self.native)
        self.timer.timeout.connect(self._tick)
        self.runner = JobRunner(at_once=True)  # a frame decodes while the last is drawn
        self.exporter = JobRunner()
        self.atoms_runner = JobRunner()
        self.exported: Path | None = None
        self.recovered: Any = None  # the last recovered atoms
        self.saved: Path | None = None  # the last atoms file written
        self.frame_ms: float | None = None
        self._interp: LatentPath | None = None
        self._interp_key: tuple | None = None
        self._pending: float | None = None
        self._scrub: tuple[tuple, LatentPath] | None = None  # the dragged slider's path
        self.dragging = False
        from qtpy.QtWidgets import QSlider

        slider = self.t.native.findChild(QSlider)
        if slider is not None:  # magicgui's slider: a QSlider beside its read-out
            slider.sliderPressed.connect(lambda: self._drag(True))
            slider.sliderReleased.connect(lambda: self._drag(False))
        self._exporting = False
        self.t.changed.connect(self.request)
        self.play_button.changed.connect(self.toggle_play)
        self.export_button.changed.connect(lambda _=None: self.export())
        self.atoms_button.changed.connect(lambda _=None: self.recover())
        self.save_atoms_button.changed.connect(lambda _=None: self.save_atoms())
        self.export_atoms_button.changed.connect(lambda _=None: self.export_atoms())
        self.model.changed.connect(self._model_changed)
        for w in (self.start, self.end, self.via, self.mode, self.resolution):
            w.changed.connect(lambda _=None: self.request())
        self.fps.changed.connect(lambda _=None: self.timer.setInterval(self._interval()))
        MODELS.changed.connect(self._models_changed)
        self.native.destroyed.connect(lambda *_: self._disconnect())
        enable_scale_bar(viewer)
        self._models_changed()

    # ------------------------------------------------------------------ choices

    def _disconnect(self) -> None:
        try:
            self.timer.stop()
        except RuntimeError:  # Qt already deleted it with the widget
            pass
        MODELS.changed.disconnect(self._models_changed)

    def _models_changed(self) -> None:
        before = self.model.value
        self.model.reset_choices()
        if MODELS.names() and self.model.value is None:
            self.model.value = MODELS.names()[-1]
        if self.model.value != before or self._interp_key is None or (
                self.model.value in MODELS
                and id(MODELS.get(self.model.value)) != self._interp_key[1]):
            self._model_changed()  # (another model joining the session changes nothing)

    def _model_changed(self, _event: Any = None) -> None:
        # one consistent path, set with every signal blocked: a request per field (the
        # choices' reset included) would decode paths mixing two models' items
        with self.t.changed.blocked(), self.start.changed.blocked(), \
                self.end.changed.blocked(), self.via.changed.blocked():
            self.start.reset_choices()
            self.end.reset_choices()
            if self.model.value is None or self.model.value not in MODELS:
                return
            model = MODELS.get(self.model.value)
            k = model.n_items
            self.via.value = ", ".join(str(i) for i in range(1, k - 1)) if k <= 16 else ""
            self.start.value = 0
            self.end.value = k - 1
        deformable = moves_atoms(model)
        self.export_atoms_button.enabled = deformable
        self.atoms_button.enabled = not deformable
        if self.frame_ms is not None:  # frames are on view: show the new path's
            self.request()

    def _item_choices(self, _widget: Any = None) -> list[tuple[str, int]]:
        if self.model.value is None or self.model.value not in MODELS:
            return []
        items = MODELS.get(self.model.value).items
        return [(f"{i}: {it['name']}", i) for i, it in enumerate(items)]

    def keys(self) -> list[int]:
        """The path's items: start, via…, end."""
        return [int(self.start.value), *parse_items(self.via.value), int(self.end.value)]

    # ------------------------------------------------------------------ decoding

    def _settings(self, scrub: bool = False) -> tuple[Any, list[int], tuple]:
        """The chosen model, path items and a cache key for its interpolator (cheap); with
        ``scrub``, at the preview resolution of a dragged slider."""
        if self.model.value is None or self.model.value not in MODELS:
            raise MolfieldError("No model yet: fit one, load a checkpoint or open the sample.")
        model = MODELS.get(self.model.value)
        keys = self.keys()
        n = int(self.resolution.value)
        key = (self.model.value, id(model), tuple(keys), self.mode.value,
               min(n, SCRUB_RESOLUTION) if scrub else n)
        return model, keys, key

    def _drag(self, down: bool) -> None:
        """Slider pressed (frames at `SCRUB_RESOLUTION` follow it) or released (full frame)."""
        self.dragging = down
        if not down:
            self.request()

    def interpolator(self) -> LatentPath:
        """The current settings' interpolator (rebuilt only when they change)."""
        model, keys, key = self._settings()
        if key != self._interp_key or self._interp is None:
            self._interp = build_interpolator(model, keys, key)
            self._interp_key = key
        return self._interp

    def request(self, _event: Any = None, _now: bool = False) -> None:
        """Decode the slider's ``t``; while a decode runs, only the latest request waits
        (``_now``: the running job has returned, its result is being shown)."""
        if self._exporting:
            return
        t = float(self.t.value)
        if self.runner.running and not _now:  # (its layers may still be arriving: no wait)
            self._pending = t
            return
        scrub = self.dragging
        try:
            model, keys, key = self._settings(scrub)
        except MolfieldError as exc:
            self.status.value = str(exc)
            return
        self._pending = None
        name = self.model.value
        cached = self._interp if key == self._interp_key else None
        if scrub:
            cached = self._scrub[1] if self._scrub and self._scrub[0] == key else None
        # the interpolator (grid, first layer, atom support) is built in the worker too,
        # and the one a dragged slider will use, when it is not there yet
        scrub_key = None
        if not scrub and key[-1] > SCRUB_RESOLUTION:
            scrub_key = (*key[:-1], SCRUB_RESOLUTION)
            if self._scrub and self._scrub[0] == scrub_key:
                scrub_key = None
        display_mode()  # decided on this thread: the worker draws the frame's surfaces
        self.runner.start(decode_frame, cached, model, keys, key, t, scrub_key, name,
                          self.peaks(name), scrub, self._atoms_shown(name),
                          on_return=lambda r: self._show(name, r),
                          on_finish=self._next)

    def _atoms_shown(self, model_name: str) -> bool:
        """Whether the frames' atoms layer is on view (a dragged slider's previews solve
        for atoms only then)."""
        layer = self.atoms_layer(model_name)
        return layer is None or bool(layer.visible)

    def _next(self) -> None:
        """After a frame's job (the runner counts it finished): the position that waited."""
        if self._pending is not None and not self._exporting:
            self.request()

    def _show(self, model_name: str, result: tuple) -> None:
        if self._exporting:
            return
        interp, key, field, seconds, atoms, scrub, layers = result
        if scrub is not None:
            self._scrub = scrub
        if self.dragging and self._pending is not None:
            # the next position decodes while this frame is drawn (the job has returned;
            # waiting for its finished signal would queue the decode behind the redraw)
            self.request(_now=True)
        preview = ""
        if key[-1] == int(self.resolution.value):
            self._interp, self._interp_key = interp, key
        else:  # a preview while the slider is dragged
            self._scrub, preview = (key, interp), f" (preview at {key[-1]}³ while dragging)"
            if not self.dragging and self._pending is not None:
                return  # released meanwhile: the full frame is next, this one is stale
        self.frame_ms = 1000 * seconds
        self.update_layers(field, model_name, atoms, layers)
        self.status.value = (f"t = {field.meta['t']:.2f}: {frame_label(field.meta['name'])} — "
                             f"{self.frame_ms:.0f} ms/frame{preview}")

    def update_layers(self, field: Field, model_name: str, atoms: Any = None,
                      layers: list | None = None) -> list:
        """Show ``field`` (or its ``layers`` data, built by the worker) in the model's
        interpolation layers (updated in place), and the frame's ``atoms`` ``[A, 3]``
        (deformable models) in its atoms layer."""
        group = interpolation_group(model_name)
        before = {ly.unique_id for ly in group_layers(self.viewer, group)}
        if layers is None:
            layers = interpolation_layers(field, model_name, self.peaks(model_name))
        if self.dragging:  # the surface only, in place (its hidden images on release)
            shown = [ly for ly in layers if not ly[1]["metadata"]["molfield"].get(
                "drawn_as_surface")]
            if shown and update_group_layers(self.viewer, group, shown) == len(shown):
                if atoms is not None:
                    self.update_atoms(atoms, model_name)
                return group_layers(self.viewer, group)
        out = replace_group_layers(self.viewer, group, layers, roles=(INTERPOLATED_ROLE,))
        if atoms is not None and (layer := self.update_atoms(atoms, model_name)) is not None:
            out.append(layer)
        if any(ly.unique_id not in before for ly in out):  # new layers: bring them in view
            show_result(self.viewer, out)
        return out

    def peaks(self, model_name: str) -> Any:
        """`path_peaks` of the path's items (computed once per model and path: reading
        the items' atoms costs ~50 ms for a protein, each frame would pay it)."""
        if model_name not in MODELS:
            return None
        model, keys = MODELS.get(model_name), tuple(self.keys())
        key = (model_name, id(model), keys)
        if getattr(self, "_peaks", (None,))[0] != key:
            self._peaks = (key, path_peaks(model, list(keys)))
        return self._peaks[1]

    def _failed(self, exc: BaseException) -> None:
        self.status.value = f"Failed: {exc}"

    # ------------------------------------------------------------------ playing

    def _interval(self) -> int:
        return max(1, round(1000 / int(self.fps.value)))

    def toggle_play(self, _event: Any = None) -> None:
        """Start or stop stepping ``t`` (one frame per tick, looping)."""
        if self.timer.isActive():
            self.timer.stop()
            self.play_button.text = "Play"
        else:
            self.timer.start(self._interval())
            self.play_button.text = "Pause"

    def _tick(self) -> None:
        if self.runner.running or self._exporting:
            return  # never queue up frames: skip the tick
        step = 1.0 / (int(self.frames.value) - 1)
        t = float(self.t.value) + step
        self.t.value = 0.0 if t > 1.0 + 1e-9 else min(t, 1.0)

    # ------------------------------------------------------------------ export

    def export(self, path: str | Path | None = None) -> Any:
        """Render every frame in the 3D view as the camera shows it and write GIF/MP4.

        Frames are decoded in a worker; the Qt thread only swaps each into the layers and
        takes the screenshot; the movie is encoded in a worker too. The file appears only
        when complete (`write_movie` writes atomically); :attr:`exported` is its path.
        Returns the frames' worker (None when the settings are wrong).
        """
        path = Path(path if path is not None else self.path.value)
        was_playing = self.timer.isActive()
        if was_playing:
            self.toggle_play()
        try:
            model, keys, _key = self._settings()
        except MolfieldError as exc:
            self.status.value = str(exc)
            return None
        name = self.model.value
        n, fps = int(self.frames.value), float(self.fps.value)
        resolution, mode = int(self.resolution.value), self.mode.value
        self._exporting = True
        self.exported = None
        shots: list[Any] = []
        self.status.value = f"Exporting {n} frames …"

        def on_frame(frame: tuple[Field, Any]) -> None:
            self.update_layers(frame[0], name, frame[1])
            shots.append(self.viewer.screenshot(canvas_only=True, flash=False))
            self.status.value = f"Exporting: frame {len(shots)}/{n} …"

        def failed(exc: BaseException) -> None:
            self.status.value = f"Export failed: {exc}"
            self._exporting = False
            self.request()

        def written(out: Path) -> None:
            self.exported = out
            self._exporting = False
            self.status.value = f"{len(shots)} frames → {out.name}"
            self.request()  # back to the t the slider shows

        def encode() -> None:
            if not self._exporting:
                return  # a frame failed: already reported
            from ...interpolation.movie import write_movie

            self.exporter.start(write_movie, list(shots), path, fps=fps, on_return=written,
                                on_error=failed)

        return self.exporter.start(export_frames, model, keys, resolution, mode, n,
                                   on_yield=on_frame, on_finish=encode, on_error=failed,
                                   progress={"desc": "Exporting movie", "total": n})
