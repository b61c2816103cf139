"""Auto-encoder training: molecule-samples per CPU-second and held-out quality, old vs new.

The shipped recipe (``scripts/train_freesolv.py``: FreeSolv + NCI, 3 conformers, 24 Å box,
32³ grid, canonical frame with 180° flips at 10 %, ``cpu`` preset with latent 128, batches
of 8 molecules × 2048 points) is trained along several *paths* in one process. The old
path is the code before the item cache, still reachable through settings only:
``TrainConfig(batch_cache=False)`` (every augmented item recomputed at every step),
``threads=None`` (torch and numba on every core, as before), the encoder in the plain
layout (``ConvEncoder.channels_last = False``). The paths between add one change at a
time, so the table says what each is worth; ``new`` is the new default (item cache, one
thread, channels-last) and ``lean`` adds the optional lean encoder stem.

1. **Step cost.** Every path trains on the same small subset of training molecules, their
   items all cached first (the one-off cost per item is measured there), then the paths
   take turns, ``--block`` steps at a time for ``--rounds`` rounds: medians of CPU
   seconds per step (``time.process_time``: every thread of the process) give
   molecule-samples per CPU-second. Wall seconds are reported too (the machine is shared).
2. **Quality.** Each path of ``--quality`` trains on the whole corpus for the same CPU
   budget (``--budget`` CPU-seconds of training loop, ``budget_clock="cpu"``: its cosine
   schedule ends there, whatever else runs on the machine), then encodes the first
   ``--eval`` validation molecules: the PSNR margin of the decode over the all-zero
   field on occupied channels (``evaluate_molecules``), the shipped model measured on
   the same molecules.

Usage::

    .venv/bin/python benchmarks/ae_train_step.py [--budget 150] [--quality old,new]

Writes ``benchmarks/results/ae_train_step.json`` (stamped with the git commit).
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np
from _results import readme_row, write_result

ROOT = Path(__file__).resolve().parents[1]
FREESOLV = ROOT / "sample_data" / "freesolv_database.txt"

#: The shipped recipe (scripts/train_freesolv.py defaults), evaluation left out of the loop.
RECIPE: dict[str, Any] = dict(
    resolution=32, box_edge=24.0, preset="cpu", latent_dim=128,
    model_overrides={"modulation": "mehta"}, canonical=True, batch_items=8,
    batch_points=2048, flip_prob=0.1, lr=3e-4, lr_encoder=5e-4, seed=0, device="cpu",
    eval_every=10**9,
)
LEAN = {"stem": 2, "first_mix": False}
#: name → (what changes, settings); down to ``lean`` each adds one change to the one before.
PATHS: dict[str, tuple[str, dict[str, Any]]] = {
    "old": ("old path: recomputed items, all cores, plain layout",
            {"batch_cache": False, "threads": None, "channels_last": False}),
    "one_thread": ("+ one thread for torch and numba",
                   {"batch_cache": False, "threads": 1, "channels_last": False}),
    "cache": ("+ item cache", {"batch_cache": True, "threads": 1, "channels_last": False}),
    "new": ("+ channels-last encoder (the new path)",
            {"batch_cache": True, "threads": 1, "channels_last": True}),
    "lean": ("+ lean stem (2³ patches, no first-level mix)",
             {"batch_cache": True, "threads": 1, "channels_last": True, "encoder": LEAN}),
    "new_2_threads": ("the new path on two threads",
                      {"batch_cache": True, "threads": 2, "channels_last": True}),
    "lean_16x1024": ("lean, 16 molecules × 1024 points a step",
                     {"batch_cache": True, "threads": 1, "channels_last": True,
                      "encoder": LEAN, "train": {"batch_items": 16, "batch_points": 1024}}),
    "lean_8x1024": ("lean, 8 molecules × 1024 points a step",
                    {"batch_cache": True, "threads": 1, "channels_last": True,
                     "encoder": LEAN, "train": {"batch_points": 1024}}),
}


def corpus(extra_limit: int) -> Any:
    """FreeSolv + the first ``extra_limit`` cleaned NCI molecules, 3 conformers each."""
    from napari_molfield.autoencoder.corpus import nci_path, training_corpus

    return training_corpus(FREESOLV, box_edge=24.0, seed=0, n_conformers=3,
                           extra=nci_path() if extra_limit else None,
                           extra_limit=extra_limit or None)


def make_run(data: Any, path: dict[str, Any], **overrides: Any) -> Any:
    """A `TrainRun` of the recipe along ``path``."""
    from napari_molfield.autoencoder.train import train

    run = train(data, **{**RECIPE, **path.get("train", {}), **overrides},
                batch_cache=path["batch_cache"],
                threads=path["threads"], encoder_overrides=path.get("encoder"))
    run.model.net.encoder.channels_last = path["channels_last"]
    return run


def use_threads(run: Any) -> None:
    """The thread counts ``run`` was set up with (another run may have changed them)."""
    from napari_molfield.autoencoder.train import set_cpu_threads
    from napari_molfield.nn.device import cpu_threads

    set_cpu_threads(run.config.threads or cpu_threads())


def fill_cache(run: Any) -> float:
    """Cache every item of ``run``'s training molecules; CPU seconds per item."""
    cache = run.batches.cache
    use_threads(run)
    c0 = time.process_time()
    for i, mol in enumerate(cache.molecules):
        for k in range(mol.n_conformers):
            cache.get(i, k)
    return (time.process_time() - c0) / max(len(cache), 1)


def step_costs(data: Any, names: list[str], rounds: int, block: int) -> dict[str, Any]:
    """CPU and wall seconds per step of every path, the paths taking turns."""
    runs = {k: make_run(data, PATHS[k][1], steps=10**9) for k in names}
    build = {k: fill_cache(r) for k, r in runs.items() if r.batches.mode == "cached"}
    its = {k: iter(r) for k, r in runs.items()}
    cpu: dict[str, list[float]] = {k: [] for k in names}
    wall: dict[str, list[float]] = {k: [] for k in names}
    for rnd in range(rounds + 1):  # round 0 warms up
        for k in names:
            use_threads(runs[k])
            c0, w0 = time.process_time(), time.perf_counter()
            for _ in range(block):
                next(its[k])
            if rnd:
                cpu[k].append((time.process_time() - c0) / block)
                wall[k].append((time.perf_counter() - w0) / block)
    out = {}
    for k in names:
        items = runs[k].config.batch_items
        c, w = statistics.median(cpu[k]), statistics.median(wall[k])
        out[k] = {"what": PATHS[k][0], "cpu_s_per_step": c, "wall_s_per_step": w,
                  "cpu_s_per_step_all": cpu[k], "samples_per_cpu_s": items / c,
                  "samples_per_wall_s": items / w, "item_build_cpu_s": build.get(k)}
        print(f"{k:14s} {c:.3f} CPU-s/step ({items / c:5.1f} molecule-samples per CPU-s), "
              f"{w:.3f} s wall", flush=True)
    return out


def margins(model: Any, mols: list[Any]) -> dict[str, float]:
    """Mean held-out PSNRs (dB) and the occupied margin over the zero field."""
    from napari_molfield.autoencoder.encode import evaluate_molecules

    ev = evaluate_molecules(model, mols)
    pm = ev["per_molecule"]
    return {"psnr": float(ev["psnr"]), "psnr_occupied": float(ev["psnr_occupied"]),
            "margin_occupied": float(np.mean(pm["psnr_occupied"] - pm["psnr_zero_occupied"])),
            "margin_all": float(np.mean(pm["psnr"] - pm["psnr_zero"])), "n": len(mols)}


def quality(data: Any, name: str, budget: float, n_eval: int) -> dict[str, Any]:
    """Train ``name`` for ``budget`` CPU-seconds on the whole corpus (its cosine schedule
    ends there: ``budget_clock="cpu"``); held-out margins."""
    run = make_run(data, PATHS[name][1], steps=None, time_budget=budget, budget_clock="cpu")
    use_threads(run)
    w0 = time.perf_counter()
    for _ in run:
        pass
    wall = time.perf_counter() - w0
    cpu = run.model.meta["cpu_elapsed"]
    res = {"what": PATHS[name][0], "steps": run.step,
           "samples": run.step * run.config.batch_items, "cpu_s": cpu, "wall_s": wall,
           "items_cached": len(run.batches.cache), "cache_mb": run.batches.cache.nbytes / 2**20,
           "cache_reserved_mb": run.batches.cache.slabs.reserved / 2**20,
           **margins(run.model, run.parts["val"][:n_eval]),
           "peak_rss_mb_so_far": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    print(f"{name:14s} {run.step} steps in {cpu:.0f} CPU-s ({wall:.0f} s wall): held-out "
          f"occupied margin {res['margin_occupied']:+.2f} dB "
          f"(PSNR {res['psnr_occupied']:.2f} dB)", flush=True)
    return res


def main(argv: list[str] | None = None) -> int:
    """Measure, print, write ``benchmarks/results/ae_train_step.json``."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=150.0,
                   help="CPU-seconds of training loop per quality run")
    p.add_argument("--quality", default="old,new", help="paths trained for quality ('' none)")
    p.add_argument("--paths", default="old,one_thread,cache,new,lean,new_2_threads",
                   help="paths whose step cost is measured")
    p.add_argument("--subset", type=int, default=24, help="molecules of the step-cost runs")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--block", type=int, default=4, help="steps per turn")
    p.add_argument("--extra-limit", type=int, default=2500, help="NCI molecules (0: none)")
    p.add_argument("--eval", type=int, default=128, help="validation molecules evaluated")
    args = p.parse_args(argv)
    warnings.filterwarnings("ignore", message=".*have no channel.*")  # Br, I → 'other'
    from napari_molfield.autoencoder.checkpoint import load_default_model
    from napari_molfield.autoencoder.datasets import Dataset, make_split

    t0 = time.perf_counter()
    full = corpus(args.extra_limit)
    print(f"corpus: {len(full.molecules)} molecules ({time.perf_counter() - t0:.0f} s)",
          file=sys.stderr)
    train_names = set(make_split(full.names, RECIPE["seed"])["train"])
    sub = [m for m in full.molecules if m.name in train_names][: args.subset]
    small = Dataset(sub, [], "subset", len(sub))
    names = [k for k in args.paths.split(",") if k]
    wanted = [k for k in args.quality.split(",") if k]
    costs = step_costs(small, sorted(set(names) | set(wanted), key=list(PATHS).index),
                       args.rounds, args.block)
    results: dict[str, Any] = {"recipe": {k: v for k, v in RECIPE.items()},
                               "step_cost": costs, "quality": {}}
    rows = [readme_row(f"{k}: {costs[k]['what']}",
                       f"{costs[k]['samples_per_cpu_s']:.1f} molecule-samples/CPU-s "
                       f"({costs[k]['cpu_s_per_step']:.3f} CPU-s a step)") for k in costs]
    if wanted:
        held = [m for m in full.molecules
                if m.name in set(make_split(full.names, RECIPE["seed"])["val"])][: args.eval]
        shipped = margins(load_default_model(), held)
        results["shipped_model"] = shipped
        print(f"shipped model: held-out occupied margin {shipped['margin_occupied']:+.2f} dB",
              flush=True)
        for k in wanted:
            results["quality"][k] = quality(full, k, args.budget, args.eval)
            gc.collect()
        rows += [readme_row(f"{k} after {args.budget:.0f} CPU-s",
                            f"{q['margin_occupied']:+.2f} dB over the zero field "
                            f"(held-out occupied, {q['steps']} steps)")
                 for k, q in results["quality"].items()]
        rows.append(readme_row("shipped model (45 min)",
                               f"{shipped['margin_occupied']:+.2f} dB over the zero field"))
    results["speedup_cpu"] = {k: costs[k]["samples_per_cpu_s"] / costs[names[0]]
                              ["samples_per_cpu_s"] for k in costs} if names else {}
    results["readme"] = rows
    write_result("ae_train_step", results, args=args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
