"""``molfield interpolate``: decode a latent path and save it as a movie or as frames.

Auto-decoder and deformable checkpoints take item indices (or names) for
``--from/--via/--to``; auto-encoder checkpoints (or ``default``, the shipped one) take
SMILES or molecule files, which are encoded first. `models.interpolator` builds the path
of any kind (one interface); movies are rendered without napari
(`interpolation.movie.render_mip`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MolfieldError
from ..interpolation.paths import MODES, frame_times

if TYPE_CHECKING:
    from ..interpolation.base import LatentPath


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield interpolate`` on the sub-command parser."""
    p = sub.add_parser(
        "interpolate",
        help="decode an interpolation between latents as a GIF/MP4 movie or .npz frames",
        description="Interpolate between items of a fitted model (conformers or molecules), "
        "through optional via-points, and decode every frame at one resolution.",
    )
    p.add_argument("model", help="checkpoint (.safetensors); 'default' = shipped auto-encoder")
    p.add_argument("--from", dest="start", required=True,
                   help="start item (index or name; SMILES/file for an auto-encoder)")
    p.add_argument("--to", dest="end", required=True, help="end item")
    p.add_argument("--via", nargs="+", default=[], metavar="ITEM", help="items passed on the way")
    p.add_argument("--frames", "-f", type=int, default=24, help="number of frames (t = 0 … 1)")
    p.add_argument("--resolution", "-n", type=int, default=48, help="voxels per edge")
    p.add_argument("--mode", choices=MODES, default="linear")
    p.add_argument("--fps", type=float, default=12.0, help="frames per second of a movie")
    p.add_argument("--size", type=int, default=384, help="minimum movie edge, pixels")
    p.add_argument("--all-voxels", action="store_true",
                   help="evaluate every voxel (default: only near the atoms of the items)")
    p.add_argument("--output", "-o", required=True,
                   help="movie.gif, movie.mp4, frames.npz, or atoms.pdb (the atoms of every frame)")
    p.add_argument("--atoms", metavar="FILE", help="also write the atoms of every frame (a "
                   "deformable model moves its own; others: recovered from each frame, "
                   ".sdf one record a frame, .pdb one MODEL a frame, .xyz)")
    p.add_argument("--along-data", action="store_true", help="pass through every conformer "
                   "between --from and --to in data order (an MD trajectory, an NMR ensemble)")
    p.set_defaults(func=cmd_interpolate)


def _item(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def _keys(model: Any, keys: list[str], along_data: bool) -> list[int | str]:
    """The key items; with ``along_data`` every item from the first to the last key."""
    items = [_item(k) for k in keys]
    if not along_data:
        return items
    a, b = model.item_index(items[0]), model.item_index(items[-1])
    return list(range(a, b + 1) if a <= b else range(a, b - 1, -1))


def _load(args: argparse.Namespace) -> tuple[Any, LatentPath, list[Any]]:
    """The checkpoint's model, its interpolator (whatever its kind: `models.interpolator`)
    and the key items (none for an auto-encoder's encoded molecules)."""
    from ..models import AUTOENCODER, interpolator, kind_of, load

    model = load(args.model)  # "default": the shipped auto-encoder
    keys = [args.start, *args.via, args.end]
    support = "all" if args.all_voxels else "atoms"
    if kind_of(model) == AUTOENCODER:  # SMILES or molecule files: encoded first
        from ..autoencoder.encode import encode_molecules

        return model, interpolator(model, encode_molecules(model, keys), args.resolution,
                                   mode=args.mode, support=support, names=keys), []
    items = _keys(model, keys, args.along_data)
    return model, interpolator(model, items, args.resolution, mode=args.mode,
                               support=support), items


def frame_atoms(model: Any, interp: LatentPath, items: list[Any], ts: Any, path: Path,
                resolution: int) -> None:
    """Atoms recovered from every frame, in the frame of the nearest key item (scales
    estimated where no molecule is known), written one record (SDF) or MODEL (PDB) a
    frame; prints which frames give a molecule RDKit sanitizes, and their share."""
    from ..atoms import write_atoms
    from ..models import atoms

    results, valid = [], 0
    for f, t in enumerate(ts):
        item = items[round(float(t) * (len(items) - 1))] if items else 0
        r = atoms(model, item, resolution, latent=interp.latent(float(t)))
        valid += r.valid
        print(f"frame {f} (t = {float(t):.2f}): {r.summary()}", file=sys.stderr)
        if r.mol is not None or path.suffix.lower() == ".xyz":
            results.append(r)
    print(f"{valid} of {len(ts)} frames give a sanitizable molecule "
          f"({100 * valid / max(len(ts), 1):.0f} %)", file=sys.stderr)
    if not results:
        raise MolfieldError("No frame gave atoms with bonds: write .xyz to keep the atoms.")
    write_atoms(results, path)


def check_output_memory(suffix: str, n_frames: int, n_channels: int, resolution: int,
                        size: int) -> None:
    """Refuse, before any frame is decoded, an output that needs more than half the
    available memory: ``.npz`` frames (F × C × N³ float32, held whole), a GIF (F RGB
    images of at least ``size`` pixels an edge, held whole) or an MP4 frame."""
    from ..fields.limits import check_memory
    from ..interpolation.base import check_frames_memory

    if suffix == ".npz":
        check_frames_memory(n_frames, n_channels, resolution)
    elif suffix in (".gif", ".mp4"):
        edge = resolution * max(1, -(-int(size) // resolution))
        edge += -edge % 16
        held = n_frames if suffix == ".gif" else 1
        # uint8 RGB frames held, plus the float32 image of the frame being drawn
        check_memory(3.0 * edge * edge * (held + 4),
                     f"A {suffix[1:].upper()} of {n_frames} frames of {edge}×{edge} pixels",
                     "write fewer frames or a smaller --size"
                     + (", or .mp4 (one frame at a time)" if suffix == ".gif" else ""))


def cmd_interpolate(args: argparse.Namespace) -> int:
    """``molfield interpolate``."""
    from ..interpolation.movie import (
        MOVIE_SUFFIXES,
        path_images,
        write_frames_npz,
        write_movie,
    )

    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in (*MOVIE_SUFFIXES, ".npz", ".pdb"):
        raise MolfieldError(f"{out.name}: write .gif, .mp4, .npz or .pdb.")
    ts = frame_times(args.frames)
    t0 = time.perf_counter()
    model, interp, items = _load(args)
    t_load = time.perf_counter() - t0
    check_output_memory(suffix, len(ts), len(interp.channels), interp.n, args.size)
    atoms_out = [Path(p) for p in (args.atoms, out if suffix == ".pdb" else None) if p]
    for path in atoms_out:
        if interp.moves_atoms:  # a deformable model carries its atoms along the path
            interp.write_atoms(path, ts)
        else:
            frame_atoms(model, interp, items, ts, path, args.resolution)
    t1 = time.perf_counter()
    if suffix == ".npz":
        write_frames_npz(out, **interp.arrays(ts))
    elif suffix != ".pdb":
        write_movie(path_images(interp, ts, size=args.size), out, fps=args.fps)
    dt = time.perf_counter() - t1
    print(f"{len(ts)} frames at {interp.n}³ ({interp.mode}, {interp.n_keys} keys, "
          f"{100 * interp.support_fraction:.0f}% of voxels evaluated) in {dt:.1f} s "
          f"({1000 * dt / len(ts):.0f} ms/frame; loading {t_load:.1f} s) → {out}",
          file=sys.stderr)
    return 0
