"""Benchmark: atoms back out of the shipped auto-encoder's decodes (issue 14).

The first ``--n`` FreeSolv molecules of the shipped model's test split are encoded, each
latent decoded by the network in the model's frame (around the molecule's placement) and
its atoms recovered (`models.atoms` with the latent; the scale estimated, or with ``--known-scale``
the encoded molecule's channel peaks, as `decode_latent(scale=…)` takes them); the atoms
are mapped back to the molecule's frame and matched with the input (right element within
0.5 Å).
Printed: recall, precision, RMSD, bond-graph agreement, per molecule and in all::

    .venv/bin/python benchmarks/atoms_autoencoder.py --n 20
"""

from __future__ import annotations

import argparse

from _results import readme_row, write_result

from napari_molfield import models
from napari_molfield.atoms import pooled, recovery_metrics
from napari_molfield.autoencoder.conformers import cached_conformer
from napari_molfield.autoencoder.encode import encode_molecules
from napari_molfield.autoencoder.placement import placement


def main() -> None:
    """Encode, decode, recover, compare."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20)
    ap.add_argument("--resolution", type=int, default=48)
    ap.add_argument("--known-scale", action="store_true",
                    help="give the recovery the encoded molecule's channel peaks")
    args = ap.parse_args()
    from rdkit import Chem

    model = models.load(models.DEFAULT)
    ds = model.meta["dataset"]
    smiles = dict(zip(ds["names"], ds["smiles"], strict=True))
    test = [n for n in model.meta["split"]["test"] if n.startswith("mobley_")][: args.n]
    found, per = [], []
    for name in test:
        mol = cached_conformer(smiles[name], name=name, seed=model.conformer_seed)
        z = encode_molecules(model, [mol])[0]
        where = placement(model, mol)
        scale = list(where.scale) if args.known_scale else None
        res = models.atoms(model, 0, args.resolution, latent=z, scale=scale,
                           centre=tuple(float(c) for c in where.model_box.centre))
        xyz = where.frame.from_canonical(res.coords) if where.frame is not None else res.coords
        rd = Chem.AddHs(Chem.MolFromSmiles(smiles[name]))
        m = recovery_metrics(mol.elements, mol.coords[0], res.elements, xyz, true_mol=rd,
                             mol=res.mol)
        found.append(m)
        print(f"{name:16s} {smiles[name]:28s} atoms {m.n_true:3d} recall {m.recall:.2f} "
              f"precision {m.precision:.2f} rmsd {m.rmsd:.2f} Å graph "
              f"{'yes' if m.same_graph else 'no'}", flush=True)
        per.append({"name": name, "smiles": smiles[name], "atoms": m.n_true,
                    "recall": m.recall, "precision": m.precision, "rmsd": m.rmsd,
                    "same_graph": m.same_graph})
    tot = pooled(found)
    print(f"all {len(test)}: recall {tot['recall']:.3f}, precision "
          f"{tot['precision']:.3f}, RMSD {tot['rmsd']:.3f} Å, bond graph equal "
          f"for {tot['graphs']}/{len(test)}")
    scale = "scale known" if args.known_scale else "scale estimated"
    write_result("atoms_autoencoder", {"molecules": per, "pooled": tot, "readme": [readme_row(
        f"atoms from the shipped auto-encoder's decodes of {len(test)} FreeSolv test "
        f"molecules, {args.resolution}³, {scale}",
        f"recall {tot['recall']:.2f}, precision {tot['precision']:.2f}, RMSD "
        f"{tot['rmsd']:.2f} Å, bond graphs equal {tot['graphs']}/{len(test)}")]}, args)


if __name__ == "__main__":
    main()
