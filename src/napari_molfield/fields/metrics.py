"""Quality metrics for fields: the one PSNR, the one occupied-channel rule, the one report.

A field that is mostly empty space scores a high PSNR even when predicted as all zeros, so
every PSNR the package prints (CLI, widget status lines, benchmarks, the fits' own
evaluations) comes from `psnr_from_mse` and, with its context, as a `FieldReport`: the
PSNR, the PSNR of predicting zeros on the same voxels (the baseline to beat), both again
over the occupied channels only (`occupied_channels`), and the spurious mass.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any, overload

import numpy as np

#: Voxels where the truth is below this fraction of the (normalised) peak count as empty.
EMPTY_LEVEL = 1e-3


@overload
def psnr_from_mse(mse: float, max_value: float = 1.0) -> float: ...
@overload
def psnr_from_mse(mse: np.ndarray, max_value: float = 1.0) -> np.ndarray: ...


def psnr_from_mse(mse: float | np.ndarray, max_value: float = 1.0) -> float | np.ndarray:
    """``10 log10(MAX² / MSE)`` in dB: the one PSNR formula of the package.

    ``inf`` where the MSE is 0, ``nan`` where it is not finite (no PSNR to report). A
    float gives a float, an array an array of the same shape.
    """
    if np.ndim(mse) == 0:
        m = float(mse)
        if not math.isfinite(m):
            return math.nan
        return math.inf if m == 0 else 10 * math.log10(max_value**2 / m)
    m_arr = np.asarray(mse, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = 10 * np.log10(max_value**2 / m_arr)
    return np.where(np.isfinite(m_arr), out, np.nan)


def psnr(decoded: np.ndarray, truth: np.ndarray, max_value: float = 1.0) -> float:
    """Peak signal-to-noise ratio in dB over all voxels and channels.

    Parameters
    ----------
    decoded, truth
        Arrays of the same shape, both on the normalised scale (truth peaks at about 1).
    max_value
        MAX in ``10 log10(MAX² / MSE)``; 1 on normalised fields. (The paper's scripts used
        255 on data in [0, 1], which adds 48.1 dB; their numbers are not comparable.)
    """
    a = np.asarray(decoded, dtype=np.float64)
    b = np.asarray(truth, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    return psnr_from_mse(float(np.mean((a - b) ** 2)), max_value)


def occupied_channels(truth: np.ndarray) -> np.ndarray:
    """``[C]`` bool: which channels of ``truth`` ``[C, ...]`` (normalised scale) are occupied.

    A channel is occupied when its truth reaches `EMPTY_LEVEL` somewhere, i.e. when not
    every voxel of it is empty in the sense of `spurious_mass`. The rule reads the truth
    only, so it is the same for molecules (a channel whose atoms feed the grid) and for
    density maps, and the same in the CLI, the widgets and the benchmarks.
    """
    b = np.asarray(truth)
    if b.ndim == 0 or b.shape[0] == 0:
        return np.zeros(b.shape[:1], dtype=bool)
    return np.asarray(b.reshape(b.shape[0], -1).max(axis=1) >= EMPTY_LEVEL, dtype=bool)


def spurious_mass(decoded: np.ndarray, truth: np.ndarray, level: float = EMPTY_LEVEL) -> float:
    """Fraction of the decoded positive mass that lies where the truth is empty.

    "Empty" is ``truth < level`` (on the normalised scale, per channel and voxel): density
    floating there shows as detached blobs on isosurfaces and haze in volumes.
    """
    a = np.asarray(decoded, dtype=np.float64)
    b = np.asarray(truth, dtype=np.float64)
    pos = np.clip(a, 0.0, None)
    total = float(pos.sum())
    return 0.0 if total == 0 else float(pos[b < level].sum()) / total


@dataclass(frozen=True)
class FieldReport(Mapping[str, float]):
    """A PSNR with its context (dB, MAX = 1 on the normalised scale).

    Reads like the dict it replaced (``report["psnr"]``, ``dict(report)``).

    Attributes
    ----------
    psnr
        Over every voxel and channel.
    zero_psnr
        Of predicting zeros on the same voxels: a fit is only as good as its margin over it.
    occupied_psnr, zero_occupied_psnr
        The same two over the occupied channels (`occupied_channels`); ``nan`` when no
        channel is occupied.
    spurious_mass
        `spurious_mass` of the decode, ``nan`` where it was not measured.
    """

    psnr: float
    zero_psnr: float
    occupied_psnr: float
    zero_occupied_psnr: float
    spurious_mass: float = math.nan

    def __getitem__(self, key: str) -> float:
        if key not in _KEYS:
            raise KeyError(key)
        return float(getattr(self, key))

    def __iter__(self) -> Iterator[str]:
        return iter(_KEYS)

    def __len__(self) -> int:
        return len(_KEYS)

    def text(self, digits: int = 1) -> str:
        """``"PSNR 32.0 dB (zero field 30.5 dB); occupied channels 29.1 dB (zero field
        24.3 dB); spurious mass 0.8 %"`` (the parts that are ``nan`` are left out)."""
        out = f"PSNR {self.psnr:.{digits}f} dB (zero field {self.zero_psnr:.{digits}f} dB)"
        if not math.isnan(self.occupied_psnr):
            out += (f"; occupied channels {self.occupied_psnr:.{digits}f} dB (zero field "
                    f"{self.zero_occupied_psnr:.{digits}f} dB)")
        if not math.isnan(self.spurious_mass):
            out += f"; spurious mass {100 * self.spurious_mass:.1f} %"
        return out

    def to_dict(self) -> dict[str, float]:
        """Plain numbers (for queues between processes and JSON)."""
        return {k: self[k] for k in _KEYS}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> FieldReport:
        """The report of a `to_dict` (other keys are ignored; missing ones are ``nan``)."""
        return cls(**{k: float(d.get(k, math.nan)) for k in _KEYS})

    @classmethod
    def mean(cls, reports: Sequence[Mapping[str, float]]) -> FieldReport:
        """Key by key, the mean of several reports (or of their dicts).

        The two occupied PSNRs are averaged over the reports that have occupied channels
        (a finite ``zero_occupied_psnr``): an empty item has no occupied PSNR to pull the
        others'. Every other number is a plain mean (a ``nan`` stays ``nan``).
        """
        if not reports:
            raise ValueError("no reports to average")
        occupied = [r for r in reports if not math.isnan(float(r["zero_occupied_psnr"]))]
        out = {}
        for k in _KEYS:
            group = occupied if k in _OCCUPIED_KEYS else reports
            out[k] = sum(float(r[k]) for r in group) / len(group) if group else math.nan
        return cls(**out)


_KEYS = tuple(f.name for f in fields(FieldReport))
_OCCUPIED_KEYS = ("occupied_psnr", "zero_occupied_psnr")


def channel_report(err: np.ndarray, zero: np.ndarray, occupied: np.ndarray,
                   spurious: float = math.nan) -> FieldReport:
    """`FieldReport` from per-channel mean squares (channels of equally many voxels).

    Parameters
    ----------
    err
        ``[C]`` mean squared error of each channel.
    zero
        ``[C]`` mean square of each channel's truth (the error of predicting zeros).
    occupied
        ``[C]`` bool, from `occupied_channels` of the truth.
    spurious
        The `spurious_mass`, when measured.
    """
    e = np.asarray(err, dtype=np.float64)
    z = np.asarray(zero, dtype=np.float64)
    occ = np.asarray(occupied, dtype=bool)
    has = bool(occ.any())
    return FieldReport(
        psnr=psnr_from_mse(float(e.mean())),
        zero_psnr=psnr_from_mse(float(z.mean())),
        occupied_psnr=psnr_from_mse(float(e[occ].mean())) if has else math.nan,
        zero_occupied_psnr=psnr_from_mse(float(z[occ].mean())) if has else math.nan,
        spurious_mass=float(spurious),
    )


def field_report(decoded: np.ndarray, truth: np.ndarray) -> FieldReport:
    """The `FieldReport` of ``decoded`` against ``truth``, both ``[C, ...]`` on the
    normalised scale (MAX = 1)."""
    a = np.asarray(decoded, dtype=np.float64)
    b = np.asarray(truth, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"shapes differ: {a.shape} vs {b.shape}")
    n_c = b.shape[0]
    err = ((a - b) ** 2).reshape(n_c, -1).mean(axis=1)
    zero = (b**2).reshape(n_c, -1).mean(axis=1)
    return channel_report(err, zero, occupied_channels(b), spurious_mass(a, b))


def format_report(r: Mapping[str, float], digits: int = 2) -> str:
    """`FieldReport.text` of a report (or of the mean of several, a plain dict)."""
    report = r if isinstance(r, FieldReport) else FieldReport.from_dict(r)
    return report.text(digits)


__all__ = [
    "EMPTY_LEVEL",
    "FieldReport",
    "channel_report",
    "field_report",
    "format_report",
    "occupied_channels",
    "psnr",
    "psnr_from_mse",
    "spurious_mass",
]
