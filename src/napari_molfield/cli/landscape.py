"""``molfield landscape``: a model's latents as a map (PCA or UMAP) with colourings,
k-means states and the density of items, written as ``.npz``, ``.csv`` or ``.png``; the
states' representatives optionally as PDB files."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MolfieldError

if TYPE_CHECKING:
    from ..landscape.landscape import Landscape


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
    from ..landscape.landscape import LANDSCAPE_SUFFIXES, build_landscape, save_landscape

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
            _write_states(model, ls, Path(args.states_pdb))
    return 0


def _write_states(model: Any, ls: Landscape, folder: Path) -> None:
    """Each state's representative item as ``state_K.pdb``: its own atoms (the input
    frame, not a decode)."""
    from .. import models
    from ..chem.pdb_models import pdb_models_text
    from ..fields.io import atomic_write

    coords = models.item_coords(model)
    annotations = getattr(model, "atoms", None)
    if coords is None or not isinstance(annotations, dict):
        raise MolfieldError("State PDB files need a model of conformers of the same atoms "
                            "(a deformable model of a trajectory or an ensemble).")
    assert ls.states is not None
    for s, i in enumerate(ls.states.representatives):
        text = pdb_models_text(annotations, coords[int(i)], [ls.names[int(i)]])
        path = folder / f"state_{s}.pdb"
        atomic_write(path, lambda tmp, t=text: Path(tmp).write_text(t, encoding="utf-8"))
        print(f"state {s}: {ls.names[int(i)]} → {path}")
