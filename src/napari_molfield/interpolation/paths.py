"""Paths through latents: linear and spherical segments, ``t ∈ [0, 1]`` (numpy only).

A path goes through ``K ≥ 2`` key latents; key ``k`` sits at ``t = k / (K - 1)`` and each
segment is interpolated linearly (``"linear"``) or spherically (``"slerp"``: the direction
follows the great circle, the norm changes linearly).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike

from ..errors import MolfieldError

#: Interpolation modes (the CLI and the widget offer these).
MODES = ("linear", "slerp")
_ALIASES = {"linear": "linear", "lerp": "linear", "slerp": "slerp", "spherical": "slerp"}
#: Where frames are evaluated: near the atoms (or where a coarse pass finds density), or
#: every voxel.
SUPPORTS = ("atoms", "all")


def check_mode(mode: str) -> str:
    """``"linear"`` or ``"slerp"`` (``"lerp"`` and ``"spherical"`` are accepted aliases)."""
    try:
        return _ALIASES[str(mode).lower()]
    except KeyError:
        raise MolfieldError(
            f"Unknown interpolation mode {mode!r}: use linear or slerp."
        ) from None


def check_support(support: object) -> str:
    """``"atoms"`` or ``"all"`` (``None`` means ``"all"``), else one sentence."""
    if support is None:
        return "all"
    if isinstance(support, str) and support.lower() in SUPPORTS:
        return support.lower()
    raise MolfieldError(f"Unknown support {support!r}: use atoms or all.")


def lerp(a: ArrayLike, b: ArrayLike, t: float) -> np.ndarray:
    """``(1 - t) a + t b``."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return (1.0 - t) * a + t * b


def slerp(a: ArrayLike, b: ArrayLike, t: float, eps: float = 1e-7) -> np.ndarray:
    """Spherical interpolation of direction, linear interpolation of norm.

    ``|slerp(a, b, t)| = (1 - t)|a| + t|b|``, so the norm is kept when ``|a| = |b|``;
    the direction moves at constant angular speed along the great circle from ``a`` to
    ``b``. Falls back to `lerp` when either vector is ~0 or they are (anti-)parallel,
    where the great circle is not defined or not needed.
    """
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < eps or nb < eps:
        return lerp(a, b, t)
    ua, ub = a / na, b / nb
    omega = math.acos(float(np.clip(ua @ ub, -1.0, 1.0)))
    so = math.sin(omega)
    if so < 1e-6:
        return lerp(a, b, t)
    direction = (math.sin((1.0 - t) * omega) * ua + math.sin(t * omega) * ub) / so
    return ((1.0 - t) * na + t * nb) * direction


def path_position(n_keys: int, t: float) -> tuple[int, float]:
    """``(segment, local t)`` of ``t ∈ [0, 1]`` on a path through ``n_keys`` keys (``t``
    outside ``[0, 1]`` is clamped; the last key is ``(n_keys - 2, 1.0)``)."""
    t = min(max(float(t), 0.0), 1.0)
    s = t * (n_keys - 1)
    seg = min(math.floor(s), n_keys - 2)
    return seg, s - seg


def path_latent(latents: np.ndarray, t: float, mode: str = "linear") -> np.ndarray:
    """The latent at ``t`` on the path through ``latents`` ``[K, L]`` (float64 ``[L]``)."""
    z = np.asarray(latents, dtype=np.float64)
    if z.ndim != 2 or z.shape[0] < 2:
        raise MolfieldError("A path needs at least two latents ([K, L], K ≥ 2).")
    seg, u = path_position(z.shape[0], t)
    fn = slerp if check_mode(mode) == "slerp" else lerp
    return fn(z[seg], z[seg + 1], u)


def frame_times(n_frames: int) -> np.ndarray:
    """``n_frames`` evenly spaced ``t`` from 0 to 1 (just ``[0]`` for one frame)."""
    if (isinstance(n_frames, bool) or not isinstance(n_frames, (int, np.integer))
            or int(n_frames) < 1):
        raise MolfieldError(f"The number of frames must be an integer ≥ 1, got {n_frames!r}.")
    return np.linspace(0.0, 1.0, int(n_frames)) if n_frames > 1 else np.zeros(1)


def times_of(times: int | Sequence[float] | np.ndarray) -> np.ndarray:
    """``t`` values: ``times`` itself (each in ``[0, 1]``), or that many even frames."""
    if isinstance(times, (int, np.integer)) and not isinstance(times, bool):
        return frame_times(int(times))
    ts = np.asarray(times, dtype=np.float64).reshape(-1)
    if ts.size == 0 or not np.isfinite(ts).all() or ts.min() < 0.0 or ts.max() > 1.0:
        raise MolfieldError("Frame times must be one or more numbers between 0 and 1.")
    return ts


__all__ = ["MODES", "SUPPORTS", "check_mode", "check_support", "frame_times", "lerp",
           "path_latent", "path_position", "slerp", "times_of"]
