"""Numba kernels of the refinement: atom–point pairs and the loss with its gradient.

Serial on purpose: one evaluation is a few hundred thousand pairs, too little work to
gain from threads, and the caller may run several recoveries side by side.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


@njit(cache=True, nogil=True)
def pair_list(xyz, cut, points, lo, cell, dims, start, count, order):  # pragma: no cover
    """Atom and point indices of every pair closer than the atom's cutoff.

    Points are binned in cubic cells of edge ``cell`` from ``lo``: ``order`` lists the
    points cell by cell, cell ``c`` holding ``order[start[c]:start[c] + count[c]]``.
    """
    n_atoms = xyz.shape[0]
    total = 0
    for sweep in range(2):
        if sweep == 1:
            ai = np.empty(total, np.int64)
            pi = np.empty(total, np.int64)
        q = 0
        for a in range(n_atoms):
            c2 = cut[a] * cut[a]
            rng = np.empty((3, 2), np.int64)
            for d in range(3):
                lo_c = math.floor((xyz[a, d] - cut[a] - lo[d]) / cell)
                hi_c = math.floor((xyz[a, d] + cut[a] - lo[d]) / cell)
                rng[d, 0] = max(lo_c, 0)
                rng[d, 1] = min(hi_c, dims[d] - 1)
            for i in range(rng[0, 0], rng[0, 1] + 1):
                for j in range(rng[1, 0], rng[1, 1] + 1):
                    for k in range(rng[2, 0], rng[2, 1] + 1):
                        c = (i * dims[1] + j) * dims[2] + k
                        for s in range(start[c], start[c] + count[c]):
                            p = order[s]
                            dx = points[p, 0] - xyz[a, 0]
                            dy = points[p, 1] - xyz[a, 1]
                            dz = points[p, 2] - xyz[a, 2]
                            if dx * dx + dy * dy + dz * dz < c2:
                                if sweep == 1:
                                    ai[q] = a
                                    pi[q] = p
                                q += 1
        total = q
    return ai, pi


@njit(cache=True, nogil=True)
def loss_grad(xyz, ai, pi, points, chan, amp, inv_r2, beta, target, weight, n_channels,
              model, want_grad):  # pragma: no cover
    """Eq. 1 of the atoms into ``model`` (flat ``[P·K]``), the loss, and its gradient.

    Parameters
    ----------
    chan, amp, inv_r2
        Per atom: fitted channel, amplitude ``a_c`` and ``1 / r²``.
    target
        Flat ``[P·K]`` target values.
    weight
        ``[P]`` point weights ω_p.

    Returns
    -------
    loss
        ``Σ_p ω_p Σ_c (model − target)²``.
    grad
        ``[A, 3]`` ``∂loss/∂xyz`` (zeros unless ``want_grad``).
    """
    n_pairs = ai.shape[0]
    model[:] = 0.0
    vals = np.empty(n_pairs)
    for q in range(n_pairs):
        a = ai[q]
        p = pi[q]
        dx = points[p, 0] - xyz[a, 0]
        dy = points[p, 1] - xyz[a, 1]
        dz = points[p, 2] - xyz[a, 2]
        v = amp[a] * math.exp(-beta * ((dx * dx + dy * dy + dz * dz) * inv_r2[a] - 1.0))
        vals[q] = v
        model[p * n_channels + chan[a]] += v
    loss = 0.0
    for p in range(weight.shape[0]):
        s = 0.0
        for c in range(n_channels):
            r = model[p * n_channels + c] - target[p * n_channels + c]
            s += r * r
        loss += weight[p] * s
    grad = np.zeros((xyz.shape[0], 3))
    if want_grad:
        for q in range(n_pairs):
            a = ai[q]
            p = pi[q]
            idx = p * n_channels + chan[a]
            coef = 4.0 * beta * weight[p] * (model[idx] - target[idx]) * vals[q] * inv_r2[a]
            grad[a, 0] += coef * (points[p, 0] - xyz[a, 0])
            grad[a, 1] += coef * (points[p, 1] - xyz[a, 1])
            grad[a, 2] += coef * (points[p, 2] - xyz[a, 2])
    return loss, grad
