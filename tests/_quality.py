"""Quality thresholds of the tests: a margin over the all-zero field, computed here.

A PSNR alone says little: a molecule's box is mostly empty, so predicting 0 everywhere
already scores 24–35 dB on these fields. Every quality assertion is therefore
``psnr(decoded, truth) >= psnr(zeros, truth) + margin``, with the zero field's PSNR
computed by the test on the same voxels and channels as the decoded one (never read back
from the code under test), and a margin that the current models clear but a broken one
(untrained, or decoding another molecule's latent) does not: each test states both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from napari_molfield.fields.metrics import psnr


def zero_psnr(truth: np.ndarray) -> float:
    """PSNR (MAX = 1, all voxels and channels) of predicting 0 everywhere."""
    t = np.asarray(truth, dtype=np.float64)
    mse = float(np.mean(t**2))
    assert mse > 0, "the truth is empty: no baseline to beat"
    return float(10 * np.log10(1.0 / mse))


def assert_beats_zero(value: float, truth: np.ndarray, margin: float, what: str = "PSNR"
                      ) -> float:
    """Assert ``value >= zero_psnr(truth) + margin`` (dB); return the zero field's PSNR."""
    zero = zero_psnr(truth)
    assert np.isfinite(value) and value >= zero + margin, (
        f"{what} {value:.2f} dB is not {margin} dB above the zero field's {zero:.2f} dB "
        f"(margin {value - zero:+.2f} dB)"
    )
    return zero


def assert_decode_beats_zero(decoded: np.ndarray, truth: np.ndarray, margin: float,
                             what: str = "PSNR") -> float:
    """`assert_beats_zero` for ``psnr(decoded, truth)``; return that PSNR."""
    value = psnr(decoded, truth)
    assert_beats_zero(value, truth, margin, what)
    return value


def autoencoder_truth(model: Any, molecules: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """The peak-normalised Eq. 1 grids an auto-encoder is scored on, and what they occupy.

    Built from the molecules with the model's channels, box, β, frame and training
    resolution (`autoencoder.inputs`), as `evaluate_molecules` scores them.

    Returns
    -------
    truth
        ``[M, C, N, N, N]`` float32.
    occupied
        ``[M, C]`` bool: the channels that hold atoms of each molecule.
    """
    from napari_molfield.autoencoder.encode import molecules_from
    from napari_molfield.autoencoder.inputs import field_inputs, normalised_grids

    mols, problems = molecules_from(list(molecules), model)
    assert len(mols) == len(molecules), problems
    inp = field_inputs(mols, list(model.channels), model.box_edge, model.beta,
                       canonical=model.canonical)
    return normalised_grids(inp, model.resolution, model.beta), np.asarray(inp.occupied, bool)
