"""The Latent map widget: the training set's latents in 2D, coloured by a property.

The map and the ways through it are computed by `landscape` (PCA always; UMAP,
``umap-learn``, imported in the worker, when installed); this widget draws them.
Hovering a point shows its name and SMILES; clicking it decodes that molecule into the
viewer; the molecule last encoded with the Encode widget is marked with a star, projected
with the same embedding. To navigate the space:

* **library**: a user's SDF / SMILES / CSV file is encoded onto the same map (crosses);
* **draw a path**: with the box ticked, clicks on the map add points (each maps to a
  latent: the distance-weighted mean of the nearest dataset latents); "Decode path"
  decodes frames along it into the viewer (a time axis) and optionally a GIF/MP4;
* **path through the data**: the shortest path on the k-nearest-neighbour graph of the
  latents between the last two molecules clicked, drawn beside the straight line, and
  decoded like a drawn path;
* **representatives**: the molecules nearest the k-means centroids, to click through.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import CheckBox, ComboBox, Container, FileEdit, Label, PushButton, SpinBox

from ...landscape.properties import property_label, property_order
from ..encoding import hide_noise
from ..latent_space import DecodedItem, Library, MapData, PathMovie, decode_item, load_map
from ..layers import FieldParams, atoms_layer, field_layers
from ..session import AUTOENCODER, Encoded
from ..workers import JobRunner
from .common import (
    ScrollingDock,
    import_later,
    replace_group_layers,
    show_result,
    wrapping_label,
)
from .latent_navigation import MAP_GROUP, PATH_GROUP, MapNavigation
from .map_canvas import add_map_canvas, point_at
from .valid_frames import ValidFrames

if TYPE_CHECKING:
    import napari


#: Name of the clicked point's layers ("latent map decoded C", "latent map atoms").
LAYER_NAME = "latent map"
GROUP = MAP_GROUP
__all__ = ["GROUP", "PATH_GROUP", "LatentMapWidget"]
#: Imported in a worker before the plot is built (seconds on first use).
HEAVY_IMPORTS = ("matplotlib.figure", "matplotlib.backends.backend_qtagg",
                 "napari_molfield.autoencoder.checkpoint")


class LatentMapWidget(ScrollingDock, MapNavigation, Container):
    """A 2D map of the dataset latents; hover for names, click to decode."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        from importlib.util import find_spec

        from napari.utils.theme import get_theme

        self.viewer = viewer
        self.data: MapData | None = None
        # whether umap-learn is installed, without importing it (seconds: numba, sklearn)
        methods = ["PCA"] + (["UMAP"] if find_spec("umap") is not None else [])
        self.method = ComboBox(label="embedding", choices=methods, value="PCA")
        self.colour = ComboBox(label="colour by", choices=self._colour_choices)
        self.resolution = SpinBox(label="decode resolution", value=32, min=8, max=256, step=8)
        self.reload = PushButton(text="Load map")
        self.status = Label(value="")
        wrapping_label(self.status)
        self.library = FileEdit(label="library", mode="r", value="",
                                filter="Molecules (*.sdf *.sd *.smi *.smiles *.csv *.txt)")
        self.encode_lib = PushButton(text="Encode library onto the map")
        self.drawing = CheckBox(text="draw a path: click the map", value=False)
        self.n_frames = SpinBox(label="path frames", value=24, min=2, max=480)
        self.movie = FileEdit(label="movie (optional)", mode="w", value="",
                              filter="Movies (*.gif *.mp4)")
        self.decode_path_btn = PushButton(text="Decode path")
        self.clear_path = PushButton(text="Clear path")
        self.graph_btn = PushButton(text="Path through the data (last two clicked)")
        self.n_reps = SpinBox(label="representatives", value=8, min=1, max=64)
        self.reps_btn = PushButton(text="k-means representatives")
        self.next_rep = PushButton(text="Next representative")
        self.atoms_btn = PushButton(text="Atoms of the decoded molecule")
        self.valid = ValidFrames(self.path_source)  # which path frames are molecules

        theme = get_theme(viewer.theme)
        self.bg = theme.background.as_hex()
        self.fg = theme.text.as_hex()
        self.fig: Any = None  # matplotlib: built once imported in a worker (`_build`)
        self.canvas: Any = None
        self.ax: Any = None
        self.annotation: Any = None
        self.scatter: Any = None
        self.colorbar: Any = None
        self.marker: Any = None
        self.legend: Any = None
        self.selected_marker: Any = None

        super().__init__(widgets=[
            self.method, self.colour, self.resolution, self.reload, self.status,
            self.library, self.encode_lib, self.drawing, self.n_frames, self.movie,
            self.decode_path_btn, self.clear_path, self.graph_btn, self.n_reps,
            self.reps_btn, self.next_rep, self.atoms_btn, *self.valid.widgets],
            scrollable=True)
        self.lib: Library | None = None
        self.path_xy: list[tuple[float, float]] = []
        self.graph: list[int] | None = None
        self.reps: list[int] = []
        self.rep_pos = -1
        self.clicked: list[int] = []
        self.last_path: PathMovie | None = None
        self.overlays: list[Any] = []
        self.pack_top()
        self.runner = JobRunner()
        self.decoder = JobRunner()
        self.library_runner = JobRunner()
        self.path_runner = JobRunner()
        self.encode_lib.changed.connect(self.encode_library)
        self.decode_path_btn.changed.connect(self.decode_drawn_path)
        self.clear_path.changed.connect(self.clear_drawn_path)
        self.graph_btn.changed.connect(self.path_through_data)
        self.reps_btn.changed.connect(self.find_representatives)
        self.next_rep.changed.connect(self.next_representative)
        self.atoms_btn.changed.connect(lambda _=None: self.recover())
        self.last_decoded: DecodedItem | None = None
        self.recovered: Any = None
        self.selected: int | None = None
        self.reload.changed.connect(self.load)
        self.method.changed.connect(self.load)
        self.colour.changed.connect(self._recolour)
        AUTOENCODER.model_changed.connect(self._model_changed)
        AUTOENCODER.encoded.connect(self.mark)
        self.native.destroyed.connect(self._disconnect)
        self.status.value = "Preparing the map …"
        self.closed = False
        self.builder = JobRunner()
        import_later(self.builder, HEAVY_IMPORTS, self._build)

    def _build(self) -> None:
        """The plot (matplotlib, imported in a worker), then the shipped model's map."""
        from ...autoencoder.checkpoint import default_model_path

        if self.closed:
            return
        self.fig, self.canvas, self.ax = add_map_canvas(self, self.bg, self._on_motion,
                                                        self._on_click)
        self._style_axes()
        self._draw_empty("Load the map (the shipped model, or the one the Encode widget used).")
        self.status.value = ""
        if self.data is not None:
            self.draw()
        elif AUTOENCODER.model is not None or default_model_path().is_file():
            self.load()

    # ------------------------------------------------------------------------ loading

    def _disconnect(self, *_: Any) -> None:
        self.closed = True  # a late `_build` must not touch the deleted widget
        AUTOENCODER.model_changed.disconnect(self._model_changed)
        AUTOENCODER.encoded.disconnect(self.mark)

    def _model_changed(self, model: Any) -> None:
        if self.data is None or model is not self.data.model:
            self.load()

    def load(self, _event: Any = None) -> Any:
        """Compute the dataset latents' embedding in a worker, then draw it."""
        self.status.value = "Loading dataset latents …"
        method = str(self.method.value)

        return self.runner.start(
            load_map, None, method, on_return=self._loaded,
            on_error=lambda exc: setattr(self.status, "value", f"⚠ {exc}"),
            progress={"desc": "Latent map"},
        )

    def _loaded(self, data: MapData) -> None:
        self.data = data
        self.selected = None
        self.lib, self.path_xy, self.graph, self.reps, self.clicked = None, [], None, [], []
        names = property_order(data.properties)
        old = self.colour.value
        with self.colour.changed.blocked():
            self.colour.reset_choices()
            self.colour.value = old if old in names else names[0]
        self.status.value = (f"{len(data.names)} molecules from {data.model_label} — hover for "
                             "names, click to decode")
        self.draw()
        last = AUTOENCODER.last
        if last is not None:
            self.mark(last)

    def _colour_choices(self, _widget: Any = None) -> list[tuple[str, str]]:
        if self.data is None:
            return []
        return [(property_label(k), k) for k in property_order(self.data.properties)]

    # ------------------------------------------------------------------------ drawing

    def _style_axes(self) -> None:
        self.ax.set_facecolor(self.bg)
        self.ax.tick_params(colors=self.fg, labelsize=7)
        for spine in self.ax.spines.values():
            spine.set_color(self.fg)

    def _draw_empty(self, text: str) -> None:
        self.ax.text(0.5, 0.5, text, ha="center", va="center", wrap=True, fontsize=8,
                     color=self.fg, transform=self.ax.transAxes)
        self.ax.set_xticks([])
        self.ax.set_yticks([])
        self.canvas.draw_idle()

    def property_values(self) -> np.ndarray:
        """Values of the property chosen in ``colour by`` (NaN where unknown)."""
        assert self.data is not None
        return np.asarray(self.data.properties[self.colour.value], dtype=np.float64)

    def draw(self) -> None:
        """Draw every dataset molecule as a point coloured by the chosen property."""
        d = self.data
        if d is None or self.ax is None:  # the plot is built once matplotlib is loaded
            return
        self.ax.clear()
        self._style_axes()
        self.marker = self.selected_marker = None
        if self.legend is not None:
            self.legend.remove()
            self.legend = None
        xy = d.embedding.xy
        from matplotlib import colormaps

        cmap = colormaps["viridis"].with_extremes(bad="#888888")
        self.scatter = self.ax.scatter(xy[:, 0], xy[:, 1], c=self.property_values(),
                                       cmap=cmap, s=22, linewidths=0.3,
                                       edgecolors=self.fg, plotnonfinite=True)
        if self.colorbar is None:
            self.colorbar = self.fig.colorbar(self.scatter, ax=self.ax, shrink=0.9)
        else:
            self.colorbar.update_normal(self.scatter)
        self._style_colorbar()
        self.ax.set_xlabel(d.embedding.axis_labels[0], color=self.fg, fontsize=8)
        self.ax.set_ylabel(d.embedding.axis_labels[1], color=self.fg, fontsize=8)
        self.ax.set_title(f"{d.embedding.method} of {len(d.names)} latents", color=self.fg,
                          fontsize=9)
        self.annotation = self.ax.annotate(
            "", xy=(0, 0), xytext=(8, 8), textcoords="offset points", fontsize=8,
            color=self.fg, bbox={"boxstyle": "round", "fc": self.bg, "ec": self.fg,
                                 "alpha": 0.9},
        )
        self.annotation.set_visible(False)
        self.draw_overlays()

    def _style_colorbar(self) -> None:
        cb = self.colorbar
        cb.set_label(property_label(self.colour.value), color=self.fg,
                     fontsize=8)
        cb.ax.tick_params(colors=self.fg, labelsize=7)
        cb.outline.set_edgecolor(self.fg)

    def _recolour(self, _event: Any = None) -> None:
        if self.data is None or self.scatter is None or self.ax is None:
            return
        values = self.property_values()
        self.scatter.set_array(values)
        finite = values[np.isfinite(values)]
        if finite.size:
            self.scatter.set_clim(float(finite.min()), float(finite.max()))
        self.colorbar.update_normal(self.scatter)
        self._style_colorbar()
        self.canvas.draw_idle()

    def mark(self, item: Encoded) -> None:
        """Mark an encoded molecule on the map (a star, same projection as the points)."""
        d = self.data
        if d is None or self.ax is None or item.latent.shape[-1] != d.latents.shape[1]:
            return
        x, y = d.embedding.project(item.latent)[0]
        if self.marker is not None:
            self.marker.remove()
        (self.marker,) = self.ax.plot([x], [y], marker="*", ms=16, color="#ff4fa0",
                                      mec=self.fg, mew=0.8, ls="none",
                                      label=f"encoded: {item.name}")
        if self.legend is not None:
            self.legend.remove()
        self.legend = self.fig.legend(handles=[self.marker], loc="outside lower center",
                                      fontsize=7, facecolor=self.bg, edgecolor=self.fg,
                                      labelcolor=self.fg)
        self.canvas.draw_idle()

    # ------------------------------------------------------------------------ events

    def point_at(self, event: Any) -> int | None:
        """Index of the dataset point under a mouse event (the nearest if several)."""
        if self.data is None:
            return None
        return point_at(self.scatter, self.ax, self.data.embedding.xy, event)

    def _on_motion(self, event: Any) -> None:
        i = self.point_at(event)
        if i is None:
            if self.annotation.get_visible():
                self.annotation.set_visible(False)
                self.canvas.draw_idle()
            return
        self.hover(i)

    def hover(self, index: int) -> None:
        """Show the annotation (name, SMILES, property) of point ``index``."""
        d = self.data
        assert d is not None
        value = self.property_values()[index]
        self.annotation.xy = tuple(d.embedding.xy[index])
        shown = f"{value:.3g}" if np.isfinite(value) else "not known for this molecule"
        self.annotation.set_text(f"{d.names[index]}\n{d.smiles[index]}\n"
                                 f"{self.colour.value} = {shown}")
        # keep the box inside the axes: flip it towards the centre of the map
        (x0, x1), (y0, y1) = self.ax.get_xlim(), self.ax.get_ylim()
        right = (d.embedding.xy[index, 0] - x0) / (x1 - x0) > 0.5
        top = (d.embedding.xy[index, 1] - y0) / (y1 - y0) > 0.5
        self.annotation.set_position((-8 if right else 8, -8 if top else 8))
        self.annotation.set_horizontalalignment("right" if right else "left")
        self.annotation.set_verticalalignment("top" if top else "bottom")
        self.annotation.set_visible(True)
        self.canvas.draw_idle()

    def _on_click(self, event: Any) -> None:
        if event.button != 1 or self.data is None:
            return
        if self.drawing.value:
            if event.inaxes is self.ax and event.xdata is not None:
                self.add_path_point(event.xdata, event.ydata)
            return
        i = self.point_at(event)
        if i is not None:
            self.select(i)

    def select(self, index: int) -> Any:
        """Decode dataset molecule ``index`` into the viewer (role ``"decoded"``)."""
        d = self.data
        if d is None:
            return None
        self.selected = int(index)
        self.clicked = [*self.clicked[-1:], int(index)]
        x, y = d.embedding.xy[index]
        if self.selected_marker is not None:
            self.selected_marker.remove()
        (self.selected_marker,) = self.ax.plot([x], [y], marker="o", ms=10, mfc="none",
                                               mec="#ff4fa0", mew=1.5, ls="none")
        self.canvas.draw_idle()
        n = int(self.resolution.value)
        self.status.value = f"Decoding {d.names[index]} at {n}³ …"
        return self.decoder.start(
            decode_item, d.model, int(index), d.latents[index], d.names[index],
            d.smiles[index], n,
            on_return=self._show_decoded,
        )

    def _show_decoded(self, item: DecodedItem) -> None:
        d = self.data
        assert d is not None
        index, decoded = item.index, item.field
        self.last_decoded = item
        name = d.names[index]
        params = FieldParams(resolution=decoded.resolution[0], channels=",".join(d.model.channels))
        # layer names do not carry the molecule's (the status line and the metadata do):
        # the next click then updates the same layers in place, where new names would
        # remove and add every layer (~0.2 s each in napari, on the Qt thread)
        layers = hide_noise(field_layers([decoded], None, params, GROUP,
                                         name=f"{LAYER_NAME} decoded", role="decoded"))
        if item.molecule is not None:
            layers.append(atoms_layer(item.molecule, GROUP, LAYER_NAME))
        for _, kwargs, _ in layers:
            kwargs["metadata"]["molfield"].update(
                {"name": name, "smiles": d.smiles[index], "index": index})
        kept = replace_group_layers(self.viewer, GROUP, layers, roles=("decoded", "atoms"))
        show_result(self.viewer, kept)
        self.status.value = (f"{name} ({d.smiles[index]}) decoded at {decoded.resolution[0]}³, "
                             f"{item.note}")
