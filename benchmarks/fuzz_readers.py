"""Fuzz every reader with thousands of mutated real files and count what went wrong.

Usage: ``python benchmarks/fuzz_readers.py [-n 5000] [--seed 22] [--jobs 2]
[--timeout 10] [--memory-gb 8] [--napari-every 10] [--cli-every 20]``

The inputs are those of the CI test (`tests/fuzz/harness.py`: seeded mutations of the
files in tests/data — PDB, mmCIF, PQR, PDBQT, GRO, XYZ, SDF, MOL, MOL2, SMILES, MRC/CCP4,
DX, plain and gzip/bzip2/xz), many more of them. Each input runs in a worker process
with an address-space limit; an input that has not finished after ``--timeout`` seconds
is a hang (the worker is killed, even inside C code) and a worker that dies is a crash.
Every ``--napari-every``-th input also goes through the napari reader entry point and
every ``--cli-every``-th molecule file through ``molfield sample … -o out.npz``.

Prints the inputs per format, the outcomes, and every failure (uncaught exception,
multi-line message, hang, crash, partial output, …) with the input that caused it;
exits 1 when there was any.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import multiprocessing.connection as mpc
import resource
import sys
import tempfile
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.fuzz.harness import SEEDS, input_at, load_seeds, run_one

_MAPS = ("mrc", "dx")


def _jobs_of(i: int, fmt: str, napari_every: int, cli_every: int) -> list[str]:
    jobs = ["reader"]
    if napari_every and i % napari_every == 0:
        jobs.append("napari")
    if cli_every and i % cli_every == 0 and fmt not in (*_MAPS, "checkpoint"):
        jobs.append("cli")
    return jobs


def _worker(conn: Any, seed: int, memory_gb: float, workdir: str) -> None:
    """Read inputs by index until told to stop; answer one outcome per (index, via)."""
    if memory_gb:
        limit = int(memory_gb * 2**30)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    warnings.simplefilter("ignore")
    seeds = load_seeds()
    while True:
        msg = conn.recv()
        if msg is None:
            return
        i, via = msg
        inp = input_at(i, seed, seeds)
        out = run_one(inp, Path(workdir) / f"{via}{i}", timeout=None, via=via)
        conn.send((out.status, out.detail, out.seconds))


class Worker:
    """One worker process and its pipe; restarted after a hang or a crash."""

    def __init__(self, seed: int, memory_gb: float, workdir: str) -> None:
        self.args = (seed, memory_gb, workdir)
        self.start()

    def start(self) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker, args=(child, *self.args), daemon=True)
        self.proc.start()

    def stop(self) -> None:
        self.proc.kill()
        self.proc.join()


def run(n: int, seed: int, jobs: int, timeout: float, memory_gb: float,
        napari_every: int, cli_every: int) -> int:
    """Fuzz ``n`` inputs; print the counts; 1 when anything failed."""
    seeds = load_seeds()
    inputs = []  # (format, name, how) of each input; the bytes are made in the workers
    for i in range(n):
        inp = input_at(i, seed, seeds)
        inputs.append((inp.fmt, inp.name, inp.how))
    todo = [(i, via) for i in range(n)
            for via in _jobs_of(i, inputs[i][0], napari_every, cli_every)]
    t0 = time.perf_counter()
    outcomes: Counter[tuple[str, str]] = Counter()
    failures: list[str] = []
    slowest = (0.0, "")
    with tempfile.TemporaryDirectory(prefix="molfield-fuzz-") as workdir:
        workers = [Worker(seed, memory_gb, workdir) for _ in range(jobs)]
        busy: dict[int, tuple[int, str, float]] = {}  # worker → (input, via, started)
        queue = list(reversed(todo))
        while queue or busy:
            for w, worker in enumerate(workers):
                if w not in busy and queue:
                    i, via = queue.pop()
                    worker.conn.send((i, via))
                    busy[w] = (i, via, time.perf_counter())
            mpc.wait([workers[w].conn for w in busy], timeout=0.5)
            for w in list(busy):
                worker, (i, via, started) = workers[w], busy[w]
                _, name, how = inputs[i]
                status = detail = None
                if worker.conn.poll():
                    try:
                        status, detail, seconds = worker.conn.recv()
                    except EOFError:
                        status, detail, seconds = "crash", "the worker died", 0.0
                    if seconds > timeout:
                        status, detail = "hang", f"{seconds:.1f} s"
                    if seconds > slowest[0]:
                        slowest = (seconds, f"{name} [{how}] via {via}")
                elif not worker.proc.is_alive():
                    status, detail = "crash", f"the worker died (exit {worker.proc.exitcode})"
                elif time.perf_counter() - started > timeout:
                    status, detail = "hang", f"over {timeout:g} s"
                if status is None:
                    continue
                if status in ("crash", "hang"):
                    worker.stop()
                    worker.start()
                del busy[w]
                outcomes[(via, status)] += 1
                done = sum(outcomes.values())
                if done % 1000 == 0:
                    print(f"  {done} of {len(todo)} reads, {len(failures)} failures, "
                          f"{time.perf_counter() - t0:.0f} s", file=sys.stderr, flush=True)
                if status not in ("read", "refused"):
                    failures.append(f"#{i} {name} [{how}] via {via}: {status}: {detail}")
        for worker in workers:
            worker.conn.send(None)
            worker.proc.join(timeout=5)
    elapsed = time.perf_counter() - t0
    per_format = Counter(fmt for fmt, _, _ in inputs)
    codecs = Counter(next((c for c in (".gz", ".bz2", ".xz") if name.endswith(c)), "plain")
                     for _, name, _ in inputs)
    n_fail = len(failures)
    print(f"fuzz_readers: {n} inputs (seed {seed}), {len(todo)} reads in {elapsed:.0f} s")
    print("inputs per format: " + ", ".join(f"{f} {per_format[f]}" for f in SEEDS))
    print("compression: " + ", ".join(f"{c} {k}" for c, k in sorted(codecs.items())))
    for via in ("reader", "napari", "cli"):
        row = {s: k for (v, s), k in outcomes.items() if v == via}
        if row:
            print(f"{via:>7}: " + ", ".join(f"{s} {k}" for s, k in sorted(row.items())))
    kinds = Counter(status for (_, status), k in outcomes.items() for _ in range(k))
    partial = kinds["partial_output"] + kinds["side_files"]
    other = n_fail - kinds["uncaught"] - kinds["hang"] - kinds["crash"] - partial
    print(f"uncaught exceptions: {kinds['uncaught']}, hangs (> {timeout:g} s): "
          f"{kinds['hang']}, crashes: {kinds['crash']}, partial outputs: {partial}, "
          f"other failures: {other}")
    print(f"slowest input: {slowest[0]:.2f} s ({slowest[1]})")
    for line in failures[:50]:
        print("  " + line)
    return 1 if n_fail else 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=5000, help="inputs (default 5000)")
    p.add_argument("--seed", type=int, default=22)
    p.add_argument("--jobs", type=int, default=2, help="worker processes")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds before a hang")
    p.add_argument("--memory-gb", type=float, default=8.0,
                   help="address-space limit of a worker (0: none)")
    p.add_argument("--napari-every", type=int, default=10)
    p.add_argument("--cli-every", type=int, default=20)
    a = p.parse_args(argv)
    return run(a.n, a.seed, a.jobs, a.timeout, a.memory_gb, a.napari_every, a.cli_every)


if __name__ == "__main__":
    sys.exit(main())
