"""The architecture stays as designed: import rules (import-linter contracts in
pyproject.toml), no import cycles, small modules, and a type-checked core."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "napari_molfield"
#: No module grows past this many lines (split it by role instead).
MAX_LINES = 400


def _tool(name: str) -> str:
    exe = shutil.which(name) or str(Path(sys.executable).with_name(name))
    if not Path(exe).exists():
        pytest.fail(f"{name} is not installed: pip install -e '.[testing]'")
    return exe


def test_import_contracts_are_kept():
    out = subprocess.run([_tool("lint-imports"), "--no-cache"], cwd=ROOT, capture_output=True,
                         text=True, check=False)
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "BROKEN" not in out.stdout


def test_contracts_cover_every_top_level_module():
    """A new package or module must be placed in the layers contract (or be a leaf)."""
    text = (ROOT / "pyproject.toml").read_text()
    leaves = {"__init__", "_version", "errors", "logs"}
    for path in sorted(PACKAGE.iterdir()):
        name = path.stem if path.suffix == ".py" else path.name
        if name in leaves or name.startswith("__") or not (path.suffix == ".py" or path.is_dir()):
            continue
        if path.is_dir() and not (path / "__init__.py").exists():
            continue
        assert f'"{name}' in text or f"| {name}" in text or f"{name} |" in text, (
            f"{name} is in no import-linter layer"
        )


def test_modules_stay_small():
    big = {str(p.relative_to(PACKAGE)): n for p in PACKAGE.rglob("*.py")
           if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not big, f"modules over {MAX_LINES} lines: {big}"


def test_core_type_checks():
    """mypy passes on the typed core: the ``files`` of ``[tool.mypy]`` in pyproject.toml
    (chem, fields, nn, autodecoder, latent_paths, errors), with its settings."""
    if importlib.util.find_spec("mypy") is None:
        pytest.fail("mypy is not installed: pip install -e '.[testing]'")
    out = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True,
                         text=True, check=False, timeout=600)
    assert out.returncode == 0, out.stdout[-8000:] + out.stderr[-2000:]
