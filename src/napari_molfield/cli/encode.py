"""``molfield encode``: latents of molecules from an auto-encoder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..errors import MolfieldError


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield encode MODEL INPUT... --output latents.npz``."""
    e = sub.add_parser("encode", help="encode molecules into latents with an auto-encoder")
    e.add_argument("model", help="auto-encoder checkpoint, or 'default' for the shipped one")
    e.add_argument("inputs", nargs="+", help="SMILES, molecule or dataset files")
    e.add_argument("--output", "-o", required=True, help="output .npz")
    e.add_argument("--device", default="cpu")
    e.set_defaults(func=cmd_encode)


def cmd_encode(args: argparse.Namespace) -> int:
    """``molfield encode``."""
    import numpy as np

    from ..autoencoder.checkpoint import load_autoencoder, load_default_model
    from ..autoencoder.encode import evaluate_molecules, molecules_from
    from ..fields.io import atomic_write

    model = (load_default_model(args.device) if args.model == "default"
             else load_autoencoder(args.model, device=args.device))
    mols, problems = molecules_from(args.inputs, model)
    for p in problems:
        print(f"molfield: {p}", file=sys.stderr)
    if not mols:
        raise MolfieldError("No molecule could be encoded.")
    ev = evaluate_molecules(model, mols)
    output = Path(args.output)
    if output.suffix.lower() != ".npz":
        raise MolfieldError(f"{output.name}: the latents file must end in .npz.")
    arrays = {
        "names": np.array([m.name for m in mols]),
        "smiles": np.array([m.smiles or "" for m in mols]),
        "latents": ev["latents"].astype(np.float32),
        "psnr": ev["per_molecule"]["psnr"],
        "psnr_occupied": ev["per_molecule"]["psnr_occupied"],
    }

    def write(tmp: str) -> None:
        with open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    atomic_write(output, write)
    print(f"{len(mols)} molecule(s) encoded ({len(problems)} problem(s)); mean PSNR "
          f"{ev['psnr']:.2f} dB all channels, {ev['psnr_occupied']:.2f} dB occupied "
          f"→ {args.output}")
    return 0
