"""What every benchmark writes when it ends: one JSON file per benchmark.

``write_result("bench_decode", results, args=args)`` writes
``benchmarks/results/bench_decode.json`` (atomically: a temporary file in the same folder,
then a rename)::

    {"benchmark": "bench_decode",
     "commit": "b8cfb97-dirty",          # git rev-parse --short HEAD, -dirty with changes
     "date": "2026-12-07T03:10:00+00:00",
     "machine": {"cpus": 2, "python": "3.12.3", "torch": "2.5.1+cpu", "platform": "…",
                 "load": [4.6, 7.5, 7.0]},
     "command": "benchmarks/bench_decode.py --fit-seconds 60",
     "args": {"fit_seconds": 60.0, …},
     "results": {…, "readme": [{"what": "…", "result": "…"}, …]}}

``results["readme"]`` (see `readme_row`) holds the rows `readme_tables.py` puts in the
README's table of that benchmark. The environment variable ``MOLFIELD_BENCH_RESULTS``
names another folder (tests use it, so they never touch ``benchmarks/results``).
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Where results go unless ``MOLFIELD_BENCH_RESULTS`` names another folder.
RESULTS_DIR = ROOT / "benchmarks" / "results"
ENV_DIR = "MOLFIELD_BENCH_RESULTS"


def results_dir() -> Path:
    """The folder results are written to (``$MOLFIELD_BENCH_RESULTS`` or ``RESULTS_DIR``)."""
    env = os.environ.get(ENV_DIR)
    return Path(env) if env else RESULTS_DIR


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                             timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


def git_commit() -> str:
    """``git rev-parse --short HEAD``, with ``-dirty`` when the working tree has changes
    (untracked files included, ``benchmarks/results`` itself excluded); ``"unknown"``
    outside a git checkout."""
    head = _git("rev-parse", "--short", "HEAD")
    if not head:
        return "unknown"
    status = _git("status", "--porcelain", "--", ".", ":(exclude)benchmarks/results")
    return f"{head}-dirty" if status else head


def machine() -> dict[str, Any]:
    """CPUs, Python, torch (``None`` when absent), platform and the load average now."""
    try:
        import torch

        torch_version: str | None = str(torch.__version__)
    except ImportError:
        torch_version = None
    try:
        load: list[float] | None = [round(x, 2) for x in os.getloadavg()]
    except OSError:
        load = None
    return {"cpus": os.cpu_count(), "python": platform.python_version(),
            "torch": torch_version, "platform": platform.platform(), "load": load}


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON: mappings (a `FieldReport` too) become dicts, sequences and
    numpy arrays lists, numpy scalars numbers, paths strings, ``nan``/``inf`` ``None``."""
    if isinstance(value, argparse.Namespace):
        value = vars(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (str, bool)) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if hasattr(value, "tolist"):  # numpy arrays and scalars, torch tensors
        return jsonable(value.tolist())
    if isinstance(value, Sequence | set | frozenset):
        return [jsonable(v) for v in value]
    return str(value)


def alternate(fns: Mapping[str, Callable[[], object]], repeat: int, warmup: int = 1
              ) -> dict[str, list[float]]:
    """Wall times (s) of each function over ``repeat`` rounds, the functions taking turns
    within each round (after ``warmup`` untimed rounds), so that a machine whose load
    changes slows them alike and their ratios hold."""
    for _ in range(max(0, warmup)):
        for fn in fns.values():
            fn()
    times: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(max(1, repeat)):
        for k, fn in fns.items():
            t = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t)
    return times


def readme_row(what: str, result: str) -> dict[str, str]:
    """One row of the benchmark's README table (``results["readme"]``)."""
    return {"what": what, "result": result}


def write_result(name: str, results: Mapping[str, Any], args: Any = None) -> Path:
    """Write ``<results_dir>/<name>.json`` atomically and return its path.

    Parameters
    ----------
    name
        The benchmark's name (its script's stem; the README marker ``bench:NAME``).
    results
        What it measured (made JSON-safe by `jsonable`); ``results["readme"]``, a list of
        `readme_row`, is what the README table shows.
    args
        The parsed command-line options (`argparse.Namespace` or a mapping).
    """
    record = {
        "benchmark": name,
        "commit": git_commit(),
        "date": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
        "machine": machine(),
        "command": " ".join(["benchmarks/" + Path(sys.argv[0]).name,
                             *map(shlex.quote, sys.argv[1:])]),
        "args": jsonable(args if args is not None else {}),
        "results": jsonable(results),
    }
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".json", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(record, f, indent=1, ensure_ascii=False, allow_nan=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    print(f"results: {path}")
    return path


__all__ = ["ENV_DIR", "RESULTS_DIR", "alternate", "git_commit", "jsonable", "machine", "readme_row",
           "results_dir", "write_result"]
