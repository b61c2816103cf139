"""Fuzzed inputs of every format: a result or one `MolfieldError` line, nothing else.

600 seeded mutations of the real files in tests/data (and of the shipped auto-encoder)
through the library readers (`read_molecules`, `read_map`, `models.load`), every tenth
molecule or map file also through the napari reader entry points, and every twentieth
molecule file through ``molfield sample`` (a failed command leaves no output behind).
``benchmarks/fuzz_readers.py`` runs the same harness on thousands of inputs, and the
checkpoints through the napari reader too.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from .harness import SEEDS, FuzzInput, Outcome, generate, load_seeds, run_one

N_INPUTS = 600
#: Generous: a watchdog for inputs that never finish, not a speed test.
TIMEOUT_S = 60.0

pytestmark = pytest.mark.filterwarnings("ignore")


def _failures(results: list[tuple[FuzzInput, Outcome]]) -> list[str]:
    return [f"{inp.name} [{inp.how}]: {out.status}: {out.detail}"
            for inp, out in results if out.failed]


def test_every_format_has_seeds() -> None:
    seeds = load_seeds()
    assert {s.fmt for s in seeds} == set(SEEDS)
    assert {s.codec for s in seeds} >= {"", ".gz", ".bz2", ".xz"}


def test_generation_is_seeded() -> None:
    a = [(i.name, i.how, i.data) for i in generate(80, seed=3)]
    b = [(i.name, i.how, i.data) for i in generate(80, seed=3)]
    c = [(i.name, i.how, i.data) for i in generate(80, seed=4)]
    assert a == b and a != c


def test_fuzzed_files_read_or_refuse_in_one_line(tmp_path: Path) -> None:
    results: list[tuple[FuzzInput, Outcome]] = []
    per_format: Counter[str] = Counter()
    for k, inp in enumerate(generate(N_INPUTS, seed=22)):
        per_format[inp.fmt] += 1
        results.append((inp, run_one(inp, tmp_path / f"r{k}", timeout=TIMEOUT_S)))
        if k % 10 == 0 and inp.fmt != "checkpoint":
            results.append((inp, run_one(inp, tmp_path / f"n{k}", timeout=TIMEOUT_S,
                                         via="napari")))
        if k % 20 == 0 and inp.fmt not in ("mrc", "dx", "checkpoint"):
            results.append((inp, run_one(inp, tmp_path / f"c{k}", timeout=TIMEOUT_S,
                                         via="cli")))
    assert min(per_format.values()) >= N_INPUTS // (2 * len(SEEDS))
    assert _failures(results) == []
    statuses = Counter(out.status for _, out in results)
    # the mutations reach both outcomes: some damage is refused, some is read
    assert statuses["read"] > 50 and statuses["refused"] > 50
    originals = [out.status for inp, out in results if inp.how == "original"]
    assert set(originals) == {"read"}  # every seed, EMD-3001's oblique cell included
