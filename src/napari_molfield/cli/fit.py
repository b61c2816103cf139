"""``molfield fit``: an auto-decoder fitted to molecules, conformers or files."""

from __future__ import annotations

import argparse
from typing import Any

from .common import add_field_args, load_input, progress_bar, show_step

#: Steps of a fit that only a time budget ends.
UNLIMITED_STEPS = 10**9

def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield fit``."""
    f = sub.add_parser("fit", help="fit an auto-decoder neural field to molecules or conformers")
    f.add_argument("inputs", nargs="+", help="molecule files or SMILES")
    add_field_args(f, resolution=32)
    f.add_argument("--steps", type=int, help="optimisation steps (default: the preset's, or "
                   "no limit with --time)")
    f.add_argument("--time", type=float, dest="time_budget",
                   help="time budget in seconds (runs that long unless --steps ends it first)")
    f.add_argument("--preset", default="cpu", help="model preset (tiny, cpu, gpu)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 …")
    f.add_argument("--output", "-o", required=True, help="checkpoint (.safetensors)")
    f.set_defaults(func=cmd_fit)


def cmd_fit(args: argparse.Namespace) -> int:
    """``molfield fit``."""
    from ..autodecoder.checkpoint import save_model
    from ..autodecoder.fit import fit

    mols = [m for text in args.inputs for m in load_input(text, args.ligand)]
    steps = args.steps
    if steps is None and args.time_budget is None:
        args.time_budget = 60.0
    if steps is None:  # a time budget alone decides when the fit ends
        steps = UNLIMITED_STEPS
    run = fit(
        mols,
        channels=args.channels,
        split=args.split,
        resolution=args.resolution,
        beta=args.beta,
        padding=args.padding,
        add_hydrogens=args.add_hydrogens,
        preset=args.preset,
        steps=steps,
        time_budget=args.time_budget,
        seed=args.seed,
        device=args.device,
    )
    bar = progress_bar(args.steps, "fit")
    last = None
    try:
        for last in run:
            show_step(bar, last.step, last.loss, "PSNR", last.psnr)
    finally:
        bar.close()
    assert last is not None
    model = last.model
    save_model(model, args.output)
    values = [item_psnr(model, i, args.resolution) for i in range(model.n_items)]
    print(
        f"PSNR {sum(values) / len(values):.2f} dB at {args.resolution}³ "
        f"(mean over {len(values)} item(s), {last.step} steps, {last.elapsed:.0f} s) "
        f"→ {args.output}"
    )
    return 0


def item_psnr(model: Any, item: int, resolution: int) -> float:
    """PSNR (MAX = 1, normalised) of one item's decode against Eq. 1 at ``resolution``."""
    from ..autodecoder.decode import decode, truth_field
    from ..fields.metrics import psnr

    return psnr(
        decode(model, item, resolution).values, truth_field(model, item, resolution).values
    )
