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
    args = ap.parse_args()
    from rdkit import Chem

    mols = [(p.stem.replace("freesolv_", ""), mf.read_molecules(p)[0],
             Chem.MolFromMolFile(str(p), removeHs=False, sanitize=False))
            for p in sorted(DATA.glob("freesolv_*.sdf"))]
    mols += [(k, mf.from_smiles(s, name=k), Chem.AddHs(Chem.MolFromSmiles(s)))
             for k, s in DRUGS.items()]
    budget = {"time_budget": args.time, "steps": 10**9} if args.time else {"steps": args.steps}
    print(f"{'molecule':22s} {'atoms':>5s} {'recall':>6s} {'prec':>6s} {'rmsd Å':>7s} "
          f"{'graph':>5s} {'PSNR':>6s} {'zero':>6s} {'fit s':>6s} {'atoms s':>7s}")
    found, per = [], []
    for name, mol, rd in mols:
        t0 = time.perf_counter()
        model = models.fit_model(mol, model="siren", resolution=32, device="cpu", seed=0,
                                 **budget)
        t_fit = time.perf_counter() - t0
        r = field_report(models.decode(model, 0, 48).values, models.truth(model, 0, 48).values)
        t0 = time.perf_counter()
        res = models.atoms(model, 0, args.resolution)
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
    tot = pooled(found)
    print(f"all: recall {tot['recall']:.3f}, precision "
          f"{tot['precision']:.3f}, RMSD {tot['rmsd']:.3f} Å, bond graph equal "
          f"for {tot['graphs']}/{len(mols)} (goals: ≥ 0.95, ≥ 0.95, ≤ 0.25 Å, ≥ 90 %)")
    how = f"{args.time:g} s" if args.time else f"{args.steps:,} steps"
    psnrs = [p["psnr"] for p in per]
    secs = [p["atoms_s"] for p in per]
    out = {"molecules": per, "pooled": tot, "readme": [readme_row(
        f"atoms from fitted auto-decoders, {len(mols)} molecules (FreeSolv SDFs, "
        f"{', '.join(DRUGS)}), {how} each, recovered at {args.resolution}³",
        f"recall {tot['recall']:.3f}, precision {tot['precision']:.3f}, RMSD "
        f"{tot['rmsd']:.3f} Å, bond graph equal {tot['graphs']}/{len(mols)} (fits at "
        f"{min(psnrs):.0f}–{max(psnrs):.0f} dB at 48³; {min(secs):.1f}–{max(secs):.1f} s per "
        "recovery)")]}
    write_result("atoms_fitted", out, args)


if __name__ == "__main__":
    main()
