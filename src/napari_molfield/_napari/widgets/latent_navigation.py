"""Navigating the latent map: a user's library on it, drawn paths, paths through the
data (k-NN graph) beside the straight line, k-means representatives.

`MapNavigation` is mixed into `LatentMapWidget` (widgets/latent_map.py), which owns the
controls, the matplotlib axes and the loaded `MapData`; the numbers come from the core's
`landscape` (through the map's `Embedding`), the jobs from `latent_space`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ...errors import MolfieldError
from ...landscape.navigation import straight_line
from ..encoding import HALLUCINATION_PEAK, hide_noise
from ..latent_space import DecodedItem, Library, PathMovie, decode_path, encode_library
from ..layers import FieldParams, field_layers, recover_field_atoms
from .common import replace_group_layers

if TYPE_CHECKING:
    from ..latent_space import MapData

#: Group of the layers a click decodes (each click replaces the previous molecule).
MAP_GROUP = "latent-map"
#: Group of the layers decoded along a path (a time axis).
PATH_GROUP = "latent-path"
#: Colours of the overlays: library, drawn path, graph path, representatives.
LIB, PATH, GRAPH, REP = "#ffb000", "#ff4fa0", "#00e0ff", "#ffffff"


class MapNavigation:
    """Library, paths and representatives on the latent map (a mixin of the widget)."""

    data: MapData | None
    ax: Any
    canvas: Any
    fg: str
    bg: str
    status: Any
    viewer: Any
    lib: Library | None
    path_xy: list[tuple[float, float]]
    graph: list[int] | None
    reps: list[int]
    rep_pos: int
    clicked: list[int]
    last_path: PathMovie | None
    overlays: list[Any]
    last_decoded: DecodedItem | None
    decoder: Any
    recovered: Any

    def draw_overlays(self) -> None:
        """Redraw the library, the drawn path, the graph path and the representatives."""
        for artist in self.overlays:
            artist.remove()
        self.overlays = []
        d = self.data
        if d is None:
            return
        ax = self.ax
        if self.lib is not None:
            xy = d.embedding.project(self.lib.latents)
            self.overlays += ax.plot(xy[:, 0], xy[:, 1], "X", ms=8, color=LIB, mec="k",
                                     mew=0.6, ls="none", label=f"library ({len(xy)})")
        if self.path_xy:
            p = np.asarray(self.path_xy)
            self.overlays += ax.plot(p[:, 0], p[:, 1], "-o", color=PATH, ms=4, lw=1.5,
                                     label="drawn path")
        if self.graph:
            g = d.embedding.xy[self.graph]
            line = d.embedding.project(straight_line(d.latents[self.graph[0]],
                                                     d.latents[self.graph[-1]]))
            self.overlays += ax.plot(line[:, 0], line[:, 1], "--", color=self.fg, lw=1.0,
                                     label="straight line")
            self.overlays += ax.plot(g[:, 0], g[:, 1], "-o", color=GRAPH, ms=4, lw=1.5,
                                     label=f"path through data ({len(g)} molecules)")
        if self.reps:
            r = d.embedding.xy[self.reps]
            self.overlays += ax.plot(r[:, 0], r[:, 1], "D", ms=7, mfc="none", mec=REP,
                                     mew=1.2, ls="none", label="representatives")
            for n, (x, y) in enumerate(r, start=1):
                self.overlays.append(ax.annotate(str(n), (x, y), xytext=(4, 4),
                                                 textcoords="offset points", fontsize=7,
                                                 color=REP))
        handles = [a for a in self.overlays if hasattr(a, "get_label")
                   and not a.get_label().startswith("_") and hasattr(a, "get_xydata")]
        if handles:
            self.overlays.append(ax.legend(handles=handles, loc="best", fontsize=6,
                                           facecolor=self.bg, edgecolor=self.fg,
                                           labelcolor=self.fg, framealpha=0.8))
        self.canvas.draw_idle()

    def path_source(self) -> Any:
        """The last decoded path for `ValidFrames` (model, interpolator, items, frames,
        resolution, label)."""
        p, d = self.last_path, self.data
        if p is None or p.keys is None or d is None:
            raise MolfieldError("Decode a path first (draw one, or a path through the data).")

        def make() -> Any:
            from ...autoencoder.interpolate import interpolator

            return interpolator(d.model, p.keys, p.values.shape[-1])

        return d.model, make, [], len(p.values), p.values.shape[-1], p.label

    def encode_library(self, _event: Any = None) -> Any:
        """Encode the chosen molecule file with the map's model and mark it (worker)."""
        path = str(self.library.value or "").strip()
        if self.data is None or not path or path == ".":
            self.status.value = "Load the map and choose a molecule file first."
            return None
        self.status.value = f"Encoding {Path(path).name} …"
        return self.library_runner.start(
            encode_library, self.data.model, path, on_return=self._library_loaded,
            on_error=lambda exc: setattr(self.status, "value", f"⚠ {exc}"),
            progress={"desc": "Encoding library"},
        )

    def _library_loaded(self, lib: Library) -> None:
        self.lib = lib
        skipped = [p for p in lib.problems if ": skipped:" in p]
        more = f", {len(skipped)} skipped ({skipped[0]})" if skipped else ""
        self.status.value = (f"{Path(lib.path).name}: {len(lib.names)} molecules on the map"
                             f"{more}")
        self.draw_overlays()

    def add_path_point(self, x: float, y: float) -> None:
        """Add a map point to the drawn path."""
        self.path_xy.append((float(x), float(y)))
        self.graph = None
        self.status.value = f"Path: {len(self.path_xy)} points — Decode path to see it."
        self.draw_overlays()

    def clear_drawn_path(self, _event: Any = None) -> None:
        """Forget the drawn path and the graph path."""
        self.path_xy, self.graph = [], None
        self.draw_overlays()

    def path_keys(self) -> tuple[np.ndarray, str]:
        """Key latents of the current path (graph path first, else the drawn one)."""
        d = self.data
        assert d is not None
        if self.graph:
            return d.latents[self.graph], (f"{d.names[self.graph[0]]} → "
                                           f"{d.names[self.graph[-1]]} through the data")
        return d.embedding.latents_at(self.path_xy), "drawn path"

    def decode_drawn_path(self, _event: Any = None) -> Any:
        """Decode frames along the path into the viewer (and the movie file, if set)."""
        if self.data is None or (len(self.path_xy) < 2 and not self.graph):
            self.status.value = "Draw a path of at least two points (or a graph path) first."
            return None
        keys, label = self.path_keys()
        movie = str(self.movie.value or "").strip()
        movie = movie if movie and movie != "." and Path(movie).suffix else None
        n, frames = int(self.resolution.value), int(self.n_frames.value)
        self.status.value = f"Decoding {frames} frames along the {label} …"
        return self.path_runner.start(
            decode_path, self.data.model, keys, frames, n, movie, label,
            on_return=self._show_path,
            on_error=lambda exc: setattr(self.status, "value", f"⚠ {exc}"),
            progress={"desc": "Decoding path"},
        )

    def _show_path(self, p: PathMovie) -> None:
        from ...fields.field import Field

        d = self.data
        assert d is not None
        keep = [c for c in range(len(p.channels)) if p.values[:, c].max() > HALLUCINATION_PEAK]
        keep = keep or list(range(len(p.channels)))
        n = p.values.shape[-1]
        chans = tuple(p.channels[c] for c in keep)
        fields = [Field(v[keep], p.box.origin(n), p.box.spacing(n), chans, p.box,
                        {"source": "autoencoder path", "normalised": True})
                  for v in p.values]
        params = FieldParams(resolution=n, channels=",".join(d.model.channels))
        layers = hide_noise(field_layers(fields, None, params, PATH_GROUP,
                                         name=f"{p.label}", role="decoded"))
        replace_group_layers(self.viewer, PATH_GROUP, layers, roles=("decoded",))
        self.viewer.dims.set_current_step(0, 0)
        self.last_path = p
        where = f"; movie {Path(p.movie).name}" if p.movie else ""
        self.status.value = (f"{p.label}: {len(p.values)} frames at {n}³ (time slider){where}")

    def path_through_data(self, _event: Any = None) -> Any:
        """The k-NN graph path between the last two clicked molecules, then decode it."""
        d = self.data
        if d is None or len(self.clicked) < 2 or self.clicked[0] == self.clicked[1]:
            self.status.value = "Click two different molecules on the map first."
            return None
        a, b = self.clicked
        try:
            self.graph = d.embedding.graph_path(a, b)
        except MolfieldError as exc:
            self.status.value = f"⚠ {exc}"
            return None
        self.path_xy = []
        self.draw_overlays()
        return self.decode_drawn_path()

    def find_representatives(self, _event: Any = None) -> None:
        """Mark the k-means representatives (numbered by cluster size)."""
        d = self.data
        if d is None:
            return
        self.reps = d.embedding.representatives(int(self.n_reps.value))
        self.rep_pos = -1
        self.status.value = (f"{len(self.reps)} representatives: "
                             + ", ".join(d.names[i] for i in self.reps[:4])
                             + (" …" if len(self.reps) > 4 else "") + " — Next to decode.")
        self.draw_overlays()

    def next_representative(self, _event: Any = None) -> Any:
        """Decode the next representative (cycling)."""
        if not self.reps:
            self.find_representatives()
        if not self.reps:
            return None
        self.rep_pos = (self.rep_pos + 1) % len(self.reps)
        return self.select(self.reps[self.rep_pos])

    def recover(self) -> Any:
        """Atoms of the last decoded molecule's field (in a worker), one points layer that
        the next recovery replaces."""
        item, d = self.last_decoded, self.data
        if item is None or d is None:
            self.status.value = "Click a molecule on the map first, then recover its atoms."
            return None
        name = d.names[item.index]
        group = f"{MAP_GROUP}:atoms"

        def done(out: tuple[Any, Any]) -> None:
            self.recovered, layer = out
            replace_group_layers(self.viewer, group, [layer], roles=("atoms",))
            self.status.value = f"{self.recovered.summary()} ({self.recovered.seconds:.1f} s)"

        def failed(exc: BaseException) -> None:
            self.status.value = f"Failed: {exc}"

        self.status.value = f"Recovering the atoms of {name} …"
        return self.decoder.start(recover_field_atoms, item.field, group, f"{name} recovered",
                                  on_return=done, on_error=failed)
