"""Time `decode` with and without skipping empty space, on a model fitted to the 1IEP complex.

Prints, in one process (so the ratios hold on a loaded machine):

* 128³: ``skip_empty=False`` (every voxel), the main-branch path (`decode_points` on
  every voxel centre: ``forward_modulated`` per chunk) and ``skip_empty=True``, their
  ratios (goal: skip ≥ 6× faster than ``skip_empty=False``), the fraction of voxels the
  skip path evaluated, and the PSNR of both against Eq. 1 — with the zero-field baseline
  and the occupied-channel PSNR (goal: no worse than dense by more than 0.1 dB);
* 256³ with ``skip_empty=True`` (goal ≤ 5 s on 2 cores; ``--dense-256`` also times the
  dense decode, ~10× longer);
* 48³ of the untrained "cpu" preset (goal ≤ 150 ms), as before.

The model is fitted here for ``--fit-seconds`` (default 60; ``--fit-steps`` for a step
count, the same model however busy the machine) at 32³ with the "cpu" preset, or read
with ``--model``; ``--save`` keeps the fitted one.

Usage::

    python benchmarks/bench_decode.py [--fit-seconds 60 | --fit-steps 600] [--model m.safetensors]
        [--save m.safetensors] [--repeat 3] [--threads 2] [--dense-256]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import torch
from _results import alternate, readme_row, write_result

from napari_molfield import models
from napari_molfield.autodecoder.config import get_preset
from napari_molfield.autodecoder.decode import decode_points
from napari_molfield.autodecoder.model import FittedModel
from napari_molfield.fields.box import Box
from napari_molfield.fields.metrics import field_report, format_report
from napari_molfield.nn.siren import ModulatedSiren

PDB = Path(__file__).resolve().parents[1] / "sample_data" / "1iep.pdb"


def random_model(preset: str = "cpu", channels: int = 6) -> FittedModel:
    """An untrained ``channels``-channel model of ``preset`` with one item in a 60 Å box."""
    cfg = replace(get_preset(preset).model, out_channels=channels)
    torch.manual_seed(0)
    net = ModulatedSiren(cfg).eval()
    names = tuple(f"c{i}" for i in range(channels))
    item = {"name": "random", "box": Box((0.0, 0.0, 0.0), 60.0).to_dict(),
            "scale": [1.0] * channels}
    return FittedModel(net, cfg, torch.randn(1, cfg.latent_dim) * 0.01, [item], names,
                       2.0, 32)


def fitted_model(seconds: float, steps: int | None = None) -> FittedModel:
    """The 1IEP complex (both chains, ligands) fitted for ``seconds`` (or ``steps``) at 32³,
    "cpu" preset."""
    from napari_molfield.chem.readers import read_molecules

    mol = read_molecules(PDB)[0]
    t = time.perf_counter()
    budget = {"steps": steps} if steps else {"steps": 10**6, "time_budget": seconds}
    model = models.fit_model(mol, resolution=32, preset="cpu", seed=0, device="cpu", **budget)
    print(f"fitted {mol.name}: {mol.n_atoms} atoms, {len(model.channels)} channels, "
          f"{model.history[-1]['step']} steps, {time.perf_counter() - t:.0f} s")
    return model


def best_of(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    """Best wall time (s) of ``repeat`` calls, and the last result."""
    times, out = [], None
    for _ in range(max(1, repeat)):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
    return min(times), out


def decode(model: FittedModel, item: int, n: int, **kw: object) -> object:
    """`models.decode` (what the CLI, the widgets and notebooks call)."""
    return models.decode(model, item, n, **kw)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a saved checkpoint (default: fit 1IEP here)")
    ap.add_argument("--save", help="write the fitted model here")
    ap.add_argument("--fit-seconds", type=float, default=60.0)
    ap.add_argument("--fit-steps", type=int, default=None,
                    help="fit this many steps instead (the same model on a busy machine)")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=None)
    ap.add_argument("--dense-256", action="store_true")
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    model = (models.load(args.model) if args.model
             else fitted_model(args.fit_seconds, args.fit_steps))
    if args.save:
        models.save(model, args.save)
    print(f"{model}  threads={torch.get_num_threads()}  (times under the machine's "
          "current load: compare the ratios)")
    decode(model, 0, 16)  # warm-up
    n = 128
    pts = model.box(0).grid_points(n)
    fields: dict[str, object] = {}

    def keep(key: str, fn: Callable[[], object]) -> Callable[[], None]:
        return lambda: fields.__setitem__(key, fn())

    # skip and dense take turns, so a change of load slows both alike
    times = alternate({"dense": keep("dense", lambda: decode(model, 0, n, skip_empty=False)),
                       "skip": keep("skip", lambda: decode(model, 0, n))}, args.repeat)
    t_dense, t_skip = min(times["dense"]), min(times["skip"])
    dense, skip = fields["dense"], fields["skip"]
    t_main, _ = best_of(lambda: decode_points(model, 0, pts), 1)
    truth = models.truth(model, 0, n).values
    r_dense = field_report(dense.values, truth)
    r_skip = field_report(skip.values, truth)
    info = skip.meta["skip_empty"]
    print(f"\ndecode {n}³ × {len(model.channels)} channels (best of {args.repeat}, "
          "taking turns):")
    print(f"  skip_empty=False            {t_dense:7.3f} s   {format_report(r_dense)}")
    print(f"  main-branch path            {t_main:7.3f} s   (decode_points, 1 run)")
    print(f"  skip_empty=True             {t_skip:7.3f} s   {format_report(r_skip)}")
    print(f"    evaluated {100 * info['evaluated']:.1f} % of the voxels (stride "
          f"{info['stride']}, {info['passes']} fine passes, threshold {info['threshold']:g})")
    speed = t_dense / t_skip
    print(f"  skip is {speed:.1f}× faster than skip_empty=False (goal ≥ 6×: "
          f"{'ok' if speed >= 6 else 'SHORT'}), {t_main / t_skip:.1f}× faster than the "
          "main-branch path")
    d = r_skip["psnr"] - r_dense["psnr"]
    print(f"  PSNR skip − dense: {d:+.3f} dB (goal: no worse than −0.1 dB: "
          f"{'ok' if d >= -0.1 else 'SHORT'}; above 0 when skipping zeroes the network's "
          "ripples in empty space); occupied channels "
          f"{r_skip['occupied_psnr'] - r_dense['occupied_psnr']:+.3f} dB")
    out: dict = {"model": repr(model), "threads": torch.get_num_threads(),
                 "fit_steps": model.history[-1]["step"] if model.history else None,
                 "channels": len(model.channels), "n": n,
                 "times_s": times, "dense_s": t_dense, "skip_s": t_skip,
                 "main_branch_s": t_main, "skip_speedup": speed,
                 "evaluated": info["evaluated"], "threshold": info["threshold"],
                 "dense_report": r_dense, "skip_report": r_skip}
    t256, f256 = best_of(lambda: decode(model, 0, 256), 1)
    info256 = f256.meta["skip_empty"]
    print(f"\ndecode 256³ skip_empty=True: {t256:.2f} s (goal ≤ 5 s: "
          f"{'ok' if t256 <= 5 else 'SLOWER'}), evaluated {100 * info256['evaluated']:.1f} %")
    out.update(skip_256_s=t256, evaluated_256=info256["evaluated"])
    if args.dense_256:
        t, _ = best_of(lambda: decode(model, 0, 256, skip_empty=False), 1)
        print(f"decode 256³ skip_empty=False: {t:.2f} s → skip is {t / t256:.1f}× faster")
        out["dense_256_s"] = t
    small = random_model()
    decode(small, 0, 16)
    t48, _ = best_of(lambda: decode(small, 0, 48, skip_empty=False), args.repeat)
    print(f"\ndecode 48³ × 6 channels, untrained 'cpu' preset, every voxel: {t48 * 1e3:.0f} ms "
          f"(goal ≤ 150 ms: {'ok' if t48 <= 0.15 else 'SLOWER'})")
    out["untrained_48_dense_s"] = t48
    fit = ("a saved 1IEP model" if args.model else f"a {out['fit_steps']}-step 1IEP fit")
    out["readme"] = [
        readme_row(f"{n}³ decode of {fit} ({len(model.channels)} channels): skip empty "
                   "space vs every voxel",
                   f"{t_skip:.2f} s vs {t_dense:.2f} s (**{speed:.1f}×**, goal 6×), "
                   f"{100 * info['evaluated']:.0f} % of voxels evaluated at threshold "
                   f"{info['threshold']:.3g}; PSNR {r_skip['psnr']:.2f} vs "
                   f"{r_dense['psnr']:.2f} dB (zero field {r_dense['zero_psnr']:.2f} dB; "
                   f"occupied channels {r_skip['occupied_psnr']:.2f} vs "
                   f"{r_dense['occupied_psnr']:.2f} dB); spurious mass "
                   f"{100 * r_skip['spurious_mass']:.1f} % vs "
                   f"{100 * r_dense['spurious_mass']:.1f} %"),
        readme_row("256³ decode, same model, skip empty space",
                   f"{t256:.2f} s (goal 5 s), {100 * info256['evaluated']:.1f} % of voxels "
                   "evaluated" + (f"; every voxel {out['dense_256_s']:.1f} s"
                                  if args.dense_256 else "")),
        readme_row("48³ decode, untrained \"cpu\" preset (width 128, depth 4), 6 channels, "
                   "every voxel", f"{t48 * 1e3:.0f} ms (goal 150 ms)"),
    ]
    write_result("bench_decode", out, args)

if __name__ == "__main__":
    main()
