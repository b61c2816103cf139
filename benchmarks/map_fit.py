"""Density maps: opening time, fitting a 128³ map, its peak memory and PSNR.

A 128³ map is made from the bundled kinase complex (Eq. 1, one channel, written as MRC),
then opened (memory-mapped), fitted with a fixed number of steps and decoded back onto
its own voxels. Prints the open time, the fit's steps per second, the process's peak
resident memory (the goal: under 2 GB) and PSNR with its zero-field baseline::

    python benchmarks/map_fit.py --steps 1500
"""

from __future__ import annotations

import argparse
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


def main() -> None:
    """Make the map, open it, fit it, report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=128, help="map edge, voxels")
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--train-resolution", type=int, default=48)
    args = ap.parse_args()
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
                                 device="cpu", seed=0)
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


if __name__ == "__main__":
    main()
