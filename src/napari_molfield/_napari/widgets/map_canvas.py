"""What the two map docks (Latent map, Landscape) share: a themed matplotlib canvas in
the dock's form, wired to hover and click, and the point under the mouse."""

from __future__ import annotations

from typing import Any

import numpy as np


def add_map_canvas(dock: Any, bg: str, on_motion: Any, on_click: Any) -> tuple[Any, Any, Any]:
    """A 4.2 × 3.6 in figure (constrained layout) in ``dock``'s form, above its stretch;
    returns ``(figure, canvas, axes)``. matplotlib must already be imported (in a worker:
    seconds on first use)."""
    from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4.2, 3.6), facecolor=bg, layout="constrained")
    canvas = FigureCanvasQTAgg(fig)
    canvas.setMinimumSize(320, 320)
    ax = fig.add_subplot(facecolor=bg)
    layout = dock.inner.layout()
    layout.insertWidget(layout.count() - 1, canvas)
    canvas.mpl_connect("motion_notify_event", on_motion)
    canvas.mpl_connect("button_press_event", on_click)
    return fig, canvas, ax


def point_at(scatter: Any, ax: Any, xy: np.ndarray, event: Any) -> int | None:
    """Index of the scatter point under a mouse event (the nearest when several)."""
    if scatter is None or event.inaxes is not ax:
        return None
    hit, info = scatter.contains(event)
    ind = info.get("ind", [])
    if not hit or len(ind) == 0:
        return None
    pts = ax.transData.transform(xy[ind])
    return int(ind[int(np.argmin(np.hypot(pts[:, 0] - event.x, pts[:, 1] - event.y)))])


__all__ = ["add_map_canvas", "point_at"]
