"""Benchmark Eq. 1 sampling against gemmi's DensityCalculatorX, in one process.

1IEP chain A + imatinib (waters removed, no H), all default channels, one box. Times are
warm (kernels compiled and loaded first); best and median of ``--repeat`` rounds in which
ours and each gemmi variant take turns (so the ratios hold on a loaded machine).

    .venv/bin/python benchmarks/bench_sampling.py [--repeat 15] [--threads 2]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import gemmi
import numba
import numpy as np
from _results import alternate, readme_row, write_result

from napari_molfield.chem.readers import read_molecules
from napari_molfield.fields.box import Box
from napari_molfield.fields.channels import ChannelSpec
from napari_molfield.fields.sample import DEFAULT_BETA, DEFAULT_PADDING, sample_points, sample_table

PDB = Path(__file__).resolve().parents[1] / "sample_data" / "1iep.pdb"


def timeit(fn: Callable[[], object], repeat: int) -> tuple[float, float]:
    """Best and median wall time in ms (after one warm-up call)."""
    fn()
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return 1e3 * min(times), 1e3 * float(np.median(times))


def gemmi_models(box: Box, n: int, channels: tuple[str, ...]) -> tuple[list, gemmi.Model]:
    """Chain A + ligand as gemmi models shifted so grid point (0,0,0) is voxel (0,0,0).

    Returns one model per non-empty element channel and one model with all atoms.
    """
    st = gemmi.read_structure(str(PDB))
    st.setup_entities()
    st.remove_waters()
    st.remove_hydrogens()
    for name in [ch.name for ch in st[0] if ch.name != "A"]:
        st[0].remove_chain(name)
    shift = box.origin(n)
    for res in st[0]["A"]:
        for atom in res:
            p = np.array(atom.pos.tolist()) - shift
            atom.pos = gemmi.Position(*p)
    edge = box.edge
    st.cell = gemmi.UnitCell(edge, edge, edge, 90, 90, 90)
    st.spacegroup_hm = "P 1"
    named = set(channels) - {"other"}
    per = []
    for ch in channels:
        sub = gemmi.Structure()
        sub.cell = st.cell
        sub.spacegroup_hm = "P 1"
        model = gemmi.Model("1")
        chain = gemmi.Chain("A")
        for res in st[0]["A"]:
            keep = gemmi.Residue()
            keep.name, keep.seqid, keep.het_flag = res.name, res.seqid, res.het_flag
            for atom in res:
                el = atom.element.name
                if el == ch or (ch == "other" and el not in named):
                    keep.add_atom(atom)
            if len(keep):
                chain.add_residue(keep)
        if len(chain):
            model.add_chain(chain)
            per.append(model)
    return per, st[0]


def make_calculator(box: Box, n: int, blur: float) -> gemmi.DensityCalculatorX:
    """A DensityCalculatorX on the same N³ grid as the box (gemmi's periodic cell)."""
    dc = gemmi.DensityCalculatorX()
    dc.grid.unit_cell = gemmi.UnitCell(box.edge, box.edge, box.edge, 90, 90, 90)
    dc.grid.spacegroup = gemmi.SpaceGroup("P 1")
    dc.grid.set_size(n, n, n)
    dc.d_min = 0.0  # keep our grid size
    dc.blur = blur
    return dc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args()
    if args.threads:
        numba.set_num_threads(args.threads)
    mol = read_molecules(PDB)[0]
    mol = mol.subset(mol.chains == "A")
    spec = ChannelSpec.parse(None)
    table = spec.assign(mol)
    box = Box.around(mol.coords, DEFAULT_PADDING)
    used = table.used()
    print(f"1IEP chain A + ligand: {mol.n_atoms} atoms ({int(mol.ligand_mask.sum())} ligand), "
          f"{len(spec)} channels, {used.channel.size} entries, box {box.edge:.1f} Å, "
          f"β = {DEFAULT_BETA}, numba threads = {numba.get_num_threads()}")
    # gemmi blur giving Gaussians of our width for carbon: σ = r/sqrt(2β), B = 8π²σ²
    sigma_c = 1.7 / np.sqrt(2 * DEFAULT_BETA)
    blur = float(8 * np.pi**2 * sigma_c**2)
    out: dict = {"atoms": mol.n_atoms, "channels": len(spec), "box_edge": box.edge,
                 "numba_threads": numba.get_num_threads(), "grids": {}}
    for n in (64, 128):
        per, whole = gemmi_models(box, n, spec.names)
        fns: dict[str, Callable[[], object]] = {
            "ours, all channels": lambda n=n: sample_table(table, box, n)}
        for label, b in (("blur 0", 0.0), (f"blur {blur:.0f} (σ_C={sigma_c:.2f} Å)", blur)):
            dc = make_calculator(box, n, b)
            fns[f"gemmi X, 1 grid, all atoms, {label}"] = (
                lambda dc=dc, m=whole: dc.put_model_density_on_grid(m))

            def per_channel(dc=dc, per=per) -> None:
                for model in per:
                    dc.put_model_density_on_grid(model)
                    np.array(dc.grid, copy=True)  # keep each channel, as we do

            fns[f"gemmi X, {len(per)} non-empty channel grids, {label}"] = per_channel
        times = alternate(fns, args.repeat)  # turns within each round: fair under load
        rows = [(k, (1e3 * min(v), 1e3 * float(np.median(v)))) for k, v in times.items()]
        ours = rows[0][1]
        print(f"\n{n}³ (h = {box.spacing(n):.3f} Å): best / median ms")
        for label, (best, med) in rows:
            ratio = "" if label.startswith("ours") else f"   ours is {best / ours[0]:.1f}× faster"
            print(f"  {label:<52s} {best:8.1f} / {med:8.1f}{ratio}")
        out["grids"][n] = [{"what": label, "best_ms": best, "median_ms": med,
                            "ours_faster": best / ours[0]} for label, (best, med) in rows]
    rng = np.random.default_rng(0)
    pts = rng.uniform(box.lower, box.lower + box.edge, (1_000_000, 3))
    best, med = timeit(lambda: sample_points(table, pts), 5)
    print(f"\npoints: 1M uniform points in the box: best {best:.0f} ms, median {med:.0f} ms "
          f"→ {1e3 * 1e6 / best / 1e6:.1f} M points/s")
    out["points_1m"] = {"best_ms": best, "median_ms": med}
    g = {n: out["grids"][n] for n in (64, 128)}
    gemmi = ", ".join(f"{r['best_ms']:.0f} ms for {r['what'].removeprefix('gemmi X, ')} "
                      f"({r['ours_faster']:.1f}×)" for r in g[128][1:])
    out["readme"] = [
        readme_row(f"Eq. 1 sampling, 1IEP chain A + STI ({mol.n_atoms:,} atoms), "
                   f"{len(spec)} channels, 128³",
                   f"{g[128][0]['best_ms']:.1f} ms best / {g[128][0]['median_ms']:.1f} ms "
                   f"median; gemmi `DensityCalculatorX` on the same box: {gemmi}; 64³: "
                   f"{g[64][0]['best_ms']:.1f} ms"),
        readme_row("Eq. 1 at 1M uniform points in the same box",
                   f"{best:.0f} ms best ({1e3 / best:.1f} M points/s)"),
    ]
    write_result("bench_sampling", out, args)


if __name__ == "__main__":
    main()
