"""Benchmark: unseen drug-like molecules through the auto-encoder, as a user meets it (issue 20).

Each molecule of `DRUGS` (well-known drugs; any whose canonical SMILES is in the model's
training dataset is left out and named) is embedded by RDKit, turned by a random rotation
and moved by a random shift of up to ``--shift`` Å, ``--orientations`` times, and written
as an SDF file. For each file, what ``molfield atoms default --smiles FILE -o OUT.sdf``
does, in one process:

1. encoder alone: occupied-channel PSNR on the molecule's own box in the file's frame, with
   the zero field's PSNR on the same voxels (the margin is what counts);
2. encode + ``--refine`` steps: the same margin, and the seconds per molecule;
3. atoms (`atoms.models.atoms_in_place`, the molecule's own channel scales): recall and
   precision (same element within 0.5 Å), RMSD, the same bond graph (RDKit canonical
   SMILES without H), whether the atoms are in the file's frame (centroid within 1 Å), and
   the end-to-end seconds.

Then a ``--frames``-frame interpolation between the first two molecules: the share of
frames whose recovered atoms RDKit sanitizes. Writes ``benchmarks/results/ae_molecules.json``.

    .venv/bin/python benchmarks/ae_molecules.py --orientations 8
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
from _results import readme_row, write_result

#: Drugs (names and SMILES are public facts), none from FreeSolv or RDKit's NCI set as
#: checked at run time against the model's own training SMILES.
DRUGS = {
    "paracetamol": "CC(=O)Nc1ccc(O)cc1",
    "metformin": "CN(C)C(=N)NC(=N)N",
    "lidocaine": "CCN(CC)CC(=O)Nc1c(C)cccc1C",
    "salbutamol": "CC(C)(C)NCC(O)c1ccc(O)c(CO)c1",
    "nicotinamide": "NC(=O)c1cccnc1",
    "isoniazid": "NNC(=O)c1ccncc1",
    "phenacetin": "CCOc1ccc(NC(C)=O)cc1",
    "mexiletine": "CC(N)COc1c(C)cccc1C",
    "procainamide": "CCN(CC)CCNC(=O)c1ccc(N)cc1",
    "theophylline": "Cn1c(=O)c2[nH]cnc2n(C)c1=O",
}


def random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random proper rotation (QR of a Gaussian matrix, signs fixed)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def placed_sdf(smiles: str, name: str, rng: np.random.Generator, shift: float,
               folder: Path, k: int) -> Path:
    """The molecule embedded (seed 0), turned and shifted, as an SDF file."""
    from rdkit import Chem
    from rdkit.Chem import AllChem

    mol = Chem.AddHs(Chem.MolFromSmiles(smiles))
    AllChem.EmbedMolecule(mol, randomSeed=0)
    AllChem.MMFFOptimizeMolecule(mol)
    conf = mol.GetConformer()
    xyz = conf.GetPositions()
    xyz = (xyz - xyz.mean(0)) @ random_rotation(rng).T + rng.uniform(-shift, shift, 3)
    for i, p in enumerate(xyz):
        conf.SetAtomPosition(i, p.tolist())
    mol.SetProp("_Name", name)
    path = folder / f"{name}_{k}.sdf"
    Chem.MolToMolFile(mol, str(path))
    return path


def canonical(smiles: str) -> str | None:
    """RDKit canonical SMILES without H (None if unparsable)."""
    from rdkit import Chem

    m = Chem.MolFromSmiles(smiles)
    return None if m is None else Chem.MolToSmiles(Chem.RemoveHs(m))


def draw_frames(frames: list[tuple[str, object]], path: Path) -> None:
    """Frames' molecules (as recovered, hydrogens hidden) in one grid image."""
    from rdkit import Chem
    from rdkit.Chem import AllChem, Draw

    mols, legends = [], []
    for legend, mol in frames:
        m = Chem.Mol(mol) if mol is not None else Chem.Mol()
        try:
            m = Chem.RemoveHs(m, sanitize=False)
            AllChem.Compute2DCoords(m)
        except Exception:
            m = Chem.Mol()
        mols.append(m)
        legends.append(legend)
    img = Draw.MolsToGridImage(mols, molsPerRow=5, subImgSize=(300, 260), legends=legends)
    img.save(str(path))
    print(f"frames drawn: {path}")


def main() -> None:
    """Encode, refine, recover, compare; interpolate."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="default", help="auto-encoder checkpoint")
    ap.add_argument("--orientations", type=int, default=8)
    ap.add_argument("--shift", type=float, default=10.0, help="largest shift per axis, Å")
    ap.add_argument("--refine", type=int, default=None, help="refinement steps (default: "
                    "the library's DEFAULT_REFINE_STEPS)")
    ap.add_argument("--resolution", type=int, default=48, help="atoms' first grid")
    ap.add_argument("--frames", type=int, default=10)
    ap.add_argument("--n", type=int, default=len(DRUGS), help="molecules to use")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--frames-png", type=Path, help="draw the interpolation frames' "
                    "recovered molecules (2D depictions, RDKit) into this PNG")
    args = ap.parse_args()
    from rdkit import Chem

    from napari_molfield import models
    from napari_molfield.atoms import pooled, recovery_metrics
    from napari_molfield.atoms.models import atoms_in_place
    from napari_molfield.autoencoder import DEFAULT_REFINE_STEPS
    from napari_molfield.autoencoder.encode import encode_molecules, molecules_from
    from napari_molfield.autoencoder.placement import evaluate_placed

    steps = DEFAULT_REFINE_STEPS if args.refine is None else args.refine
    ae = models.load(args.model)
    seen = {canonical(s) for s in (ae.meta.get("dataset") or {}).get("smiles", []) if s}
    drugs = {k: v for k, v in DRUGS.items() if canonical(v) not in seen}
    left_out = sorted(set(DRUGS) - set(drugs))
    drugs = dict(list(drugs.items())[: args.n])
    print(f"{len(drugs)} unseen molecules; in the training set, left out: {left_out or 'none'}")
    rng = np.random.default_rng(args.seed)
    rows, found = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for name, smi in drugs.items():
            for k in range(args.orientations):
                path = placed_sdf(smi, name, rng, args.shift, Path(tmp), k)
                t0 = time.perf_counter()
                mols, _ = molecules_from([str(path)], ae)
                mol = mols[0]
                z0 = encode_molecules(ae, [mol], refine_steps=0)
                t_enc = time.perf_counter()
                z = encode_molecules(ae, [mol], refine_steps=steps) if steps else z0
                t_ref = time.perf_counter()
                res = atoms_in_place(ae, z[0], mol, args.resolution)
                t_end = time.perf_counter()
                alone = evaluate_placed(ae, [mol], z0)["per_molecule"]
                refined = evaluate_placed(ae, [mol], z)["per_molecule"]
                truth = Chem.MolFromMolFile(str(path), removeHs=False)
                m = recovery_metrics(mol.elements, mol.coords[0], res.elements, res.coords,
                                     true_mol=truth, mol=res.mol)
                found.append(m)
                framed = bool(res.n_atoms) and float(np.linalg.norm(
                    res.coords.mean(0) - mol.coords[0].mean(0))) < 1.0
                row = {
                    "molecule": name, "orientation": k,
                    "encoder_margin": float(alone["psnr_occupied"][0]
                                            - alone["psnr_zero_occupied"][0]),
                    "refined_margin": float(refined["psnr_occupied"][0]
                                            - refined["psnr_zero_occupied"][0]),
                    "zero_occupied": float(alone["psnr_zero_occupied"][0]),
                    "encode_s": t_enc - t0, "refine_s": t_ref - t_enc,
                    "end_to_end_s": t_end - t0, "recall": m.recall,
                    "precision": m.precision, "rmsd": m.rmsd, "same_graph": bool(m.same_graph),
                    "in_frame": framed,
                }
                rows.append(row)
                print(f"{name:13s} #{k} encoder +{row['encoder_margin']:5.1f} dB, refined "
                      f"+{row['refined_margin']:5.1f} dB ({row['refine_s']:.1f} s), atoms "
                      f"recall {m.recall:.2f} precision {m.precision:.2f} rmsd {m.rmsd:.2f} Å "
                      f"graph {'yes' if m.same_graph else 'no'} frame "
                      f"{'yes' if framed else 'no'} ({row['end_to_end_s']:.1f} s)", flush=True)
    tot = pooled(found)
    mean = {k: float(np.mean([r[k] for r in rows])) for k in
            ("encoder_margin", "refined_margin", "refine_s", "end_to_end_s")}
    graphs = sum(r["same_graph"] for r in rows) / len(rows)
    framed = sum(r["in_frame"] for r in rows) / len(rows)
    print(f"\nall {len(rows)}: encoder alone +{mean['encoder_margin']:.1f} dB over the zero "
          f"field (occupied), encode + {steps} steps +{mean['refined_margin']:.1f} dB "
          f"({mean['refine_s']:.1f} s refining); atoms recall {tot['recall']:.3f} precision "
          f"{tot['precision']:.3f} RMSD {tot['rmsd']:.2f} Å, bond graph {100 * graphs:.0f} %, "
          f"in the file's frame {100 * framed:.0f} %, {mean['end_to_end_s']:.1f} s a molecule")

    names = list(drugs)[:2]
    interp = models.interpolator(ae, encode_molecules(ae, [drugs[n] for n in names],
                                                      refine_steps=steps), 32, names=names)
    valid, drawn = [], []
    for t in np.linspace(0.0, 1.0, args.frames):
        r = models.atoms(ae, 0, args.resolution, latent=interp.latent(float(t)))
        valid.append(bool(r.valid))
        drawn.append((f"t = {t:.2f}: {r.smiles if r.valid else 'not sanitizable'}", r.mol))
        print(f"t = {t:.2f}: {r.summary()}")
    if args.frames_png:
        draw_frames(drawn, args.frames_png)
    share = sum(valid) / len(valid)
    print(f"{names[0]} → {names[1]}: {sum(valid)} of {len(valid)} frames sanitize "
          f"({100 * share:.0f} %)")
    write_result("ae_molecules", {
        "model": args.model, "refine_steps": steps, "left_out": left_out,
        "molecules": list(drugs), "rows": rows, "mean": mean, "atoms": tot,
        "bond_graph_share": graphs, "in_frame_share": framed,
        "interpolation": {"between": names, "valid": valid, "share": share},
        "readme": [
            readme_row("encoder alone, occupied PSNR over the zero field",
                       f"+{mean['encoder_margin']:.1f} dB ({len(rows)} placements)"),
            readme_row(f"encode + {steps} refinement steps",
                       f"+{mean['refined_margin']:.1f} dB, {mean['refine_s']:.1f} s a molecule"),
            readme_row("atoms: recall / precision / RMSD / same bond graph",
                       f"{tot['recall']:.2f} / {tot['precision']:.2f} / {tot['rmsd']:.2f} Å / "
                       f"{100 * graphs:.0f} %"),
            readme_row(f"{args.frames}-frame interpolation {names[0]} → {names[1]}",
                       f"{100 * share:.0f} % of frames sanitize"),
        ],
    }, args=args)


if __name__ == "__main__":
    main()
