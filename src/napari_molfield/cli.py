"""``molfield``: the command line.

Each sub-command imports what it needs when it runs, so ``molfield --help`` is instant.
User errors print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from .errors import MolfieldError


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``molfield`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MolfieldError as exc:
        print(f"molfield: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("molfield: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    p = argparse.ArgumentParser(
        prog="molfield", description="Molecular neural fields: sample, fit, decode, view."
    )
    sub = p.add_subparsers(title="commands", metavar="COMMAND")

    s = sub.add_parser("sample", help="sample Eq. 1 on a grid and write .npz or .mrc")
    s.add_argument("input", help="molecule file (pdb, cif, sdf, mol, mol2, xyz, smi) or SMILES")
    _add_field_args(s)
    s.add_argument("--conformer", type=int, default=0, help="conformer / model index")
    s.add_argument("--index", type=int, default=0, help="molecule index in a multi-record file")
    s.add_argument("--output", "-o", required=True, help="output .npz, .mrc or .ccp4")
    s.set_defaults(func=cmd_sample)

    f = sub.add_parser("fit", help="fit an auto-decoder neural field to molecules or conformers")
    f.add_argument("inputs", nargs="+", help="molecule files or SMILES")
    _add_field_args(f, resolution=32)
    f.add_argument("--steps", type=int, help="optimisation steps")
    f.add_argument("--time", type=float, dest="time_budget", help="time budget in seconds")
    f.add_argument("--preset", default="cpu", help="model preset (tiny, cpu, gpu)")
    f.add_argument("--seed", type=int, default=0)
    f.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 …")
    f.add_argument("--output", "-o", required=True, help="checkpoint (.safetensors)")
    f.set_defaults(func=cmd_fit)

    d = sub.add_parser("decode", help="decode a fitted model at any resolution")
    d.add_argument("model", help="checkpoint (.safetensors)")
    d.add_argument("--item", type=int, default=0, help="item (molecule/conformer) index")
    d.add_argument("--resolution", "-n", type=int, default=64)
    d.add_argument("--device", default="auto")
    d.add_argument("--truth", metavar="INPUT", help="report PSNR against Eq. 1 for this input")
    d.add_argument("--output", "-o", required=True, help="output .npz, .mrc or .ccp4")
    d.set_defaults(func=cmd_decode)

    m = sub.add_parser("demo", help="open napari on the bundled kinase–inhibitor complex")
    m.add_argument("--screenshot", metavar="PNG", help="render headless, save a PNG and exit")
    m.add_argument("--resolution", type=int, default=96)
    m.set_defaults(func=cmd_demo)

    from . import cli_extra

    cli_extra.add_subcommands(sub)
    return p


def _add_field_args(p: argparse.ArgumentParser, resolution: int = 64) -> None:
    p.add_argument("--resolution", "-n", type=int, default=resolution, help="voxels per edge")
    p.add_argument("--beta", type=float, help="Gaussian sharpness β of Eq. 1")
    p.add_argument("--channels", help="comma-separated channels, e.g. H,C,N,O,other")
    p.add_argument("--split", action="store_true", help="ligand/protein copies of each channel")
    p.add_argument("--padding", type=float, default=4.0, help="box padding around atoms, Å")
    p.add_argument("--add-hydrogens", action="store_true", help="add H when the file has none")
    p.add_argument("--ligand", help="residue name of the ligand (default: non-water HETATM)")


def load_input(text: str, ligand: str | None = None) -> list:
    """Molecules from a file path, or from a SMILES string when no such file exists."""
    from .chem.readers import read_molecules

    if Path(text).exists() or Path(text).suffix:
        kwargs = {"ligand": ligand} if ligand else {}
        return read_molecules(text, **kwargs)
    from .chem.smiles import from_smiles

    return [from_smiles(text)]


def cmd_sample(args: argparse.Namespace) -> int:
    """``molfield sample``."""
    from .chem.hydrogens import add_hydrogens
    from .fields.channels import ChannelSpec
    from .fields.io import write_field
    from .fields.sample import DEFAULT_BETA, sample_field

    mols = load_input(args.input, args.ligand)
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


def progress_bar(total: int | None, desc: str, disable: bool = False):
    """A tqdm bar on stderr for a training loop (steps as units)."""
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="step", dynamic_ncols=True, file=sys.stderr,
                mininterval=0.5, disable=disable)


def show_step(bar, step: int, loss: float, psnr_label: str, psnr: float | None) -> None:
    """Move ``bar`` to ``step`` and show the loss (and a PSNR when one was measured)."""
    bar.n = step
    post = {"loss": f"{loss:.2e}"}
    if psnr is not None:
        post[psnr_label] = f"{psnr:.1f} dB"
    bar.set_postfix(post, refresh=False)
    bar.refresh()


def cmd_fit(args: argparse.Namespace) -> int:
    """``molfield fit``."""
    from .fit import fit
    from .nn.checkpoint import save_model

    mols = [m for text in args.inputs for m in load_input(text, args.ligand)]
    if args.steps is None and args.time_budget is None:
        args.time_budget = 60.0
    run = fit(
        mols,
        channels=args.channels,
        split=args.split,
        resolution=args.resolution,
        beta=args.beta,
        padding=args.padding,
        add_hydrogens=args.add_hydrogens,
        preset=args.preset,
        steps=args.steps,
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


def item_psnr(model, item: int, resolution: int) -> float:
    """PSNR (MAX = 1, normalised) of one item's decode against Eq. 1 at ``resolution``."""
    from .decode import decode, truth_field
    from .fields.metrics import psnr

    return psnr(
        decode(model, item, resolution).values, truth_field(model, item, resolution).values
    )


def cmd_decode(args: argparse.Namespace) -> int:
    """``molfield decode``."""
    from .decode import decode, truth_field
    from .fields.io import write_field
    from .fields.metrics import psnr
    from .nn.checkpoint import load_model

    model = load_model(args.model)
    t0 = time.perf_counter()
    field = decode(model, item=args.item, resolution=args.resolution, device=args.device)
    dt = time.perf_counter() - t0
    write_field(field, args.output)
    print(f"decoded item {args.item} at {args.resolution}³ in {dt:.2f} s → {args.output}")
    if args.truth:
        mols = load_input(args.truth, None)
        item = model.items[model.item_index(args.item)]
        mol = mols[item.get("molecule", 0)] if len(mols) > 1 else mols[0]
        truth = truth_field(model, item=args.item, resolution=args.resolution, molecule=mol)
        print(f"PSNR {psnr(field.values, truth.values):.2f} dB")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """``molfield demo``: the sample complex in napari (or headless with a screenshot)."""
    headless = args.screenshot is not None or not os.environ.get("DISPLAY")
    xvfb = None
    if headless and not os.environ.get("DISPLAY"):
        xvfb = _start_xvfb()
    try:
        return _run_demo(args, headless)
    finally:
        if xvfb is not None:
            xvfb.terminate()


def _run_demo(args: argparse.Namespace, headless: bool) -> int:
    import napari

    from ._napari._sample_data import kinase_complex, kinase_params
    from ._napari.layers import molecule_layers
    from ._napari.widgets.fields import FieldsWidget

    t0 = time.perf_counter()
    mol = kinase_complex()
    params = kinase_params()
    params.resolution = args.resolution
    layers = molecule_layers(mol, params)
    print(
        f"{mol.name}: {mol.n_atoms} atoms ({int(mol.ligand_mask.sum())} ligand), "
        f"{len(layers) - 1} channels at {params.resolution}³ in {time.perf_counter() - t0:.2f} s"
    )
    viewer = napari.Viewer(title="napari-molfield demo", show=True)
    for data, kwargs, kind in layers:
        getattr(viewer, f"add_{kind}")(data, **kwargs)
    viewer.dims.ndisplay = 3
    viewer.camera.angles = (15, 35, 120)
    fields_dock = viewer.window.add_dock_widget(FieldsWidget(viewer), name="Fields",
                                                area="right")
    for extra in _optional_widgets():
        viewer.window.add_dock_widget(extra(viewer), name=extra.__name__.replace("Widget", ""),
                                      area="right", tabify=True)
    ligand = [ly for ly in viewer.layers if ly.name.endswith("ligand:all")]
    if ligand:
        viewer.layers.selection.active = ligand[0]
    viewer.window.resize(1500, 950)
    _process_events()
    fields_dock.raise_()  # the Fields tab in front
    viewer.reset_view()
    viewer.camera.zoom *= 0.95
    if headless:
        _process_events()
        out = Path(args.screenshot or "molfield-demo.png")
        viewer.screenshot(str(out), canvas_only=False, size=None)
        viewer.close()
        print(f"screenshot → {out}")
        return 0
    napari.run()
    return 0


def _process_events() -> None:
    """Let Qt lay out docked widgets before a screenshot."""
    from qtpy.QtWidgets import QApplication

    for _ in range(5):
        QApplication.processEvents()
        time.sleep(0.05)


def _optional_widgets() -> list:
    """Widget classes docked by the demo besides Fields (those that exist in this build)."""
    import importlib

    found = []
    for mod, name in (("fit", "FitWidget"), ("decode", "DecodeWidget"),
                      ("models", "ModelsWidget")):
        try:
            module = importlib.import_module(f"napari_molfield._napari.widgets.{mod}")
        except ImportError:
            continue
        found.append(getattr(module, name))
    return found


def _start_xvfb():
    """Start a private Xvfb server and point DISPLAY at it (None when Xvfb is missing)."""
    import shutil
    import subprocess

    exe = shutil.which("Xvfb")
    if exe is None:
        raise MolfieldError(
            "No display and no Xvfb: install it (apt-get install xvfb) or run with a display."
        )
    for num in range(90, 140):
        if Path(f"/tmp/.X{num}-lock").exists():
            continue
        proc = subprocess.Popen(
            [exe, f":{num}", "-screen", "0", "1600x1000x24", "-nolisten", "tcp"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(50):
            if Path(f"/tmp/.X11-unix/X{num}").exists():
                os.environ["DISPLAY"] = f":{num}"
                os.environ.pop("QT_QPA_PLATFORM", None)
                return proc
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        proc.terminate()
    raise MolfieldError("Could not start Xvfb for a headless screenshot.")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
