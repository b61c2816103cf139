"""Decode any continuous field on a voxel grid: the one grid path every model kind uses.

A model kind supplies ``evaluate(points) → values``: ``[P, 3]`` Å points to ``[P, C]``
float32 values (its network at one latent). `decode_grid` turns that into the values of a
``resolution³`` voxel-centred grid of a `Box` — or of a sub-box of it, a tile of a very fine
grid — with the same options for every kind:

* ``skip_empty`` (default): decode coarse-to-fine and leave empty space at 0
  (`fields.skip.coarse_to_fine` says exactly what can be missed);
* a memory guard that refuses grids above half the available memory, with the estimate in
  the sentence;
* ``chunk_points`` bounding the working set of one network call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MolfieldError
from ..logs import get_logger
from .box import Box
from .channels import AtomTable
from .limits import check_memory, check_resolution, grid_bytes
from .skip import DEFAULT_THRESHOLD, coarse_stride, coarse_to_fine

log = get_logger(__name__)

#: ``((i0, i1), (j0, j1), (k0, k1))``: half-open voxel index ranges of an ``N³`` grid.
SubBox = Sequence[tuple[int, int]]
#: Points per network call unless told otherwise.
DEFAULT_CHUNK = 65536
#: ``[P, 3]`` Å points → ``[P, C]`` values.
Evaluate = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class GridValues:
    """What `decode_grid` returns: ``values`` ``[C, X, Y, Z]`` starting at voxel centre
    ``origin`` (Å) with ``spacing`` (Å), and ``skip`` (``None`` for a dense decode, else the
    threshold, coarse stride, evaluated fraction and passes of the skip-empty decode)."""

    values: np.ndarray
    origin: np.ndarray
    spacing: float
    skip: dict[str, Any] | None


def sub_box_ranges(sub_box: SubBox | None, n: int) -> list[tuple[int, int]]:
    """The three ``(start, stop)`` ranges of ``sub_box`` (the whole grid when ``None``)."""
    if sub_box is None:
        return [(0, n)] * 3
    try:
        rng = [(int(a), int(b)) for a, b in sub_box]
    except (TypeError, ValueError):
        raise MolfieldError("sub_box must be three (start, stop) voxel index ranges.") from None
    if len(rng) != 3 or any(not 0 <= a < b <= n for a, b in rng):
        raise MolfieldError(
            f"sub_box {sub_box} must be three (start, stop) ranges with 0 ≤ start < stop ≤ {n}."
        )
    return rng


def check_decode_memory(c: int, shape: tuple[int, int, int], chunk: int, units: int) -> None:
    """Refuse a decode whose output (plus one chunk's working set of ``units`` hidden values
    per point) needs more than half the available memory."""
    need = 2 * grid_bytes(c, shape) + float(chunk) * (units * 8 + 64)
    check_memory(need, f"Decoding {shape[0]}×{shape[1]}×{shape[2]} voxels × {c} channels",
                 "lower the resolution or decode a sub_box")


def decode_grid(
    evaluate: Evaluate,
    region: Box,
    resolution: int,
    n_channels: int,
    *,
    sub_box: SubBox | None = None,
    skip_empty: bool = True,
    threshold: float | str = DEFAULT_THRESHOLD,
    chunk_points: int = DEFAULT_CHUNK,
    hidden_units: int = 0,
) -> GridValues:
    """The values of ``evaluate`` on the ``resolution³`` voxel-centred grid of ``region``.

    Parameters
    ----------
    evaluate
        ``[P, 3]`` Å points → ``[P, C]`` values (called with at most ``chunk_points``
        points at a time on the dense path).
    region
        The `Box` whose grid is sampled.
    resolution
        ``N`` voxels per edge (no upper limit: fine grids are decoded by sub-box).
    n_channels
        ``C``.
    sub_box
        Only these voxels of the ``N`` grid (half-open index ranges).
    skip_empty
        Coarse-to-fine, empty space left at 0 (see `fields.skip.coarse_to_fine`); ``False``
        evaluates every voxel.
    threshold
        Value (channel peaks ≈ 1) at or below which a voxel counts as empty; ``"auto"``
        from the network's floor (`fields.skip.auto_threshold`).
    chunk_points
        Points per call of ``evaluate``.
    hidden_units
        Hidden values per point of the network (for the memory estimate).
    """
    n = check_resolution(resolution, maximum=None)
    (i0, i1), (j0, j1), (k0, k1) = sub_box_ranges(sub_box, n)
    shape = (i1 - i0, j1 - j0, k1 - k0)
    chunk = max(1, int(chunk_points))
    check_decode_memory(n_channels, shape, chunk, hidden_units)
    h = region.spacing(n)
    start = region.origin(n) + h * np.array([i0, j0, k0], dtype=float)
    if skip_empty:
        def at(idx: np.ndarray) -> np.ndarray:
            return evaluate(start + h * idx)

        values, stats = coarse_to_fine(at, shape, n_channels, threshold=threshold,
                                       stride=coarse_stride(h))
        skip = {"threshold": stats.threshold, "stride": stats.stride,
                "evaluated": round(stats.fraction, 4), "passes": stats.passes}
        log.debug("decoded %s voxels skipping empty space: %s", shape, skip)
        return GridValues(values, start, h, skip)
    flat = _dense(evaluate, region.axes(n), (i0, j0, k0), shape, n_channels, chunk)
    values = np.ascontiguousarray(flat.reshape(*shape, n_channels).transpose(3, 0, 1, 2))
    return GridValues(values, start, h, None)


def sample_truth(table: AtomTable, region: Box, resolution: int, beta: float, *,
                 sub_box: SubBox | None = None, tol: float | None = None,
                 device: str = "cpu") -> tuple[np.ndarray, np.ndarray]:
    """Eq. 1 of ``table`` at exactly the voxels `decode_grid` samples: ``(values [C, X, Y,
    Z], origin)`` — the analytic truth a decode of any model kind is compared with."""
    from .sample import sample_points, sample_table

    n = check_resolution(resolution, maximum=None)
    if sub_box is None:
        return sample_table(table, region, n, beta=beta, tol=tol, device=device), \
            region.origin(n)
    (i0, i1), (j0, j1), (k0, k1) = sub_box_ranges(sub_box, n)
    check_decode_memory(len(table.channels), (i1 - i0, j1 - j0, k1 - k0), 0, 0)
    ax, ay, az = region.axes(n)
    pts = np.stack(np.meshgrid(ax[i0:i1], ay[j0:j1], az[k0:k1], indexing="ij"), -1)
    vals = np.moveaxis(sample_points(table, pts, beta=beta, tol=tol, device=device), -1, 0)
    return vals, region.origin(n) + region.spacing(n) * np.array([i0, j0, k0], dtype=float)


def _dense(evaluate: Evaluate, axes: tuple[np.ndarray, ...], lo: tuple[int, int, int],
           shape: tuple[int, int, int], c: int, chunk: int) -> np.ndarray:
    """Every voxel of the ``shape`` tile at ``lo``: ``[X·Y·Z, C]``, x-planes at a time."""
    ax, ay, az = (a[o : o + m] for a, o, m in zip(axes, lo, shape, strict=True))
    out = np.empty((shape[0] * shape[1] * shape[2], c), np.float32)
    plane = shape[1] * shape[2]
    per = max(1, chunk // max(plane, 1))
    yz = np.stack(np.meshgrid(ay, az, indexing="ij"), -1).reshape(-1, 2)
    for a in range(0, shape[0], per):
        xs = ax[a : a + per]
        pts = np.empty((len(xs), plane, 3))
        pts[..., 0] = xs[:, None]
        pts[..., 1:] = yz[None]
        out[a * plane : (a + len(xs)) * plane] = evaluate(pts.reshape(-1, 3))
    return out


__all__ = ["DEFAULT_CHUNK", "GridValues", "SubBox", "check_decode_memory", "decode_grid",
           "sample_truth", "sub_box_ranges"]
