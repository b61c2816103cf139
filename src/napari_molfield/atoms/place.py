"""Place a given number of atoms per channel so that Eq. 1 of them matches the target.

Greedy, then joint: channels start from their highest local maxima (at most their
count), all positions are refined together, and while a channel lacks atoms new ones
go to the maxima of its residual (target − model, several at once when they lie apart),
each round followed by a joint refinement. A polish step then tries, per channel whose
residual stays large, moving its worst atom to the residual maximum and the counts
``n ± 1``, keeping whatever lowers the loss.
"""

from __future__ import annotations

import math

import numpy as np

from .refine import Problem

#: Residual maxima closer than this (Å) to an already chosen one are skipped.
SEPARATION: float = 1.0
#: A channel whose loss exceeds this fraction of its energy is polished.
POLISH_RTOL: float = 1e-5
#: A count change must lower the channel's loss by this fraction.
COUNT_GAIN: float = 0.25


def _channel_energy(problem: Problem) -> np.ndarray:
    return (problem.weights[:, None] * problem.target**2).sum(axis=0)


def residual_maxima(
    problem: Problem, residual: np.ndarray, c: int, n: int, floor: float
) -> np.ndarray:
    """Up to ``n`` points of largest residual in channel ``c``, `SEPARATION` apart.

    Returns
    -------
    numpy.ndarray
        ``[m, 3]`` Å, ``m ≤ n``; the first is always the maximum, the others must exceed
        ``floor``.
    """
    r = residual[:, c]
    order = np.argsort(-r)[: max(64 * n, 256)]
    chosen: list[np.ndarray] = []
    for p in order:
        x = problem.points[p]
        if chosen and r[p] <= floor:
            break
        if all(((x - y) ** 2).sum() >= SEPARATION**2 for y in chosen):
            chosen.append(x)
            if len(chosen) == n:
                break
    return np.array(chosen).reshape(-1, 3)


def _support(problem: Problem, xyz: np.ndarray, k: np.ndarray, residual: np.ndarray
             ) -> np.ndarray:
    """Per atom, Σ_p ω_p g_a(p) residual_c(p): negative where the atom has too much company."""
    ai, pi = problem.pairs(xyz, k)
    d2 = ((problem.points[pi] - xyz[ai]) ** 2).sum(axis=1)
    g = np.exp(-problem.beta * d2 / problem.radius[k[ai]] ** 2)
    vals = problem.weights[pi] * g * residual[pi, k[ai]]
    return np.bincount(ai, weights=vals, minlength=len(k))


def fit_counts(
    problem: Problem,
    counts: np.ndarray,
    seeds: list[np.ndarray],
    start: tuple[np.ndarray, np.ndarray] | None = None,
    *,
    polish: bool = True,
    vary_count: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Atoms of every fitted channel, ``counts[c]`` of them in channel ``c``.

    Parameters
    ----------
    problem
        Target and model constants.
    counts
        ``[K]`` atoms wanted per fitted channel (changed by at most ±1 while polishing).
    seeds
        Per channel, ``[M, 3]`` candidate positions (local maxima), best first.
    start
        ``(xyz, k)`` atoms to start from instead of the seeds (a previous fit); extra
        atoms of a channel are dropped, weakest first.
    polish
        Try moves (and ``n ± 1`` counts) on channels that still fit badly.
    vary_count
        Allow the polish to change counts.

    Returns
    -------
    xyz
        ``[A, 3]`` positions (Å).
    k
        ``[A]`` fitted-channel index of each atom.
    counts
        ``[K]`` the final counts.
    """
    counts = np.asarray(counts, dtype=np.int64).copy()
    n_ch = problem.n_channels
    if start is not None:
        xyz, k = np.asarray(start[0], np.float64).reshape(-1, 3), np.asarray(start[1], np.int64)
        keep = np.ones(len(k), bool)
        if len(k):
            sup = _support(problem, xyz, k, problem.residual(xyz, k))
            for c in range(n_ch):
                idx = np.flatnonzero(k == c)
                if len(idx) > counts[c]:
                    keep[idx[np.argsort(sup[idx])[: len(idx) - counts[c]]]] = False
        xyz, k = xyz[keep], k[keep]
    else:
        parts = [np.asarray(seeds[c], np.float64).reshape(-1, 3)[: counts[c]]
                 for c in range(n_ch)]
        xyz = np.concatenate(parts) if parts else np.zeros((0, 3))
        k = np.concatenate([np.full(len(p), c, np.int64) for c, p in enumerate(parts)]
                           ) if parts else np.zeros(0, np.int64)
    xyz, _ = problem.refine(xyz, k, max_steps=60, rtol=1e-7)
    xyz, k = _fill(problem, xyz, k, counts)
    xyz, _ = problem.refine(xyz, k, max_steps=400)
    if polish:
        xyz, k = _polish(problem, xyz, k, vary_count)
    counts = np.bincount(k, minlength=n_ch)
    return xyz, k, counts


def _fill(problem: Problem, xyz: np.ndarray, k: np.ndarray, counts: np.ndarray
          ) -> tuple[np.ndarray, np.ndarray]:
    """Add atoms at residual maxima until every channel has its count."""
    centre = problem.amplitude * math.exp(problem.beta)
    for _ in range(int(counts.sum()) + 1):
        have = np.bincount(k, minlength=problem.n_channels)
        need = counts - have
        if (need <= 0).all():
            break
        res = problem.residual(xyz, k)
        new_x, new_k = [xyz], [k]
        for c in np.flatnonzero(need > 0):
            pts = residual_maxima(problem, res, int(c), int(need[c]), 0.5 * centre[c])
            new_x.append(pts)
            new_k.append(np.full(len(pts), c, np.int64))
        xyz, k = np.concatenate(new_x), np.concatenate(new_k)
        xyz, _ = problem.refine(xyz, k, max_steps=60, rtol=1e-7)
    return xyz, k


def _polish(problem: Problem, xyz: np.ndarray, k: np.ndarray, vary_count: bool = True,
            rounds: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """Move the worst atom, or add or remove one, where a channel still fits badly."""
    energy = _channel_energy(problem)
    for _ in range(rounds):
        losses = problem.channel_losses(xyz, k)
        bad = np.flatnonzero(losses > POLISH_RTOL * np.maximum(energy, 1e-300))
        if len(bad) == 0:
            break
        improved = False
        for c in bad:
            c = int(c)
            res = problem.residual(xyz, k)
            sup = _support(problem, xyz, k, res) if len(k) else np.zeros(0)
            idx = np.flatnonzero(k == c)
            trials = []
            peak = residual_maxima(problem, res, c, 1, -math.inf)
            if len(idx):
                worst = idx[np.argmin(sup[idx])]
                moved = xyz.copy()
                moved[worst] = peak[0]
                trials.append(("move", moved, k))
                if vary_count:
                    drop = np.ones(len(k), bool)
                    drop[worst] = False
                    trials.append(("remove", xyz[drop], k[drop]))
            if vary_count:
                trials.append(("add", np.concatenate([xyz, peak]), np.append(k, c)))
            best = (losses[c], xyz, k)
            for kind, tx, tk in trials:
                # only this channel's atoms move: the others are already refined
                tx, _ = problem.refine(tx, tk, max_steps=200, movable=tk == c)
                lc = problem.channel_losses(tx, tk)[c]
                gain = 0.0 if kind == "move" else COUNT_GAIN * losses[c]
                if lc < best[0] - gain:
                    best = (lc, tx, tk)
            if best[1] is not xyz:
                xyz, k = best[1], best[2]
                improved = True
        if not improved:
            break
    return xyz, k
