"""Atoms back out of a field: count, seed from peaks, place and refine, then bond.

Both entry points share one code path. `atoms_from_field` fits Eq. 1 of the atoms to a
`Field` at its voxel centres; `atoms_from_callable` first evaluates a field function
(e.g. a neural field) on the grid of a `Box`, runs the same fit, then refines the
positions once more on points sampled finely around every atom.

Per element channel ``c`` (see `element_channels`):

1. count: ``n_c = s_c h³ Σ values / I₁`` (`count_channel`), with the channel's
   normalisation scale ``s_c``: given, ``field.meta["scale"]`` for a normalised field, 1
   for a field in Eq. 1 units, and — for a normalised field of unknown scale (a channel
   whose maximum is below `NORMALISED_MAX`) — solved self-consistently: ``s_c`` is the
   `channel_peaks` value of the fitted atoms, which changes the count, until both agree;
2. seed from the highest local maxima, place the rest at residual maxima, refine all
   positions of all channels jointly, polish (`fit_counts`);
3. keep the atoms inside the field's box: an atom that the refinement carries out of it
   holds no density of the field there (typically a surplus atom of a count inflated by
   a fit's haze, which the loss "removes" by pushing it away from every sample), so it is
   dropped, with a note (`_drop_outside`); the field function of `atoms_from_callable` is
   only sampled inside the box;
4. bonds and bond orders with RDKit (`bonded_molecule`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.field import Field
from ..fields.sample import DEFAULT_BETA
from .bonds import bonded_molecule
from .channels import ElementChannel, element_channels
from .count import MIN_COUNT, PEAK_FRACTION, ChannelCount, count_channel
from .peaks import peak_positions
from .place import fit_counts
from .refine import Problem
from .result import RecoveredAtoms
from .scale import scan_count

#: A channel whose maximum is below this is taken as normalised (Eq. 1 peaks at ≥ e^β).
NORMALISED_MAX: float = 1.5
#: Placement runs on every s-th voxel, s = ⌊COARSE_SPACING / h⌋ (Å); the final
#: refinement on all of them.
COARSE_SPACING: float = 0.8
#: Half-edge (Å) of the fine cube sampled around each atom by `atoms_from_callable`.
LOCAL_HALF_EDGE: float = 1.2

FieldFunction = Callable[[Any], Any]


def atoms_from_field(
    field: Field,
    *,
    beta: float | None = None,
    scale: float | Sequence[float] | None = None,
    charge: int = 0,
    bonds: bool = True,
    polish: bool = True,
) -> RecoveredAtoms:
    """Recover the atoms whose Eq. 1 field best matches ``field``.

    Parameters
    ----------
    field
        A sampled field with element channels (``"C"``, ``"ligand:N"``, ``"Cl+Br"``, …).
    beta
        β of Eq. 1; default ``field.meta["beta"]``, else 2.
    scale
        ``[C]`` per-channel normalisation scale (field = Eq. 1 / scale); default
        ``field.meta["scale"]`` when the field is normalised, 1 for a field in Eq. 1
        units, solved for when a channel is normalised with no scale known.
    charge
        Total charge for the bond orders.
    bonds
        Determine bonds (``result.mol``).
    polish
        Try moves and ``n ± 1`` counts on channels that still fit badly.

    Returns
    -------
    RecoveredAtoms

    Raises
    ------
    MolfieldError
        If the field has no element channels, no density in them, or a channel too noisy
        to count.
    """
    t0 = time.perf_counter()
    beta = _beta(field.meta, beta)
    chans, notes = _element_channels(field.channels)
    points = _grid_points(field.origin, field.spacing, field.values.shape[1:])
    result = _recover(field.values, field.spacing, points, chans, notes, beta,
                      _scales(field, chans, scale), charge, bonds, polish, None)
    result.seconds = time.perf_counter() - t0
    return result


def atoms_from_callable(
    f: FieldFunction,
    box: Box | Field,
    channels: Sequence[str] | None = None,
    *,
    resolution: int | None = None,
    beta: float | None = None,
    scale: float | Sequence[float] | None = None,
    charge: int = 0,
    bonds: bool = True,
    polish: bool = True,
    local_spacing: float | None = 0.2,
    batch: int = 65536,
    device: str = "cpu",
) -> RecoveredAtoms:
    """Recover the atoms of a field given as a function of position (a neural field).

    Parameters
    ----------
    f
        ``f(points)`` with ``points`` a ``[P, 3]`` float32 torch tensor in Å, returning
        ``[P, C]`` values (called under ``torch.no_grad``, in batches).
    box
        The cube to search, or a `Field` whose box, resolution, channels, β and scale are
        used as defaults.
    channels
        The ``C`` channel names of ``f``'s output (default: the field's).
    resolution
        Voxels per edge of the grid ``f`` is first evaluated on (default: the field's,
        else 48).
    beta, scale, charge, bonds, polish
        As in `atoms_from_field`.
    local_spacing
        After the grid fit, ``f`` is evaluated on a cube of this spacing (Å) around each
        atom and all positions are refined on the grid and these points together;
        ``None`` skips this.
    batch
        Points per call of ``f``.
    device
        Torch device the points are sent to.

    Returns
    -------
    RecoveredAtoms
    """
    t0 = time.perf_counter()
    meta: dict[str, Any] = {}
    if isinstance(box, Field):
        meta = dict(box.meta)
        channels = box.channels if channels is None else channels
        if box.box is None:
            n0 = box.values.shape[1]
            b = Box(tuple(box.origin + box.spacing * (n0 - 1) / 2), box.spacing * n0)
        else:
            b = box.box
        resolution = box.values.shape[1] if resolution is None else resolution
        box = b
    beta = _beta(meta, beta)
    if channels is None:
        raise MolfieldError("Give the channel names of the field function.")
    chans, notes = _element_channels(channels)
    n = 48 if resolution is None else int(resolution)
    points = box.grid_points(n).reshape(-1, 3)
    vals = evaluate(f, points, batch=batch, device=device)
    if vals.shape != (points.shape[0], len(channels)):
        raise MolfieldError(
            f"The field function returned shape {tuple(vals.shape)} for {points.shape[0]} "
            f"points and {len(channels)} channels."
        )
    grid = np.moveaxis(vals.reshape(n, n, n, -1), -1, 0)
    field = Field(grid, box.origin(n), box.spacing(n), tuple(channels), box, meta)

    resample = None
    if local_spacing:
        def resample(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            pts = local_points(xyz, float(local_spacing))
            return pts, evaluate(f, pts, batch=batch, device=device)

    result = _recover(grid, box.spacing(n), points, chans, notes, float(beta),
                      _scales(field, chans, scale), charge, bonds, polish, resample,
                      local_weight=float(local_spacing or 1.0) ** 3)
    result.seconds = time.perf_counter() - t0
    return result


def evaluate(f: FieldFunction, points: np.ndarray, *, batch: int = 65536,
             device: str = "cpu") -> np.ndarray:
    """``f`` at ``points`` ``[P, 3]`` (Å) in batches, without gradients, as float64."""
    import torch

    out = []
    with torch.no_grad():
        for s in range(0, len(points), int(batch)):
            p = torch.as_tensor(np.asarray(points[s : s + batch], np.float32), device=device)
            v = f(p)
            v = v.detach().cpu().numpy() if isinstance(v, torch.Tensor) else np.asarray(v)
            out.append(np.asarray(v, np.float64).reshape(len(p), -1))
    return np.concatenate(out) if out else np.zeros((0, 0))


def local_points(xyz: np.ndarray, spacing: float, half_edge: float = LOCAL_HALF_EDGE
                 ) -> np.ndarray:
    """Points of a cube of ``spacing`` and half-edge ``half_edge`` around every atom."""
    m = math.floor(half_edge / spacing)
    ax = spacing * np.arange(-m, m + 1)
    cube = np.stack(np.meshgrid(ax, ax, ax, indexing="ij"), -1).reshape(-1, 3)
    return (np.asarray(xyz, float).reshape(-1, 1, 3) + cube).reshape(-1, 3)


# ----------------------------------------------------------------------------- internals


def _recover(
    grid: np.ndarray, h: float, points: np.ndarray, chans: list[ElementChannel],
    notes: list[str], beta: float, scales: tuple[np.ndarray, np.ndarray], charge: int,
    bonds: bool, polish: bool,
    resample: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]] | None,
    local_weight: float = 1.0,
) -> RecoveredAtoms:
    scale, unknown = scales
    grid = np.asarray(grid)
    origin = points[0]
    counts = [count_channel(grid[c.index], h, c, beta, scale[c.index]) for c in chans]
    if sum(max(c.estimate, 0.0) for c in counts) < MIN_COUNT:
        names = ", ".join(c.name for c in chans)
        raise MolfieldError(f"The field holds no atom density in its element channels ({names}).")
    for cc in counts:
        if cc.count == 0 and cc.estimate > 0.2:
            notes.append(f"channel {cc.channel.name!r} holds {cc.estimate:.2f} atoms' worth "
                         "of density: no atom placed")
        if cc.count and cc.peaks > 1.25 * cc.count + 1:
            notes.append(f"channel {cc.channel.name!r} has {cc.peaks} maxima but density "
                         f"for {cc.estimate:.2f} atoms")
    fitted = [cc for cc in counts if cc.count > 0]
    idx = np.array([cc.channel.index for cc in fitted], np.int64)
    target = grid[idx].reshape(len(idx), -1).T
    radius = np.array([cc.channel.radius for cc in fitted])
    weights = np.full(len(points), h**3)
    stride = max(1, int(COARSE_SPACING / h + 1e-9))
    parts_x, parts_k = [], []
    # channels are independent: fit each on its own (coarse) problem, then all together
    for j, cc in enumerate(fitted):
        c = int(idx[j])
        sub = Problem(points, target[:, j : j + 1], weights, radius[j : j + 1],
                      [1.0 / scale[c]], beta).subsample(stride, grid.shape[1:])
        seeds = peak_positions(grid[c], origin, h, PEAK_FRACTION * math.exp(beta) / scale[c])[0]
        if unknown[c]:
            x, scale[c] = scan_count(sub, cc, seeds, polish, notes)
        else:
            x = fit_counts(sub, np.array([cc.count]), [seeds], polish=polish)[0]
        parts_x.append(x)
        parts_k.append(np.full(len(x), j, np.int64))
    xyz = np.concatenate(parts_x) if parts_x else np.zeros((0, 3))
    k = np.concatenate(parts_k) if parts_k else np.zeros(0, np.int64)
    lo, hi = _bounds(origin, h, grid.shape[1:])
    xyz, k = _drop_outside(xyz, k, lo, hi, fitted, notes)
    problem = Problem(points, target, weights, radius, 1.0 / scale[idx], beta)
    if resample is not None and len(k):
        pts, vals = resample(xyz)
        inside = _inside(pts, lo, hi)  # the field function is only trusted in its box
        pts, vals = pts[inside], vals[inside]
        problem = Problem(np.concatenate([points, pts]), np.concatenate([target, vals[:, idx]]),
                          np.concatenate([weights, np.full(len(pts), local_weight)]),
                          radius, 1.0 / scale[idx], beta)
    if (stride > 1 or resample is not None) and len(k):
        xyz, _ = problem.refine(xyz, k, max_steps=200)
        xyz, k = _drop_outside(xyz, k, lo, hi, fitted, notes)
    got = np.bincount(k, minlength=len(fitted)).tolist()
    for cc, g in zip(fitted, got, strict=True):
        if int(g) != cc.count:
            notes.append(f"channel {cc.channel.name!r}: {int(g)} atoms fit better than the "
                         f"estimated {cc.estimate:.2f}")
        cc.count = int(g)
    losses = problem.channel_losses(xyz, k)
    energy = (problem.weights[:, None] * problem.target**2).sum(axis=0)
    ch_res = np.full(grid.shape[0], np.nan)
    ch_res[idx] = np.sqrt(losses / np.maximum(energy, 1e-300))
    residual = float(np.sqrt(losses.sum() / max(energy.sum(), 1e-300)))
    order = np.lexsort((xyz[:, 2], xyz[:, 1], xyz[:, 0], k))
    xyz, k = xyz[order], k[order]
    elements = np.array([fitted[i].channel.element for i in k], dtype=object)
    result = RecoveredAtoms(elements, xyz, idx[k], tuple(c for c in _names(grid, chans)),
                            counts, scale, residual, ch_res, notes=notes)
    if bonds:
        result.mol, result.sanitize_message = bonded_molecule(elements, xyz, charge)
    return result


def _bounds(origin: np.ndarray, h: float, shape: Sequence[int]
            ) -> tuple[np.ndarray, np.ndarray]:
    """Low and high corners (Å) of the box of a voxel-centred grid: half a voxel beyond
    the first and last voxel centres."""
    lo = np.asarray(origin, np.float64) - h / 2
    return lo, lo + h * np.asarray(shape, np.float64)


def _inside(xyz: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """``[A]`` whether each point of ``xyz`` ``[A, 3]`` lies in the box ``[lo, hi]``."""
    xyz = np.asarray(xyz, np.float64).reshape(-1, 3)
    return np.all((xyz >= lo) & (xyz <= hi), axis=1)


def _drop_outside(xyz: np.ndarray, k: np.ndarray, lo: np.ndarray, hi: np.ndarray,
                  fitted: Sequence[ChannelCount], notes: list[str]
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The atoms inside the box ``[lo, hi]``; a note per channel that lost some.

    The loss only sees the field at points in its box, so an atom that is not wanted
    there (a count one too high, the haze of a short fit counted as an atom) lowers it
    by moving away from every point: out of the box, where nothing holds it.
    """
    inside = _inside(xyz, lo, hi)
    if inside.all():
        return xyz, k
    for j in np.unique(k[~inside]):
        m = int((k[~inside] == j).sum())
        notes.append(f"channel {fitted[int(j)].channel.name!r}: {m} atom{'s' * (m > 1)} "
                     "refined out of the field's box (no density there holds "
                     f"{'them' if m > 1 else 'it'}): dropped")
    return xyz[inside], k[inside]


def _names(grid: np.ndarray, chans: list[ElementChannel]) -> list[str]:
    names = [f"channel {i}" for i in range(grid.shape[0])]
    for c in chans:
        names[c.index] = c.name
    return names


def _element_channels(names: Sequence[str]) -> tuple[list[ElementChannel], list[str]]:
    chans, notes = element_channels(names)
    if not chans:
        raise MolfieldError(
            f"The field's channels ({', '.join(names)}) are not elements, so they cannot "
            "give atoms."
        )
    return chans, notes


def _beta(meta: dict, beta: float | None) -> float:
    b = float(meta.get("beta", DEFAULT_BETA) if beta is None else beta)
    if not (math.isfinite(b) and b > 0):
        raise MolfieldError(f"β must be a finite positive number, got {b}.")
    return b


def _grid_points(origin: np.ndarray, h: float, n: Sequence[int]) -> np.ndarray:
    axes = [origin[d] + h * np.arange(n[d]) for d in range(3)]
    return np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, 3)


def _scales(field: Field, chans: list[ElementChannel],
            scale: float | Sequence[float] | None) -> tuple[np.ndarray, np.ndarray]:
    """``[C]`` scales and ``[C]`` whether each is unknown (to be solved)."""
    n_ch = field.values.shape[0]
    unknown = np.zeros(n_ch, bool)
    meta = field.meta or {}
    if scale is None and meta.get("normalised") and meta.get("scale") is not None:
        scale = meta["scale"]
    if scale is not None:
        s = np.broadcast_to(np.asarray(scale, np.float64), (n_ch,)).copy()
        if not (np.isfinite(s).all() and (s > 0).all()):
            raise MolfieldError("Normalisation scales must be finite positive numbers.")
        return s, unknown
    s = np.ones(n_ch)
    for c in chans:
        top = float(field.values[c.index].max())
        if meta.get("normalised") or (meta.get("normalised") is None and 0 < top
                                      < NORMALISED_MAX):
            unknown[c.index] = True
            s[c.index] = math.exp(_beta(meta, None))
    return s, unknown
