"""The Landscape widget: a fitted model's latents (trajectory frames, conformers, maps) as
a 2D map — coloured by frame, RMSD to a frame, radius of gyration or a CSV column, with
k-means states and the density of frames — where hovering names the frame and clicking
anywhere shows the field and atoms of that point (a frame's latent, or the latent under
the click between frames). A path through the frames between the last two clicked
becomes frames on a slider, a multi-model PDB and a movie; the states' representative
frames can be saved as PDB files. Jobs: `_napari.landscape_jobs`; the map: `landscape`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from magicgui.widgets import (
    CheckBox,
    ComboBox,
    Container,
    FileEdit,
    Label,
    LineEdit,
    PushButton,
    SpinBox,
)

from ..landscape_jobs import (
    PathResult,
    PointDecode,
    decode_path,
    decode_point,
    model_landscape,
    save_states,
)
from ..layers import (
    MAX_VISIBLE_ATOMS,
    FieldParams,
    atoms_layer,
    decoded_layers,
    field_layers,
    path_peaks,
)
from ..session import MODELS
from ..surfaces import with_union_surface
from ..workers import JobRunner
from .common import ScrollingDock, import_later, replace_group_layers, show_result, wrapping_label
from .map_canvas import add_map_canvas, point_at

if TYPE_CHECKING:
    import napari

    from ...landscape.landscape import Landscape

GROUP = "landscape"
PATH_GROUP = "landscape-path"
HEAVY_IMPORTS = ("matplotlib.figure", "matplotlib.backends.backend_qtagg", "torch")
COLOURS = [("frame", "frame"), ("RMSD to the reference frame", "rmsd"),
           ("radius of gyration", "rg"), ("a CSV column", "csv")]


class LandscapeWidget(ScrollingDock, Container):
    """The landscape of a session model; hover for frames, click to decode."""

    def __init__(self, viewer: napari.viewer.Viewer) -> None:
        from importlib.util import find_spec

        from napari.utils.theme import get_theme

        self.viewer = viewer
        self.model = ComboBox(label="model", choices=self._models)
        methods = ["PCA"] + (["UMAP"] if find_spec("umap") is not None else [])
        self.method = ComboBox(label="embedding", choices=methods, value="PCA")
        self.colour = ComboBox(label="colour by", choices=COLOURS, value="frame")
        self.reference = SpinBox(label="reference frame", value=0, min=0, max=100000)
        self.csv = FileEdit(label="CSV (one row per frame)", mode="r", value="",
                            filter="CSV (*.csv)")
        self.column = LineEdit(label="CSV column", value="")
        self.states = SpinBox(label="k-means states", value=4, min=0, max=64)
        self.load_btn = PushButton(text="Load landscape")
        self.resolution = SpinBox(label="decode resolution", value=48, min=8, max=256, step=8)
        self.with_atoms = CheckBox(text="atoms of clicked points", value=True)
        self.status = Label(value="")
        wrapping_label(self.status, lines=3)
        self.n_frames = SpinBox(label="path frames", value=24, min=2, max=480)
        self.pdb = FileEdit(label="path PDB (optional)", mode="w", value="",
                            filter="PDB (*.pdb)")
        self.movie = FileEdit(label="path movie (optional)", mode="w", value="",
                              filter="Movies (*.gif *.mp4)")
        self.path_btn = PushButton(text="Path through the frames (last two clicked)")
        self.states_dir = FileEdit(label="states folder", mode="d", value="")
        self.states_btn = PushButton(text="Save states as PDB")
        super().__init__(widgets=[
            self.model, self.method, self.colour, self.reference, self.csv, self.column,
            self.states, self.load_btn, self.resolution, self.with_atoms, self.status,
            self.n_frames, self.pdb, self.movie, self.path_btn, self.states_dir,
            self.states_btn], scrollable=True)
        theme = get_theme(viewer.theme)
        self.bg, self.fg = theme.background.as_hex(), theme.text.as_hex()
        self.fig: Any = None
        self.canvas: Any = None
        self.ax: Any = None
        self.annotation: Any = None
        self.scatter: Any = None
        self.picked: Any = None
        self.ls: Landscape | None = None
        self.shown_model: Any = None
        self.clicked: list[int] = []
        self.last: PointDecode | None = None
        self.pack_top()
        self.runner, self.decoder, self.path_runner = JobRunner(), JobRunner(), JobRunner()
        self.load_btn.changed.connect(self.load)
        self.path_btn.changed.connect(self.path)
        self.states_btn.changed.connect(self.save_states)
        MODELS.changed.connect(self._models_changed)
        self.native.destroyed.connect(self._disconnect)
        self.closed = False
        self.status.value = "Preparing the plot …"
        self.builder = JobRunner()
        import_later(self.builder, HEAVY_IMPORTS, self._build)

    # ------------------------------------------------------------------ set-up
    @staticmethod
    def _models(_w: Any = None) -> list[str]:
        return [n for n in MODELS.names() if MODELS.kind(n) != "auto-encoder"]

    def _models_changed(self) -> None:
        self.model.reset_choices()
        if self.model.value is None and self._models():
            self.model.value = self._models()[-1]

    def _disconnect(self, *_: Any) -> None:
        self.closed = True
        MODELS.changed.disconnect(self._models_changed)

    def _build(self) -> None:
        if self.closed:
            return
        self.fig, self.canvas, self.ax = add_map_canvas(self, self.bg, self._on_motion,
                                                        self._on_click)
        self._models_changed()
        self.status.value = ("Choose a fitted model (a trajectory or an ensemble) and load "
                             "its landscape." if not self._models() else "")
        if self._models():
            self.load()

    # ------------------------------------------------------------------ loading
    def load(self, _event: Any = None) -> Any:
        """Compute the landscape of the chosen model in a worker, then draw it."""
        name = self.model.value
        if name is None:
            self.status.value = "No fitted model in this session: fit or open one."
            return None
        colour = str(self.colour.value)
        if colour == "csv":
            colour = f"csv:{self.column.value}"
        csv = str(self.csv.value) if str(self.csv.value) not in ("", ".") else None
        model = MODELS.get(name)
        self.status.value = f"Mapping the latents of {name} …"
        return self.runner.start(
            model_landscape, model, str(self.method.value).lower(), colour,
            int(self.reference.value), csv, int(self.states.value),
            on_return=lambda ls: self._loaded(model, ls),
            on_error=lambda exc: setattr(self.status, "value", f"⚠ {exc}"))

    def _loaded(self, model: Any, ls: Landscape) -> None:
        self.ls, self.shown_model, self.clicked = ls, model, []
        held = int(ls.held_out.sum())
        self.status.value = (f"{len(ls.names)} frames ({held} held out of the fit) — hover "
                             "for frames, click anywhere to decode")
        self.draw()

    def draw(self) -> None:
        """Density contours, the frames coloured, held-out ones ringed, states starred."""
        ls = self.ls
        if ls is None or self.ax is None:
            return
        ax = self.ax
        ax.clear()
        ax.set_facecolor(self.bg)
        ax.tick_params(colors=self.fg, labelsize=7)
        if ls.density is not None:
            d = ls.density
            top = float(np.nanmax(d.free_energy))
            if top > 0:
                ax.contourf(d.x, d.y, d.free_energy, levels=np.linspace(0, top, 8),
                            cmap="Greys_r", alpha=0.35)
        xy = ls.xy
        self.scatter = ax.scatter(xy[:, 0], xy[:, 1], c=ls.colour, cmap="viridis", s=20,
                                  linewidths=0.3, edgecolors=self.fg)
        if ls.held_out.any():
            h = ls.held_out
            ax.scatter(xy[h, 0], xy[h, 1], s=60, facecolors="none", edgecolors="#ff4f4f")
        if ls.states is not None:
            r = ls.states.representatives
            ax.scatter(xy[r, 0], xy[r, 1], marker="*", s=160, c="orange", edgecolors="k")
        ax.set_xlabel(ls.embedding.axis_labels[0], color=self.fg, fontsize=8)
        ax.set_ylabel(ls.embedding.axis_labels[1], color=self.fg, fontsize=8)
        ax.set_title(f"{ls.embedding.method}: colour = {ls.colour_label}", color=self.fg,
                     fontsize=8)
        self.annotation = ax.annotate("", xy=(0, 0), xytext=(8, 8), fontsize=8,
                                      textcoords="offset points", color=self.fg,
                                      bbox={"boxstyle": "round", "fc": self.bg})
        self.annotation.set_visible(False)
        self.picked = None
        self.canvas.draw_idle()

    # ------------------------------------------------------------------ events
    def point_at(self, event: Any) -> int | None:
        """The frame under a mouse event (the nearest when several)."""
        if self.ls is None:
            return None
        return point_at(self.scatter, self.ax, self.ls.xy, event)

    def label(self, i: int) -> str:
        """Hover text of frame ``i``: its name, colour value and whether it was held out."""
        assert self.ls is not None
        ls = self.ls
        held = " (held out of the fit)" if ls.held_out[i] else ""
        return f"{ls.labels[i]}{held}\n{ls.colour_label} = {ls.colour[i]:.3g}"

    def _on_motion(self, event: Any) -> None:
        i = self.point_at(event)
        if i is None:
            if self.annotation is not None and self.annotation.get_visible():
                self.annotation.set_visible(False)
                self.canvas.draw_idle()
            return
        assert self.ls is not None
        self.annotation.xy = tuple(self.ls.xy[i])
        self.annotation.set_text(self.label(i))
        self.annotation.set_visible(True)
        self.canvas.draw_idle()

    def _on_click(self, event: Any) -> None:
        if event.button != 1 or self.ls is None or event.inaxes is not self.ax:
            return
        i = self.point_at(event)
        if i is not None:
            self.pick(i)
        elif event.xdata is not None:
            self.pick_xy(float(event.xdata), float(event.ydata))

    def pick(self, index: int) -> Any:
        """Decode frame ``index`` (its own latent)."""
        assert self.ls is not None
        self.clicked = [*self.clicked[-1:], int(index)]
        z = self.ls.embedding.latents[index]
        return self._decode(int(index), z, self.ls.labels[index], self.ls.xy[index])

    def pick_xy(self, x: float, y: float) -> Any:
        """Decode the latent under map point ``(x, y)`` (between frames)."""
        assert self.ls is not None
        z = self.ls.embedding.latents_at([[x, y]])[0]
        near = int(np.argmin(np.hypot(*(self.ls.xy - [x, y]).T)))
        return self._decode(near, z, f"map point ({x:.2f}, {y:.2f})", (x, y))

    def _decode(self, item: int, z: np.ndarray, label: str, xy: Any) -> Any:
        if self.picked is not None:
            self.picked.remove()
        (self.picked,) = self.ax.plot([xy[0]], [xy[1]], marker="o", ms=11, mfc="none",
                                      mec="#ff4fa0", mew=1.6, ls="none")
        self.canvas.draw_idle()
        n = int(self.resolution.value)
        self.status.value = f"Decoding {label} at {n}³ …"
        # one name per model: each click updates the same layers in place (new layers
        # would cost a full scene rebuild on software OpenGL); the point is in the status
        return self.decoder.start(_point_layers, self.shown_model, item, z, n, label,
                                  bool(self.with_atoms.value), f"{self.model.value}: picked",
                                  on_return=self._show,
                                  on_error=lambda e: setattr(self.status, "value", f"⚠ {e}"))

    def _show(self, done: tuple[PointDecode, list[Any]]) -> None:
        res, layers = done
        self.last = res
        before = {ly.unique_id for ly in self.viewer.layers}
        kept = replace_group_layers(self.viewer, GROUP, layers, roles=("decoded", "atoms"))
        # the camera frames the first pick; later picks (same box) keep the user's view
        show_result(self.viewer, kept, frame=any(ly.unique_id not in before for ly in kept))
        atoms = ""
        if res.molecule is not None:
            n_atoms = res.molecule.n_atoms  # big molecules' atoms start hidden (redraw cost)
            atoms = f", {n_atoms} atoms" + ("" if n_atoms <= MAX_VISIBLE_ATOMS else
                                             " (their layer's eye shows them)")
        self.status.value = (f"{res.label}: field at {res.field.resolution[0]}³{atoms} in "
                             f"{res.seconds * 1000:.0f} ms")

    # ------------------------------------------------------------------ paths, states
    def path(self, _event: Any = None) -> Any:
        """Frames along the shortest k-NN path between the last two clicked frames."""
        if self.ls is None or len(self.clicked) < 2:
            self.status.value = "Click two frames on the map first."
            return None
        items = self.ls.embedding.graph_path(self.clicked[0], self.clicked[1])
        xy = self.ls.xy[items]
        self.ax.plot(xy[:, 0], xy[:, 1], "-", color="#ff4fa0", lw=1.4)
        self.canvas.draw_idle()
        pdb = str(self.pdb.value) if str(self.pdb.value) not in ("", ".") else None
        movie = str(self.movie.value) if str(self.movie.value) not in ("", ".") else None
        self.status.value = f"Decoding {self.n_frames.value} frames through {len(items)} …"
        return self.path_runner.start(
            _path_layers, self.shown_model, items, int(self.n_frames.value),
            int(self.resolution.value), pdb, movie, f"{self.model.value} path",
            on_return=self._show_path,
            on_error=lambda e: setattr(self.status, "value", f"⚠ {e}"))

    def _show_path(self, done: tuple[PathResult, list[Any]]) -> None:
        res, layers = done
        kept = replace_group_layers(self.viewer, PATH_GROUP, layers, roles=("decoded",))
        show_result(self.viewer, kept, frame=False)
        self.viewer.dims.set_current_step(0, 0)
        saved = [p for p in (res.pdb, res.movie) if p]
        self.status.value = (f"{len(res.values)} frames through {len(res.items)} frames on the "
                             "time slider" + (f" → {', '.join(saved)}" if saved else ""))

    def save_states(self, _event: Any = None) -> None:
        """Write each state's representative frame as ``state_K.pdb``."""
        try:
            if self.ls is None:
                raise ValueError("Load a landscape first.")
            paths = save_states(self.shown_model, self.ls, str(self.states_dir.value))
        except Exception as exc:  # a one-line MolfieldError, or the note above
            self.status.value = f"⚠ {exc}"
            return
        self.status.value = f"{len(paths)} state PDB files → {paths[0].parent}"


def _point_layers(model: Any, item: int, z: np.ndarray, resolution: int, label: str,
                  with_atoms: bool, name: str) -> tuple[PointDecode, list[Any]]:
    """`decode_point` and its layer data (surfaces included), in the worker."""
    res = decode_point(model, item, z, resolution, label, with_atoms)
    # one union surface (a third of the channels' triangles: software OpenGL redraws in
    # proportion); the channels stay as (hidden) images
    layers = with_union_surface(decoded_layers(res.field, model, res.item, GROUP, name))
    if res.molecule is not None:
        layers.append(atoms_layer(res.molecule, GROUP, name))
    for _, kwargs, _ in layers:
        kwargs["metadata"]["molfield"]["point"] = res.label
    return res, layers


def _path_layers(model: Any, items: list[int], n_frames: int, resolution: int,
                 pdb: str | None, movie: str | None, name: str
                 ) -> tuple[PathResult, list[Any]]:
    """`decode_path` and its frames' layer data (surfaces included), in the worker."""
    from ...fields.field import Field

    res = decode_path(model, items, n_frames, resolution, pdb, movie)
    n = res.values.shape[-1]
    fields = [Field(v, res.box.origin(n), res.box.spacing(n), res.channels, res.box,
                    {"source": "landscape path", "normalised": True}) for v in res.values]
    params = FieldParams(resolution=n, channels=",".join(res.channels), drop_empty=True)
    layers = field_layers(fields, None, params, PATH_GROUP, role="decoded",
                          peaks=path_peaks(model, res.items), name=name)
    return res, layers


__all__ = ["GROUP", "PATH_GROUP", "LandscapeWidget"]
