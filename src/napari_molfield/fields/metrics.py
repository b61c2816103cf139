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
