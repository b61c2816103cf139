"""MRC/CCP4 map files through mrcfile: header checks, axis order, origin, memory-mapping."""

from __future__ import annotations

import os
import warnings
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import MolfieldError
from .limits import check_memory, grid_bytes

#: MRC modes read: int8, int16, float32, uint16, float16.
MRC_MODES = {0: "int8", 1: "int16", 2: "float32", 6: "uint16", 12: "float16"}
COMPRESSED_SUFFIXES = (".gz", ".bz2")


def read_mrc(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    import mrcfile

    compressed = path.suffix.lower() in COMPRESSED_SUFFIXES
    head = _mrc_call(path, lambda: mrcfile.open(path, mode="r", permissive=True,
                                                header_only=True))
    h = head.header
    shape_crs = (int(h.nx), int(h.ny), int(h.nz))  # columns, rows, sections
    order = (int(h.mapc), int(h.mapr), int(h.maps))
    mode = int(h.mode)
    if min(shape_crs) < 1:
        raise MolfieldError(f"{path.name}: not an MRC/CCP4 map, or a damaged one (its header "
                            f"gives a {dims(shape_crs)} grid).")
    if sorted(order) != [1, 2, 3]:
        raise MolfieldError(f"{path.name}: not an MRC/CCP4 map, or a damaged one (MAPC/MAPR/"
                            f"MAPS = {order} is not an axis order).")
    if mode not in MRC_MODES:
        raise MolfieldError(
            f"{path.name}: MRC mode {mode} is not a real-valued map (modes "
            f"{', '.join(map(str, MRC_MODES))} are read)."
        )
    angles = np.array([float(h.cellb.alpha), float(h.cellb.beta), float(h.cellb.gamma)])
    oblique = bool(np.abs(angles - 90.0).max() > 1e-3)
    if oblique and not (np.isfinite(angles).all() and (angles > 0).all()
                        and (angles < 180).all() and _cell_volume(angles) > 1e-6):
        raise MolfieldError(f"{path.name}: the header's cell angles {xyz(angles)}° describe "
                            "no cell (a damaged header).")
    cell = np.array([float(h.cella.x), float(h.cella.y), float(h.cella.z)])
    sampling = np.array([int(h.mx), int(h.my), int(h.mz)])
    if (sampling <= 0).any() or not (np.isfinite(cell).all() and (cell > 0).all()):
        raise MolfieldError(f"{path.name}: the header gives no voxel size (cell {xyz(cell)} Å, "
                            f"sampling {dims(tuple(sampling))}).")
    voxel = cell / sampling
    shape_xyz = [0, 0, 0]
    start_xyz = np.zeros(3)
    for n_file, axis, start in zip(shape_crs, order, (h.nxstart, h.nystart, h.nzstart),
                                   strict=True):
        shape_xyz[axis - 1] = n_file
        start_xyz[axis - 1] = float(start)
    shape3 = (shape_xyz[0], shape_xyz[1], shape_xyz[2])
    check_memory(grid_bytes(1, shape3),
                 f"{path.name}: the {dims(shape3)} map", "crop or bin it first")
    itemsize = np.dtype(MRC_MODES[mode]).itemsize
    expected = 1024 + int(h.nsymbt) + itemsize * int(np.prod(shape_crs))
    if not compressed:
        _check_size(path, expected, os.path.getsize(path), shape_crs, mode)
        mrc = _mrc_call(path, lambda: mrcfile.mmap(path, mode="r", permissive=True))
    else:
        mrc = _mrc_call(path, lambda: mrcfile.open(path, mode="r", permissive=True))
    data = mrc.data
    mrc.close()
    if data is None or data.size != int(np.prod(shape_crs)):
        raise MolfieldError(f"{path.name}: the data block is shorter than the header's "
                            f"{dims(shape_crs)} {MRC_MODES[mode]} voxels (truncated file).")
    data = data.reshape(shape_crs[::-1])  # [sections, rows, columns]
    file_axis = {order[2]: 0, order[1]: 1, order[0]: 2}  # x/y/z label -> data axis
    values = data.transpose([file_axis[1], file_axis[2], file_axis[3]])
    if values.dtype != np.float32:
        values = values.astype(np.float32)
    words = np.array([float(h.origin.x), float(h.origin.y), float(h.origin.z)])
    if not np.isfinite(words).all():
        raise MolfieldError(f"{path.name}: the header's ORIGIN words {xyz(words)} are not "
                            "numbers (a damaged header).")
    origin = words if np.any(words != 0) else start_xyz * voxel
    header = {
        "mode": mode, "mapc_mapr_maps": list(order), "start_xyz": start_xyz.tolist(),
        "sampling": sampling.tolist(), "cell": cell.tolist(), "origin_words": words.tolist(),
        "ispg": int(h.ispg), "memory_mapped": isinstance(data, np.memmap),
    }
    if oblique:
        from .oblique import ObliqueGrid, resample_oblique

        header["cell_angles"] = angles.tolist()
        grid = ObliqueGrid.from_cell(values, cell, angles, sampling, start_xyz,
                                     words if np.any(words != 0) else np.zeros(3))
        mean = float(np.mean(values, dtype=np.float64))
        values, origin, h_orth, header["resampled"] = resample_oblique(grid, path.name, mean)
        voxel = np.full(3, h_orth)
        header["memory_mapped"] = False
        r = header["resampled"]
        warnings.warn(
            f"{path.name}: the cell is not orthogonal (angles {xyz(angles)}°); the map was "
            f"resampled onto an orthogonal {dims(values.shape)} grid of {h_orth:.3g} Å "
            f"voxels (trilinear; {100 * r['outside_fraction']:.0f}% of them lie outside the "
            "map and hold its mean).", stacklevel=4)
    return values, origin, voxel, header


def _cell_volume(angles: np.ndarray) -> float:
    """Volume of the unit cell with these angles and unit edges."""
    ca, cb, cg = np.cos(np.radians(angles))
    return float(1 - ca**2 - cb**2 - cg**2 + 2 * ca * cb * cg)


def _mrc_call(path: Path, opener: Callable[[], Any]) -> Any:
    """Run an mrcfile opener; errors and fatal warnings become one sentence."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            obj = opener()
        except (ValueError, OSError, EOFError, TypeError, zlib.error) as exc:
            why = " ".join(str(exc).split())
            raise MolfieldError(f"{path.name}: not a readable MRC/CCP4 map ({why}).") from exc
    for w in caught:
        text = str(w.message)
        if "larger than expected" in text:
            raise MolfieldError(f"{path.name}: the file holds more data than its header "
                                f"describes ({text}).")
    return obj


def _check_size(path: Path, expected: int, actual: int, shape: tuple, mode: int) -> None:
    if actual != expected:
        how = "truncated" if actual < expected else "longer than the header describes"
        raise MolfieldError(
            f"{path.name}: the header promises {dims(shape)} {MRC_MODES[mode]} voxels "
            f"({expected} bytes with the header) but the file has {actual} bytes ({how})."
        )


def dims(shape: Sequence[int]) -> str:
    return "×".join(str(int(s)) for s in shape)


def xyz(v: Sequence[float] | np.ndarray) -> str:
    return "(" + ", ".join(f"{float(x):.4g}" for x in np.asarray(v).reshape(-1)) + ")"


__all__ = ["MRC_MODES", "dims", "read_mrc", "xyz"]
