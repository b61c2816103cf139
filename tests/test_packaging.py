"""A normal (non-editable) install carries the manifest and sample data napari needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_install_validates_with_npe2(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(wheels), str(ROOT)], check=True,
                   capture_output=True, timeout=600)
    (wheel,) = wheels.glob("napari_molfield-*.whl")
    subprocess.run([*pip, "install", "--no-deps", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=600)
    env = {**os.environ, "PYTHONPATH": str(target)}
    code = (
        "import napari_molfield, npe2\n"
        "from napari_molfield._napari._sample_data import sample_path\n"
        f"assert napari_molfield.__file__.startswith({str(target)!r}), napari_molfield.__file__\n"
        "assert sample_path('1iep.pdb').is_file()\n"
        "m = npe2.PluginManifest.from_distribution('napari-molfield')\n"
        "m.validate_imports()\n"
        "print(m.name)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         cwd=tmp_path, timeout=600, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "napari-molfield"
