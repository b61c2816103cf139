"""``molfield encode``: latents of molecules from an auto-encoder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import MolfieldError
from .common import add_refine_arg, refine_steps


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield encode MODEL INPUT... --output latents.npz``."""
    e = sub.add_parser("encode", help="encode molecules into latents with an auto-encoder")
    e.add_argument("model", help="auto-encoder checkpoint, or 'default' for the shipped one")
    e.add_argument("inputs", nargs="+", help="SMILES, molecule or dataset files")
    e.add_argument("--output", "-o", required=True, help="output .npz")
    e.add_argument("--device", default="cpu")
    add_refine_arg(e)
    e.set_defaults(func=cmd_encode)


def cmd_encode(args: argparse.Namespace) -> int:
    """``molfield encode``: latents, and per molecule the PSNR of their decode with the
    all-zero field's PSNR on the same voxels (all channels and occupied channels)."""
    import numpy as np

    from .. import models
    from ..autoencoder.encode import evaluate_molecules, molecules_from
    from ..fields.io import atomic_write

    output = Path(args.output)
    if output.suffix.lower() != ".npz":  # before any work
        raise MolfieldError(f"{output.name}: the latents file must end in .npz.")
    if not output.parent.is_dir():
        raise MolfieldError(f"{output.parent}: no such folder for the latents file.")
    steps = refine_steps(args)
    model = models.load(args.model, device=args.device)
    if models.kind_of(model) != models.AUTOENCODER:
        raise MolfieldError(f"{args.model} holds an {models.kind_of(model)} model: encoding "
                            "needs an auto-encoder.")
    mols, problems = molecules_from(args.inputs, model)
    for p in problems:
        print(f"molfield: {p}", file=sys.stderr)
    if not mols:
        raise MolfieldError("No molecule could be encoded.")
    ev = evaluate_molecules(model, mols, refine_steps=steps)
    per = ev["per_molecule"]
    arrays = {
        "names": np.array([m.name for m in mols]),
        "smiles": np.array([m.smiles or "" for m in mols]),
        "latents": ev["latents"].astype(np.float32),
        "psnr": per["psnr"],
        "psnr_occupied": per["psnr_occupied"],
        "zero": per["psnr_zero"],
        "zero_occupied": per["psnr_zero_occupied"],
        "refine_steps": np.array(steps),
    }

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    atomic_write(output, write)
    how = f"encoder + {steps} refinement steps" if steps else "encoder alone"
    print(f"{len(mols)} molecule(s) encoded ({how}; {len(problems)} problem(s)); mean PSNR "
          f"{ev['psnr']:.2f} dB (zero field {np.mean(per['psnr_zero']):.2f} dB), occupied "
          f"channels {ev['psnr_occupied']:.2f} dB (zero field "
          f"{np.mean(per['psnr_zero_occupied']):.2f} dB) → {args.output}")
    return 0
