"""A whole MD trajectory as one deformable model, and its landscape (issue 24).

The public trajectory is adenylate kinase's closed → open transition from MDAnalysis'
test data (``adk.psf`` + ``adk_dims.dcd``: 98 frames of 3,341 atoms, a DIMS path;
``pip install MDAnalysisTests``, or give the files). Every ``--holdout``-th frame is left
out of the fit and gets its latent afterwards from its field alone. The model is the
deformable kind with the decoder ``molfield fit --trajectory`` uses (``--preset atoms``:
latents decode every atom, the field is Eq. 1 of them; ``--preset cpu``: the warp
decoder). Prints, against the issue's goals:

* the fit's wall time (reading, set-up and training, ``--budget`` seconds of training);
* every frame's PSNR at ``--resolution``³ over its zero-field baseline (all channels and
  occupied channels), fitted and held-out frames apart;
* |Spearman ρ| of the first landscape axis (PCA of the latents) against RMSD to frame 0;
* held-out frames: distance of each latent to the segment between its fitted neighbours'
  latents, against those neighbours' own distance; RMSD of its decoded atoms to the frame;
* a click: decoding the field at 48³ and the atoms of a point between two frames (ms)::

    python benchmarks/trajectory_landscape.py --budget 120 --model-out /tmp/adk.safetensors
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _results import readme_row, write_result
from scipy.stats import spearmanr

from napari_molfield import models
from napari_molfield.chem.trajectory import read_trajectory
from napari_molfield.deform.decode import atoms_at
from napari_molfield.deform.holdout import held_out_items
from napari_molfield.fields.metrics import field_report
from napari_molfield.landscape.embedding import latent_map
from napari_molfield.landscape.frames import superposed_rmsd


def default_files() -> tuple[str, str]:
    """``adk.psf`` and ``adk_dims.dcd`` from an installed MDAnalysisTests."""
    try:
        from MDAnalysisTests.datafiles import DCD, PSF
    except ImportError:
        raise SystemExit("pip install MDAnalysisTests, or give --psf and --dcd") from None
    return PSF, DCD


def segment_distance(z: np.ndarray, a: np.ndarray, b: np.ndarray) -> float:
    """Distance of ``z`` to the segment from ``a`` to ``b``."""
    ab = b - a
    t = float(np.clip(np.dot(z - a, ab) / max(np.dot(ab, ab), 1e-30), 0.0, 1.0))
    return float(np.linalg.norm(z - (a + t * ab)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--psf")
    ap.add_argument("--dcd")
    ap.add_argument("--budget", type=float, default=600.0, help="training seconds")
    ap.add_argument("--resolution", type=int, default=48)
    ap.add_argument("--holdout", type=int, default=7)
    ap.add_argument("--preset", default="atoms",
                    help="atoms: the atoms decoder (as `molfield fit --trajectory`); cpu: warp")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--model-out", help="keep the fitted model here")
    args = ap.parse_args()
    psf, dcd = (args.psf, args.dcd) if args.psf and args.dcd else default_files()

    t0 = time.perf_counter()
    mol = read_trajectory(psf, [dcd])
    n = args.resolution
    last = None
    for last in models.fit(mol, model="deform", resolution=n, time_budget=args.budget,
                           holdout=args.holdout, preset=args.preset, seed=args.seed):
        if last.evaluated:
            print(f"  step {last.step} at {last.elapsed:.0f} s: train-grid PSNR "
                  f"{last.psnr:.1f} dB, atoms {last.atom_rmsd:.2f} Å", flush=True)
    assert last is not None
    model = last.model
    fit_wall = time.perf_counter() - t0
    if args.model_out:
        models.save(model, args.model_out)
    held = held_out_items(model)
    print(f"{mol.n_conformers} frames of {mol.n_atoms} atoms; {len(held)} held out; fit "
          f"{fit_wall:.0f} s wall ({last.step} steps)")

    margins, occ = [], []
    for i in range(model.n_items):
        r = field_report(models.decode(model, i, n).values, models.truth(model, i, n).values)
        margins.append(r.psnr - r.zero_psnr)
        occ.append(r.occupied_psnr - r.zero_occupied_psnr)
    margins_a, occ_a = np.array(margins), np.array(occ)
    fitted = [i for i in range(model.n_items) if i not in held]
    for what, ids in (("fitted", fitted), ("held-out", held)):
        print(f"{what}: PSNR over zero field at {n}³ min {margins_a[ids].min():.1f} / median "
              f"{np.median(margins_a[ids]):.1f} dB (occupied min {occ_a[ids].min():.1f} / "
              f"median {np.median(occ_a[ids]):.1f} dB); goal ≥ 15 dB every frame")

    z = models.latents(model)
    emb = latent_map(z, "pca")
    rmsd0 = superposed_rmsd(model.coords, model.coords[0])
    rho = abs(float(spearmanr(emb.xy[:, 0], rmsd0)[0]))
    print(f"landscape: |Spearman ρ| of PCA axis 1 vs RMSD to frame 0 = {rho:.3f} (goal ≥ 0.9)")

    between, atom_rmsd = [], []
    for i in held:
        d = segment_distance(z[i], z[i - 1], z[i + 1])
        between.append((d, float(np.linalg.norm(z[i + 1] - z[i - 1]))))
        xyz = atoms_at(model, z[i])
        atom_rmsd.append(float(np.sqrt(np.mean(np.sum((xyz - model.coords[i]) ** 2, -1)))))
    ok = sum(d <= ref for d, ref in between)
    print(f"held-out: {ok} of {len(held)} latents within their neighbours' distance of the "
          f"segment between them; decoded atoms RMSD max {max(atom_rmsd):.2f} / mean "
          f"{np.mean(atom_rmsd):.2f} Å (goal ≤ 1.5 Å)")

    mid = (z[10] + z[11]) / 2
    times = []
    for _ in range(5):
        t = time.perf_counter()
        models.decode(model, 0, 48, latent=mid)
        atoms_at(model, mid)
        times.append(time.perf_counter() - t)
    click = float(np.median(times[1:])) * 1000
    print(f"click: field at 48³ + atoms of a point between frames 10 and 11: {click:.0f} ms "
          "median (goal ≤ 300 ms)")

    write_result("trajectory_landscape", {
        "frames": mol.n_conformers, "atoms": mol.n_atoms, "held_out": held,
        "fit_wall_s": fit_wall, "steps": last.step,
        "margin_db": margins, "occupied_margin_db": occ,
        "spearman_pc1_rmsd": rho,
        "held_out_segment": between, "held_out_atom_rmsd": atom_rmsd,
        "click_ms": click,
        "readme": [
            readme_row(f"{mol.n_conformers} AdK frames, {len(fitted)} fitted "
                       f"({args.budget:.0f} s budget, `--preset {args.preset}`)",
                       f"{fit_wall:.0f} s wall; fitted frames' PSNR over zero min "
                       f"{margins_a[fitted].min():.1f} / median "
                       f"{np.median(margins_a[fitted]):.1f} dB; held-out frames' min "
                       f"{margins_a[held].min():.1f} / median "
                       f"{np.median(margins_a[held]):.1f} dB"),
            readme_row("PCA axis 1 vs RMSD to frame 0", f"|ρ| = {rho:.3f}"),
            readme_row(f"{len(held)} held-out frames", f"{ok} between neighbours; atoms "
                       f"RMSD ≤ {max(atom_rmsd):.2f} Å"),
            readme_row("click (field 48³ + atoms)", f"{click:.0f} ms"),
        ],
    }, args=args)


if __name__ == "__main__":

    main()
