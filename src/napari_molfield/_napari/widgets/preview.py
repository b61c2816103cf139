"""A fit preview drawn in the dock: three sum projections, no canvas redraw.

On software OpenGL (llvmpipe) one redraw of a viewer that shows a few volumes takes one to
several seconds and blocks the event loop; a preview that lands in layers every few seconds
therefore freezes the viewer and takes the cores from the fit. `ProjectionPreview` shows the
same low-resolution decode as three sum projections (along x, y and z), each channel in
its colour and added, as one small `QLabel` pixmap: a few milliseconds, whatever
the renderer.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...fields.colours import channel_colour

#: Edge of each projection panel, pixels.
PANEL = 96
#: Pixels between two panels.
GAP = 4
#: Values below this fraction of a channel's peak are left out (a network's ripples in empty
#: space would add up to a haze along each line of sight; as `fields.skip.AUTO_RANGE`).
FLOOR = 0.05
#: Gamma of the projections (< 1 lifts thin parts of a molecule).
GAMMA = 0.6


def projections_rgb(values: np.ndarray, channels: Sequence[str], peaks: Sequence[float],
                    panel: int = PANEL) -> np.ndarray:
    """``[panel, 3·panel + 2·GAP, 3]`` uint8: sum ("X-ray") projections along axes 0, 1, 2.

    Each channel's values above `FLOOR` of its peak are summed along the axis, divided by
    the peak, coloured by `channel_colour` and added; channels with a zero peak are left out.
    Each panel is scaled so its brightest pixel is 1, then lifted by a gamma of
    `GAMMA` — a maximum projection of a protein is one saturated blob, a sum shows where
    the mass is.
    """
    vals = np.asarray(values, dtype=np.float32)
    if vals.ndim != 4 or vals.shape[0] != len(channels):
        raise ValueError(f"values must be [C, X, Y, Z] with C = {len(channels)}, got "
                         f"{vals.shape}")
    panels = []
    for axis in (1, 2, 3):
        rgb = np.zeros((*np.delete(vals.shape[1:], axis - 1), 3), np.float32)
        for c, (name, peak) in enumerate(zip(channels, peaks, strict=True)):
            if not peak > 0:
                continue
            v = vals[c]
            proj = np.where(v > FLOOR * peak, v, 0.0).sum(axis=axis - 1) / peak
            rgb += proj[..., None] * np.asarray(channel_colour(name), np.float32)
        top = float(rgb.max())
        if top > 0:
            rgb = (rgb / top) ** GAMMA
        panels.append(_resize(rgb, panel))
    gap = np.zeros((panel, GAP, 3), np.float32)
    out = np.concatenate([panels[0], gap, panels[1], gap, panels[2]], axis=1)
    return (out * 255 + 0.5).astype(np.uint8)


def _resize(rgb: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour resize of ``[H, W, 3]`` to ``[size, size, 3]`` (the image's up axis
    first, as napari shows the first two axes)."""
    h, w = rgb.shape[:2]
    rows = np.minimum((np.arange(size) * h) // size, h - 1)
    cols = np.minimum((np.arange(size) * w) // size, w - 1)
    return rgb[rows][:, cols]


class ProjectionPreview:
    """A `QLabel` that shows `projections_rgb` of the latest preview.

    Attributes
    ----------
    label
        The Qt widget (add it to a layout).
    shown
        How many previews it has shown.
    """

    def __init__(self, panel: int = PANEL) -> None:
        from qtpy.QtWidgets import QLabel

        self.panel = panel
        self.label = QLabel()
        self.label.setMinimumHeight(panel)
        self.label.setToolTip("Fit preview: sum projections along x, y and z")
        self.shown = 0
        self.last: np.ndarray | None = None

    def show(self, values: np.ndarray, channels: Sequence[str], peaks: Sequence[float]) -> None:
        """Draw the projections of ``values`` ``[C, X, Y, Z]``."""
        from qtpy.QtGui import QImage, QPixmap

        rgb = np.ascontiguousarray(projections_rgb(values, channels, peaks, self.panel))
        h, w = rgb.shape[:2]
        image = QImage(rgb.data, w, h, 3 * w, QImage.Format.Format_RGB888)
        self.label.setPixmap(QPixmap.fromImage(image.copy()))  # copy: rgb is freed after
        self.last = rgb
        self.shown += 1

    def clear(self) -> None:
        """Blank the preview."""
        self.label.clear()
        self.last = None


__all__ = ["ProjectionPreview", "projections_rgb"]
