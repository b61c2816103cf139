"""``molfield compare``: how well a molecule fits a density map (as ChimeraX's fitmap reports)."""

from __future__ import annotations

import argparse
import json
import sys

from .common import load_input


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield compare MAP MOLECULE``."""
    c = sub.add_parser(
        "compare", help="map-versus-model agreement: correlation, overlap, atoms inside",
        description="Sample the molecule's Eq. 1 density on the map's grid and report the "
        "correlation (and about the mean), the overlap and the fraction of atoms inside "
        "the map's contour.",
    )
    c.add_argument("map", help="density map (.mrc .map .ccp4 .dx, also .gz/.bz2)")
    c.add_argument("molecule", help="molecule file (or SMILES) placed in the map's frame")
    c.add_argument("--level", type=float, help="map contour (default mean + 1σ)")
    c.add_argument("--conformer", type=int, default=0, help="model / conformer index")
    c.add_argument("--json", action="store_true", help="print the numbers as JSON")
    c.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    """``molfield compare``."""
    from ..fields.compare import fit_metrics
    from ..fields.maps import read_map

    grid = read_map(args.map)
    mol = load_input(args.molecule)[0]
    result = fit_metrics(grid, mol, map_level=args.level, conformer=args.conformer)
    if args.json:
        json.dump(result.to_dict(), sys.stdout, indent=1)
        print()
    else:
        print(f"{mol.name} in {grid.meta.get('name', args.map)}: {result.summary()}")
    return 0
