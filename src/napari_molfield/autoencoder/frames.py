"""The canonical frame of a molecule: where the auto-encoder looks at it from.

A molecule's coordinates are moved into a frame fixed by its own atoms, so that any
rotation or translation of the input file gives the same encoder input:

* origin: the centre of the atoms weighted by atomic number (a proxy for mass that
  keeps hydrogens light);
* axes: the principal axes of the weighted covariance, longest first;
* signs: each axis points towards the heavier tail of its distribution (the sign of the
  weighted third moment along it); the two axes whose skewness is clearest decide, and
  the third completes a **right-handed** frame, so the frame is a proper rotation and a
  molecule and its mirror image are *not* made alike (enantiomers stay distinct);
* fallbacks, for symmetric molecules: within a degenerate eigenspace (equal variances,
  e.g. benzene's ring plane, methane) the first axis points at the heaviest, farthest
  atom's projection; an axis with no clear skewness (a mirror plane, e.g. ethane) takes
  its sign from the heaviest, farthest atom off the plane. Ties are broken by atom order,
  so the frame is deterministic, but for symmetric molecules it may still depend on the
  input orientation: training adds random rotations (``TrainConfig.rotate``) and sign
  flips (``flip_prob``) to cover that residual ambiguity.

What is canonicalised: rotation and translation. What is not: mirror images, conformers
(each conformer has its own frame), and the choice among symmetry-equivalent frames of
highly symmetric molecules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Relative gap below which two principal variances count as equal.
DEGENERATE = 1e-3
#: Skewness (relative to σ³) below which an axis sign counts as undetermined.
FLAT = 1e-3
#: The frame recipe, stored with models trained in it.
FRAME_RECIPE = "principal-axes/Z-weighted/skew-sign/right-handed/v1"


@dataclass(frozen=True)
class Frame:
    """A rigid frame: canonical = ``(x - centre) @ axes.T``; ``axes`` rows are the
    canonical x, y, z axes in the user's frame (a proper rotation, det = +1)."""

    centre: np.ndarray  # [3]
    axes: np.ndarray  # [3, 3]

    def to_canonical(self, xyz: np.ndarray) -> np.ndarray:
        """User-frame points ``[..., 3]`` (Å) → canonical frame."""
        return (np.asarray(xyz, dtype=np.float64) - self.centre) @ self.axes.T

    def from_canonical(self, xyz: np.ndarray) -> np.ndarray:
        """Canonical points ``[..., 3]`` → the user's frame."""
        return np.asarray(xyz, dtype=np.float64) @ self.axes + self.centre

    @classmethod
    def identity(cls) -> Frame:
        """The user's own frame."""
        return cls(np.zeros(3), np.eye(3))


def atom_weights(elements: Sequence[str]) -> np.ndarray:
    """Atomic numbers of ``elements`` (unknown symbols weigh 6, like carbon)."""
    from ..chem.elements import atomic_number

    z = np.asarray(atomic_number(list(elements), strict=False), dtype=np.float64)
    return np.where(z > 0, z, 6.0)


def canonical_frame(xyz: np.ndarray, weights: np.ndarray | None = None) -> Frame:
    """The canonical frame of atoms ``xyz`` ``[A, 3]`` with ``weights`` ``[A]``.

    See the module docstring for the rules. Deterministic: the same atoms in the same
    order give the same frame, and any proper rotation / translation of them gives the
    correspondingly rotated frame (up to the fallbacks for symmetric molecules).
    """
    x = np.asarray(xyz, dtype=np.float64).reshape(-1, 3)
    w = np.ones(len(x)) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(x) == 0:
        return Frame.identity()
    w = w / w.sum()
    centre = w @ x
    d = x - centre
    cov = (d * w[:, None]).T @ d
    var, vec = np.linalg.eigh(cov)
    var, vec = var[::-1], vec[:, ::-1].T.copy()  # rows: axes, longest first
    scale = max(float(var[0]), 1e-12)
    vec = _resolve_degenerate(vec, var, d, w, scale)
    proj = d @ vec.T  # [A, 3]
    sigma = np.sqrt(np.maximum(var, 1e-12 * scale))
    skew = (w[:, None] * proj**3).sum(axis=0) / sigma**3
    conf = np.abs(skew)
    signs = np.sign(skew)
    for k in range(3):
        if var[k] < 1e-8 * scale:  # atoms in a plane or on a line: nothing to read
            signs[k], conf[k] = 1.0, -1.0
        elif conf[k] < FLAT:  # a mirror plane across the axis: ask the atoms
            signs[k], conf[k] = _tiebreak_sign(proj[:, k], w), 0.0
    # the two clearest axes keep their signs; the third makes the frame right-handed
    last = int(np.argmin(conf + 1e-9 * np.arange(3)))
    vec = vec * signs[:, None]
    vec[last] = np.cross(vec[(last + 1) % 3], vec[(last + 2) % 3])
    return Frame(centre, vec)


def _resolve_degenerate(vec: np.ndarray, var: np.ndarray, d: np.ndarray, w: np.ndarray,
                        scale: float) -> np.ndarray:
    """Replace axes of equal variance by atom-defined ones (deterministic)."""
    gaps = [abs(var[k] - var[k + 1]) / scale < DEGENERATE for k in range(2)]
    if gaps[0] and gaps[1]:  # spherical top: two atoms define the frame
        a = _anchor(d, w)
        if a is None:
            return vec
        b = _anchor(d - np.outer(d @ a, a), w)
        if b is None:  # all atoms on one line through the centre
            b = np.cross(a, [1.0, 0.0, 0.0] if abs(a[0]) < 0.9 else [0.0, 1.0, 0.0])
            b /= np.linalg.norm(b)
        return np.stack([a, b, np.cross(a, b)])
    for k in range(2):
        if gaps[k]:  # a symmetric top: one atom fixes the axes in the degenerate plane
            other = 2 if k == 0 else 0
            plane = vec[k : k + 2]
            a = _anchor((d @ plane.T) @ plane, w)
            if a is not None:
                vec = vec.copy()
                vec[k], vec[k + 1] = a, np.cross(vec[other], a)
    return vec


def _anchor(d: np.ndarray, w: np.ndarray) -> np.ndarray | None:
    """Unit direction of the heaviest, farthest atom of ``d`` (first in order on ties)."""
    r = np.linalg.norm(d, axis=1)
    if not len(r) or r.max() < 1e-6:
        return None
    score = np.round(w * r, 6)
    k = int(np.flatnonzero(score == score.max())[0])
    return d[k] / r[k]


def _tiebreak_sign(p: np.ndarray, w: np.ndarray) -> float:
    """+1 or −1: the sign of the heaviest, farthest atom's coordinate along an axis."""
    score = np.round(w * np.abs(p), 6)
    if not len(p) or score.max() < 1e-9:
        return 1.0
    k = int(np.flatnonzero(score == score.max())[0])
    return 1.0 if p[k] >= 0 else -1.0


def proper_flips() -> np.ndarray:
    """``[4, 3, 3]``: the identity and the three 180° turns about the frame's axes (the
    sign choices a skewness rule can get wrong for near-symmetric molecules)."""
    return np.stack([np.diag(s) for s in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1))]
                    ).astype(np.float64)


__all__ = ["DEGENERATE", "FLAT", "FRAME_RECIPE", "Frame", "atom_weights", "canonical_frame",
           "proper_flips"]
