"""OpenDX scalar grids (APBS electrostatics, MD densities): a small reader and writer.

Only the subset every grid program writes is read: one ``gridpositions`` object
(``counts``, ``origin`` and three ``delta`` lines), one ``gridconnections`` object and
one ASCII ``array`` of ``items`` numbers that follow the header, z fastest (DX's
row-major order, so the numbers reshape directly to ``[X, Y, Z]``). Lines starting
with ``#`` are comments; ``attribute``/``object``/``component`` lines after the data
are ignored. Binary (``ieee``/``binary``) or external-file arrays are refused with a
sentence; non-diagonal or negative ``delta`` vectors (sheared or flipped grids) are
resampled onto an orthogonal grid in Å (`fields.oblique`).

A parser of our own keeps the package free of a GridDataFormats dependency (LGPL,
scipy) for ~100 lines; ``np.fromstring`` parses the numbers in C (about 8 M values/s).
"""

from __future__ import annotations

import bz2
import gzip
import re
import warnings
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np

from ..errors import MolfieldError
from .limits import check_memory, grid_bytes

_NUM = r"[-+0-9.eEdD]+"
_COUNTS = re.compile(r"^object\s.*gridpositions\s+counts\s+(\d+)\s+(\d+)\s+(\d+)", re.M)
_ORIGIN = re.compile(rf"^origin\s+({_NUM})\s+({_NUM})\s+({_NUM})", re.M)
_DELTA = re.compile(rf"^delta\s+({_NUM})\s+({_NUM})\s+({_NUM})", re.M)
_ARRAY = re.compile(r"^object\s.*class\s+array\b(.*)$", re.M)
_ITEMS = re.compile(r"\bitems\s+(\d+)")
_AFTER_DATA = re.compile(r"^\s*(attribute|object|component|end|#)", re.M)


def read_dx(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Read a ``.dx`` file (or ``.dx.gz``/``.dx.bz2``); see `read_dx_text`."""
    path = Path(path)
    openers: dict[str, Callable[..., IO[str]]] = {".gz": gzip.open, ".bz2": bz2.open}
    opener = openers.get(path.suffix.lower(), open)
    try:
        with opener(path, "rt", encoding="ascii", errors="replace") as fh:
            text = fh.read()
    except (OSError, EOFError, ValueError, zlib.error) as exc:
        why = " ".join(str(exc).split())
        raise MolfieldError(f"{path.name}: cannot read the file ({why}).") from exc
    return read_dx_text(text, path.name)


def read_dx_text(text: str, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict]:
    """Parse OpenDX text.

    Parameters
    ----------
    text
        The whole file.
    name
        The file name, for messages.

    Returns
    -------
    values, origin, voxel_size, header
        ``[X, Y, Z]`` float32, ``[3]`` Å, ``[3]`` Å, and ``{"resampled": …}`` for a
        sheared or flipped grid (resampled onto an orthogonal one by `fields.oblique`,
        with one warning), else ``{}``.

    Raises
    ------
    MolfieldError
        With one sentence for a file that is not such a grid or is truncated.
    """
    counts, origin, deltas, array = (
        _COUNTS.search(text), _ORIGIN.search(text), _DELTA.findall(text), _ARRAY.search(text)
    )
    if counts is None or origin is None or len(deltas) != 3 or array is None:
        raise MolfieldError(
            f"{name}: not an OpenDX grid (it needs gridpositions counts, origin, three delta "
            "lines and a data array)."
        )
    nx, ny, nz = (int(v) for v in counts.groups())  # _COUNTS has three groups
    shape = (nx, ny, nz)
    if min(shape) < 1:
        raise MolfieldError(f"{name}: the grid has an empty axis ({shape}).")
    check_memory(grid_bytes(1, shape), f"{name}: the {_dims(shape)} grid",
                 "crop or coarsen it first")
    delta = np.array([[_float(v, name) for v in row] for row in deltas])
    step = np.diag(delta).copy()
    norms = np.linalg.norm(delta, axis=1) if np.isfinite(delta).all() else np.zeros(3)
    if not (np.isfinite(norms).all() and (norms > 0).all()) or abs(
            float(np.linalg.det(delta / norms[:, None]))) <= 1e-6:
        raise MolfieldError(f"{name}: the delta vectors {delta.tolist()} span no grid.")
    off = np.abs(delta - np.diag(step)) / norms[:, None]
    oblique = bool(off.max() > 1e-6 or (step <= 0).any())
    header = array.group(1)
    if re.search(r"\b(binary|ieee|msb|lsb)\b", header) or "data follows" not in header:
        raise MolfieldError(f"{name}: only ASCII DX data that follows the header can be read.")
    items = _ITEMS.search(header)
    n = int(np.prod(shape))
    if items is None or int(items.group(1)) != n:
        raise MolfieldError(
            f"{name}: the array holds {items.group(1) if items else 'an unknown number of'} "
            f"items but the grid has {_dims(shape)} = {n} points."
        )
    start = min(array.end() + 1, len(text))
    end = _AFTER_DATA.search(text, start)
    block = text[start: end.start() if end else len(text)]
    try:
        flat = np.fromstring(block.replace("D", "e").replace("d", "e"), dtype=np.float64, sep=" ")
    except ValueError as exc:
        raise MolfieldError(f"{name}: the data block holds something other than numbers.") from exc
    if flat.size != n:
        raise MolfieldError(
            f"{name}: the header promises {n} values but the file holds {flat.size} "
            f"({'truncated' if flat.size < n else 'too many'})."
        )
    xyz0 = np.array([_float(v, name) for v in origin.groups()])
    if not np.isfinite(xyz0).all():
        raise MolfieldError(f"{name}: the origin {xyz0.tolist()} is not a position.")
    values = flat.astype(np.float32).reshape(shape)
    if not oblique:
        return values, xyz0, step, {}
    from .oblique import ObliqueGrid, resample_oblique

    grid = ObliqueGrid(values, delta.T, xyz0)  # delta rows: the steps along the axes
    out, lo, h, info = resample_oblique(grid, name, float(np.mean(flat)))
    warnings.warn(
        f"{name}: the grid's delta vectors are sheared or flipped; the map was resampled "
        f"onto an orthogonal {_dims(out.shape)} grid of {h:.3g} Å voxels (trilinear; "
        f"{100 * info['outside_fraction']:.0f}% of them lie outside the map and hold its "
        "mean).", stacklevel=4)
    return out, lo, np.full(3, h), {"resampled": info}


def write_dx(values: np.ndarray, origin: np.ndarray, voxel_size: np.ndarray, path: Path,
             comment: str = "written by napari-molfield") -> None:
    """Write one ``[X, Y, Z]`` channel as OpenDX text to ``path`` (not atomically).

    Values are written with 7 significant digits (float32 precision), three a line.
    """
    nx, ny, nz = values.shape
    h = np.broadcast_to(np.asarray(voxel_size, np.float64), (3,))
    o = np.asarray(origin, np.float64)
    flat = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
    n = flat.size
    lines = [
        f"# {comment}",
        f"object 1 class gridpositions counts {nx} {ny} {nz}",
        f"origin {o[0]:.9g} {o[1]:.9g} {o[2]:.9g}",
        f"delta {h[0]:.9g} 0 0",
        f"delta 0 {h[1]:.9g} 0",
        f"delta 0 0 {h[2]:.9g}",
        f"object 2 class gridconnections counts {nx} {ny} {nz}",
        f'object 3 class array type "float" rank 0 items {n} data follows',
    ]
    with open(path, "w", encoding="ascii") as fh:
        fh.write("\n".join(lines) + "\n")
        full = n - n % 3
        if full:
            np.savetxt(fh, flat[:full].reshape(-1, 3), fmt="%.7g")
        if n % 3:
            fh.write(" ".join(f"{v:.7g}" for v in flat[full:]) + "\n")
        fh.write('attribute "dep" string "positions"\n'
                 'object "density" class field\n'
                 'component "positions" value 1\n'
                 'component "connections" value 2\n'
                 'component "data" value 3\n')


def _float(token: str, name: str) -> float:
    """A header number (Fortran ``D`` exponents too); one sentence when it is none."""
    try:
        return float(token.replace("D", "e").replace("d", "e"))
    except ValueError:
        raise MolfieldError(f"{name}: {token!r} in the grid header is not a number.") from None


def _dims(shape: tuple[int, ...]) -> str:
    return "×".join(str(s) for s in shape)
