"""``molfield landscape``: a model's latents as a map (PCA or UMAP) with colourings,
k-means states and the density of items, written as ``.npz``, ``.csv`` or ``.png``; the
states' representatives optionally as PDB files."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..errors import MolfieldError


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield landscape MODEL -o landscape.npz|.csv|.png``."""
    p = sub.add_parser("landscape", help="the latent landscape of a model (trajectory frames, "
                       "conformers, molecules): PCA/UMAP, colourings, states, density")
    p.add_argument("model", help="checkpoint of any kind, or 'default'")
    p.add_argument("--output", "-o", required=True, action="append",
                   help="landscape.npz, landscape.csv or landscape.png (repeat for several)")
    p.add_argument("--method", choices=("pca", "umap"), default="pca")
    p.add_argument("--colour", "--color", default="frame",
                   help="frame, rmsd (to --reference), rg, or csv:COLUMN (with --csv)")
    p.add_argument("--reference", type=int, default=0, help="frame of the rmsd colouring")
    p.add_argument("--csv", help="a CSV with one row per item (for --colour csv:COLUMN)")
    p.add_argument("--states", type=int, default=0, help="k-means states (0: none)")
    p.add_argument("--states-pdb", metavar="FOLDER",
                   help="write each state's representative frame as FOLDER/state_K.pdb")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_landscape)


def cmd_landscape(args: argparse.Namespace) -> int:
    """Build the landscape and write every requested file (checked before any work)."""
    from .. import models
    from ..landscape.landscape import (
        LANDSCAPE_SUFFIXES,
        build_landscape,
        save_landscape,
        write_states,
    )

    outs = [Path(o) for o in args.output]
    for o in outs:
        if o.suffix.lower() not in LANDSCAPE_SUFFIXES:
            raise MolfieldError(f"{o.name}: write a landscape as "
                                f"{', '.join(LANDSCAPE_SUFFIXES)}.")
        if not o.parent.is_dir():
            raise MolfieldError(f"{o.parent}: no such folder for the landscape.")
    if args.states_pdb and not args.states:
        raise MolfieldError("--states-pdb needs --states K.")
    if args.states_pdb and not Path(args.states_pdb).is_dir():
        raise MolfieldError(f"{args.states_pdb}: no such folder for the state PDB files.")
    model = models.load(args.model)
    coords = models.item_coords(model)
    if args.states_pdb and (coords is None or not isinstance(getattr(model, "atoms", None),
                                                            dict)):
        raise MolfieldError("--states-pdb needs a model of conformers of the same atoms (a "
                            "deformable model of a trajectory or an ensemble).")
    ls = build_landscape(models.latents(model), model.item_names, coords=coords,
                         method=args.method, colour=args.colour, reference=args.reference,
                         csv_path=args.csv, n_states=args.states,
                         held_out=models.held_out(model), seed=args.seed)
    title = f"{models.describe(model)}: {ls.embedding.method}"
    for o in outs:
        save_landscape(ls, o, title)
        print(f"landscape of {len(ls.names)} latents ({ls.embedding.method}, coloured by "
              f"{ls.colour_label}) → {o}")
    if ls.states is not None:
        for s, (i, n) in enumerate(zip(ls.states.representatives, ls.states.sizes,
                                       strict=True)):
            print(f"state {s}: {n} items, representative {ls.names[i]}")
        if args.states_pdb:
            for path in write_states(ls, coords, getattr(model, "atoms", None),
                                     args.states_pdb):
                print(f"{path.stem.replace('_', ' ')} → {path}")
    return 0
