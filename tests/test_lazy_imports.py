"""Importing the package, the reader and the sample data must not import torch (or Qt)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DATA = Path(__file__).parent / "data"


def _run(code: str) -> str:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=False
    )
    assert out.returncode == 0, out.stderr
    return out.stdout


def test_package_import_is_light():
    out = _run(
        "import sys, napari_molfield as mf\n"
        "mf.Molecule; mf.Box; mf.Field\n"
        "print('torch' in sys.modules, 'qtpy' in sys.modules, 'PyQt6' in sys.modules)"
    )
    assert out.split() == ["False", "False", "False"]


def test_reader_and_sample_data_do_not_import_torch():
    sdf = DATA / "freesolv_mobley_7378987.sdf"
    out = _run(
        "import sys\n"
        "from napari_molfield._napari._reader import get_reader\n"
        "from napari_molfield._napari import _sample_data\n"
        f"layers = get_reader({str(sdf)!r})({str(sdf)!r})\n"
        "layers += _sample_data.freesolv_molecule()\n"
        "assert len(layers) >= 4\n"
        "print('torch' in sys.modules)"
    )
    assert out.split()[-1] == "False"
