"""Experimental density maps as fields: MRC/CCP4 and OpenDX files.

Reading
    `read_map` turns one file into a one-channel `Field` named after the file;
    `read_maps` puts several maps of one grid into the channels of one field.

    MRC/CCP4 (``.mrc``, ``.map``, ``.ccp4``, also ``.gz``/``.bz2``) are read with mrcfile.
    Uncompressed float32 maps are memory-mapped: ``values`` is a read-only view of the
    file (a transpose of it when the axis order is not x-fastest), never a second copy.
    The header is honoured as ChimeraX does:

    - voxel size ``(hx, hy, hz) = cell lengths / (MX, MY, MZ)`` (may be anisotropic: the
      field then has three voxel edges, see `Field`);
    - axis order: file columns, rows and sections run along the axes MAPC, MAPR, MAPS;
    - origin (Å position of voxel ``(0, 0, 0)``): the MRC-2000 ORIGIN words when any is
      non-zero, else ``(NCSTART, NRSTART, NSSTART)`` (put on x, y, z by MAPC/MAPR/MAPS)
      times the voxel size;
    - a non-orthogonal cell (an angle other than 90°: monoclinic, triclinic, hexagonal
      X-ray maps) is resampled onto an orthogonal grid of cubic voxels in the same Å frame
      (`fields.oblique`: trilinear in the cell's grid, gemmi's interpolation; voxels of the
      bounding box outside the map hold its mean), with one warning; ``meta["resampled"]``
      says how (angles, voxel sizes, the fraction outside). Its statistics are those of
      the resampled grid.

    OpenDX (``.dx``, ``.dx.gz``) is read by `fields.dx`.

Statistics
    ``meta["stats"]`` holds ``mean``, ``sd`` (about the mean, the MRC "RMS"), ``rms``
    (about zero), ``min`` and ``max`` of every channel, computed from the voxels (header
    statistics are often stale). A map with NaN or infinite voxels, a constant map, a
    truncated file, a header whose sizes do not match the data, and a map larger than
    half the available memory are refused with one `MolfieldError` sentence each.

Writing
    `fields.io.write_field` writes ``.mrc``/``.ccp4``/``.map`` (float32, x fastest,
    ORIGIN words = Å origin, anisotropic voxels kept) or ``.dx``, atomically.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import MolfieldError
from .field import Field
from .limits import check_memory, grid_bytes
from .mrc import dims, read_mrc, xyz

MRC_SUFFIXES = (".mrc", ".map", ".ccp4")
DX_SUFFIXES = (".dx",)
COMPRESSED_SUFFIXES = (".gz", ".bz2")
#: Voxels read at once while computing statistics (bounds the temporaries).
_CHUNK = 1 << 20

PathLike = str | os.PathLike[str]


def map_format(path: PathLike) -> str | None:
    """``"mrc"``, ``"dx"`` or None, from the file name (``.gz``/``.bz2`` allowed)."""
    suffixes = [s.lower() for s in Path(path).suffixes[-2:]]
    if suffixes and suffixes[-1] in COMPRESSED_SUFFIXES:
        suffixes = suffixes[:-1]
    if not suffixes:
        return None
    if suffixes[-1] in MRC_SUFFIXES:
        return "mrc"
    if suffixes[-1] in DX_SUFFIXES:
        return "dx"
    return None


def map_name(path: PathLike) -> str:
    """The file name without its map and compression suffixes (``EMD-3001.map.bz2`` →
    ``EMD-3001``)."""
    name = Path(path).name
    for suffix in COMPRESSED_SUFFIXES + MRC_SUFFIXES + DX_SUFFIXES:
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
    return name


def read_map(path: PathLike, name: str | None = None, allow_constant: bool = False) -> Field:
    """Read an MRC/CCP4 or OpenDX map into a one-channel `Field` in Å.

    Parameters
    ----------
    path
        ``.mrc``, ``.map``, ``.ccp4`` or ``.dx`` file, optionally ``.gz``/``.bz2``.
    name
        Channel name; default the file name without its suffixes.
    allow_constant
        Accept a map whose voxels all hold one value (an empty channel written by
        `fields.io.write_field`; `fields.io.read_field` passes True).

    Returns
    -------
    Field
        ``values`` ``[1, X, Y, Z]`` float32 (memory-mapped and read-only for uncompressed
        float32 MRC files), ``origin``, per-axis ``voxel_size``; ``meta`` holds
        ``source``, ``name``, ``format``, ``stats`` and, for MRC files, ``header`` (the
        raw MAPC/MAPR/MAPS, start, sampling, cell and ORIGIN words).

    Raises
    ------
    MolfieldError
        With one sentence for an unknown, unreadable, truncated, NaN, constant or too
        large map.
    """
    path = Path(path)
    fmt = map_format(path)
    if fmt is None:
        raise MolfieldError(
            f"{path.name}: not a map file name; use .mrc, .map, .ccp4 or .dx (optionally "
            ".gz or .bz2)."
        )
    if not path.is_file():
        raise MolfieldError(f"{path.name}: no such file ({path}).")
    name = name or map_name(path)
    header: dict
    if fmt == "dx":
        from .dx import read_dx

        values, origin, voxel, header = read_dx(path)
    else:
        values, origin, voxel, header = read_mrc(path)
    stats = map_statistics(values, path.name, allow_constant)
    meta = {"source": str(path), "name": name, "format": fmt, "stats": {name: stats}}
    if header:
        meta["header"] = header
        if "resampled" in header:
            meta["resampled"] = header["resampled"]
    return Field(values[None], origin, voxel, (name,), None, meta)


def read_maps(paths: Sequence[PathLike], names: Sequence[str] | None = None) -> Field:
    """Read maps that share one grid into the channels of one `Field`.

    Raises
    ------
    MolfieldError
        When the grids differ (shape, origin or voxel size) or a file cannot be read.
    """
    files = [Path(p) for p in paths]
    if not files:
        raise MolfieldError("Give at least one map file.")
    names = list(names) if names is not None else [map_name(p) for p in files]
    if len(names) != len(files):
        raise MolfieldError(f"{len(names)} channel names were given for {len(files)} maps.")
    if len(set(names)) != len(names):
        names = [f"{n}_{i}" for i, n in enumerate(names)]
    first = read_map(files[0], names[0])
    if len(files) == 1:
        return first
    check_memory(grid_bytes(len(files), first.resolution),
                 f"{len(files)} maps of {dims(first.resolution)} voxels", "read fewer maps")
    fields = [first] + [read_map(p, n) for p, n in zip(files[1:], names[1:], strict=True)]
    tol = 1e-3 * float(first.voxel_size.min())
    for p, f in zip(files[1:], fields[1:], strict=True):
        if (f.resolution != first.resolution
                or not np.allclose(f.origin, first.origin, atol=tol)
                or not np.allclose(f.voxel_size, first.voxel_size, rtol=1e-5)):
            raise MolfieldError(
                f"{p.name}: its grid ({dims(f.resolution)} voxels from {xyz(f.origin)} Å) "
                f"differs from {files[0].name}'s ({dims(first.resolution)} from "
                f"{xyz(first.origin)} Å); maps in one field must share a grid."
            )
    values = np.concatenate([f.values for f in fields], axis=0)
    meta = {
        "source": [str(p) for p in files], "name": names[0], "format": first.meta["format"],
        "stats": {n: f.meta["stats"][n] for n, f in zip(names, fields, strict=True)},
    }
    return Field(values, first.origin, first.voxel_size, names, None, meta)


def map_statistics(values: np.ndarray, name: str = "map", allow_constant: bool = False
                   ) -> dict[str, float]:
    """``mean``, ``sd``, ``rms``, ``min`` and ``max`` of an array, in float64.

    Works in chunks, so a memory-mapped map is streamed once and never copied whole.

    Raises
    ------
    MolfieldError
        For NaN or infinite voxels, an empty array or (unless ``allow_constant``) a
        constant map.
    """
    # statistics ignore voxel order: walk a permuted view in memory order (a transposed
    # memory map is then read front to back, once)
    v = values.transpose(np.argsort(values.strides)[::-1]) if values.ndim else values
    flat = v.reshape(-1) if v.flags.c_contiguous else None
    blocks = (
        (flat[i: i + _CHUNK] for i in range(0, flat.size, _CHUNK)) if flat is not None
        else (v[i: i + 1] for i in range(v.shape[0]))
    )
    n, s1, s2 = 0, 0.0, 0.0
    lo, hi, bad = np.inf, -np.inf, 0
    for block in blocks:
        b = np.asarray(block, dtype=np.float64)
        finite = np.isfinite(b)
        if not finite.all():
            bad += int(b.size - finite.sum())
            continue
        n += b.size
        s1 += float(b.sum())
        s2 += float(np.dot(b.reshape(-1), b.reshape(-1)))
        lo, hi = min(lo, float(b.min(initial=np.inf))), max(hi, float(b.max(initial=-np.inf)))
        del b, finite
    if bad:
        raise MolfieldError(f"{name}: {bad} voxel{'s are' if bad > 1 else ' is'} NaN or "
                            "infinite; the map is damaged.")
    if n == 0:
        raise MolfieldError(f"{name}: the map holds no voxels.")
    if lo == hi and not allow_constant:
        raise MolfieldError(f"{name}: every voxel holds {lo:g}; a constant map has no density.")
    mean = s1 / n
    return {
        "mean": mean,
        "sd": float(np.sqrt(max(s2 / n - mean * mean, 0.0))),
        "rms": float(np.sqrt(s2 / n)),
        "min": lo,
        "max": hi,
    }


def sigma_level(field: Field, sigma: float = 1.0, channel: int | str = 0) -> float:
    """The contour level ``mean + sigma · sd`` of one channel (from ``meta["stats"]``)."""
    s = _stats(field, channel)
    return float(s["mean"] + sigma * s["sd"])


def fraction_level(field: Field, fraction: float = 0.01, channel: int | str = 0) -> float:
    """The level above which ``fraction`` of the voxels lie (ChimeraX's initial contour
    encloses 1 % of the voxels), estimated on at most 2 M evenly strided voxels."""
    v = field.values[_index(field, channel)]
    step = max(1, int(np.ceil((v.size / 2e6) ** (1 / 3))))
    sub = np.asarray(v[::step, ::step, ::step], dtype=np.float32).reshape(-1)
    return float(np.quantile(sub, 1.0 - float(fraction)))


def crop(field: Field, lower: np.ndarray, upper: np.ndarray) -> Field:
    """The voxels whose centres lie within ``[lower, upper]`` Å (a view, no copy).

    Raises
    ------
    MolfieldError
        When the box misses the grid.
    """
    h, o = field.voxel_size, field.origin
    n = np.asarray(field.resolution)
    lo = np.clip(np.ceil((np.asarray(lower, float) - o) / h - 1e-9).astype(int), 0, n)
    hi = np.clip(np.floor((np.asarray(upper, float) - o) / h + 1e-9).astype(int) + 1, 0, n)
    if (hi <= lo).any():
        raise MolfieldError(
            f"The box {xyz(lower)}–{xyz(upper)} Å lies outside the map "
            f"({xyz(field.extent[0])}–{xyz(field.extent[1])} Å)."
        )
    values = field.values[:, lo[0]:hi[0], lo[1]:hi[1], lo[2]:hi[2]]
    meta = {**field.meta, "crop": [lo.tolist(), hi.tolist()]}
    return Field(values, o + h * lo, h, field.channels, None, meta)


def resample_cubic(field: Field, spacing: float | None = None, order: int = 1) -> Field:
    """The field on a grid of cubic voxels (default edge: the smallest voxel edge)
    covering the same voxel centres, interpolated with `fields.interp.sample_grid`."""
    from .interp import sample_grid

    h = float(field.voxel_size.min() if spacing is None else spacing)
    first, last = field.extent
    n = np.floor((last - first) / h + 1e-6).astype(int) + 1
    check_memory(grid_bytes(len(field.channels), tuple(n)),
                 f"A {dims(tuple(n))} cubic resampling", "choose a larger spacing")
    axes = [first[d] + h * np.arange(n[d]) for d in range(3)]
    out = np.empty((len(field.channels), *n), np.float32)
    for i, x in enumerate(axes[0]):
        yy, zz = np.meshgrid(axes[1], axes[2], indexing="ij")
        pts = np.stack([np.full_like(yy, x), yy, zz], axis=-1)
        out[:, i] = np.moveaxis(sample_grid(field, pts, order=order), -1, 0)
    return Field(out, first, h, field.channels, None, {**field.meta, "resampled": h})


def _stats(field: Field, channel: int | str) -> dict[str, float]:
    name = field.channels[_index(field, channel)]
    stats = field.meta.get("stats", {}).get(name)
    return stats if stats is not None else map_statistics(field.channel(name), name)


def _index(field: Field, channel: int | str) -> int:
    return field.channels.index(channel) if isinstance(channel, str) else int(channel)


