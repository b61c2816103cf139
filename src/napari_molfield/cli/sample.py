"""``molfield sample``: Eq. 1 on a grid, written as .npz or MRC."""

from __future__ import annotations

import argparse
import time

from ..errors import MolfieldError
from .common import add_field_args, load_input, load_trajectory


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield sample``."""
    s = sub.add_parser("sample", help="sample Eq. 1 on a grid and write .npz or .mrc")
    s.add_argument("input", help="molecule file (pdb, cif, sdf, mol, mol2, xyz, smi) or SMILES")
    add_field_args(s)
    s.add_argument("--conformer", type=int, default=0, help="conformer / model index")
    s.add_argument("--index", type=int, default=0, help="molecule index in a multi-record file")
    s.add_argument("--output", "-o", required=True, help="output .npz, .mrc or .ccp4")
    s.set_defaults(func=cmd_sample)


def cmd_sample(args: argparse.Namespace) -> int:
    """``molfield sample``."""
    from ..chem.hydrogens import add_hydrogens
    from ..fields.channels import ChannelSpec
    from ..fields.io import write_field
    from ..fields.sample import DEFAULT_BETA, sample_field

    mols = ([load_trajectory(args, args.input)] if args.trajectory
            else load_input(args.input, args.ligand))
    if not 0 <= args.index < len(mols):
        raise MolfieldError(f"{args.input} holds {len(mols)} molecules; no index {args.index}.")
    mol = mols[args.index]
    if args.add_hydrogens:
        mol = add_hydrogens(mol)
    spec = ChannelSpec.parse(args.channels, split=args.split)
    beta = DEFAULT_BETA if args.beta is None else args.beta
    t0 = time.perf_counter()
    field = sample_field(
        mol, args.resolution, spec, beta=beta, padding=args.padding, conformer=args.conformer
    )
    dt = time.perf_counter() - t0
    table = spec.assign(mol, args.conformer)
    write_field(field, args.output, atoms=table)
    print(
        f"{mol.name}: {mol.n_atoms} atoms, {len(spec)} channels at {args.resolution}³ "
        f"(h = {field.spacing:.3f} Å) in {dt * 1000:.0f} ms → {args.output}"
    )
    return 0
