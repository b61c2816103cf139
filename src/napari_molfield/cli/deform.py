"""Deformable models on the command line: which model kind ``molfield fit`` uses
(``--model deform|auto``), the deformable fit of an ensemble (files of the same atoms, or
one multi-model file), and ``molfield decode`` of a deformable checkpoint."""

from __future__ import annotations

import argparse
from typing import Any

from ..deform.choice import MODEL_KINDS, wants_deform
from ..errors import MolfieldError
from .common import mean_report, run_fit

__all__ = ["MODEL_KINDS", "add_model_arg", "cmd_decode_deform", "cmd_fit_deform",
           "wants_deform"]


def add_model_arg(p: argparse.ArgumentParser) -> None:
    """The ``--model`` option."""
    p.add_argument("--model", choices=MODEL_KINDS, default="auto",
                   help="siren: modulated SIREN auto-decoder; deform: template + displacement "
                   "field for conformers of the same atoms (interpolation moves density); "
                   "auto: deform when every input holds the same atoms and there are ≥ 2 "
                   "conformers, else siren")


def cmd_fit_deform(args: argparse.Namespace, mols: list[Any]) -> int:
    """Fit, save and report a deformable model (the options of ``molfield fit``)."""
    from ..deform.checkpoint import save_deform
    from ..deform.decode import decode_deform, truth_field
    from ..deform.fit import fit_deform
    from ..fields.metrics import field_report, format_report

    steps, budget = args.steps, args.time_budget  # `cmd_fit` has set the default budget
    run = fit_deform(
        mols, channels=args.channels, split=args.split, resolution=args.resolution,
        beta=args.beta, padding=args.padding, add_hydrogens=args.add_hydrogens,
        preset=args.preset, steps=steps,
        time_budget=budget, seed=args.seed, device=args.device,
    )
    last = run_fit(run, steps, "fit (deformable)")
    model = last.model
    save_deform(model, args.output)
    n = args.resolution
    reports = [field_report(decode_deform(model, i, n).values, truth_field(model, i, n).values)
               for i in range(model.n_items)]
    mean = mean_report(reports)
    print(f"deformable model of {model.n_items} conformers ({model.n_atoms} atoms): "
          f"{format_report(mean)} at {n}³ (mean over conformers), atoms mapped to the "
          f"template within {last.atom_rmsd:.2f} Å RMS ({last.step} steps, "
          f"{last.elapsed:.0f} s) → {args.output}")
    return 0


def cmd_decode_deform(args: argparse.Namespace) -> int:
    """``molfield decode`` of a deformable checkpoint (``--truth``: Eq. 1 of the conformer
    from the model's stored atoms, or from a molecule file of the same atoms)."""
    import time

    from ..deform.checkpoint import load_deform
    from ..deform.decode import decode_deform, truth_field
    from ..fields.io import write_field
    from ..fields.metrics import field_report, format_report
    from .common import load_input

    model = load_deform(args.model)
    t0 = time.perf_counter()
    field = decode_deform(model, args.item, args.resolution)
    dt = time.perf_counter() - t0
    write_field(field, args.output)
    print(f"decoded conformer {args.item} at {args.resolution}³ in {dt:.2f} s → {args.output}")
    if args.truth:
        mol = load_input(args.truth, None)[0]
        if mol.n_atoms != model.n_atoms:
            raise MolfieldError(f"{mol.name} has {mol.n_atoms} atoms; the model's conformers "
                                f"have {model.n_atoms}.")
        truth = truth_field(model, args.item, args.resolution, coords=mol.coords[0])
        report = field_report(field.values, truth.values)
        print(f"{format_report(report)} at {args.resolution}³")
    return 0
