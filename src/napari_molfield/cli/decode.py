"""``molfield decode``: a fitted model at any resolution, with PSNR against Eq. 1."""

from __future__ import annotations

import argparse
import time
from typing import Any

from .common import load_input


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield decode``."""
    d = sub.add_parser("decode", help="decode a fitted model at any resolution")
    d.add_argument("model", help="checkpoint (.safetensors)")
    d.add_argument("--item", type=int, default=0, help="item (molecule/conformer) index")
    d.add_argument("--resolution", "-n", type=int, default=64)
    d.add_argument("--device", default="auto")
    d.add_argument("--truth", metavar="INPUT",
                   help="report PSNR against Eq. 1 of this molecule, or against this map")
    d.add_argument("--output", "-o", required=True, help="output .npz, .mrc or .ccp4")
    d.set_defaults(func=cmd_decode)


def cmd_decode(args: argparse.Namespace) -> int:
    """``molfield decode``."""
    from ..autodecoder.checkpoint import load_model
    from ..autodecoder.decode import decode
    from ..fields.io import write_field
    from ..nn.checkpoint import DEFORMABLE, checkpoint_format

    if checkpoint_format(args.model) == DEFORMABLE:
        from .deform import cmd_decode_deform

        return cmd_decode_deform(args)
    model = load_model(args.model)
    t0 = time.perf_counter()
    field = decode(model, item=args.item, resolution=args.resolution, device=args.device)
    dt = time.perf_counter() - t0
    write_field(field, args.output)
    print(f"decoded item {args.item} at {args.resolution}³ in {dt:.2f} s → {args.output}")
    if args.truth:
        print(truth_report(model, args.item, args.truth, field))
    return 0


def truth_report(model: Any, item: int, truth_path: str, decoded: Any) -> str:
    """One line comparing ``decoded`` (item ``item``) with its truth: Eq. 1 of a molecule
    file at the decode's voxels, or a density map at the map's own voxels."""
    from ..autodecoder.decode import truth_field
    from ..fields.maps import map_format, read_map
    from ..fields.metrics import field_report, format_report

    if map_format(truth_path) is not None:
        from ..autodecoder.maps import decode_on_map

        grid = read_map(truth_path)
        scale = model.scale(item)[:, None, None, None]
        r = field_report(decode_on_map(model, item, grid).values, grid.values / scale)
        return f"{format_report(r)} at the map's {'×'.join(map(str, grid.resolution))} voxels"
    mols = load_input(truth_path, None)
    meta = model.items[model.item_index(item)]
    mol = mols[meta.get("molecule", 0)] if len(mols) > 1 else mols[0]
    n = decoded.resolution[0]
    truth = truth_field(model, item=item, resolution=n, molecule=mol)
    return f"{format_report(field_report(decoded.values, truth.values))} at {n}³"
