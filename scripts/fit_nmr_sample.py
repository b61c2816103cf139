"""Fit the shipped interpolation sample: ten NMR models of 1L2Y (Trp-cage) as an auto-decoder.

Exact command (seed 0, CPU, one torch thread; about 2 minutes on a busy 2-core machine)::

    nice -n 10 .venv/bin/python scripts/fit_nmr_sample.py

Models 1, 5, 9, …, 37 of ``sample_data/1l2y.pdb`` (every fourth of the 38, in file order)
become ten items of one auto-decoder with channels ``H,C,N,O``, preset ``cpu``,
training grid 32³, 1500 steps, seed 0 (PSNR 38.8 dB at 32³). The result,
``sample_data/1l2y_ensemble.safetensors`` (< 2 MB), is what
*File ▸ Open Sample ▸ NMR ensemble interpolation* loads.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODELS = list(range(0, 38, 4))  # conformer indices (0-based): NMR models 1, 5, …, 37
CHANNELS = "H,C,N,O"


def main() -> None:
    """Fit and save; prints the final PSNR and the file size."""
    import torch

    from napari_molfield.autodecoder.checkpoint import save_model
    from napari_molfield.autodecoder.fit import fit
    from napari_molfield.chem.readers import read_molecules

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=1,
                    help="torch threads (1 is fastest on a busy 2-core machine)")
    ap.add_argument("--output", default=str(ROOT / "sample_data" / "1l2y_ensemble.safetensors"))
    args = ap.parse_args()

    mol = read_molecules(ROOT / "sample_data" / "1l2y.pdb")[0]
    t0 = time.perf_counter()
    run = fit([(mol, k) for k in MODELS], channels=CHANNELS, preset="cpu", resolution=32,
              steps=args.steps, seed=args.seed, device="cpu")
    for p in run:
        if p.step == 0:
            torch.set_num_threads(args.threads)  # fit() starts with one per core
        if p.evaluated:
            print(f"step {p.step:5d}  loss {p.loss:.2e}  PSNR {p.psnr:.2f} dB  "
                  f"{p.elapsed:.0f} s", flush=True)
    model = p.model
    path = save_model(model, args.output)
    print(f"{model!r}: PSNR {model.history[-1]['psnr']:.2f} dB after "
          f"{model.history[-1]['step']} steps in {time.perf_counter() - t0:.0f} s → {path} "
          f"({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
