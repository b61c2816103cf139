"""Least-squares refinement of atom positions against a field sampled at points.

The model is Eq. 1 of the current atoms, each scaled by its channel's amplitude
``a_c = w / s_c`` (1 for a field in Eq. 1 units), evaluated at fixed points ``p`` where
the target field is known (the voxel centres of a grid, or any points where a neural
field was evaluated), and the loss is

    L = Σ_p ω_p Σ_c (model_c(p) − target_c(p))²

minimised over all positions of all channels together by L-BFGS with the analytic
gradient (float64, numba kernels in `kernels`). Only atom–point pairs within each atom's
cutoff (where its term exceeds `TOL` of its centre value, plus `MARGIN`) are evaluated,
found with a cell list, so one evaluation costs ``O(atoms × points per atom)``; pairs
are rebuilt whenever an atom has moved by more than half the margin since they were
found.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

#: Terms below this fraction of their centre value are dropped.
TOL: float = 1e-5
#: Å added to every cutoff so pairs stay valid while atoms move.
MARGIN: float = 0.4
#: Largest move of any atom in one L-BFGS step (Å).
MAX_STEP: float = 0.3
#: Edge of the cells of the point lookup (Å).
CELL: float = 1.0

Pairs = tuple[np.ndarray, np.ndarray]


@dataclass
class Problem:
    """A target field at fixed points and the constants of the model.

    Attributes
    ----------
    points
        ``[P, 3]`` float64 Å.
    target
        ``[P, K]`` float64 values of the ``K`` fitted channels.
    weights
        ``[P]`` float64 ω_p.
    radius
        ``[K]`` van der Waals radius of each fitted channel's element (Å).
    amplitude
        ``[K]`` a_c.
    beta
        β of Eq. 1.
    """

    points: np.ndarray
    target: np.ndarray
    weights: np.ndarray
    radius: np.ndarray
    amplitude: np.ndarray
    beta: float

    def __post_init__(self) -> None:
        self.points = np.ascontiguousarray(self.points, dtype=np.float64).reshape(-1, 3)
        self.target = np.ascontiguousarray(self.target, dtype=np.float64)
        self.target = self.target.reshape(self.points.shape[0], -1)
        self.weights = np.ascontiguousarray(self.weights, dtype=np.float64).reshape(-1)
        self.radius = np.asarray(self.radius, dtype=np.float64).reshape(-1)
        self.amplitude = np.asarray(self.amplitude, dtype=np.float64).reshape(-1)
        self._tf = self.target.reshape(-1)
        self._wf = np.repeat(self.weights, self.target.shape[1])
        # cell list of the points
        self._lo = self.points.min(axis=0) if len(self.points) else np.zeros(3)
        cell = np.floor((self.points - self._lo) / CELL).astype(np.int64)
        self._dims = (cell.max(axis=0) + 1 if len(cell) else np.ones(3, np.int64)
                      ).astype(np.int64)
        lin = (np.ravel_multi_index(cell.T, self._dims) if len(cell)
               else np.zeros(0, np.int64))
        self._order = np.argsort(lin, kind="stable").astype(np.int64)
        self._count = np.bincount(lin, minlength=int(np.prod(self._dims))).astype(np.int64)
        self._start = (np.cumsum(self._count) - self._count).astype(np.int64)

    @property
    def n_channels(self) -> int:
        """``K``."""
        return int(self.target.shape[1])

    @property
    def energy(self) -> float:
        """``Σ ω t²``: the loss of no atoms at all."""
        return float(np.dot(self._wf * self._tf, self._tf))

    def cutoff(self, k: np.ndarray) -> np.ndarray:
        """Cutoff radius (Å, margin included) of atoms in fitted channels ``k``."""
        return self.radius[k] * math.sqrt(math.log(1 / TOL) / self.beta) + MARGIN

    def subsample(self, stride: int, shape: tuple[int, ...]) -> Problem:
        """The problem on every ``stride``-th point of a grid of ``shape`` (C order).

        Weights are multiplied by ``stride³`` so the loss keeps its scale.
        """
        if stride <= 1:
            return self
        keep = np.zeros(shape, bool)
        keep[::stride, ::stride, ::stride] = True
        keep = keep.reshape(-1)
        return Problem(self.points[keep], self.target[keep], self.weights[keep] * stride**3,
                       self.radius, self.amplitude, self.beta)

    # ------------------------------------------------------------------ evaluation

    def pairs(self, xyz: np.ndarray, k: np.ndarray) -> Pairs:
        """Atom and point indices of every pair closer than the atom's cutoff."""
        from .kernels import pair_list

        xyz = np.ascontiguousarray(xyz, np.float64).reshape(-1, 3)
        k = np.asarray(k, np.int64)
        if len(k) == 0 or len(self.points) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        return pair_list(xyz, self.cutoff(k), self.points, self._lo, CELL, self._dims,
                         self._start, self._count, self._order)

    def _evaluate(self, xyz: np.ndarray, k: np.ndarray, pairs: Pairs, grad: bool
                  ) -> tuple[np.ndarray, float, np.ndarray]:
        """Model (flat ``[P·K]``), loss and (zeros unless ``grad``) ``∂L/∂xyz`` ``[A, 3]``."""
        from .kernels import loss_grad

        k = np.asarray(k, np.int64)
        model = np.empty(self._tf.size)
        loss, g = loss_grad(
            np.ascontiguousarray(xyz, np.float64).reshape(-1, 3), pairs[0], pairs[1],
            self.points, k, np.ascontiguousarray(self.amplitude[k]),
            np.ascontiguousarray(1.0 / self.radius[k] ** 2), float(self.beta), self._tf,
            self.weights, self.n_channels, model, grad,
        )
        return model, float(loss), g

    def model(self, xyz: np.ndarray, k: np.ndarray) -> np.ndarray:
        """``[P, K]`` Eq. 1 of atoms at ``xyz`` ``[A, 3]`` in fitted channels ``k``."""
        xyz = np.asarray(xyz, np.float64).reshape(-1, 3)
        model = self._evaluate(xyz, k, self.pairs(xyz, k), False)[0]
        return model.reshape(-1, self.n_channels)

    def residual(self, xyz: np.ndarray, k: np.ndarray) -> np.ndarray:
        """``[P, K]`` target − model."""
        return self.target - self.model(xyz, k)

    def loss(self, xyz: np.ndarray, k: np.ndarray) -> float:
        """``L`` of atoms at ``xyz`` in channels ``k``."""
        r = self.residual(xyz, k)
        return float((self.weights[:, None] * r * r).sum())

    def channel_losses(self, xyz: np.ndarray, k: np.ndarray) -> np.ndarray:
        """``[K]`` the part of ``L`` in each fitted channel."""
        r = self.residual(xyz, k)
        return (self.weights[:, None] * r * r).sum(axis=0)

    # ------------------------------------------------------------------ refinement

    def refine(
        self,
        xyz: np.ndarray,
        k: np.ndarray,
        *,
        max_steps: int = 200,
        movable: np.ndarray | None = None,
        rtol: float = 1e-12,
    ) -> tuple[np.ndarray, float]:
        """Minimise ``L`` over the positions of the atoms (those in ``movable``).

        Parameters
        ----------
        xyz
            ``[A, 3]`` start positions.
        k
            ``[A]`` fitted-channel index of each atom.
        max_steps
            Most L-BFGS iterations.
        movable
            ``[A]`` bool; default every atom.
        rtol
            Stop when a step lowers ``L`` by less than this fraction of the target's
            energy.

        Returns
        -------
        xyz
            ``[A, 3]`` refined positions.
        loss
            ``L`` there.
        """
        xyz = np.array(xyz, dtype=np.float64).reshape(-1, 3)
        k = np.asarray(k, dtype=np.int64)
        mask = np.ones(len(k), bool) if movable is None else np.asarray(movable, bool)
        energy = self.energy or 1.0
        if len(k) == 0 or not mask.any():
            return xyz, self.loss(xyz, k)
        state = {"ref": xyz.copy(), "pairs": self.pairs(xyz, k)}

        def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
            full = xyz.copy()
            full[mask] = x.reshape(-1, 3)
            moved = np.sqrt(((full - state["ref"]) ** 2).sum(axis=1)).max()
            if moved > MARGIN / 2:
                state["ref"] = full.copy()
                state["pairs"] = self.pairs(full, k)
            _, loss, g = self._evaluate(full, k, state["pairs"], True)
            return loss / energy, g[mask].reshape(-1) / energy

        x, _ = lbfgs(fun, xyz[mask].reshape(-1), max_steps=max_steps, ftol=rtol)
        xyz[mask] = x.reshape(-1, 3)
        return xyz, self.loss(xyz, k)


def lbfgs(
    fun: Callable[[np.ndarray], tuple[float, np.ndarray]], x0: np.ndarray, *,
    max_steps: int = 200, memory: int = 20, ftol: float = 1e-12, gtol: float = 1e-12,
) -> tuple[np.ndarray, float]:
    """Minimise ``fun`` (value and gradient) from ``x0`` (atoms' ``xyz`` flattened).

    Limited-memory BFGS with a backtracking (Armijo) line search; no atom moves by more
    than `MAX_STEP` Å in one step. Stops after ``max_steps`` steps, when a step lowers
    the value by less than ``ftol``, or when the gradient norm falls below ``gtol``.

    Returns
    -------
    x
        The minimiser found.
    value
        ``fun`` there.
    """
    x = np.array(x0, dtype=np.float64)
    f, g = fun(x)
    hist: list[tuple[np.ndarray, np.ndarray, float]] = []
    for _ in range(max_steps):
        if not np.isfinite(f) or np.linalg.norm(g) < gtol:
            break
        q = g.copy()
        alphas = []
        for s, y, rho in reversed(hist):
            a = rho * np.dot(s, q)
            q -= a * y
            alphas.append(a)
        if hist:
            s, y, _ = hist[-1]
            q *= np.dot(s, y) / np.dot(y, y)
        for (s, y, rho), a in zip(hist, reversed(alphas), strict=True):
            q += s * (a - rho * np.dot(y, q))
        d = -q
        slope = float(np.dot(g, d))
        if slope >= 0:  # not a descent direction: restart from steepest descent
            hist.clear()
            d, slope = -g, -float(np.dot(g, g))
        step = 1.0 if hist else 1.0 / max(np.linalg.norm(g), 1e-30)
        longest = np.sqrt((d.reshape(-1, 3) ** 2).sum(axis=1)).max() * step
        if longest > MAX_STEP:
            step *= MAX_STEP / longest
        for _ in range(40):
            xn = x + step * d
            fn, gn = fun(xn)
            if fn <= f + 1e-4 * step * slope:
                break
            step *= 0.5
        else:
            break
        s, y = xn - x, gn - g
        sy = float(np.dot(s, y))
        if sy > 1e-16 * float(np.dot(y, y)):
            hist.append((s, y, 1.0 / sy))
            if len(hist) > memory:
                hist.pop(0)
        done = f - fn < ftol
        x, f, g = xn, fn, gn
        if done:
            break
    return x, f
