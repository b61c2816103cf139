"""``molfield fit``: an auto-decoder fitted to molecules, conformers or files."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import MolfieldError
from .common import add_field_args, load_inputs, load_trajectory, mean_report, run_fit


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield fit``."""
    f = sub.add_parser("fit", help="fit a neural field to molecules, conformers or maps "
                          "(auto-decoder; deformable for an ensemble of the same atoms)")
    f.add_argument("inputs", nargs="+",
                   help="molecule files or SMILES, or density maps (.mrc .map .ccp4 .dx)")
    add_field_args(f, resolution=32)
    f.add_argument("--steps", type=int, help="optimisation steps (default: the preset's, or "
                   "no limit with --time)")
    f.add_argument("--time", type=float, dest="time_budget",
                   help="time budget in seconds (runs that long unless --steps ends it first)")
    f.add_argument("--preset", help="model preset (tiny, cpu, gpu; atoms for a deformable "
                   "fit with --decoder atoms; default cpu, or atoms with that decoder)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 …")
    f.add_argument("--output", "-o", required=True, help="checkpoint (.safetensors)")
    f.add_argument("--holdout", type=int, metavar="K",
                   help="leave every K-th conformer (frame) out of a deformable fit; each "
                   "then gets a latent fitted to its field alone, to check that the model "
                   "generalises between frames")
    f.add_argument("--decoder", choices=("auto", "warp", "atoms"), default="auto",
                   help="a deformable fit's decoder: warp (a template field seen through a "
                   "displacement field) or atoms (every atom's position from the latent, the "
                   "field Eq. 1 of them: each frame's own atoms, thermal motion included); "
                   "auto: atoms with --trajectory, else warp")
    add_model_arg(f)
    f.set_defaults(func=cmd_fit)


def cmd_fit(args: argparse.Namespace) -> int:
    """``molfield fit``: the model kind the inputs call for (`models.fit`), saved and
    reported against the truth."""
    from .. import models
    from ..fields.metrics import format_report

    if args.trajectory:
        if len(args.inputs) != 1:
            raise MolfieldError("With --trajectory, give exactly one topology file.")
        mols = [load_trajectory(args, args.inputs[0])]
    else:
        mols = load_inputs(args.inputs, args.ligand)
    if args.steps is None and args.time_budget is None:
        args.time_budget = 60.0  # a time budget alone decides when a fit ends
    kind = models.choose_kind(mols, args.model)
    extra_options = {}
    if args.holdout is not None:
        if kind != models.DEFORMABLE:
            raise MolfieldError("--holdout needs a deformable fit (conformers of the same "
                                "atoms: a trajectory or an ensemble).")
        extra_options["holdout"] = args.holdout
    preset = args.preset or "cpu"
    if kind == models.DEFORMABLE:
        decoder = args.decoder if args.decoder != "auto" else (
            "atoms" if args.trajectory else "warp")
        extra_options["decoder"] = decoder
        if decoder == "atoms" and args.preset is None:
            preset = "atoms"
    elif args.decoder != "auto":
        raise MolfieldError("--decoder chooses a deformable fit's decoder (conformers of the "
                            "same atoms: a trajectory or an ensemble).")
    from ..nn.device import pick_device

    pick_device(args.device)  # a device that is not there: one line, before any progress
    run = models.fit(
        mols, model=args.model, channels=args.channels, split=args.split,
        resolution=args.resolution, beta=args.beta, padding=args.padding,
        add_hydrogens=args.add_hydrogens, preset=preset, steps=args.steps,
        time_budget=args.time_budget, seed=args.seed, device=args.device, **extra_options,
    )
    last = run_fit(run, args.steps, f"fit ({kind})")
    model = last.model
    models.save(model, args.output)
    reports = [item_report(model, i, args.resolution, mols) for i in range(model.n_items)]
    mean = mean_report(reports)
    where = "at the maps' voxels" if _maps(mols) else f"at {args.resolution}³"
    moved = getattr(last, "atom_rmsd", None)  # a deformable fit maps atoms to its template
    ok = moved is not None and moved == moved  # not NaN
    extra = ""
    if ok:
        extra = (f", atoms decoded within {moved:.2f} Å RMS" if getattr(model, "decodes_atoms",
                                                                       False)
                 else f", atoms mapped to the template within {moved:.2f} Å RMS")
    held = models.held_out(model)
    if held:
        extra += f"; {len(held)} held-out frame(s) fitted from their fields alone"
    print(f"{models.describe(model)}: {format_report(mean)} {where} (mean over "
          f"{len(reports)} item(s){extra}, {last.step} steps, {last.elapsed:.0f} s) "
          f"→ {args.output}")
    return 0


def add_model_arg(p: argparse.ArgumentParser) -> None:
    """The ``--model`` option (`models.fit` states the automatic choice)."""
    from ..models.fit import MODEL_CHOICES

    p.add_argument("--model", choices=MODEL_CHOICES, default="auto",
                   help="siren: modulated SIREN auto-decoder; deform: template + displacement "
                   "field for conformers of the same atoms (interpolation moves density); "
                   "auto: deform when every input holds the same atoms and there are ≥ 2 "
                   "conformers, else siren")


def _maps(inputs: list[Any]) -> bool:
    from ..fields.field import Field

    return bool(inputs) and isinstance(inputs[0], Field)


def item_report(model: Any, item: int, resolution: int, inputs: list[Any]) -> dict[str, float]:
    """`field_report` of one item: against Eq. 1 at ``resolution`` for molecules, against
    the map at its own voxels for maps (``inputs[item]``)."""
    from .. import models
    from ..fields.metrics import field_report

    if _maps(inputs):
        from ..autodecoder.maps import decode_on_map

        truth = inputs[item]
        scale = model.scale(item)[:, None, None, None]
        return field_report(decode_on_map(model, item, truth).values, truth.values / scale)
    return field_report(models.decode(model, item, resolution).values,
                        models.truth(model, item, resolution).values)
