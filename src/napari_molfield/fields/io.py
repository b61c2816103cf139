"""Read and write fields as ``.npz`` or MRC/CCP4 maps.

``.npz``
    All channels in one file: ``values`` ``[C, N, N, N]`` float32, ``origin`` ``[3]``,
    ``spacing``, ``channels`` (strings), ``beta``, and when known ``box_centre``,
    ``box_edge`` and ``meta`` (JSON). ``write_field(field, path, atoms=table)`` adds the
    exact per-entry inputs of Eq. 1: ``atom_xyz`` ``[E, 3]``, ``atom_radius``,
    ``atom_channel`` and ``atom_weight`` ``[E]`` (read back with `read_field_atoms`).
``.mrc`` / ``.ccp4``
    One channel per map. A one-channel field is written to ``path``; a field with ``C > 1``
    channels to ``<stem>_<channel><suffix>`` files next to ``path`` (channel names made
    file-safe), one per channel. The map is float32 (mode 2), x the fastest file axis
    (MAPC/MAPR/MAPS = 1/2/3), ``NXSTART = NYSTART = NZSTART = 0``, the cell ``N·h`` on every
    edge, and the MRC-2000 ORIGIN words hold the Å position of voxel ``(0, 0, 0)``, so
    ChimeraX and PyMOL put grid point ``(i, j, k)`` at ``origin + h · (i, j, k)``, on the
    atoms.

``.dx``
    OpenDX text, one channel per file as for maps (see `fields.dx`).

Maps may have anisotropic voxels (`Field.voxel_size`), which maps keep; ``.npz`` files
then store ``spacing`` as three numbers. `read_field` reads maps (also ``.gz``/``.bz2``
and ``.dx``) with `fields.maps.read_map`.

Every write goes to a temporary file in the target folder and is moved into place with
`os.replace`; a failed write leaves no file behind.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import numpy as np

from ..errors import MolfieldError
from .box import Box
from .channels import AtomTable
from .field import Field

NPZ_SUFFIXES = (".npz",)
MAP_SUFFIXES = (".mrc", ".ccp4", ".map")
DX_SUFFIXES = (".dx",)


def write_field(
    field: Field, path: str | os.PathLike[str], atoms: AtomTable | None = None
) -> list[Path]:
    """Write ``field`` to ``path`` (``.npz``, ``.mrc``, ``.ccp4`` or ``.map``).

    Parameters
    ----------
    field
        The field to write.
    path
        Target file; its suffix picks the format.
    atoms
        The `AtomTable` the field was sampled from, stored exactly in ``.npz`` files
        (ignored for maps).

    Returns
    -------
    list of Path
        The files written (several for a multi-channel map).

    Raises
    ------
    MolfieldError
        For an unknown extension or a file that cannot be written.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix in NPZ_SUFFIXES:
        arrays = _npz_arrays(field, atoms)
        _atomic(path, lambda tmp: _save_npz(tmp, arrays))
        return [path]
    if suffix in MAP_SUFFIXES + DX_SUFFIXES:
        if len(field.channels) == 1:
            targets = [path]
        else:
            targets = [
                path.with_name(f"{path.stem}_{_safe(name)}{path.suffix}")
                for name in field.channels
            ]
        for c, target in enumerate(targets):
            if suffix in DX_SUFFIXES:
                _write_dx(field.values[c], field.origin, field.voxel_size, target)
            else:
                _write_map(field.values[c], field.origin, field.voxel_size, target)
        return targets
    raise MolfieldError(
        f"{path.name}: unknown field file type {suffix or '(no extension)'!r}; use "
        f"{', '.join(NPZ_SUFFIXES + MAP_SUFFIXES + DX_SUFFIXES)}."
    )


def read_field(path: str | os.PathLike[str]) -> Field:
    """Read a field written by `write_field` (or any orthogonal MRC/CCP4 or OpenDX map).

    A map becomes a one-channel field named after the file's stem (`fields.maps.read_map`).
    """
    from .maps import map_format

    path = Path(path)
    suffix = path.suffix.lower()
    if map_format(path) is not None:
        suffix = MAP_SUFFIXES[0]
    if suffix not in NPZ_SUFFIXES + MAP_SUFFIXES:
        raise MolfieldError(
            f"{path.name}: unknown field file type {suffix or '(no extension)'!r}; use "
            f"{', '.join(NPZ_SUFFIXES + MAP_SUFFIXES + DX_SUFFIXES)}."
        )
    if not path.is_file():
        raise MolfieldError(f"{path.name}: no such file ({path}).")
    if suffix in MAP_SUFFIXES:
        return _read_map(path)
    with _open_npz(path) as z:
        missing = [k for k in ("values", "origin", "spacing", "channels") if k not in z]
        if missing:
            raise MolfieldError(f"{path.name}: not a field file (missing {', '.join(missing)}).")
        meta = json.loads(str(z["meta"])) if "meta" in z else {}
        if "beta" in z:
            meta["beta"] = float(z["beta"])
        box = Box(tuple(z["box_centre"]), float(z["box_edge"])) if "box_centre" in z else None
        spacing = np.asarray(z["spacing"], np.float64)
        try:
            return Field(
                z["values"], z["origin"], float(spacing) if spacing.ndim == 0 else spacing,
                tuple(str(c) for c in z["channels"]), box, meta,
            )
        except ValueError as exc:
            raise MolfieldError(f"{path.name}: inconsistent field arrays ({exc}).") from exc


def read_frames(path: str | os.PathLike[str]) -> list[Field]:
    """Every frame of a field file: the frames of an interpolation ``.npz`` (``values``
    ``[F, C, N, N, N]``, ``origin [F, 3]``, ``spacing [F]``, as ``molfield interpolate``
    writes), else the one field of `read_field`."""
    path = Path(path)
    if path.suffix.lower() in NPZ_SUFFIXES and path.is_file():
        with _open_npz(path) as z:
            if "values" in z and z["values"].ndim == 5:
                values, origin = np.asarray(z["values"]), np.asarray(z["origin"], np.float64)
                spacing = np.asarray(z["spacing"], np.float64)
                channels = tuple(str(c) for c in z["channels"])
                times = np.asarray(z["t"]) if "t" in z else np.arange(len(values))
                if origin.shape != (len(values), 3) or spacing.shape[:1] != (len(values),):
                    raise MolfieldError(f"{path.name}: inconsistent frame arrays.")
                return [Field(values[f], origin[f], float(spacing[f]), channels,
                              meta={"normalised": True, "t": float(times[f]),
                                    "name": f"{path.stem} t={float(times[f]):.2f}"})
                        for f in range(len(values))]
    return [read_field(path)]


def read_field_atoms(path: str | os.PathLike[str]) -> AtomTable | None:
    """The exact Eq. 1 inputs stored in an ``.npz`` field file, or None if absent."""
    path = Path(path)
    with _open_npz(path) as z:
        if "atom_xyz" not in z:
            return None
        return AtomTable(
            np.asarray(z["atom_xyz"], np.float64), np.asarray(z["atom_radius"], np.float64),
            np.asarray(z["atom_channel"], np.int32), np.asarray(z["atom_weight"], np.float64),
            tuple(str(c) for c in z["channels"]),
        )


def _npz_arrays(field: Field, atoms: AtomTable | None) -> dict[str, np.ndarray]:
    arrays = {
        "values": np.asarray(field.values, np.float32),
        "origin": np.asarray(field.origin, np.float64),
        "spacing": np.float64(field.spacing) if field.is_cubic else field.voxel_size,
        "channels": np.array(field.channels, dtype=np.str_),
        "beta": np.float64(field.meta.get("beta", np.nan)),
        "meta": np.array(json.dumps(field.meta, default=_json_default)),
    }
    if field.box is not None:
        arrays["box_centre"] = np.asarray(field.box.centre, np.float64)
        arrays["box_edge"] = np.float64(field.box.edge)
    if atoms is not None:
        if tuple(atoms.channels) != tuple(field.channels):
            raise MolfieldError("The atom table's channels differ from the field's channels.")
        arrays["atom_xyz"] = np.asarray(atoms.xyz, np.float64).reshape(-1, 3)
        arrays["atom_radius"] = np.asarray(atoms.radius, np.float64)
        arrays["atom_channel"] = np.asarray(atoms.channel, np.int32)
        arrays["atom_weight"] = np.asarray(atoms.weight, np.float64)
    return arrays


def _write_map(
    values: np.ndarray, origin: np.ndarray, spacing: float | np.ndarray, path: Path
) -> None:
    import gemmi

    data = np.ascontiguousarray(values, dtype=np.float32)
    nu, nv, nw = data.shape
    hx, hy, hz = np.broadcast_to(np.asarray(spacing, np.float64), (3,))
    ccp4 = gemmi.Ccp4Map()
    ccp4.grid = gemmi.FloatGrid(
        data,
        gemmi.UnitCell(nu * hx, nv * hy, nw * hz, 90, 90, 90),
        gemmi.SpaceGroup("P1"),
    )
    ccp4.update_ccp4_header(2, True)  # mode 2 (float32), with statistics
    for word, value in zip((50, 51, 52), origin, strict=True):  # MRC-2000 ORIGIN, Å
        ccp4.set_header_float(word, float(value))
    _atomic(path, ccp4.write_ccp4_map)


def _write_dx(values: np.ndarray, origin: np.ndarray, spacing: np.ndarray, path: Path) -> None:
    from .dx import write_dx

    _atomic(path, lambda tmp: write_dx(values, origin, spacing, Path(tmp)))


def _read_map(path: Path) -> Field:
    from .maps import read_map

    return read_map(path, allow_constant=True)


def _save_npz(tmp: str, arrays: dict[str, np.ndarray]) -> None:
    with open(tmp, "wb") as fh:
        # (cast: numpy's stub fears an "allow_pickle" key among the arrays)
        np.savez(fh, **cast("dict[str, Any]", arrays))


def atomic_write(
    path: str | os.PathLike, writer: Callable[[str], None], keep_suffix: bool = False
) -> None:
    """Call ``writer(tmp)`` on a fresh temporary file beside ``path``, then move it into place.

    Nothing is left behind on failure, and an existing ``path`` stays untouched; OS errors
    become a `MolfieldError` naming the file. With ``keep_suffix`` the temporary name ends
    in ``path``'s suffix (for writers that choose the format by it). The temporary name is
    unique, so two threads writing the same path never share it.
    """
    _atomic(Path(path), writer, keep_suffix)


def _atomic(path: Path, writer: Callable[[str], None], keep_suffix: bool = False) -> None:
    """Write via a temporary file in ``path``'s folder, then `os.replace` it into place."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise MolfieldError(f"Cannot save {path.name}: the folder {folder} does not exist.")
    tag = uuid.uuid4().hex[:12]
    name = f".{path.stem}.{tag}.tmp{path.suffix}" if keep_suffix else f".{path.name}.{tag}.tmp"
    tmp = str(folder / name)
    # os.open applies the umask, so the file gets the permissions of a plain open()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        os.close(fd)
        writer(tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError | RuntimeError):
            reason = getattr(exc, "strerror", None) or exc
            raise MolfieldError(f"Cannot save {path.name}: {reason}.") from exc
        raise


def _open_npz(path: Path) -> np.lib.npyio.NpzFile:
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise MolfieldError(f"{path.name}: not a readable .npz file ({exc}).") from exc


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9+\-]+", "-", name).strip("-") or "channel"


def _json_default(obj: object) -> object:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    return str(obj)
