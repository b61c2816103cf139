"""The Maps widget: fit density maps with an auto-decoder, decode them, compare with a model.

Map layers (opened by the map reader) are chosen in a list; *Fit maps* trains one latent per
map in a worker (the napari window stays live) and adds the model to the session, so the
Decode and Interpolate widgets work on it too (interpolating between the latents of maps
of two states); the fitted field of the first map is shown on that map's own voxels next
to it, with PSNR against the map and its zero-field baseline. *Compare* reports how well
a molecule in the viewer fits a map (correlation, overlap, atoms inside the contour, as
ChimeraX's fitmap).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import ComboBox, Container, Label, PushButton, Select, SpinBox

from ...errors import MolfieldError
from ...fields.field import Field
from ..session import MODELS
from ..surfaces import with_surfaces
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

if TYPE_CHECKING:
    import napari

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


def fit_maps(maps: list[Field], seconds: float, resolution: int) -> Generator[Any, None, Any]:
    """Fit the maps (a generator of `FitProgress`), then decode map 0 on its voxels.

    Returns ``(model, decoded Field, report)``.
    """
    from ...autodecoder.fit import fit
    from ...autodecoder.maps import decode_on_map
    from ...fields.metrics import field_report

    last = None
    for last in fit(maps, resolution=resolution, time_budget=seconds, steps=10**9,
                    device="cpu"):
        yield last
    if last is None:
        raise MolfieldError("The fit did not start.")
    model = last.model
    decoded = decode_on_map(model, 0, maps[0])
    scale = model.scale(0)[:, None, None, None]
    return model, decoded, field_report(decoded.values, maps[0].values / scale)


class MapsWidget(ScrollingDock, Container):
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
        self.runner = JobRunner()
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

    def fit(self, _event: Any = None) -> Any:
        """Fit the chosen maps in a worker; the model joins the session when done."""
        layers = self._chosen()
        if not layers:
            return None
        if self.runner.running:
            self.status.value = "A map fit is running: wait for it to end."
            return None
        maps = [layer_field(ly) for ly in layers]
        names = [ly.name for ly in layers]
        self.status.value = f"Fitting {len(maps)} map(s) for {self.seconds.value} s …"

        def step(p: Any) -> None:
            if p.evaluated and p.psnr is not None:
                self.status.value = (f"Fitting: step {p.step}, {p.elapsed:.0f} s, "
                                     f"PSNR {p.psnr:.1f} dB at the training grid")

        def done(result: tuple[Any, Field, dict[str, float]]) -> None:
            model, decoded, r = result
            name = MODELS.add(model, f"{' + '.join(names)} maps")
            self._show(decoded, layers[0])
            self.status.value = (
                f"{name}: PSNR {r['psnr']:.1f} dB on {names[0]}'s voxels (zero field "
                f"{r['zero_psnr']:.1f} dB); Decode and Interpolate can use it."
            )

        def failed(exc: BaseException) -> None:
            self.status.value = f"Failed: {exc}"

        return self.runner.start(fit_maps, maps, float(self.seconds.value),
                                 int(self.resolution.value), on_yield=step, on_return=done,
                                 on_error=failed, progress={"desc": "Fitting maps"})

    def _show(self, decoded: Field, like: Any) -> None:
        """The decoded map (in map units) as an isosurface at the map's level."""
        scale = float(decoded.meta["scale"][0])
        data = decoded.values[0] * scale
        name = f"{like.name} decoded"
        level = like.metadata.get("molfield", {}).get("level", float(np.mean(data)))
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
