"""``molfield interpolate``: decode a latent path and save it as a movie or as frames.

Auto-decoder checkpoints take item indices (or names) for ``--from/--via/--to``;
auto-encoder checkpoints (or ``default``, the shipped one) take SMILES or molecule files,
which are encoded first. Movies are rendered without napari (`movie.render_mip`).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from ..errors import MolfieldError
from ..latent_paths import MODES, frame_times


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
                   help="movie.gif, movie.mp4, frames.npz, or atoms.pdb (deformable models)")
    p.add_argument("--atoms", metavar="PDB", help="also write the atoms of every frame as a "
                   "multi-model PDB (deformable models)")
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


def _load(args: argparse.Namespace) -> Any:  # an Interpolator
    from ..interpolate import Interpolator

    keys = [args.start, *args.via, args.end]
    if args.model != "default":
        from ..autodecoder.checkpoint import load_model
        from ..nn.checkpoint import AUTODECODER, DEFORMABLE, checkpoint_format

        if checkpoint_format(args.model) == DEFORMABLE:  # the model whose density moves
            from ..deform.checkpoint import load_deform
            from ..deform.interpolate import DeformInterpolator

            model = load_deform(args.model)
            return DeformInterpolator(model, _keys(model, keys, args.along_data),
                                      args.resolution, mode=args.mode,
                                      support="all" if args.all_voxels else "atoms")
        if checkpoint_format(args.model) in (AUTODECODER, None):  # None: load_model says why
            model = load_model(args.model)
            keys = _keys(model, keys, args.along_data)
            return Interpolator.from_model(
                model, [_item(k) for k in keys], args.resolution, mode=args.mode,
                support="all" if args.all_voxels else "atoms",
            )
    from ..autoencoder.checkpoint import load_autoencoder, load_default_model
    from ..autoencoder.encode import encode_molecules

    ae = load_default_model() if args.model == "default" else load_autoencoder(args.model)
    latents = encode_molecules(ae, keys)
    return Interpolator.from_autoencoder(ae, latents, args.resolution, mode=args.mode,
                                         names=keys)


def cmd_interpolate(args: argparse.Namespace) -> int:
    """``molfield interpolate``."""
    import numpy as np

    from ..movie import MOVIE_SUFFIXES, channel_colours, render_mip, write_frames_npz, write_movie

    out = Path(args.output)
    suffix = out.suffix.lower()
    if suffix not in (*MOVIE_SUFFIXES, ".npz", ".pdb"):
        raise MolfieldError(f"{out.name}: write .gif, .mp4, .npz or .pdb.")
    ts = frame_times(args.frames)
    t0 = time.perf_counter()
    interp = _load(args)
    t_load = time.perf_counter() - t0
    n, c = interp.n, len(interp.channels)
    atoms_out = [Path(p) for p in (args.atoms, out if suffix == ".pdb" else None) if p]
    if atoms_out and not hasattr(interp, "write_atoms"):
        raise MolfieldError("Only a deformable model (molfield fit --model deform) moves "
                            "atoms: write .gif, .mp4 or .npz for this one.")
    for path in atoms_out:
        interp.write_atoms(path, ts)
    t1 = time.perf_counter()
    if suffix == ".pdb":
        pass
    elif suffix == ".npz":
        values = np.zeros((len(ts), c, n, n, n), np.float32)
        for f, t in enumerate(ts):
            interp.values(float(t), out=values[f])
        boxes = [interp.box(float(t)) for t in ts]
        write_frames_npz(
            out, values=values, t=ts, origin=np.array([b.origin(n) for b in boxes]),
            spacing=np.array([b.spacing(n) for b in boxes]),
            channels=np.array(interp.channels), keys=np.array([str(k) for k in interp.names]),
            mode=np.array(interp.mode),
        )
    else:
        colours = channel_colours(interp.channels)
        buf = np.zeros((c, n, n, n), np.float32)

        def frames():
            for t in ts:
                yield render_mip(interp.values(float(t), out=buf), colours, size=args.size)

        write_movie(frames(), out, fps=args.fps)
    dt = time.perf_counter() - t1
    print(f"{len(ts)} frames at {n}³ ({interp.mode}, {interp.n_keys} keys, "
          f"{100 * interp.support_fraction:.0f}% of voxels evaluated) in {dt:.1f} s "
          f"({1000 * dt / len(ts):.0f} ms/frame; loading {t_load:.1f} s) → {out}",
          file=sys.stderr)
    return 0
