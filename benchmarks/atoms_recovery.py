"""Benchmark: atoms back out of exact Eq. 1 fields (`napari_molfield.atoms`).

Every FreeSolv SDF in ``tests/data`` plus a few molecules from SMILES, each sampled
exactly (β = 2, one channel per element, 4 Å padding) at 48³ and 64³, in Eq. 1 units
(``raw``), divided by `channel_peaks` with the scale known (``norm``) and with it lost
(``noscale``), and in Eq. 1 units plus white noise of 1 % of the field's maximum
(``noise``). For each: recall and precision of the atoms (Hungarian per element within
0.5 Å), RMSD and largest error of the matches, whether the bond graph equals the input's
(the SDF's bonds, or RDKit's for SMILES), whether a valid molecule came out, and the wall
time of the recovery (warm: numba kernels compiled by a first call).

    .venv/bin/python benchmarks/atoms_recovery.py [--resolutions 48 64] [--modes raw norm]

Fitted-model numbers (fields decoded by a trained network) are to be added.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
from _results import readme_row, write_result

import napari_molfield as mf
from napari_molfield.atoms import atoms_from_field, bond_graph_key, recovery_metrics
from napari_molfield.fields.channels import ChannelSpec
from napari_molfield.fields.field import Field
from napari_molfield.fields.sample import channel_peaks

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
SMILES = {
    "decane": "CCCCCCCCCC",
    "naphthalene": "c1ccc2ccccc2c1",
    "methanesulfonamide": "CS(=O)(=O)N",
    "ethyl phosphate": "CCOP(=O)(O)O",
    "bromotrichloroethane": "ClC(Cl)(Cl)CBr",
    "aspirin": "CC(=O)Oc1ccccc1C(=O)O",
    "cyclohexane": "C1CCCCC1",
    "glycine zwitterion": "[NH3+]CC(=O)[O-]",
}


def molecules() -> list[tuple[str, mf.Molecule, object, int]]:
    """(name, molecule, RDKit molecule with the true bonds, total charge)."""
    from rdkit import Chem

    out = []
    for path in sorted(DATA.glob("freesolv_*.sdf")):
        mol = mf.read_molecules(path)[0]
        rd = Chem.MolFromMolFile(str(path), removeHs=False, sanitize=False)
        out.append((path.stem.replace("freesolv_", ""), mol, rd, 0))
    for name, smi in SMILES.items():
        mol = mf.from_smiles(smi, name=name)
        rd = Chem.AddHs(Chem.MolFromSmiles(smi))
        out.append((name, mol, rd, Chem.GetFormalCharge(rd)))
    return out


def field_of(mol: mf.Molecule, n: int, mode: str) -> Field:
    """The exact field of ``mol`` in one of the modes."""
    channels = sorted({str(e) for e in mol.elements})
    field = mf.sample_field(mol, n, channels)
    if mode == "raw":
        return field
    if mode == "noise":
        rng = np.random.default_rng(0)
        noise = rng.normal(0, 0.01 * float(field.values.max()), field.values.shape)
        return Field((field.values + noise).astype(np.float32), field.origin, field.spacing,
                     field.channels, field.box, field.meta)
    peaks = channel_peaks(ChannelSpec.parse(channels).assign(mol, 0), 2.0)
    meta = {"beta": 2.0}
    if mode == "norm":
        meta.update(normalised=True, scale=peaks.tolist())
    return Field(field.values / peaks[:, None, None, None].astype(np.float32), field.origin,
                 field.spacing, field.channels, field.box, meta)


def _readme(summary: list[dict], n_mols: int, resolutions: list[int]) -> list[dict]:
    """The README rows: recall, precision, graphs and the worst RMSD of each mode."""
    label = {"raw": "Eq. 1 units", "norm": "scale known", "noscale": "scale lost",
             "noise": "1 % noise"}
    rows = []
    for mode in dict.fromkeys(s["mode"] for s in summary):
        sel = [s for s in summary if s["mode"] == mode]
        rows.append(readme_row(
            f"atoms from exact Eq. 1 fields, {n_mols} molecules, "
            f"{' and '.join(f'{n}³' for n in resolutions)}, {label[mode]}",
            f"recall ≥ {min(s['recall'] for s in sel):.3f}, precision ≥ "
            f"{min(s['precision'] for s in sel):.3f}, bond graphs "
            + " / ".join(f"{s['graphs']}/{s['molecules']}" for s in sel)
            + f", valid {' / '.join(str(s['valid']) for s in sel)}; RMSD ≤ "
            f"{max(s['rmsd_max'] for s in sel):.1e} Å; median "
            f"{max(s['median_s'] for s in sel):.2f} s per recovery"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resolutions", type=int, nargs="+", default=[48, 64])
    parser.add_argument("--modes", nargs="+", default=["raw", "norm", "noscale", "noise"],
                        choices=["raw", "norm", "noscale", "noise"])
    args = parser.parse_args()
    mols = molecules()
    atoms_from_field(field_of(mols[0][1], 32, "raw"))  # compile the kernels
    header = (f"{'molecule':<22s} {'N':>3s} {'mode':<7s} {'atoms':>5s} {'recall':>6s} "
              f"{'prec':>6s} {'rmsd Å':>8s} {'max Å':>8s} {'graph':>5s} {'valid':>5s} "
              f"{'time s':>6s}")
    print(header)
    print("-" * len(header))
    rows = []
    for n in args.resolutions:
        for mode in args.modes:
            for name, mol, rd, charge in mols:
                field = field_of(mol, n, mode)
                t = time.perf_counter()
                res = atoms_from_field(field, charge=charge)
                dt = time.perf_counter() - t
                m = recovery_metrics(mol.elements, mol.coords[0], res.elements, res.coords,
                                     compare_graph=False)
                graph = res.mol is not None and bond_graph_key(res.mol) == bond_graph_key(rd)
                rows.append((n, mode, m.recall, m.precision, m.rmsd, graph, res.valid, dt))
                print(f"{name[:22]:<22s} {n:>3d} {mode:<7s} {mol.n_atoms:>5d} "
                      f"{m.recall:>6.3f} {m.precision:>6.3f} {m.rmsd:>8.1e} "
                      f"{m.max_error:>8.1e} {('yes' if graph else 'NO'):>5s} "
                      f"{('yes' if res.valid else 'NO'):>5s} {dt:>6.2f}", flush=True)
    print()
    print(f"{'N':>3s} {'mode':<7s} {'mols':>4s} {'recall':>6s} {'prec':>6s} {'rmsd Å':>8s} "
          f"{'graph':>6s} {'valid':>6s} {'median s':>8s} {'max s':>6s}")
    summary = []
    for n in args.resolutions:
        for mode in args.modes:
            sel = [r for r in rows if r[0] == n and r[1] == mode]
            a = np.array([r[2:] for r in sel], dtype=float)
            m = len(sel)
            summary.append({"n": n, "mode": mode, "molecules": m,
                            "recall": float(a[:, 0].mean()), "precision": float(a[:, 1].mean()),
                            "rmsd_mean": float(np.nanmean(a[:, 2])),
                            "rmsd_max": float(np.nanmax(a[:, 2])), "graphs": int(a[:, 3].sum()),
                            "valid": int(a[:, 4].sum()), "median_s": float(np.median(a[:, 5])),
                            "max_s": float(a[:, 5].max())})
            print(f"{n:>3d} {mode:<7s} {m:>4d} {a[:, 0].mean():>6.3f} "
                  f"{a[:, 1].mean():>6.3f} {np.nanmean(a[:, 2]):>8.1e} "
                  f"{int(a[:, 3].sum()):>3d}/{m:<2d} {int(a[:, 4].sum()):>3d}/{m:<2d} "
                  f"{np.median(a[:, 5]):>8.2f} {a[:, 5].max():>6.2f}")
    write_result("atoms_recovery", {"summary": summary,
                                    "readme": _readme(summary, len(mols), args.resolutions)},
                 args)


if __name__ == "__main__":
    main()

