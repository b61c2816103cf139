"""Benchmark: where the auto-encoder's decoder gets its capacity (issue 20, step 2).

Decoders are compared by what they can draw at all: each is trained as an auto-decoder
(network and one latent per molecule, jointly) on ``--train`` FreeSolv molecules for the
same number of steps, then frozen, and the latents of ``--test`` held-out molecules are
optimised alone from zero for ``--refine`` steps — the ceiling of "encode, then refine".
Reported per decoder: held-out occupied-channel PSNR over the zero field (the margin that
counts), train margin, seconds per step and per refinement.

Decoders: the shipped shape (modulated SIREN, Mehta amplitudes, a global latent of 128), a
larger global latent, and local latents (`nn.local_siren.LocalSiren`: a G³ grid of F-vectors
steering per-point phase shifts). Grids are 32³ in a 24 Å box in the canonical frame, the
shipped model's channels. Writes ``benchmarks/results/ae_capacity.json``::

    .venv/bin/python benchmarks/ae_capacity.py --steps 1500
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
from _results import readme_row, write_result

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ["H", "C", "N", "O", "F", "P", "S", "Cl", "other"]


def grids(n_train: int, n_test: int, resolution: int, seed: int) -> tuple[np.ndarray, ...]:
    """Normalised ``[M, C, N, N, N]`` grids of FreeSolv molecules (canonical frame)."""
    from napari_molfield.autoencoder.datasets import load_dataset
    from napari_molfield.autoencoder.inputs import field_inputs, normalised_grids

    ds = load_dataset(ROOT / "sample_data" / "freesolv_database.txt", channels=CHANNELS,
                      box_edge=24.0, seed=0)
    rng = np.random.default_rng(seed)
    idx = rng.permutation(len(ds.molecules))[: n_train + n_test]
    mols = [ds.molecules[i] for i in idx]
    inp = field_inputs(mols, CHANNELS, 24.0, 2.0, canonical=True)
    g = normalised_grids(inp, resolution, 2.0).astype(np.float32)
    return g[:n_train], g[n_train:]


def network(kind: str, latent: int, grid: int) -> torch.nn.Module:
    """The decoder of one variant."""
    from napari_molfield.nn.config import ModelConfig
    from napari_molfield.nn.local_siren import LocalSiren
    from napari_molfield.nn.patch_siren import PatchSiren
    from napari_molfield.nn.siren import ModulatedSiren

    if kind == "patch":  # offsets in cell units: lower first frequency, a smaller network
        cfg = ModelConfig(out_channels=len(CHANNELS), latent_dim=latent, width=64, depth=3,
                          w0_first=10.0, w0_hidden=30.0, modulation="shift")
        return PatchSiren(cfg, grid)
    cfg = ModelConfig(out_channels=len(CHANNELS), latent_dim=latent, width=128, depth=4,
                      w0_first=60.0, w0_hidden=30.0,
                      modulation="mehta" if kind == "global" else "shift")
    return LocalSiren(cfg, grid) if kind == "local" else ModulatedSiren(cfg)


def draw(target: torch.Tensor, coords: torch.Tensor, ids: torch.Tensor, points: int,
         gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
    """Half uniform voxels, half voxels where some channel is above 0.05 of its peak."""
    b = len(ids)
    t = target[ids]  # [b, N³, C]
    occ = t.amax(-1) > 0.05
    uni = torch.randint(0, coords.shape[0], (b, points // 2), generator=gen)
    near = torch.stack([torch.nonzero(o).squeeze(1)[torch.randint(
        0, max(int(o.sum()), 1), (points - points // 2,), generator=gen)] for o in occ])
    idx = torch.cat([uni, near], 1)
    return coords[idx], torch.gather(t, 1, idx[..., None].expand(-1, -1, t.shape[-1]))


def margins(net: torch.nn.Module, z: torch.Tensor, target: torch.Tensor,
            coords: torch.Tensor) -> np.ndarray:
    """Occupied-channel PSNR over the zero field, per molecule (dB)."""
    from napari_molfield.fields.metrics import occupied_channels, psnr_from_mse

    out = []
    with torch.no_grad():
        for i in range(len(z)):
            pred = torch.cat([net(coords[None, a : a + 8192], z[i : i + 1])[0]
                              for a in range(0, coords.shape[0], 8192)])
            t = target[i]
            occ = torch.as_tensor(occupied_channels(t.T.numpy()))
            mse = float(((pred - t)[:, occ] ** 2).mean())
            zero = float((t[:, occ] ** 2).mean())
            out.append(psnr_from_mse(mse) - psnr_from_mse(zero))
    return np.array(out)


def run(kind: str, latent: int, grid: int, train: torch.Tensor, test: torch.Tensor,
        coords: torch.Tensor, args: argparse.Namespace) -> dict:
    """Train one decoder as an auto-decoder; refine held-out latents; measure."""
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    net = network(kind, latent, grid)
    z = torch.nn.Parameter(0.01 * torch.randn(len(train), latent, generator=gen))
    opt = torch.optim.Adam([{"params": net.parameters(), "lr": args.lr},
                            {"params": [z], "lr": args.lr_latent}])
    t0 = time.perf_counter()
    for step in range(args.steps):
        lr_f = 0.5 * (1 + np.cos(np.pi * step / args.steps)) * 0.95 + 0.05
        for g, base in zip(opt.param_groups, (args.lr, args.lr_latent), strict=True):
            g["lr"] = base * lr_f
        ids = torch.randint(0, len(train), (args.batch,), generator=gen)
        x, y = draw(train, coords, ids, args.points, gen)
        loss = ((net(x, z[ids]) - y) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    per_step = (time.perf_counter() - t0) / args.steps
    for p in net.parameters():
        p.requires_grad_(False)
    zt = torch.nn.Parameter(torch.zeros(len(test), latent))
    opt = torch.optim.Adam([zt], lr=args.lr_refine)
    t1 = time.perf_counter()
    ids = torch.arange(len(test))
    for _ in range(args.refine):
        x, y = draw(test, coords, ids, args.points, gen)
        loss = ((net(x, zt) - y) ** 2).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    refine_s = (time.perf_counter() - t1) / len(test)
    held = margins(net, zt.detach(), test, coords)
    seen = margins(net, z.detach()[: len(test)], train[: len(test)], coords)
    row = {"decoder": kind, "latent": latent, "grid": grid if kind != "global" else None,
           "held_out_margin": float(held.mean()), "held_out_min": float(held.min()),
           "train_margin": float(seen.mean()), "seconds_per_step": per_step,
           "refine_seconds_per_molecule": refine_s,
           "parameters": sum(p.numel() for p in net.parameters())}
    print(f"{kind:6s} L={latent:5d}{f' G={grid}' if kind != 'global' else '':5s}: held-out "
          f"+{row['held_out_margin']:.1f} dB (min +{row['held_out_min']:.1f}), train "
          f"+{row['train_margin']:.1f} dB, {per_step:.2f} s/step, refine "
          f"{refine_s:.2f} s/molecule (batched)", flush=True)
    return row


def main() -> None:
    """Train each decoder the same number of steps; compare held-out margins."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--train", type=int, default=192)
    ap.add_argument("--test", type=int, default=24)
    ap.add_argument("--resolution", type=int, default=32)
    ap.add_argument("--steps", type=int, default=1500)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--points", type=int, default=2048)
    ap.add_argument("--refine", type=int, default=100)
    ap.add_argument("--lr", type=float, default=3e-4)
    ap.add_argument("--lr-latent", type=float, default=1e-2)
    ap.add_argument("--lr-refine", type=float, default=1e-2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--variants", default="global:128,global:512,local:1024:4,local:1728:6",
                    help="kind:latent[:grid],…")
    args = ap.parse_args()
    torch.set_num_threads(max(1, torch.get_num_threads()))
    from napari_molfield.fields.box import unit_grid

    tr, te = grids(args.train, args.test, args.resolution, args.seed)
    to_pts = lambda g: torch.as_tensor(g).flatten(2).transpose(1, 2).contiguous()  # noqa: E731
    train, test = to_pts(tr), to_pts(te)
    coords = torch.as_tensor(unit_grid(args.resolution), dtype=torch.float32)
    rows = []
    for spec in args.variants.split(","):
        parts = spec.split(":")
        kind, latent = parts[0], int(parts[1])
        grid = int(parts[2]) if len(parts) > 2 else 0
        rows.append(run(kind, latent, grid, train, test, coords, args))
    best = max(rows, key=lambda r: r["held_out_margin"])
    write_result("ae_capacity", {
        "rows": rows, "best": best,
        "readme": [readme_row(
            f"{r['decoder']} latent {r['latent']}"
            + (f" ({r['grid']}³ grid)" if r["grid"] else ""),
            f"held-out +{r['held_out_margin']:.1f} dB after {args.refine} refinement steps "
            f"(train +{r['train_margin']:.1f} dB)") for r in rows],
    }, args=args)


if __name__ == "__main__":
    main()
