"""``molfield train``: the field auto-encoder on a dataset (also under ``torchrun``)."""

from __future__ import annotations

import argparse
import sys
import time

from .common import progress_bar, show_step


def add(sub: argparse._SubParsersAction) -> None:
    """Register ``molfield train DATA --output MODEL``."""
    t = sub.add_parser(
        "train",
        help="train a field auto-encoder (conv encoder + modulated SIREN) on a dataset",
        description="Train on FreeSolv database.txt, an SDF, a .smi or a .csv (smiles "
        "column). Runs under `torchrun --nproc-per-node K` too (DDP; rank 0 writes).",
    )
    t.add_argument("data", help="dataset file")
    t.add_argument("--output", "-o", required=True, help="checkpoint (.safetensors)")
    t.add_argument("--steps", type=int, help="optimiser steps")
    t.add_argument("--time", type=float, dest="time_budget", help="time budget in seconds")
    t.add_argument("--resolution", "-n", type=int, default=32, help="training grid edge")
    t.add_argument("--channels", help="comma-separated channels (default H,C,N,O,F,P,S,Cl,other)")
    t.add_argument("--box", type=float, default=20.0, help="shared box edge, Å")
    t.add_argument("--preset", default="cpu",
                   help="network shapes: tiny, cpu, gpu (one global latent), patch-tiny, "
                        "patch (a latent grid, each node drawing its neighbourhood) or "
                        "slots-tiny, slots (a grid of atom slots drawn by Eq. 1: the shipped "
                        "model's decoder)")
    t.add_argument("--latent-dim", type=int, help="latent length (default from the preset)")
    t.add_argument("--batch-items", type=int, default=16, help="molecules per global batch")
    t.add_argument("--batch-points", type=int, default=2048, help="points per molecule")
    t.add_argument("--rotate", action="store_true", help="random rotations (augmentation)")
    t.add_argument("--eval-every", type=int, default=250)
    t.add_argument("--save-every", type=int, default=0, help="steps between checkpoints")
    t.add_argument("--resume", metavar="MODEL", help="continue from a checkpoint")
    t.add_argument("--cache-dir", help="conformer cache (default ~/.cache/napari-molfield)")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 …")
    t.set_defaults(func=cmd_train)


def cmd_train(args: argparse.Namespace) -> int:
    """``molfield train``."""
    from ..autoencoder.train import train

    if args.steps is None and args.time_budget is None:
        args.time_budget = 300.0
    kwargs = {"steps": args.steps, "time_budget": args.time_budget, "seed": args.seed,
              "device": args.device}
    if args.resume is None:
        kwargs |= {"batch_items": args.batch_items, "batch_points": args.batch_points,
                   "rotate": args.rotate, "eval_every": args.eval_every}
    t0 = time.perf_counter()
    run = train(
        args.data, channels=args.channels, resolution=args.resolution, box_edge=args.box,
        preset=args.preset, latent_dim=args.latent_dim, resume=args.resume,
        cache_dir=args.cache_dir, **kwargs,
    )
    main = run.dist.is_main
    if main:
        print(run.dataset.report(limit=10), file=sys.stderr)
        print(f"split: {', '.join(f'{k} {len(v)}' for k, v in run.split.items())}; "
              f"{run.dist.world} process(es) on {run.device}", file=sys.stderr)
    bar = progress_bar(args.steps, "train", disable=not main)
    try:
        for p in run:
            show_step(bar, p.step, p.loss, "val", p.val_psnr)
            if args.save_every and p.step % args.save_every == 0:
                run.save(args.output)
    except KeyboardInterrupt:  # keep what was learnt so far, then report the interruption
        bar.close()
        run.finish()
        run.save(args.output)
        run.close()
        raise
    except BaseException:  # a failed run never overwrites the output
        bar.close()
        run.close()
        raise
    bar.close()
    run.finish()
    run.save(args.output)
    run.close()
    if main:
        ev = run.model.meta.get("evaluation", {}).get("test")
        msg = f"{run.step} steps in {time.perf_counter() - t0:.0f} s → {args.output}"
        if ev:
            msg += (f"; test PSNR {ev['psnr']:.2f} dB (all channels), "
                    f"{ev['psnr_occupied']:.2f} dB (occupied)")
        print(msg)
    return 0
