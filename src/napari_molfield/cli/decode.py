"""``molfield decode``: a model of any kind at any resolution, with PSNR against Eq. 1."""

from __future__ import annotations

import argparse
import time
from typing import Any

from ..errors import MolfieldError
from .common import load_input


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield decode``."""
    d = sub.add_parser("decode", help="decode a model (any kind) at any resolution")
    d.add_argument("model", help="checkpoint (.safetensors) of any kind; 'default' = the "
                   "shipped auto-encoder (items: its dataset molecules)")
    d.add_argument("--item", type=int, default=0, help="item (molecule/conformer) index")
    d.add_argument("--resolution", "-n", type=int, default=64)
    d.add_argument("--device", default="auto")
    d.add_argument("--truth", metavar="INPUT",
                   help="report PSNR against Eq. 1 of this molecule, or against this map")
    d.add_argument("--output", "-o", required=True, help="output .npz, .mrc or .ccp4")
    d.set_defaults(func=cmd_decode)


def cmd_decode(args: argparse.Namespace) -> int:
    """``molfield decode``: any model kind (the checkpoint's header says which)."""
    from .. import models
    from ..fields.io import write_field

    model = models.load(args.model, device=args.device)
    t0 = time.perf_counter()
    field = models.decode(model, args.item, args.resolution)
    dt = time.perf_counter() - t0
    write_field(field, args.output)
    name = model.item_names[model.item_index(args.item)]
    print(f"decoded item {args.item} ({name}) at {args.resolution}³ in {dt:.2f} s "
          f"→ {args.output}")
    if args.truth:
        print(truth_report(model, args.item, args.truth, field))
    return 0


def truth_report(model: Any, item: int, truth_path: str, decoded: Any) -> str:
    """One line comparing ``decoded`` (item ``item``) with its truth: Eq. 1 of a molecule
    file at the decode's voxels, or a density map at the map's own voxels (auto-decoders of
    maps)."""
    from .. import models
    from ..fields.maps import map_format, read_map
    from ..fields.metrics import field_report, format_report

    i = model.item_index(item)
    if map_format(truth_path) is not None:
        if models.kind_of(model) != models.AUTODECODER:
            raise MolfieldError(f"{truth_path} is a map: only an auto-decoder fitted to maps "
                                "is compared with one.")
        from ..autodecoder.maps import decode_on_map

        grid = read_map(truth_path)
        scale = model.scale(i)[:, None, None, None]
        r = field_report(decode_on_map(model, i, grid).values, grid.values / scale)
        return f"{format_report(r)} at the map's {'×'.join(map(str, grid.resolution))} voxels"
    mols = load_input(truth_path, None)
    # an auto-decoder fitted to several files remembers which file each item came from
    which = getattr(model, "items", [{}] * (i + 1))[i].get("molecule", 0)
    mol = mols[which] if len(mols) > 1 and which < len(mols) else mols[0]
    n = decoded.resolution[0]
    truth = models.truth(model, i, n, molecule=mol)
    return f"{format_report(field_report(decoded.values, truth.values))} at {n}³"
