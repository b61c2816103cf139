"""Interpolation that moves density: a deformable model vs the plain modulated SIREN.

    nice -n 10 .venv/bin/python benchmarks/interpolation_motion.py [--budget 120] [-n 32]

Adenylate kinase, closed and open (``adk_closed.pdb`` / ``adk_open.pdb`` of MDAnalysisTests:
1AKE and 4AKE as prepared for MD, 3,341 atoms with hydrogens, the same atoms in the same
order), fitted as two conformers of one molecule (one box) by

* the plain auto-decoder (one modulated SIREN, one latent per conformer), and
* the deformable model ``T(x + D(x, z))`` (`napari_molfield.deform`),

each for the same compute time: both fits run in this process, interleaved step by step,
and each one's steps are sized from a short calibration of its own step time, so a busy
shared machine slows both alike. Then at ``--eval`` voxels per edge:

* the end states against their Eq. 1 fields;
* the t = 0.5 frame against the Eq. 1 field of the linearly morphed atoms
  (``(x_closed + x_open) / 2``), and against the cross-fade (mean of the end fields);
* the atoms of the deformable model at t = 0.5 against the morphed atoms;
* ms per frame of `DeformInterpolator` vs the plain `Interpolator` (the baseline) at 48³.

Every PSNR is on one normalised scale (the mean of the two states' channel peaks), with
its zero-field baseline and the occupied-channel PSNR.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import torch

from napari_molfield.autodecoder.decode import decode
from napari_molfield.autodecoder.fit import fit
from napari_molfield.chem.readers import read_molecules
from napari_molfield.deform.decode import atoms_at
from napari_molfield.deform.decode import truth_field as deform_truth
from napari_molfield.deform.ensemble import ensemble_molecule
from napari_molfield.deform.fit import fit_deform
from napari_molfield.deform.interpolate import DeformInterpolator
from napari_molfield.fields.metrics import field_report, format_report, psnr
from napari_molfield.interpolate import Interpolator


def _load() -> object:
    try:
        from MDAnalysisTests.datafiles import PDB_closed, PDB_small
    except ImportError:
        raise SystemExit("pip install MDAnalysisTests (adenylate kinase closed/open)") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the files have no element columns
        closed = read_molecules(PDB_closed)[0]
        open_ = read_molecules(PDB_small)[0]
    return ensemble_molecule([closed, open_])[0]


def _interleave(gens: dict[str, object]) -> dict[str, tuple[object, float]]:
    """Advance every generator in turn to its end; ``(last progress, compute seconds)``."""
    spent = dict.fromkeys(gens, 0.0)
    last: dict[str, object] = {}
    live = dict(gens)
    while live:
        for name in list(live):
            t0 = time.perf_counter()
            try:
                last[name] = next(live[name])
            except StopIteration:
                del live[name]
            spent[name] += time.perf_counter() - t0
    return {k: (last[k], spent[k]) for k in gens}


def _step_seconds(mol: object, args: argparse.Namespace, steps: int = 20
                  ) -> dict[str, tuple[float, float]]:
    """``(set-up seconds, seconds per step)`` of each model (pools and the deformable
    model's warm-up are set-up), measured interleaved."""
    gens = {"plain": fit(mol, resolution=args.resolution, preset="cpu", steps=steps,
                         device="cpu", eval_every=10**6),
            "deform": fit_deform(mol, resolution=args.resolution, preset="cpu", steps=steps,
                                 device="cpu", eval_every=10**6)}
    setup = {}
    for k, g in gens.items():
        t0 = time.perf_counter()
        next(g)  # pools, warm-up and step 0
        setup[k] = time.perf_counter() - t0
    out = _interleave(gens)
    return {k: (setup[k], v[1] / steps) for k, v in out.items()}


def _frame_ms(fn, ts) -> float:
    fn(float(ts[0]))
    t0 = time.perf_counter()
    for t in ts:
        fn(float(t))
    return 1000 * (time.perf_counter() - t0) / len(ts)


def main() -> None:
    """Fit both models, print the comparisons and the goals."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--resolution", "-n", type=int, default=32, help="training grid")
    ap.add_argument("--eval", type=int, default=48, help="evaluation grid")
    ap.add_argument("--budget", type=float, default=120.0, help="compute seconds per model")
    ap.add_argument("--frames", type=int, default=12, help="frames timed at 48³")
    ap.add_argument("--fit-cores", type=int, default=0,
                    help="cores the fits may use (default all; 1 on a crowded machine)")
    args = ap.parse_args()
    cores = os.sched_getaffinity(0)
    if args.fit_cores:
        os.sched_setaffinity(0, sorted(cores)[: args.fit_cores])
    mol = _load()
    x0, x1 = mol.coords
    rmsd = float(np.sqrt(((x0 - x1) ** 2).sum(-1).mean()))
    print(f"{mol.name}: {mol.n_atoms} atoms, 2 states, RMSD {rmsd:.2f} Å (as given, not "
          f"superposed), largest atom move {np.linalg.norm(x0 - x1, axis=1).max():.1f} Å")
    per = _step_seconds(mol, args)
    steps = {k: max(10, int((args.budget - s) / v)) for k, (s, v) in per.items()}
    print(f"set-up + step time: plain {per['plain'][0]:.1f} s + {1000 * per['plain'][1]:.0f} "
          f"ms, deformable {per['deform'][0]:.1f} s + {1000 * per['deform'][1]:.0f} ms → "
          f"{steps['plain']} vs {steps['deform']} steps for {args.budget:.0f} s each")
    runs = _interleave({
        "plain": fit(mol, resolution=args.resolution, preset="cpu", steps=steps["plain"],
                     device="cpu"),
        "deform": fit_deform(mol, resolution=args.resolution, preset="cpu",
                             steps=steps["deform"], device="cpu"),
    })
    plain, deform = runs["plain"][0].model, runs["deform"][0].model
    print(f"compute used: plain {runs['plain'][1]:.0f} s, deformable {runs['deform'][1]:.0f} s "
          f"(pools included); deformable atoms → template {runs['deform'][0].atom_rmsd:.2f} Å RMS")

    os.sched_setaffinity(0, cores)
    torch.set_num_threads(len(cores))
    n = args.eval
    common = deform.scale(0)[:, None, None, None]  # one normalised scale for every field
    truth = [deform_truth(deform, k, n).values for k in (0, 1)]
    morph = 0.5 * (x0 + x1)
    truth_mid = deform_truth(deform, 0, n, coords=morph).values
    fade = 0.5 * (truth[0] + truth[1])

    def plain_values(k: int | None) -> np.ndarray:
        if k is not None:
            return decode(plain, k, n).values * plain.scale(k)[:, None, None, None] / common
        z = 0.5 * (plain.latent(0) + plain.latent(1))
        s = 0.5 * (plain.scale(0) + plain.scale(1))
        return decode(plain, 0, n, latent=z).values * s[:, None, None, None] / common

    d_interp = DeformInterpolator(deform, [0, 1], n)
    p_interp = Interpolator.from_model(plain, [0, 1], n)
    rows = {}
    print(f"\nat {n}³ (voxel {deform.box.spacing(n):.2f} Å):")
    print(f"  cross-fade of the true end fields vs the morph: "
          f"{format_report(field_report(fade, truth_mid))}")
    for name, ends, mid in (
        ("plain SIREN", [plain_values(0), plain_values(1)], plain_values(None)),
        ("deformable", [d_interp.values(0.0), d_interp.values(1.0)], d_interp.values(0.5)),
    ):
        r_ends = [field_report(e, t) for e, t in zip(ends, truth, strict=True)]
        r_mid = field_report(mid, truth_mid)
        rows[name] = (r_ends, r_mid)
        for k, r in enumerate(r_ends):
            print(f"  {name:12s} end state {k}: {format_report(r)}")
        print(f"  {name:12s} t = 0.5 vs morph: {format_report(r_mid)}; vs cross-fade "
              f"{psnr(mid, fade):.2f} dB")
    xyz = d_interp.atoms(0.5)
    raw = [np.sqrt(((atoms_at(deform, deform.latent(k)) - mol.coords[k]) ** 2).sum(-1).mean())
           for k in (0, 1)]
    print(f"  deformable atoms at t = 0.5 vs the morph: RMSD "
          f"{np.sqrt(((xyz - morph) ** 2).sum(-1).mean()):.2f} Å, max "
          f"{np.linalg.norm(xyz - morph, axis=1).max():.2f} Å; keys from D alone (before the "
          f"stored residual): {raw[0]:.2f} / {raw[1]:.2f} Å RMSD")

    ts = np.linspace(0, 1, args.frames)
    out = np.zeros((len(deform.channels), 48, 48, 48), np.float32)
    d48 = d_interp if n == 48 else DeformInterpolator(deform, [0, 1], 48)
    p48 = p_interp if n == 48 else Interpolator.from_model(plain, [0, 1], 48)
    ms_d = _frame_ms(lambda t: d48.values(t, out=out), ts)
    ms_p = _frame_ms(lambda t: p48.values(t, out=out), ts)
    ms_a = _frame_ms(d48.atoms, ts)
    print(f"\n48³ frame ({torch.get_num_threads()} threads): deformable {ms_d:.0f} ms "
          f"({100 * d48.support_fraction:.0f}% of voxels), plain Interpolator {ms_p:.0f} ms "
          f"({100 * p48.support_fraction:.0f}%) — ratio {ms_d / ms_p:.2f}; atoms "
          f"{ms_a:.0f} ms/frame")

    gain = rows["deformable"][1]["psnr"] - rows["plain SIREN"][1]["psnr"]
    ends = [rows["deformable"][0][k]["psnr"] - rows["plain SIREN"][0][k]["psnr"] for k in (0, 1)]
    print("\ngoals:")
    print(f"  t = 0.5 vs morph: deformable − plain = {gain:+.2f} dB (goal ≥ +3): "
          f"{'met' if gain >= 3 else 'NOT met'}")
    print(f"  end states: deformable − plain = {ends[0]:+.2f} / {ends[1]:+.2f} dB (goal ≥ −1): "
          f"{'met' if min(ends) >= -1 else 'NOT met'}")
    print(f"  48³ frame: {ms_d:.0f} ms (goal ≤ 150 ms): {'met' if ms_d <= 150 else 'NOT met'}")


if __name__ == "__main__":
    main()
