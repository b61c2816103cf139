"""The count and scale of a normalised channel whose normalisation is unknown.

A field divided by `channel_peaks` with the scale lost (a decoder's output, a map saved
without its metadata) fixes only the product ``n · a`` of a channel's atom count and
amplitude ``a = 1 / s`` through its integral. `scan_count` fits every count from the
lower bound (isolated atoms, ``s = e^β``) upwards with the amplitude that keeps the mass,
and keeps the fewest atoms that fit as well as the best count; atoms of one channel
closer than `MIN_DISTANCE` end the scan, since more atoms would only split blobs.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import MolfieldError
from .count import ChannelCount, atom_integral
from .place import fit_counts
from .refine import Problem

#: Atoms of one channel closer than this (Å) are not a fit but a split blob.
MIN_DISTANCE: float = 0.6
#: Relative loss at which the count scan of a channel of unknown scale stops.
SCAN_DONE: float = 1e-6


def scan_count(problem: Problem, cc: ChannelCount, seeds: np.ndarray, polish: bool,
                notes: list[str]) -> tuple[np.ndarray, float]:
    """Count and scale of a normalised channel whose scale is unknown.

    The channel's integral fixes the product ``n · a``: each count ``n`` from the
    lower bound (scale ``e^β``, isolated atoms) upwards is fitted with the amplitude
    ``a = I / (n I₁)`` that keeps the mass, and the count with the smallest loss wins;
    the scan stops two counts past the best one, or at a perfect fit.

    Returns
    -------
    xyz
        ``[n, 3]`` positions.
    scale
        The solved scale ``1 / a``.
    """
    one = atom_integral(cc.channel.radius, problem.beta)
    mass = cc.estimate * one / math.exp(problem.beta)  # integral of the normalised channel
    n_lo = max(round(cc.estimate), 1)
    n_hi = max(n_lo + 2, int(2.5 * cc.estimate) + 2)
    energy = problem.energy or 1.0
    tried: list[tuple[float, int, np.ndarray]] = []
    start = None
    for n in range(n_lo, n_hi + 1):
        problem.amplitude = np.array([mass / (n * one)])
        x, kk, _ = fit_counts(problem, np.array([n]), [seeds], start=start, polish=polish,
                              vary_count=False)
        d2 = ((x[:, None] - x[None]) ** 2).sum(-1) + np.eye(n) * 1e9
        if d2.min() < MIN_DISTANCE**2:  # atoms piling up: more atoms only split them
            break
        loss = problem.loss(x, kk) / energy
        tried.append((loss, n, x))
        start = (x, kk)
        best = min(t[0] for t in tried)
        if loss < SCAN_DONE or n >= min(t[1] for t in tried if t[0] == best) + 2:
            break
    if not tried:
        raise MolfieldError(
            f"Channel {cc.channel.name!r} cannot be counted: it is normalised with no scale "
            "given and no count fits it."
        )
    best = min(t[0] for t in tried)
    # the fewest atoms that fit as well as the best count (Occam)
    _, n, x = min((t for t in tried if t[0] <= 1.25 * best + SCAN_DONE / 10),
                  key=lambda t: t[1])
    s = n * one / mass
    own = float(self_peaks(x, np.zeros(n, np.int64), np.array([cc.channel.radius]),
                            problem.beta, 1)[0])
    cc.count = n
    cc.estimate = mass * own / one
    notes.append(
        f"channel {cc.channel.name!r} is normalised with no scale given: {n} atoms fit best, "
        f"scale {s:.4g} (their channel peak is {own:.4g})"
    )
    return x, s


def self_peaks(xyz: np.ndarray, k: np.ndarray, radius: np.ndarray, beta: float,
               n_channels: int) -> np.ndarray:
    """`channel_peaks` of atoms at ``xyz`` in fitted channels ``k`` (weight 1)."""
    out = np.full(n_channels, math.exp(beta))
    for c in range(n_channels):
        x = xyz[k == c]
        if len(x):
            d2 = ((x[:, None] - x[None]) ** 2).sum(-1)
            out[c] = np.exp(-beta * (d2 / radius[c] ** 2 - 1)).sum(axis=1).max()
    return out
