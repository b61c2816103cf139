"""A ready GPU check: every CUDA path of the project once, timed, in under 5 minutes.

On a machine with CUDA it

1. samples Eq. 1 of the 1IEP complex at 128³ with the CUDA kernel (`kernels_torch`) and
   the CPU kernel (`kernels_cpu`) and prints both times and their largest difference
   (relative to the channel peak);
2. fits the 1IEP complex ("gpu" preset, ``--fit-seconds``, default 60 s);
3. decodes it at 256³, skipping empty space and densely, and prints the PSNR of both
   against Eq. 1 (with the zero-field baseline and the occupied-channel PSNR);
4. trains the auto-encoder on a FreeSolv subset for ``--train-seconds`` (default 60 s);
5. runs a 2-process DistributedDataParallel training step with NCCL when 2 GPUs exist.

Without CUDA, or with ``--dry``, it runs the same steps at tiny sizes on the CPU (the
torch kernel on the CPU device, 20 fit steps, 3 training steps, and the 2-process step
with gloo); ``tests/test_gpu_check.py`` runs that in CI. Exit status 1 when a check fails.
Each timed step goes to ``benchmarks/results/gpu_check.json`` (``gpu_check_dry.json`` in
the dry mode).

Usage::

    python benchmarks/gpu_check.py            # CUDA: the full check
    python benchmarks/gpu_check.py --dry      # tiny sizes on the CPU
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from _results import readme_row, write_result

ROOT = Path(__file__).resolve().parents[1]
PDB = ROOT / "sample_data" / "1iep.pdb"
FREESOLV = ROOT / "sample_data" / "freesolv_database.txt"
#: Largest CUDA − CPU sampling difference accepted, relative to the channel peak.
KERNEL_TOL = 1e-4
#: ``(label, seconds)`` of every `timed` step, and other numbers worth keeping.
RECORD: dict[str, Any] = {"timings": []}


def sync(device: str) -> None:
    """Wait for the GPU so that wall times are honest."""
    if device.startswith("cuda"):
        torch.cuda.synchronize()


def timed(label: str, fn: Callable[[], Any], device: str) -> Any:
    """Run ``fn``, print its wall time under ``label``, return its result."""
    sync(device)
    t = time.perf_counter()
    out = fn()
    sync(device)
    dt = time.perf_counter() - t
    RECORD["timings"].append({"step": label, "seconds": dt})
    print(f"[{dt:7.2f} s] {label}", flush=True)
    return out


def check_kernels(mol: Any, n: int, device: str) -> bool:
    """Eq. 1 with the torch kernel on ``device`` against the numba kernel."""
    from napari_molfield.fields import kernels_torch
    from napari_molfield.fields.box import Box
    from napari_molfield.fields.channels import ChannelSpec
    from napari_molfield.fields.sample import (
        DEFAULT_BETA,
        DEFAULT_PADDING,
        DEFAULT_TOL,
        channel_peaks,
        sample_table,
    )

    table = ChannelSpec.parse(None).assign(mol)
    box = Box.around(mol.coords, DEFAULT_PADDING)
    used = table.used()
    entries = (np.asarray(used.xyz, np.float64).reshape(-1, 3),
               np.asarray(used.radius, np.float64), np.asarray(used.channel, np.int64),
               np.asarray(used.weight, np.float64))

    def torch_kernel(m: int) -> np.ndarray:  # the CUDA path of `sample_table`, any device
        return kernels_torch.splat_grid(
            *entries, DEFAULT_BETA, DEFAULT_TOL, box.origin(m), box.spacing(m), m,
            table.n_channels, device=device).cpu().numpy()

    sample_table(table, box, 8)  # compile / warm up both
    torch_kernel(8)
    cpu = timed(f"sample {n}³ × {table.n_channels} channels, CPU kernel (numba)",
                lambda: sample_table(table, box, n), "cpu")
    dev = timed(f"sample {n}³ × {table.n_channels} channels, torch kernel on {device}",
                lambda: torch_kernel(n), device)
    peaks = channel_peaks(table)
    err = float((np.abs(dev - cpu) / peaks[:, None, None, None]).max())
    RECORD["kernel_difference"] = err
    ok = err <= KERNEL_TOL
    print(f"    largest difference {err:.2e} of the channel peak "
          f"({'ok' if ok else 'FAILED'}: ≤ {KERNEL_TOL:g})")
    return ok


def check_fit_decode(mol: Any, device: str, dry: bool, seconds: float, n_decode: int) -> bool:
    """Fit the complex, decode it with and without skipping, print PSNRs."""
    from napari_molfield.autodecoder.decode import decode, truth_field
    from napari_molfield.autodecoder.fit import fit_model
    from napari_molfield.fields.metrics import field_report, format_report

    kw = (dict(preset="tiny", resolution=16, steps=20) if dry
          else dict(preset="gpu", resolution=48, steps=10**6, time_budget=seconds))
    model = timed(f"fit {mol.name} ({mol.n_atoms} atoms, {kw['preset']} preset)",
                  lambda: fit_model(mol, seed=0, device=device, **kw), device)
    print(f"    {model.history[-1]['step']} steps, training-grid PSNR "
          f"{model.history[-1]['psnr']:.2f} dB")
    decode(model, 0, 16)  # warm up
    skip = timed(f"decode {n_decode}³, skip_empty=True",
                 lambda: decode(model, 0, n_decode), device)
    dense = timed(f"decode {n_decode}³, skip_empty=False",
                  lambda: decode(model, 0, n_decode, skip_empty=False), device)
    truth = timed(f"Eq. 1 at {n_decode}³ for the PSNR",
                  lambda: truth_field(model, 0, n_decode, device=device).values, device)
    info = skip.meta["skip_empty"]
    for label, f in (("skip ", skip), ("dense", dense)):
        report = field_report(f.values, truth)
        RECORD[f"decode_{label.strip()}"] = dict(report)
        print(f"    {label} {format_report(report)}")
    print(f"    skip evaluated {100 * info['evaluated']:.1f} % of the voxels "
          f"(threshold {info['threshold']:.3g}, stride {info['stride']})")
    return bool(np.isfinite(skip.values).all() and np.isfinite(dense.values).all())


def freesolv_subset(folder: Path, count: int) -> Path:
    """The first ``count`` FreeSolv rows (plus the header) as a file in ``folder``."""
    lines = FREESOLV.read_text().splitlines()
    head = [x for x in lines if x.startswith("#")]
    rows = [x for x in lines if x.strip() and not x.startswith("#")][:count]
    path = folder / "freesolv_subset.txt"
    path.write_text("\n".join(head + rows) + "\n")
    return path


def train_settings(dry: bool, seconds: float, device: str) -> dict[str, Any]:
    """Auto-encoder settings for this mode."""
    if dry:
        return dict(preset="tiny", resolution=16, box_edge=16.0, batch_items=4,
                    batch_points=256, eval_every=1000, eval_items=2, steps=3, seed=0,
                    device=device)
    return dict(preset="gpu", resolution=32, box_edge=20.0, steps=10**6, time_budget=seconds,
                eval_every=200, seed=0, device=device)


def check_train(data: Path, cache: Path, dry: bool, seconds: float, device: str) -> bool:
    """Train the auto-encoder for a while; the loss must be finite."""
    from napari_molfield.autoencoder.train import train

    def run() -> list[Any]:
        return list(train(str(data), cache_dir=cache, **train_settings(dry, seconds, device)))

    steps = timed("train the auto-encoder", run, device)
    last = steps[-1]
    ok = bool(np.isfinite(last.loss))
    print(f"    {last.step + 1} steps, last loss {last.loss:.3g} "
          f"({'ok' if ok else 'FAILED: not finite'})")
    return ok


def _ddp_rank(rank: int, world: int, port: int, data: str, cache: str, device: str) -> None:
    """One rank of the 2-process step (spawned; NCCL on CUDA, gloo on the CPU)."""
    os.environ.update({"MASTER_ADDR": "127.0.0.1", "MASTER_PORT": str(port),
                       "RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank)})
    from napari_molfield.autoencoder.train import train

    settings = {**train_settings(True, 0.0, device), "steps": 2}
    if device == "cuda":
        settings["preset"] = "gpu"
    run = train(data, cache_dir=cache, **settings)
    losses = [p.loss for p in run]
    if not np.isfinite(losses).all():
        raise RuntimeError(f"rank {rank}: losses {losses}")
    run.close()


def check_ddp(data: Path, cache: Path, device: str) -> bool:
    """2 processes × 2 steps of DistributedDataParallel training."""
    import torch.multiprocessing as mp

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = "NCCL" if device == "cuda" else "gloo"
    timed(f"DDP: 2 processes × 2 steps with {backend}",
          lambda: mp.spawn(_ddp_rank, args=(2, port, str(data), str(cache), device),
                           nprocs=2, join=True), "cpu")
    return True


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--dry", action="store_true", help="tiny sizes on the CPU")
    ap.add_argument("--fit-seconds", type=float, default=60.0)
    ap.add_argument("--train-seconds", type=float, default=60.0)
    ap.add_argument("--molecules", type=int, default=128, help="FreeSolv molecules to train on")
    args = ap.parse_args(argv)
    cuda = torch.cuda.is_available()
    dry = args.dry or not cuda
    device = "cpu" if dry else "cuda"
    gpus = torch.cuda.device_count() if cuda else 0
    name = torch.cuda.get_device_name(0) if cuda else "none"
    print(f"torch {torch.__version__}, CUDA {torch.version.cuda}, {gpus} GPU(s) ({name}), "
          f"mode: {'dry (CPU, tiny sizes)' if dry else 'full'}", flush=True)
    from napari_molfield.chem.readers import read_molecules

    t0 = time.perf_counter()
    mol = read_molecules(PDB)[0]
    if dry:
        mol = mol.subset(np.isin(mol.chains, ["A"]) & (mol.coords[0][:, 0] < mol.coords[0][:, 0]
                                                        .min() + 15.0))
    results = {"kernels": check_kernels(mol, 24 if dry else 128, device)}
    results["fit+decode"] = check_fit_decode(mol, device, dry, args.fit_seconds,
                                             24 if dry else 256)
    with tempfile.TemporaryDirectory(prefix="gpu_check_") as tmp:
        data = freesolv_subset(Path(tmp), 8 if dry else args.molecules)
        cache = Path(tmp) / "cache"
        results["train"] = check_train(data, cache, dry, args.train_seconds, device)
        if gpus >= 2 or dry:
            results["ddp"] = check_ddp(data, cache, "cuda" if gpus >= 2 and not dry else "cpu")
        else:
            print("[   skip  ] DDP with NCCL: needs 2 GPUs")
    failed = [k for k, ok in results.items() if not ok]
    total = time.perf_counter() - t0
    print(f"total {total:.1f} s: "
          + ("all checks passed" if not failed else f"FAILED: {', '.join(failed)}"))
    RECORD.update(mode="dry" if dry else "full", gpu=name, gpus=gpus, checks=results,
                  total_s=total)
    RECORD["readme"] = [readme_row(f"{r['step']} ({'dry: CPU, tiny sizes' if dry else name})",
                                   f"{r['seconds']:.2f} s") for r in RECORD["timings"]]
    write_result("gpu_check_dry" if dry else "gpu_check", RECORD, args)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
