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


def _requirement_names(block: str) -> set[str]:
    """Distribution names (normalised) of a TOML list of requirement strings."""
    import re

    names = re.findall(r'"\s*([A-Za-z0-9][A-Za-z0-9._-]*)', block)
    return {re.sub(r"[-_.]+", "-", n).lower() for n in names}


def _declared() -> dict[str, set[str]]:
    """``dependencies`` and each optional group of pyproject.toml, as distribution names."""
    import re

    text = (ROOT / "pyproject.toml").read_text()
    out = {"dependencies": _requirement_names(
        re.search(r"^dependencies = \[(.*?)^\]", text, re.S | re.M).group(1))}
    extras = re.search(r"^\[project\.optional-dependencies\]\n(.*?)^\[", text, re.S | re.M)
    for name, block in re.findall(r"^(\w+) = \[(.*?)\]", extras.group(1), re.S | re.M):
        out[name] = _requirement_names(block)
    return out


def _third_party_imports(paths: list[Path]) -> dict[tuple[str, bool], set[str]]:
    """Top-level modules outside the standard library and this package that ``paths``
    import, keyed by ``(module, lazy)`` (lazy: imported inside a function), with the
    files that do."""
    import ast

    found: dict[tuple[str, bool], set[str]] = {}
    for path in paths:
        tree = ast.parse(path.read_text(), str(path))
        in_function = {id(n) for f in ast.walk(tree)
                       if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                       for n in ast.walk(f)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "napari_molfield":
                    found.setdefault((top, id(node) in in_function), set()).add(path.name)
    return found


def test_every_imported_package_is_declared():
    """What the core imports at module level is in ``dependencies``; what it imports
    inside a function for an optional feature may instead be in an extra (MDAnalysis for
    trajectories, umap-learn for UMAP maps). The napari shell (and `molfield demo`, its
    door) may also use the "napari" extra and what napari itself requires. A package
    that is only there by chance (scipy was, for the core) fails."""
    import re
    from importlib.metadata import packages_distributions, requires

    declared = _declared()
    extras = set().union(*(v for k, v in declared.items()
                           if k not in ("dependencies", "testing")))
    dist_of = packages_distributions()
    src = ROOT / "src" / "napari_molfield"
    shell = sorted([*(src / "_napari").rglob("*.py"), src / "cli" / "demo.py"])
    core = sorted(p for p in src.rglob("*.py") if p not in set(shell))
    napari_needs = {re.sub(r"[-_.]+", "-", re.split(r"[ ;<>=!~\[]", r)[0]).lower()
                    for r in requires("napari") or [] if "extra ==" not in r}
    shell_ok = declared["dependencies"] | declared["napari"] | napari_needs
    missing = []
    for part, files in (("core", core), ("napari shell", shell)):
        for (module, lazy), users in sorted(_third_party_imports(files).items()):
            dists = {re.sub(r"[-_.]+", "-", d).lower() for d in dist_of.get(module, [module])}
            if part == "napari shell":
                ok = shell_ok
            else:
                ok = declared["dependencies"] | (extras if lazy else set())
            if not dists & ok:
                how = "inside a function" if lazy else "at module level"
                missing.append(f"{part}: {module} {how} ({', '.join(sorted(users))})")
    assert not missing, "imported but not declared in pyproject.toml: " + "; ".join(missing)
