"""How many atoms a channel holds: its integral over the integral of one atom of Eq. 1.

One atom adds ``w exp(−β(|p − x|²/r² − 1))`` to its channel, whose integral over space is

    I₁ = w e^β (π r² / β)^{3/2}

(31.6 Å³ for carbon at β = 2). A channel sampled on a grid of spacing ``h`` has the
integral ``h³ Σ values`` (exact to float precision for h ≲ 1 Å, since the Gaussians are
smooth), times its normalisation scale ``s_c`` when the field was divided by it, so it
holds ``n_c = s_c h³ Σ values / I₁`` atoms. The local maxima cross-check the count: a
channel has at least as many atoms as well-separated maxima, and far more maxima than
atoms means noise. The noise level σ of a channel is estimated robustly from its
mostly empty voxels (1.4826 × the median absolute deviation), which makes its count
uncertain by ``s_c h³ σ sqrt(N³) / I₁`` atoms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import MolfieldError
from .channels import ElementChannel
from .peaks import local_maxima

#: A channel whose count is uncertain by more than this many atoms is too noisy.
MAX_COUNT_ERROR: float = 0.35
#: Maxima above this fraction of one atom's centre value count as peaks.
PEAK_FRACTION: float = 0.3
#: Channels holding less than this many atoms' worth of density are empty.
MIN_COUNT: float = 0.5


def atom_integral(radius: float, beta: float, weight: float = 1.0) -> float:
    """``w e^β (π r²/β)^{3/2}``: the integral over space of one term of Eq. 1 (Å³)."""
    return float(weight * math.exp(beta) * (math.pi * radius**2 / beta) ** 1.5)


@dataclass
class ChannelCount:
    """The atom count of one element channel.

    Attributes
    ----------
    channel
        The channel.
    estimate
        ``s_c h³ Σ values / I₁`` (a real number; an exact field gives an integer).
    count
        The number of atoms fitted (the rounded estimate, possibly changed by ±1 when a
        neighbouring count fits the field better).
    peaks
        Local maxima above `PEAK_FRACTION` of one atom's centre value.
    """

    channel: ElementChannel
    estimate: float
    count: int
    peaks: int


def count_channel(
    grid: np.ndarray, spacing: float, channel: ElementChannel, beta: float, scale: float
) -> ChannelCount:
    """Estimate the atoms of one channel of a grid.

    Parameters
    ----------
    grid
        ``[N, N, N]`` values of the channel.
    spacing
        Voxel edge ``h`` (Å).
    channel
        The element channel.
    beta
        β of Eq. 1.
    scale
        The channel's normalisation scale ``s_c`` (1 for a field in Eq. 1 units).

    Raises
    ------
    MolfieldError
        If the channel is too noisy to count: noise that makes the count uncertain by
        more than `MAX_COUNT_ERROR` atoms, or many more maxima than atoms.
    """
    g = np.asarray(grid, dtype=np.float64)
    if not np.isfinite(g).all():
        raise MolfieldError(f"Channel {channel.name!r} holds NaN or infinite values.")
    one = atom_integral(channel.radius, beta)
    sigma = 1.4826 * float(np.median(np.abs(g - np.median(g))))
    error = math.sqrt(g.size) * sigma * spacing**3 * scale / one
    if error > MAX_COUNT_ERROR:
        raise MolfieldError(
            f"Channel {channel.name!r} is too noisy to count atoms: its noise (σ ≈ {sigma:.3g}) "
            f"makes the count uncertain by ±{error:.1f} atoms."
        )
    estimate = float(g.sum(dtype=np.float64)) * spacing**3 * scale / one
    count = max(round(estimate), 0)
    centre = math.exp(beta) / scale  # one isolated atom's centre value
    n_peaks = len(local_maxima(g, PEAK_FRACTION * centre)[1]) if count else 0
    if count and n_peaks > 2 * count + 3:
        raise MolfieldError(
            f"Channel {channel.name!r} is too noisy to count atoms: it has {n_peaks} maxima "
            f"for about {estimate:.1f} atoms."
        )
    return ChannelCount(channel, float(estimate), count, n_peaks)
