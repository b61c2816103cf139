"""Floating density: how much decoded mass lies where Eq. 1 is empty, and what lowers it.

Fits the same complex with the same number of steps (fair on a busy machine) under a few
settings and prints, for each, PSNR at the evaluation grid with its zero-field baseline,
the occupied-channel PSNR and the spurious mass (the share of positive decoded mass in
voxels where the truth is below 1e-3 of the channel peak)::

    python benchmarks/spurious_mass.py --steps 1500 --resolution 96
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _results import readme_row, write_result

from napari_molfield import models
from napari_molfield.chem.readers import read_molecules
from napari_molfield.fields.metrics import field_report, format_report

ROOT = Path(__file__).resolve().parents[1]
SETTINGS = {
    "empty weight 1": {"empty_weight": 1.0},
    "empty weight 4 (cpu preset)": {"empty_weight": 4.0},
    "empty weight 4, uniform 0.3": {"empty_weight": 4.0, "frac_uniform": 0.3, "frac_grid": 0.3},
}


def main() -> None:
    """Fit under each setting and print the reports."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--input", default=str(ROOT / "sample_data" / "1iep.pdb"))
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--train-resolution", type=int, default=32)
    ap.add_argument("--resolution", type=int, default=96, help="evaluation grid")
    ap.add_argument("--channels", default="H,C,N,O,other")
    args = ap.parse_args()
    mol = read_molecules(args.input)[0]
    print(f"{mol.name}: {mol.n_atoms} atoms, channels {args.channels}, {args.steps} steps, "
          f"trained at {args.train_resolution}³, evaluated at {args.resolution}³")
    truth = None
    res: dict = {"atoms": mol.n_atoms, "settings": {}, "readme": []}
    for label, over in SETTINGS.items():
        t0 = time.perf_counter()
        model = models.fit_model(mol, model="siren", channels=args.channels,
                                 resolution=args.train_resolution, steps=args.steps, seed=0,
                                 device="cpu", **over)
        dt = time.perf_counter() - t0
        if truth is None:
            truth = models.truth(model, 0, args.resolution).values
        r = field_report(models.decode(model, 0, args.resolution).values, truth)
        print(f"{label:30s} {format_report(r)}  ({dt:.0f} s)", flush=True)
        res["settings"][label] = {"overrides": over, "fit_s": dt, **dict(r)}
        res["readme"].append(readme_row(
            f"spurious mass, 1IEP ({mol.n_atoms:,} atoms, {args.channels}), {args.steps} "
            f"steps at {args.train_resolution}³, {label}",
            f"{100 * r['spurious_mass']:.1f} % of the decoded mass where Eq. 1 is empty; "
            f"PSNR {r['psnr']:.2f} dB at {args.resolution}³ (zero field "
            f"{r['zero_psnr']:.2f} dB, occupied channels {r['occupied_psnr']:.2f} dB)"))
    write_result("spurious_mass", res, args)


if __name__ == "__main__":
    main()
