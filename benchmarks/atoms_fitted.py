"""Benchmark: atoms back out of fitted neural fields (issue 14's goals).

Each molecule (the FreeSolv SDFs in ``tests/data`` plus drug-like SMILES not in FreeSolv)
is fitted alone by the auto-decoder with the default channels for a fixed number of steps
(fair on a busy machine; ``--time`` for a time budget instead), then its atoms are
recovered from the network itself (`models.atoms`: grid + local refinement). Printed
per molecule and in all: recall and precision (right element within 0.5 Å), RMSD of the
matches, bond graph equal to the input's, the fit's PSNR with its zero-field baseline::

    .venv/bin/python benchmarks/atoms_fitted.py --steps 1500
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from _results import readme_row, write_result

import napari_molfield as mf
from napari_molfield import models
from napari_molfield.atoms import pooled, recovery_metrics
from napari_molfield.errors import MolfieldError
from napari_molfield.fields.metrics import field_report

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
DRUGS = {
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "metformin": "CN(C)C(=N)N=C(N)N",
    "nicotine": "CN1CCCC1c1cccnc1",
}


def main() -> None:
    """Fit, recover, compare; print a table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--time", type=float, default=None, help="seconds per fit instead")
    ap.add_argument("--resolution", type=int, default=48, help="recovery grid")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="these molecules only (e.g. mobley_7378987 paracetamol)")
    args = ap.parse_args()
    from rdkit import Chem

    mols = [(p.stem.replace("freesolv_", ""), mf.read_molecules(p)[0],
             Chem.MolFromMolFile(str(p), removeHs=False, sanitize=False))
            for p in sorted(DATA.glob("freesolv_*.sdf"))]
    mols += [(k, mf.from_smiles(s, name=k), Chem.AddHs(Chem.MolFromSmiles(s)))
             for k, s in DRUGS.items()]
    if args.only:
        unknown = set(args.only) - {m[0] for m in mols}
        if unknown:
            ap.error(f"unknown molecules {sorted(unknown)}; choose from {[m[0] for m in mols]}")
        mols = [m for m in mols if m[0] in args.only]
    budget = {"time_budget": args.time, "steps": 10**9} if args.time else {"steps": args.steps}
    print(f"{'molecule':22s} {'atoms':>5s} {'recall':>6s} {'prec':>6s} {'rmsd Å':>7s} "
          f"{'graph':>5s} {'PSNR':>6s} {'zero':>6s} {'fit s':>6s} {'atoms s':>7s}")
    found, per, refused = [], [], []
    for name, mol, rd in mols:
        t0 = time.perf_counter()
        model = models.fit_model(mol, model="siren", resolution=32, device="cpu", seed=0,
                                 **budget)
        t_fit = time.perf_counter() - t0
        r = field_report(models.decode(model, 0, 48).values, models.truth(model, 0, 48).values)
        t0 = time.perf_counter()
        try:
            res = models.atoms(model, 0, args.resolution)
        except MolfieldError as exc:  # a fit too poor to count atoms in: a failure, not a crash
            refused.append({"name": name, "psnr": r["psnr"], "fit_s": t_fit, "error": str(exc)})
            print(f"{name:22s} {mol.n_atoms:5d} recovery refused: {exc} (PSNR "
                  f"{r['psnr']:.1f} dB, fit {t_fit:.0f} s)", flush=True)
            continue
        t_atoms = time.perf_counter() - t0
        m = recovery_metrics(mol.elements, mol.coords[0], res.elements, res.coords,
                             true_mol=rd, mol=res.mol)
        found.append(m)
        print(f"{name:22s} {m.n_true:5d} {m.recall:6.3f} {m.precision:6.3f} {m.rmsd:7.3f} "
              f"{'yes' if m.same_graph else 'no':>5s} {r['psnr']:6.1f} {r['zero_psnr']:6.1f} "
              f"{t_fit:6.0f} {t_atoms:7.1f}", flush=True)
        per.append({"name": name, "atoms": m.n_true, "recall": m.recall,
                    "precision": m.precision, "rmsd": m.rmsd, "same_graph": m.same_graph,
                    "psnr": r["psnr"], "zero_psnr": r["zero_psnr"], "fit_s": t_fit,
                    "atoms_s": t_atoms})
    if not found:
        raise SystemExit("no recovery succeeded")
    tot = pooled(found)
    print(f"all: recall {tot['recall']:.3f}, precision "
          f"{tot['precision']:.3f}, RMSD {tot['rmsd']:.3f} Å, bond graph equal "
          f"for {tot['graphs']}/{len(mols)} (goals: ≥ 0.95, ≥ 0.95, ≤ 0.25 Å, ≥ 90 %)"
          + (f"; recovery refused for {len(refused)} (pooled over the others)" if refused
             else ""))
    how = f"{args.time:g} s" if args.time else f"{args.steps:,} steps"
    psnrs = [p["psnr"] for p in per]
    secs = [p["atoms_s"] for p in per]
    names = ", ".join(m[0] for m in mols)
    out = {"molecules": per, "refused": refused, "pooled": tot, "readme": [readme_row(
        f"atoms from fitted auto-decoders, {len(mols)} molecules ({names}), {how} each, "
        f"recovered at {args.resolution}³",
        f"recall {tot['recall']:.3f}, precision {tot['precision']:.3f}, RMSD "
        f"{tot['rmsd']:.3f} Å, bond graph equal {tot['graphs']}/{len(mols)} (fits at "
        f"{min(psnrs):.0f}–{max(psnrs):.0f} dB at 48³; {min(secs):.1f}–{max(secs):.1f} s per "
        "recovery)" + (f"; recovery refused for {len(refused)} (fit too noisy)" if refused
                       else ""))]}
    write_result("atoms_fitted", out, args)


if __name__ == "__main__":
    main()
