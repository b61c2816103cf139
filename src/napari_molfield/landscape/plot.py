"""A landscape as a PNG (matplotlib, Agg canvas: no display, no pyplot state)."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

from ..errors import MolfieldError


def draw_landscape(ls: Any, title: str = "", dpi: int = 120) -> bytes:
    """PNG bytes of a `landscape.Landscape` ``ls``: the density as grey ``−ln p``
    contours, the items coloured by ``ls.colour`` (held-out items ringed), each state's
    representative starred and numbered."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        raise MolfieldError("Drawing a landscape needs matplotlib (pip install "
                            "'napari-molfield[napari]'); write .npz or .csv instead.") from None
    fig = Figure(figsize=(6.4, 5.2), dpi=dpi)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    if ls.density is not None:
        d = ls.density
        levels = np.arange(0.0, float(np.nanmax(d.free_energy)) + 0.5, 0.5)
        if len(levels) > 1:
            ax.contourf(d.x, d.y, d.free_energy, levels=levels, cmap="Greys_r", alpha=0.45)
    xy = ls.xy
    sc = ax.scatter(xy[:, 0], xy[:, 1], c=ls.colour, cmap="viridis", s=22, zorder=3)
    if ls.held_out.any():
        h = ls.held_out
        ax.scatter(xy[h, 0], xy[h, 1], s=70, facecolors="none", edgecolors="crimson",
                   linewidths=1.2, zorder=4, label="held out of the fit")
        ax.legend(loc="best", fontsize=8)
    if ls.states is not None:
        for s, i in enumerate(ls.states.representatives):
            ax.scatter(xy[i, 0], xy[i, 1], marker="*", s=220, c="orange",
                       edgecolors="black", zorder=5)
            ax.annotate(f"{s}: {ls.labels[i]}", xy[i], xytext=(6, 6),
                        textcoords="offset points", fontsize=8, zorder=6)
    fig.colorbar(sc, ax=ax, label=ls.colour_label)
    ax.set_xlabel(ls.embedding.axis_labels[0])
    ax.set_ylabel(ls.embedding.axis_labels[1])
    ax.set_title(title or f"{ls.embedding.method} of {len(ls.names)} latents", fontsize=10)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


__all__ = ["draw_landscape"]
