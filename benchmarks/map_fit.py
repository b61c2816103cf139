"""Density maps: opening time, fitting a 128³ map (or a map file), peak memory and PSNR.

By default a 128³ map is made from the bundled kinase complex (Eq. 1, one channel, written
as MRC), then opened (memory-mapped), fitted with a fixed number of steps and decoded back
onto its own voxels. Prints the open time, the fit's steps per second, the process's peak
resident memory (the goal: under 2 GB) and PSNR with its zero-field baseline::

    python benchmarks/map_fit.py --steps 1500

With ``--map`` a map file is fitted for a time budget (training time, as ``molfield fit
--time``) and the PSNR at the map's own voxels is printed beside the zero field's, with
the machine's load (the goal for EMD-3197, a 20³ sub-tomogram average with a positive
background and negative values, 11.4 Å voxels: ≥ 30 dB in 30 s)::

    python benchmarks/map_fit.py --map tests/data/maps/EMD-3197.map.bz2 --time 30
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from _results import readme_row, write_result

from napari_molfield import models
from napari_molfield.autodecoder.maps import decode_on_map
from napari_molfield.chem.readers import read_molecules
from napari_molfield.fields.io import write_field
from napari_molfield.fields.maps import read_map
from napari_molfield.fields.metrics import field_report, format_report
from napari_molfield.fields.sample import sample_field

ROOT = Path(__file__).resolve().parents[1]


def peak_gib() -> float:
    """Peak resident memory of this process so far, GiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def generated(args: argparse.Namespace) -> None:
    """Make the 128³ map, open it, fit it, report."""
    mol = read_molecules(ROOT / "sample_data" / "1iep.pdb")[0]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kinase.mrc"
        write_field(sample_field(mol, args.size, "all"), path)
        t0 = time.perf_counter()
        grid = read_map(path)
        t_open = time.perf_counter() - t0
        print(f"{path.name}: {'×'.join(map(str, grid.resolution))} voxels opened in "
              f"{t_open * 1000:.0f} ms; peak memory so far {peak_gib():.2f} GiB")
        t0 = time.perf_counter()
        model = models.fit_model(grid, resolution=args.train_resolution, steps=args.steps,
                                 device="cpu", seed=args.seed)
        dt = time.perf_counter() - t0
        scale = model.scale(0)[:, None, None, None]
        r = field_report(decode_on_map(model, 0, grid).values, grid.values / scale)
        print(f"fit {args.steps} steps at {args.train_resolution}³ in {dt:.0f} s "
              f"({args.steps / dt:.1f} steps/s); {format_report(r)} at the map's voxels")
        print(f"peak resident memory {peak_gib():.2f} GiB (goal ≤ 2 GiB)")
    res = {"open_ms": 1000 * t_open, "fit_s": dt, "steps_per_s": args.steps / dt,
           "peak_gib": peak_gib(), "report": r}
    res["readme"] = [readme_row(
        f"{args.size}³ density map (1IEP, Eq. 1, one channel): open (memory-mapped), fit "
        f"{args.steps} steps at {args.train_resolution}³, decode on its voxels",
        f"open {1000 * t_open:.0f} ms; fit {dt:.0f} s; {r['psnr']:.1f} dB at the map's voxels "
        f"(zero field {r['zero_psnr']:.1f} dB); peak memory {peak_gib():.2f} GiB (goal 2)")]
    write_result("map_fit", res, args)


def from_file(args: argparse.Namespace) -> None:
    """Fit the map file ``args.map`` for ``args.time`` seconds; PSNR at its voxels."""
    grid = read_map(args.map)
    name = grid.meta.get("name", Path(args.map).name)
    shape = "×".join(map(str, grid.resolution))
    voxel = "×".join(f"{v:.3g}" for v in grid.voxel_size)
    print(f"{name}: {shape} voxels of {voxel} Å; load {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} CPUs")
    t0 = time.perf_counter()
    model = models.fit_model(grid, resolution=args.train_resolution, time_budget=args.time,
                             steps=args.steps, preset=args.preset, device="cpu",
                             seed=args.seed)
    dt = time.perf_counter() - t0
    steps = model.history[-1]["step"] if model.history else 0
    scale = model.scale(0)[:, None, None, None]
    r = field_report(decode_on_map(model, 0, grid).values, grid.values / scale)
    load = os.getloadavg()[0]
    print(f"fit {steps} steps in {dt:.0f} s (budget {args.time:g} s, w0 "
          f"{model.config.w0_first:.1f}, load {load:.2f}): PSNR {r['psnr']:.2f} dB at the "
          f"map's {shape} voxels, zero field {r['zero_psnr']:.2f} dB "
          f"(+{r['psnr'] - r['zero_psnr']:.2f} dB)")
    res = {"map": str(args.map), "shape": list(grid.resolution),
           "voxel_size": [float(v) for v in grid.voxel_size], "steps": steps, "fit_s": dt,
           "w0_first": model.config.w0_first, "report": r}
    res["readme"] = [readme_row(
        f"{name} ({shape} voxels of {voxel} Å): fit for {args.time:g} s ({steps} steps, "
        f"{args.preset} preset), decode on its voxels",
        f"{r['psnr']:.1f} dB at the map's voxels (zero field {r['zero_psnr']:.1f} dB)")]
    write_result("map_fit_file", res, args)


def main() -> None:
    """Parse the arguments; fit the generated map or ``--map``."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128, help="generated map edge, voxels")
    ap.add_argument("--steps", type=int, default=None,
                    help="fit steps (default 1500; with --map: no limit but --time)")
    ap.add_argument("--train-resolution", type=int, default=48)
    ap.add_argument("--map", type=Path, default=None, help="fit this map file instead")
    ap.add_argument("--time", type=float, default=30.0,
                    help="with --map: training time budget, seconds")
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if args.map is not None:
        from_file(args)
    else:
        args.steps = 1500 if args.steps is None else args.steps
        generated(args)


if __name__ == "__main__":
    main()
