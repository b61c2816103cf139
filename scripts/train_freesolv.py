"""Train the shipped FreeSolv field auto-encoder and write its evaluation report.

Exact command used for ``src/napari_molfield/data/freesolv_ae.safetensors``::

    .venv/bin/python scripts/train_freesolv.py --time 840 --seed 0

(14 minutes of training on 2 CPU cores; the run stops at the time budget, so the number
of steps depends on the machine: see ``docs/freesolv_report.md``).
The model file holds no optimiser state (small); pass ``--keep-optimizer`` to resume it.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "sample_data" / "freesolv_database.txt"
MODEL = ROOT / "src" / "napari_molfield" / "data" / "freesolv_ae.safetensors"
REPORT = ROOT / "docs" / "freesolv_report.md"


def main(argv: list[str] | None = None) -> int:
    """Train, save, evaluate on the held-out test split and write the report."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int)
    p.add_argument("--time", type=float, dest="time_budget", default=840.0, help="time budget, s")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--preset", default="cpu")
    p.add_argument("--latent-dim", type=int, default=128)
    p.add_argument("--batch-items", type=int, default=16)
    p.add_argument("--batch-points", type=int, default=2048)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--lr-encoder", type=float, default=5e-4)
    p.add_argument("--rotate", action="store_true")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--eval-items", type=int, default=16)
    p.add_argument("--modulation", default="mehta")
    p.add_argument("--device", default="cpu")
    p.add_argument("--output", type=Path, default=MODEL)
    p.add_argument("--report", type=Path, default=REPORT)
    p.add_argument("--keep-optimizer", action="store_true")
    p.add_argument("--refine-steps", type=int, default=20,
                   help="also report the test split with this many latent refinement steps")
    args = p.parse_args(argv)

    import torch
    from tqdm import tqdm

    from napari_molfield.autoencoder.train import train

    t0 = time.perf_counter()
    run = train(
        DATA, resolution=32, box_edge=20.0, preset=args.preset, latent_dim=args.latent_dim,
        model_overrides={"modulation": args.modulation}, steps=args.steps,
        time_budget=args.time_budget, seed=args.seed, device=args.device,
        batch_items=args.batch_items, batch_points=args.batch_points, lr=args.lr,
        lr_encoder=args.lr_encoder, rotate=args.rotate, eval_every=args.eval_every,
        eval_items=args.eval_items,
    )
    setup = time.perf_counter() - t0
    cpu0 = time.process_time()
    print(run.dataset.report(limit=5), file=sys.stderr)
    bar = tqdm(total=args.steps, desc="train", unit="step", file=sys.stderr)
    for prog in run:
        bar.n = prog.step
        if prog.val_psnr is not None:
            bar.set_postfix(loss=f"{prog.loss:.2e}", val=f"{prog.val_psnr:.2f}",
                            val_occ=f"{prog.val_psnr_occupied:.2f}", refresh=False)
        bar.refresh()
    bar.close()
    train_time = run.model.meta["elapsed"]
    run.model.meta["cpu_seconds"] = cpu = time.process_time() - cpu0
    ev = run.finish(("val", "test"))
    tr = run.evaluate("train", 64)  # the first 64 training molecules (in file order)
    ev["train"] = {"psnr": tr["psnr"], "psnr_occupied": tr["psnr_occupied"], "n": 64}
    if args.refine_steps:
        from napari_molfield.autoencoder.encode import evaluate_molecules

        t1 = time.perf_counter()
        r = evaluate_molecules(run.model, run.parts["test"], refine_steps=args.refine_steps)
        ev["test_refined"] = {"psnr": r["psnr"], "psnr_occupied": r["psnr_occupied"],
                              "n": len(r["names"]), "steps": args.refine_steps,
                              "seconds": time.perf_counter() - t1,
                              "per_molecule": {k: v.tolist()
                                               for k, v in r["per_molecule"].items()}}
        run.model.meta["evaluation"]["test_refined"] = {
            k: v for k, v in ev["test_refined"].items() if k != "per_molecule"}
    run.save(args.output, with_optimizer=args.keep_optimizer)
    total = time.perf_counter() - t0
    cmd = "python scripts/train_freesolv.py " + " ".join(argv if argv is not None
                                                         else sys.argv[1:])
    write_report(args.report, run, ev, cmd.strip(), setup, train_time, total,
                 torch.get_num_threads(), args.output, cpu)
    t = ev["test"]
    print(f"test ({t['n']} molecules): {t['psnr']:.2f} dB all channels, "
          f"{t['psnr_occupied']:.2f} dB occupied; training {train_time:.0f} s → {args.output}")
    return 0


def write_report(path: Path, run, ev: dict, cmd: str, setup: float, train_time: float,
                 total: float, threads: int, model_path: Path, cpu: float) -> None:
    """The Markdown report: setup, held-out numbers, per-molecule distribution."""
    m = run.model
    net = m.net
    n_par = sum(p.numel() for p in net.parameters())
    test = ev["test"]
    a = np.asarray(test["per_molecule"]["psnr"])
    o = np.asarray(test["per_molecule"]["psnr_occupied"])
    names = run.split["test"]
    worst = np.argsort(o)[:5]
    q = [0, 10, 25, 50, 75, 90, 100]
    size = model_path.stat().st_size / 2**20
    rel = model_path.relative_to(ROOT) if model_path.is_relative_to(ROOT) else model_path
    lines = [
        "# FreeSolv field auto-encoder: evaluation",
        "",
        f"Model: `{rel}` ({size:.2f} MiB, {n_par:,} parameters; no optimiser state).",
        "",
        "## How it was made",
        "",
        f"* Command: `{cmd}` (seed fixed; the split, settings and history are stored in the "
        "checkpoint metadata).",
        f"* Machine: {platform.processor() or platform.machine()}, {threads} torch threads "
        f"(2 CPU cores), torch {__import__('torch').__version__}.",
        f"* Training wall time: **{train_time:.0f} s** ({run.step} steps; the process used "
        f"{cpu:.0f} CPU-seconds, i.e. {cpu / 2:.0f} s of 2 fully used cores: other jobs shared "
        "the machine); data setup "
        f"(conformers from the cache, targets) {setup:.0f} s; everything incl. evaluation "
        f"{total:.0f} s.",
        f"* Data: FreeSolv v0.52, {len(run.dataset.molecules)} of {run.dataset.n_rows} "
        f"molecules ({len(run.dataset.skipped)} skipped); one RDKit ETKDGv3 + MMFF94 "
        "conformer each (seed 0). Split (seed 0): "
        + ", ".join(f"{k} {len(v)}" for k, v in run.split.items()) + ".",
        f"* Fields: channels {', '.join(m.channels)}; β = {m.beta:g}; one {m.box_edge:g} Å "
        f"box centred on each molecule; {m.resolution}³ grid "
        f"({m.box_edge / m.resolution:.3f} Å voxels); each channel divided by its analytic "
        "peak (`channel_peaks`).",
        f"* Network: conv encoder {net.encoder_config.to_dict()} → latent "
        f"{m.latent_dim} → modulated SIREN {net.decoder_config.to_dict()}.",
        f"* Training: {run.config.to_dict()}.",
        "",
        "## Held-out test split",
        "",
        "PSNR = 10 log10(1 / MSE) on peak-normalised fields at 32³, encoder only (one "
        "forward pass, no per-molecule optimisation), mean over molecules.",
        "",
        "| split | molecules | PSNR, all channels (paper's kind) | PSNR, occupied channels |",
        "|---|---|---|---|",
    ]
    for part, label in (("train", "train (first 64)"), ("val", "val"), ("test", "**test**")):
        e = ev[part]
        lines.append(f"| {label} | {e['n']} | {e['psnr']:.2f} dB | {e['psnr_occupied']:.2f} dB |")
    if "test_refined" in ev:
        e = ev["test_refined"]
        lines += [
            "",
            f"With `refine_steps={e['steps']}` (`encode_molecules(..., refine_steps=…)`: the "
            "encoder's latent is then improved by Adam steps on the molecule's own exact "
            f"field, network frozen; {e['seconds'] / e['n']:.2f} s per molecule):",
            "",
            "| split | molecules | PSNR, all channels | PSNR, occupied channels |",
            "|---|---|---|---|",
            f"| test, refined | {e['n']} | {e['psnr']:.2f} dB | {e['psnr_occupied']:.2f} dB |",
        ]
    lines += [
        "",
        "\"All channels\" averages the squared error over all 9 channels, most of them "
        "empty for a given molecule (easy zeros); \"occupied\" only over the channels the "
        "molecule has atoms in — the honest number.",
        "",
        "Per-molecule distribution on the test split (dB):",
        "",
        "| percentile | " + " | ".join(str(x) for x in q) + " |",
        "|---|" + "---|" * len(q),
        "| all channels | " + " | ".join(f"{v:.1f}" for v in np.percentile(a, q)) + " |",
        "| occupied | " + " | ".join(f"{v:.1f}" for v in np.percentile(o, q)) + " |",
        "",
        "Hardest test molecules (occupied-channel PSNR): "
        + ", ".join(f"{names[i]} {run.dataset.molecules[run.dataset.names.index(names[i])].smiles}"
                    f" ({o[i]:.1f} dB)" for i in worst) + ".",
        "",
        f"## Training curve ({run.config.eval_items} molecules per split)",
        "",
        "| step | time, s | loss | train PSNR | val PSNR | val PSNR occupied |",
        "|---|---|---|---|---|---|",
    ]
    for h in m.meta.get("history", []):
        lines.append(
            f"| {h['step']} | {h['elapsed']:.0f} | {h['loss']:.2e} | "
            f"{h.get('train_psnr', float('nan')):.2f} | {h.get('val_psnr', float('nan')):.2f} "
            f"| {h.get('val_psnr_occupied', float('nan')):.2f} |"
        )
    lines += [
        "",
        "## Reproduce, resume, scale out",
        "",
        "```bash",
        f".venv/bin/{cmd}",
        "molfield train sample_data/freesolv_database.txt -o my.safetensors --time 900",
        "molfield train sample_data/freesolv_database.txt -o my.safetensors --resume my.safetensors"
        " --steps 6000",
        "torchrun --nproc-per-node 4 -m napari_molfield.cli train "
        "sample_data/freesolv_database.txt -o my.safetensors --device cuda --batch-items 64",
        "molfield encode default \"CC(C)Cc1ccc(cc1)C(C)C(=O)O\" -o latents.npz",
        "```",
        "",
        "Under `torchrun` each rank takes an equal share of every global batch, "
        "DistributedDataParallel averages the gradients (NCCL on GPUs, gloo on CPU) and only "
        "rank 0 evaluates and writes; `tests/ae/test_ddp.py` checks that 2 gloo ranks end with "
        "identical weights and the losses of a single-process run.",
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    sys.exit(main())
