"""Time `decode`: 48³ (goal ≤ 150 ms) and 128³ (goal ≤ 3 s) of a 6-channel model on CPU.

The network is the "cpu" preset with random weights (decode time does not depend on
training); pass ``--model`` to time a saved checkpoint instead.

Usage::

    python benchmarks/bench_decode.py [--model m.safetensors] [--preset cpu] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import torch

from napari_molfield.autodecoder.checkpoint import load_model
from napari_molfield.autodecoder.config import get_preset
from napari_molfield.autodecoder.decode import decode
from napari_molfield.autodecoder.model import FittedModel
from napari_molfield.fields.box import Box
from napari_molfield.nn.siren import ModulatedSiren

GOALS = {48: 0.150, 128: 3.0}


def random_model(preset: str = "cpu", channels: int = 6) -> FittedModel:
    """An untrained 6-channel model of ``preset`` with one item in a 60 Å box."""
    cfg = replace(get_preset(preset).model, out_channels=channels)
    torch.manual_seed(0)
    net = ModulatedSiren(cfg).eval()
    names = tuple(f"c{i}" for i in range(channels))
    item = {"name": "random", "box": Box((0.0, 0.0, 0.0), 60.0).to_dict(),
            "scale": [1.0] * channels}
    return FittedModel(net, cfg, torch.randn(1, cfg.latent_dim) * 0.01, [item], names,
                       2.0, 32)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", help="a saved checkpoint (default: random 'cpu' preset)")
    ap.add_argument("--preset", default="cpu")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--chunk", type=int, default=None)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    model = load_model(args.model) if args.model else random_model(args.preset)
    kw = {} if args.chunk is None else {"chunk_points": args.chunk}
    print(f"{model}  threads={torch.get_num_threads()}")
    for n, goal in GOALS.items():
        decode(model, 0, min(n, 16), **kw)  # warm-up
        times = []
        for _ in range(args.repeat):
            t = time.perf_counter()
            decode(model, 0, n, **kw)
            times.append(time.perf_counter() - t)
        best = min(times)
        verdict = "ok" if best <= goal else "SLOWER than goal"
        print(f"decode {n}³ × {len(model.channels)} channels: best {best:.3f} s "
              f"(median {sorted(times)[len(times) // 2]:.3f} s; goal ≤ {goal:g} s) {verdict}")


if __name__ == "__main__":
    main()
