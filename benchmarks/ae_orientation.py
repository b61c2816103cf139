"""Orientation goals of the field auto-encoder, for the shipped model beside a baseline.

Each unseen drug-like molecule (`autoencoder.corpus.UNSEEN_DRUGS`, plus
``tests/data/biotite_HWB.sdf``) is encoded in ``--orientations`` random orientations and
measured in its own (the user's) frame; FreeSolv test molecules are measured in one
random orientation each. Printed: mean PSNR (all channels, occupied channels) with the
zero-field baselines, the spread of the occupied PSNR over one molecule's orientations,
and the latent drift ratio (distance between one molecule's orientations / distance
between different molecules), for the model and for the baseline (by default the model
in the last git commit, when it differs), with the differences.

Goals (issue 12): unseen occupied ≥ 32 dB, spread ≤ 1.5 dB, drift ratio ≤ 0.2; FreeSolv
test rotated ≥ 38 dB all / ≥ 34 dB occupied.

    .venv/bin/python benchmarks/ae_orientation.py [--model M] [--baseline B] [--freesolv 64]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from _results import readme_row, write_result

ROOT = Path(__file__).resolve().parents[1]
HWB = ROOT / "tests" / "data" / "biotite_HWB.sdf"
SHIPPED = "src/napari_molfield/data/freesolv_ae.safetensors"
GOALS = {"unseen_occupied": 32.0, "spread": 1.5, "drift": 0.2, "fs_all": 38.0,
         "fs_occupied": 34.0}


def measure(path: Path, orientations: int, n_freesolv: int, seed: int) -> dict:
    """The goal numbers of one model file."""
    from napari_molfield import models
    from napari_molfield.autoencoder.conformers import cached_conformer
    from napari_molfield.autoencoder.corpus import UNSEEN_DRUGS
    from napari_molfield.autoencoder.encode import molecules_from
    from napari_molfield.autoencoder.orientation import orientation_study, summary

    model = models.load(path)
    mols, problems = molecules_from([*UNSEEN_DRUGS.values(), HWB], model)
    unseen = summary(orientation_study(model, mols, n=orientations, seed=seed))
    ds, split = model.meta["dataset"], model.meta["split"]
    smiles = dict(zip(ds["names"], ds["smiles"], strict=True))
    names = [n for n in split["test"] if not n.startswith("nci_")][:n_freesolv]
    fs_mols = [cached_conformer(smiles[n], name=n, seed=model.conformer_seed) for n in names]
    fs = summary(orientation_study(model, fs_mols, n=1, seed=seed))
    return {"unseen": unseen, "freesolv": fs, "n_unseen": len(mols), "n_fs": len(fs_mols),
            "skipped": [str(p) for p in problems if p.skipped], "frame": model.frame}


def baseline_from_git(tmp: Path) -> Path | None:
    """The shipped model of the last commit, if it differs from the working tree's."""
    out = tmp / "baseline.safetensors"
    try:
        blob = subprocess.run(["git", "show", f"HEAD:{SHIPPED}"], cwd=ROOT, check=True,
                              capture_output=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    if blob == (ROOT / SHIPPED).read_bytes():
        return None
    out.write_bytes(blob)
    return out


def main(argv: list[str] | None = None) -> int:
    """Measure the model (and the baseline) and print the goal table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", type=Path, default=ROOT / SHIPPED)
    p.add_argument("--baseline", type=Path, help="default: the model of the last commit")
    p.add_argument("--orientations", type=int, default=8)
    p.add_argument("--freesolv", type=int, default=64, help="FreeSolv test molecules")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        base = args.baseline or baseline_from_git(Path(tmp))
        runs = {"model": measure(args.model, args.orientations, args.freesolv, args.seed)}
        if base is not None:
            runs["baseline"] = measure(base, args.orientations, args.freesolv, args.seed)
    rows = [
        ("unseen: PSNR all channels, dB", lambda r: r["unseen"]["psnr"], None),
        ("unseen: zero-field PSNR all, dB", lambda r: r["unseen"]["psnr_zero"], None),
        ("unseen: PSNR occupied, dB", lambda r: r["unseen"]["psnr_occupied"],
         ("≥", GOALS["unseen_occupied"])),
        ("unseen: zero-field PSNR occupied, dB", lambda r: r["unseen"]["psnr_zero_occupied"],
         None),
        ("unseen: spread over orientations (max), dB", lambda r: r["unseen"]["spread_max"],
         ("≤", GOALS["spread"])),
        ("unseen: latent drift ratio", lambda r: r["unseen"]["drift_ratio"],
         ("≤", GOALS["drift"])),
        ("FreeSolv test rotated: PSNR all, dB", lambda r: r["freesolv"]["psnr"],
         ("≥", GOALS["fs_all"])),
        ("FreeSolv test rotated: zero-field all, dB", lambda r: r["freesolv"]["psnr_zero"],
         None),
        ("FreeSolv test rotated: PSNR occupied, dB", lambda r: r["freesolv"]["psnr_occupied"],
         ("≥", GOALS["fs_occupied"])),
        ("FreeSolv test rotated: zero-field occupied, dB",
         lambda r: r["freesolv"]["psnr_zero_occupied"], None),
    ]
    m = runs["model"]
    print(f"model: {args.model.name} (frame: {m['frame']}); {m['n_unseen']} unseen molecules "
          f"× {args.orientations} orientations, {m['n_fs']} FreeSolv test molecules")
    if "baseline" in runs:
        b = runs["baseline"]
        print(f"baseline: frame {b['frame']}; {b['n_unseen']} unseen, {b['n_fs']} FreeSolv; "
              f"skipped: {'; '.join(b['skipped']) or 'none'}")
    head = f"{'quantity':48s} {'model':>9s} {'baseline':>9s} {'Δ':>8s}  goal"
    print(head)
    print("-" * len(head))
    for label, get, goal in rows:
        v = get(m)
        bv = get(runs["baseline"]) if "baseline" in runs else float("nan")
        g = ""
        if goal:
            ok = v >= goal[1] if goal[0] == "≥" else v <= goal[1]
            g = f"{goal[0]} {goal[1]:g}: {'met' if ok else 'NOT met'}"
        print(f"{label:48s} {v:9.3f} {bv:9.3f} {v - bv:8.3f}  {g}")
    u, f = m["unseen"], m["freesolv"]
    runs["readme"] = [readme_row(
        f"auto-encoder `{args.model.name}` ({m['frame']} frame): {m['n_unseen']} unseen drugs "
        f"× {args.orientations} orientations, {m['n_fs']} held-out FreeSolv molecules in a "
        "random orientation each",
        f"unseen {u['psnr']:.1f} / {u['psnr_occupied']:.1f} dB all / occupied channels (zero "
        f"field {u['psnr_zero']:.1f} / {u['psnr_zero_occupied']:.1f}), spread over "
        f"orientations ≤ {u['spread_max']:.2f} dB, latent drift ratio {u['drift_ratio']:.2f}; "
        f"FreeSolv {f['psnr']:.1f} / {f['psnr_occupied']:.1f} dB (zero field "
        f"{f['psnr_zero']:.1f} / {f['psnr_zero_occupied']:.1f})")]
    write_result("ae_orientation", runs, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
