"""The GPU check's dry mode runs every step at tiny sizes on the CPU (what CI can run)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_gpu_check_dry_mode(tmp_path):
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1",
           "MOLFIELD_BENCH_RESULTS": str(tmp_path / "results")}  # not benchmarks/results
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--dry"],
        capture_output=True, text=True, timeout=300, cwd=tmp_path, env=env,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    for step in ("CPU kernel (numba)", "torch kernel on cpu", "fit ", "skip_empty=True",
                 "skip_empty=False", "train the auto-encoder", "DDP: 2 processes",
                 "all checks passed"):
        assert step in out, out
    assert "largest difference" in out and "zero field" in out
    assert (tmp_path / "results" / "gpu_check_dry.json").is_file(), out
