"""PSNR as the widgets report it: with its zero-field baseline and over occupied channels.

A field that is mostly empty space scores a high PSNR even when predicted as all zeros,
so a PSNR alone says little. Every status line shows three numbers (all MAX = 1 on the
normalised scale): the PSNR over every voxel and channel, the PSNR of predicting zeros
(the baseline to beat) and the PSNR over the channels that hold atoms. Qt- and torch-free.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..fields.metrics import psnr


@dataclass(frozen=True)
class PsnrReport:
    """PSNR of a decode against the truth, with its baselines (dB)."""

    psnr: float
    zero: float
    occupied: float | None

    def text(self) -> str:
        """``"PSNR 32.0 dB (zero field 30.5 dB; occupied channels 29.1 dB)"``."""
        occ = f"; occupied channels {self.occupied:.1f} dB" if self.occupied is not None else ""
        return f"PSNR {self.psnr:.1f} dB (zero field {self.zero:.1f} dB{occ})"

    def to_dict(self) -> dict[str, float | None]:
        """Plain numbers (for queues between processes)."""
        return {"psnr": self.psnr, "zero": self.zero, "occupied": self.occupied}


def psnr_report(decoded: np.ndarray, truth: np.ndarray,
                occupied: np.ndarray | None = None) -> PsnrReport:
    """PSNR of ``decoded`` ``[C, …]`` vs ``truth``, of zeros vs ``truth``, and over the
    channels where ``occupied`` (``[C]`` bool) is True (default: truth not all zero)."""
    decoded = np.asarray(decoded)
    truth = np.asarray(truth)
    if occupied is None:
        occupied = np.abs(truth.reshape(truth.shape[0], -1)).max(axis=1) > 0
    occupied = np.asarray(occupied, bool)
    occ = psnr(decoded[occupied], truth[occupied]) if occupied.any() else None
    zero = psnr(np.zeros_like(truth), truth)
    return PsnrReport(psnr(decoded, truth), zero, occ)


def model_report(model, item: int, resolution: int) -> PsnrReport:
    """`psnr_report` of ``model``'s item at ``resolution``³ (decode vs Eq. 1; imports torch)."""
    from ..autodecoder.decode import decode, truth_field
    from .layers import decoded_peaks

    decoded = decode(model, item, resolution).values
    truth = truth_field(model, item, resolution).values
    return psnr_report(decoded, truth, decoded_peaks(model, item) > 0)
