"""The Maps widget: fit density maps with an auto-decoder, decode them, compare with a model.

Map layers (opened by the map reader) are chosen in a list; *Fit maps* trains one latent per
map in a separate process (`fit_process`, as the Fit widget: the window keeps its frame
rate, the fit its speed) and adds the model to the session, so the
Decode and Interpolate widgets work on it too (interpolating between the latents of maps
of two states); the fitted field of the first map is shown on that map's own voxels next
to it, with PSNR against the map and its zero-field baseline. *Compare* reports how well
a molecule in the viewer fits a map (correlation, overlap, atoms inside the contour, as
ChimeraX's fitmap).
"""

from __future__ import annotations

import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import ComboBox, Container, Label, PushButton, Select, SpinBox

from ...errors import MolfieldError
from ...fields.field import Field
from ...logs import get_logger
from ..fit_process import ChildFitOwner, FitProcess, FitRequest, shutdown_slot
from ..session import MODELS
from ..surfaces import ISO_SIGMA, with_surfaces
from ..workers import JobRunner
from .common import (
    ScrollingDock,
    enable_scale_bar,
    molecule_choices,
    molecule_groups,
    replace_group_layers,
    show_result,
    wrapping_label,
)
from .fit import POLL_MS

if TYPE_CHECKING:
    import napari

log = get_logger(__name__)


def load_model_file(path: str) -> Any:
    """A fitted model's checkpoint (a worker's job: torch's import included)."""
    from ...models import load

    return load(path)


#: Layer group of the decoded maps (one set, replaced by the next fit).
GROUP = "maps:decoded"


def map_layers(viewer: napari.viewer.Viewer) -> list[Any]:
    """The map layers in the viewer (those the map reader made)."""
    return [ly for ly in viewer.layers
            if ly.metadata.get("molfield", {}).get("role") == "map"
            and not ly.metadata["molfield"].get("surface")]


def layer_field(layer: Any) -> Field:
    """A map layer back as a one-channel `Field` in Å (its data is not copied)."""
    info = layer.metadata.get("molfield", {})
    name = layer.name
    meta: dict[str, Any] = {"name": name, "source": info.get("source")}
    if info.get("stats"):
        meta["stats"] = {name: info["stats"]}
    return Field(np.asarray(layer.data)[None], np.asarray(layer.translate, dtype=float),
                 np.asarray(layer.scale, dtype=float), (name,), meta=meta)


class MapsWidget(ChildFitOwner, ScrollingDock, Container):
    """Fit density maps, decode them on their own voxels, compare a map with a molecule."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        self.viewer = viewer
        self.maps = Select(label="maps", choices=self._map_choices)
        self.seconds = SpinBox(label="time (s)", value=60, min=5, max=3600, step=5)
        self.resolution = SpinBox(label="train resolution", value=32, min=8, max=128, step=8)
        self.fit_button = PushButton(text="Fit maps")
        self.molecule = ComboBox(label="molecule", choices=self._molecule_choices)
        self.compare_button = PushButton(text="Compare with the first map")
        self.status = wrapping_label(Label(value=""), lines=3)
        super().__init__(widgets=[self.maps, self.seconds, self.resolution, self.fit_button,
                                  self.molecule, self.compare_button, self.status],
                         scrollable=True)
        self.runner = JobRunner()  # comparisons
        self.loader = JobRunner()  # the fitted model's checkpoint
        from qtpy.QtCore import QTimer

        self.timer = QTimer(self.native)
        self.timer.setInterval(POLL_MS)
        self.timer.timeout.connect(self.poll)
        self._zero: float | None = None
        self.own_level = False  # the last decoded map drawn at its own level
        self._fitting: tuple[Any, list[str]] = (None, [])
        # a closure, not a method: the widget's Python side may be gone when Qt destroys it
        self._proc_ref: list[FitProcess | None] = [None]
        self.native.destroyed.connect(shutdown_slot(self.timer, self._proc_ref, [True]))
        self.fit_button.changed.connect(self.fit)
        self.compare_button.changed.connect(self.compare)
        viewer.layers.events.inserted.connect(self._refresh)
        viewer.layers.events.removed.connect(self._refresh)
        enable_scale_bar(viewer)
        self.maps.native.setMaximumHeight(120)
        self._refresh()

    def _map_choices(self, _widget: Any = None) -> list[tuple[str, Any]]:
        return [(ly.name, ly) for ly in map_layers(self.viewer)]

    def _molecule_choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        return molecule_choices(self.viewer)

    def _refresh(self, _event: Any = None) -> None:
        self.maps.reset_choices()
        self.molecule.reset_choices()
        if not self.maps.value and map_layers(self.viewer):
            self.maps.value = map_layers(self.viewer)

    def _chosen(self) -> list[Any]:
        chosen = list(self.maps.value or [])
        if not chosen:
            self.status.value = "Open a map first (File ▸ Open: .mrc .map .ccp4 .dx)."
        return chosen

    @property
    def running(self) -> bool:
        """Whether a map fit (or the loading of its model) is in progress."""
        return self.process is not None or self.loader.running

    @property
    def idle(self) -> bool:
        """Whether nothing runs: no fit, no comparison, every result's layers shown."""
        return not self.running and self.runner.idle and self.loader.idle

    def fit(self, _event: Any = None) -> FitProcess | None:
        """Fit the chosen maps in a separate process (as the Fit widget: the window keeps
        its frame rate and the fit its speed); the model joins the session when done."""
        layers = self._chosen()
        if not layers:
            return None
        if self.running:
            self.status.value = "A map fit is running: wait for it to end."
            return None
        maps = [layer_field(ly) for ly in layers]
        self._fitting = (layers[0], [ly.name for ly in layers])
        settings = {"model": "auto", "resolution": int(self.resolution.value),
                    "time_budget": float(self.seconds.value), "steps": None,
                    "device": "cpu"}
        ckpt = Path(tempfile.gettempdir()) / f"molfield-maps-{uuid.uuid4().hex}.safetensors"
        self.status.value = f"Fitting {len(maps)} map(s) for {self.seconds.value} s …"
        self.process = FitProcess(FitRequest(maps, settings, str(ckpt), float("inf"))).start()
        self.timer.start()
        return self.process

    def poll(self) -> None:
        """What the fit process sent since the last tick (Qt thread, cheap)."""
        if self.process is None:
            self.timer.stop()
            return
        for m in self.process.poll():
            if m["kind"] == "baseline":
                self._zero = m["zero"]
            elif m["kind"] == "progress" and m.get("psnr") is not None:
                zero = f" (zero field {self._zero:.1f} dB)" if self._zero is not None else ""
                self.status.value = (f"Fitting: step {m['step']}, {m['elapsed']:.0f} s, "
                                     f"PSNR {m['psnr']:.1f} dB at the training grid{zero}")
            elif m["kind"] == "done":
                self.timer.stop()
                self.status.value = "Done: loading the model …"
                self.loader.start(load_model_file, m["path"],
                                  on_return=lambda model, m=m: self._done(model, m),
                                  on_error=self._failed, on_finish=self._release)
            elif m["kind"] == "error":
                log.error("the map fit failed: %s\n%s", m["message"], m.get("traceback", ""))
                self._failed(MolfieldError(m["message"]))
                self._release()

    def _done(self, model: Any, m: dict[str, Any]) -> None:
        like, names = self._fitting
        name = MODELS.add(model, f"{' + '.join(names)} maps")
        grid = layer_field(like)
        self._show(Field(m["decoded"], grid.origin, grid.voxel_size, grid.channels), like)
        r = m["report"]
        own = " (drawn at its own contour level: it stays below the map's)" \
            if self.own_level else ""
        self.status.value = (
            f"{name}: PSNR {r['psnr']:.1f} dB on {names[0]}'s voxels (zero field "
            f"{r['zero_psnr']:.1f} dB), {m['step']} steps in {m['elapsed']:.0f} s{own}; "
            "Decode and Interpolate can use it."
        )

    def _failed(self, exc: BaseException) -> None:
        self.timer.stop()
        self.status.value = f"Failed: {exc}"

    def _release(self) -> None:
        if self.process is not None:
            self.process.close(timeout=2.0)
            self.process = None

    def _show(self, decoded: Field, like: Any) -> None:
        """The decoded map (in map units) as an isosurface at the map's level."""
        data = decoded.values[0]  # (map units)
        name = f"{like.name} decoded"
        level = like.metadata.get("molfield", {}).get("level", float(np.mean(data)))
        self.own_level = not float(data.min()) < level < float(data.max())
        if self.own_level:  # a poor fit never reaches the map's level: its own contour
            # (a shown volume instead would cost seconds a redraw on software OpenGL)
            level = float(data.mean() + ISO_SIGMA * data.std())
        kwargs = {
            "name": name, "scale": tuple(like.scale), "translate": tuple(like.translate),
            "rendering": "iso", "iso_threshold": level, "colormap": "magenta",
            "blending": "translucent", "contrast_limits": tuple(like.contrast_limits),
            "units": ("angstrom",) * 3,
            "metadata": {"molfield": {"role": "decoded-map", "group": GROUP,
                                      "surface_level": level}},
        }
        kept = replace_group_layers(self.viewer, GROUP,
                                    with_surfaces([(data, kwargs, "image")]),
                                    roles=("decoded-map",))
        show_result(self.viewer, kept)  # in view, framed; the other results hidden

    def compare(self, _event: Any = None) -> Any:
        """Map-versus-model agreement of the chosen molecule with the first chosen map."""
        layers = self._chosen()
        if not layers:
            return None
        group = self.molecule.value
        atoms = molecule_groups(self.viewer).get(group) if group else None
        if atoms is None:
            self.status.value = "Open the molecule to compare (File ▸ Open)."
            return None
        grid = layer_field(layers[0])
        molecule = atoms.metadata["molfield"]["molecule"]

        def run() -> str:
            from ...fields.compare import fit_metrics

            return fit_metrics(grid, molecule).summary()

        def done(text: str) -> None:
            self.status.value = f"{molecule.name} in {layers[0].name}: {text}"

        def failed(exc: BaseException) -> None:
            self.status.value = f"Failed: {exc}"

        self.status.value = "Comparing …"
        return self.runner.start(run, on_return=done, on_error=failed)
