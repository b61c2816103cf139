"""Quality metrics for fields."""

from __future__ import annotations

import numpy as np


def psnr(decoded: np.ndarray, truth: np.ndarray, max_value: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB over all voxels and channels.

    Parameters
    ----------
    decoded, truth
        Arrays of the same shape, both on the normalised scale (truth peaks at about 1).
    max_value
        MAX in ``10 log10(MAX² / MSE)``; 1 on normalised fields. (The paper's scripts used
        255 on data in [0, 1], which adds 48.1 dB; their numbers are not comparable.)
    """
    a = np.asarray(decoded, dtype=np.float64)
    b = np.asarray(truth, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    mse = float(np.mean((a - b) ** 2))
    if mse == 0:
        return float("inf")
    return float(10 * np.log10(max_value**2 / mse))


#: Voxels where the truth is below this fraction of the (normalised) peak count as empty.
EMPTY_LEVEL = 1e-3


def spurious_mass(decoded: np.ndarray, truth: np.ndarray, level: float = EMPTY_LEVEL) -> float:
    """Fraction of the decoded positive mass that lies where the truth is empty.

    "Empty" is ``truth < level`` (on the normalised scale, per channel and voxel): density
    floating there shows as detached blobs on isosurfaces and haze in volumes.
    """
    a = np.asarray(decoded, dtype=np.float64)
    b = np.asarray(truth, dtype=np.float64)
    pos = np.clip(a, 0.0, None)
    total = float(pos.sum())
    return 0.0 if total == 0 else float(pos[b < level].sum()) / total


def field_report(decoded: np.ndarray, truth: np.ndarray) -> dict[str, float]:
    """PSNR with its context: the zero-field baseline, the occupied channels, spurious mass.

    ``decoded`` and ``truth`` are ``[C, ...]`` on the normalised scale (MAX = 1).

    Returns
    -------
    dict
        ``psnr`` (all voxels and channels), ``zero_psnr`` (the PSNR of predicting zeros:
        a fit is only as good as its margin over this), ``occupied_psnr`` (only the
        channels whose truth is non-zero; ``nan`` when none is), ``spurious_mass``.
    """
    a = np.asarray(decoded, dtype=np.float64)
    b = np.asarray(truth, dtype=np.float64)
    occupied = np.array([np.abs(b[c]).max() > 0 for c in range(b.shape[0])])
    return {
        "psnr": psnr(a, b),
        "zero_psnr": psnr(np.zeros_like(b), b),
        "occupied_psnr": psnr(a[occupied], b[occupied]) if occupied.any() else float("nan"),
        "spurious_mass": spurious_mass(a, b),
    }


def format_report(r: dict[str, float]) -> str:
    """``"PSNR 41.2 dB (zero field 30.5 dB, occupied channels 38.0 dB), spurious mass 0.8 %"``."""
    return (f"PSNR {r['psnr']:.2f} dB (zero field {r['zero_psnr']:.2f} dB, occupied channels "
            f"{r['occupied_psnr']:.2f} dB), spurious mass {100 * r['spurious_mass']:.1f} %")
