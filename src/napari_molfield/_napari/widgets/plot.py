"""A small matplotlib canvas for loss and PSNR curves, in the napari theme's colours."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import napari


class CurvePlot:
    """Loss (log scale, left axis) and PSNR (dB, right axis) against steps.

    Redraws at most every ``min_interval`` seconds so a fast fit does not flood Qt.
    """

    def __init__(self, viewer: napari.viewer.Viewer, min_interval: float = 1.0) -> None:
        from matplotlib.backends.backend_qtagg import FigureCanvasQTAgg
        from matplotlib.figure import Figure
        from napari.utils.theme import get_theme

        theme = get_theme(viewer.theme)
        bg = theme.canvas.as_hex() if hasattr(theme, "canvas") else "#262930"
        fg = theme.text.as_hex()
        # fixed margins, not layout="constrained": its layout pass was 60 % of each draw
        # (≈ 80 ms of 130 ms), and a fit redraws the curve every second
        self.fig = Figure(figsize=(3.2, 2.2), facecolor=bg)
        self.fig.subplots_adjust(left=0.2, right=0.8, bottom=0.2, top=0.95)
        self.canvas = FigureCanvasQTAgg(self.fig)
        self.canvas.setMinimumHeight(170)
        self.ax = self.fig.add_subplot(facecolor=bg)
        self.ax2 = self.ax.twinx()
        for ax in (self.ax, self.ax2):
            ax.tick_params(colors=fg, labelsize=7)
            for spine in ax.spines.values():
                spine.set_color(fg)
        self.ax.set_xlabel("step", color=fg, fontsize=8)
        self.ax.set_ylabel("loss", color="#f0a030", fontsize=8)
        self.ax2.set_ylabel("PSNR (dB)", color="#50c0ff", fontsize=8)
        self.ax.set_yscale("log")
        (self._loss,) = self.ax.plot([], [], color="#f0a030", lw=1)
        (self._psnr,) = self.ax2.plot([], [], color="#50c0ff", lw=1.5, marker=".", ms=3)
        self.min_interval = min_interval
        self._last = 0.0
        self.clear()

    def clear(self) -> None:
        """Forget all points."""
        self.steps: list[int] = []
        self.losses: list[float] = []
        self.psnr_steps: list[int] = []
        self.psnrs: list[float] = []
        self._draw(force=True)

    def add(self, step: int, loss: float, psnr: float | None, draw: bool = True) -> None:
        """Append one step (``psnr`` only when it was measured); ``draw=False`` leaves the
        redraw to a later `redraw` (for batches of steps)."""
        if loss == loss:  # skip NaN (the untrained step 0)
            self.steps.append(step)
            self.losses.append(loss)
        if psnr is not None:
            self.psnr_steps.append(step)
            self.psnrs.append(psnr)
        if draw:
            self._draw()

    def redraw(self) -> None:
        """Draw if the last draw is older than ``min_interval``."""
        self._draw()

    def _draw(self, force: bool = False) -> None:
        now = time.perf_counter()
        if not force and now - self._last < self.min_interval:
            return
        self._last = now
        self._loss.set_data(self.steps, self.losses)
        self._psnr.set_data(self.psnr_steps, self.psnrs)
        for ax in (self.ax, self.ax2):
            ax.relim()
            ax.autoscale_view()
        self.canvas.draw_idle()

    def flush(self) -> None:
        """Draw now, whatever the interval."""
        self._draw(force=True)
