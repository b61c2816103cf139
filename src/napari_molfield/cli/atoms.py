"""``molfield atoms``: a molecule back out of a field (fitted model, latent or field file)."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from ..errors import MolfieldError
from .common import add_refine_arg, refine_steps


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield atoms INPUT -o OUT.sdf|.pdb|.xyz``."""
    a = sub.add_parser(
        "atoms", help="recover atoms (and bonds) from a fitted model, a latent or a field file",
        description="INPUT is an auto-decoder or deformable checkpoint (--item), an auto-encoder "
        "checkpoint "
        "or 'default' (with --smiles or --latent), or a field file (.npz/.mrc/.ccp4/.map; "
        "every frame of an interpolation .npz becomes one model of the output).",
    )
    a.add_argument("input", help="checkpoint, 'default', or field file")
    a.add_argument("--output", "-o", required=True, help="output .sdf, .pdb, .xyz or .mol")
    a.add_argument("--item", type=int, default=0,
                   help="item (molecule, conformer) of an auto-decoder or deformable model")
    a.add_argument("--smiles", help="auto-encoder: encode this SMILES (or molecule file) first")
    a.add_argument("--latent", metavar="NPZ", help="auto-encoder: latents file of "
                   "`molfield encode` (with --index)")
    a.add_argument("--index", type=int, default=0, help="row of --latent")
    a.add_argument("--resolution", "-n", type=int, default=48,
                   help="grid the network is first evaluated on")
    a.add_argument("--charge", type=int, default=0, help="total charge for bond orders")
    add_refine_arg(a)
    a.set_defaults(func=cmd_atoms)


def cmd_atoms(args: argparse.Namespace) -> int:
    """``molfield atoms``."""
    from ..atoms import write_atoms

    t0 = time.perf_counter()
    results = _recover(args)
    write_atoms(results, args.output)
    for k, r in enumerate(results):
        prefix = f"frame {k}: " if len(results) > 1 else ""
        print(f"{prefix}{r.summary()}")
        for note in r.notes:
            print(f"molfield: note: {note}", file=sys.stderr)
    print(f"{len(results)} molecule(s) in {time.perf_counter() - t0:.1f} s → {args.output}")
    return 0


def _recover(args: argparse.Namespace) -> list[Any]:
    from .. import models

    kind = models.AUTOENCODER if args.input == models.DEFAULT else \
        models.checkpoint_kind(args.input)
    if kind == models.AUTOENCODER:
        return [_from_autoencoder(args)]
    if kind is not None:  # an auto-decoder item or a deformable model's conformer
        model = models.load(args.input)
        return [models.atoms(model, args.item, args.resolution, charge=args.charge)]
    if args.input.endswith(".safetensors"):
        raise MolfieldError(f"{args.input}: not a napari-molfield checkpoint.")
    from ..atoms import atoms_from_field
    from ..fields.io import read_frames

    return [atoms_from_field(f, charge=args.charge) for f in read_frames(args.input)]


def _from_autoencoder(args: argparse.Namespace) -> Any:
    """Atoms of an encoded molecule in its own frame (known scales), or of a stored latent
    (no molecule: the box centred at the origin, scales estimated)."""
    import numpy as np

    from .. import models
    from ..atoms.models import atoms_from_latent, atoms_in_place

    model = models.load(args.input)
    if args.smiles:
        from ..autoencoder.encode import encode_molecules, molecules_from

        mols, problems = molecules_from([args.smiles], model)
        if len(mols) != 1:
            why = "; ".join(str(p) for p in problems) or "it holds no molecule"
            raise MolfieldError(f"{args.smiles}: give one molecule to encode ({why}).")
        latent = encode_molecules(model, mols, refine_steps=refine_steps(args))[0]
        return atoms_in_place(model, latent, mols[0], args.resolution, charge=args.charge)
    if args.latent:
        with np.load(args.latent, allow_pickle=False) as z:
            if "latents" not in z:
                raise MolfieldError(f"{args.latent}: no 'latents' array (write it with "
                                    "`molfield encode`).")
            lat = np.asarray(z["latents"])
        if not 0 <= args.index < len(lat):
            raise MolfieldError(f"{args.latent} holds {len(lat)} latents; no index {args.index}.")
        return atoms_from_latent(model, lat[args.index], args.resolution, charge=args.charge)
    raise MolfieldError("An auto-encoder needs --smiles or --latent to decode.")
