"""`benchmarks/readme_tables.py`: README tables regenerated from results JSON, and
``--check`` catching a stale one. Everything lives in ``tmp_path``: the real
``benchmarks/results`` and README are never read."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _module(name: str):
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCH / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


tables = _module("readme_tables")
results_mod = _module("_results")

README = """# Project

Prose before, with a | pipe.

<!-- bench:fake_bench -->
old table
<!-- /bench:fake_bench -->

Prose after.
"""


@pytest.fixture
def setup(tmp_path, monkeypatch):
    """A README with one bench block and the fake benchmark's JSON, written through
    `write_result` into ``tmp_path/results``."""
    results = tmp_path / "results"
    monkeypatch.setenv(results_mod.ENV_DIR, str(results))
    path = results_mod.write_result("fake_bench", {
        "speed": 5.25, "missing": float("nan"),
        "readme": [results_mod.readme_row("frame time, 48³", "54 ms | 5.1× dense"),
                   results_mod.readme_row("PSNR", "40.7 dB")]}, args={"n": 48})
    assert path == results / "fake_bench.json"
    readme = tmp_path / "README.md"
    readme.write_text(README, encoding="utf-8")
    return readme, results


def _run(readme: Path, results: Path, *extra: str) -> int:
    return tables.main(["--readme", str(readme), "--results", str(results), *extra])


def test_write_result_record(setup):
    _, results = setup
    record = json.loads((results / "fake_bench.json").read_text())
    assert record["benchmark"] == "fake_bench"
    assert set(record) >= {"commit", "date", "machine", "args", "results"}
    assert set(record["machine"]) >= {"cpus", "python", "torch", "platform"}
    assert record["args"] == {"n": 48}
    assert record["results"]["missing"] is None  # strict JSON: nan → null
    assert not list(results.glob(".*"))  # no temporary file left behind


def test_tables_render_between_markers(setup):
    readme, results = setup
    assert _run(readme, results, "--check") == 1  # "old table" is stale
    assert _run(readme, results) == 0
    text = readme.read_text()
    record = json.loads((results / "fake_bench.json").read_text())
    block = text.split("<!-- bench:fake_bench -->\n")[1].split("<!-- /bench:fake_bench -->")[0]
    assert "old table" not in block
    assert f"`{record['commit']}`" in block and record["date"][:10] in block
    assert "| what | result |" in block
    assert "| frame time, 48³ | 54 ms \\| 5.1× dense |" in block
    assert "| PSNR | 40.7 dB |" in block
    # prose outside the markers untouched
    assert text.startswith("# Project\n\nProse before, with a | pipe.\n\n")
    assert text.endswith("<!-- /bench:fake_bench -->\n\nProse after.\n")
    assert _run(readme, results, "--check") == 0
    assert _run(readme, results) == 0 and readme.read_text() == text  # idempotent


def test_check_detects_stale_table(setup):
    readme, results = setup
    _run(readme, results)
    record = json.loads((results / "fake_bench.json").read_text())
    record["results"]["readme"][1]["result"] = "41.0 dB"
    (results / "fake_bench.json").write_text(json.dumps(record))
    before = readme.read_text()
    assert _run(readme, results, "--check") == 1
    assert readme.read_text() == before  # --check writes nothing
    assert _run(readme, results) == 0
    assert "| PSNR | 41.0 dB |" in readme.read_text()


def test_missing_results_and_unclosed_marker(setup):
    readme, results = setup
    readme.write_text(README + "<!-- bench:other -->\nx\n<!-- /bench:other -->\n")
    assert _run(readme, results, "--check") == 1
    assert _run(readme, results) == 2
    readme.write_text(README.replace("<!-- /bench:fake_bench -->", ""))
    assert _run(readme, results, "--check") == 1
