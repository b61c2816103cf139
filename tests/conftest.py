"""Session-wide test settings: caches never touch the user's home directory, and the
suite writes nothing into the repository's input folders."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Folders of inputs the tests read: the suite must never write into them (an MDAnalysis
#: offsets cache next to a trajectory once was; copy such inputs to ``tmp_path``).
#: `.ci/run` also requires a clean ``git status`` after the whole suite.
INPUT_DIRS = (ROOT / "tests" / "data", ROOT / "sample_data",
              ROOT / "src" / "napari_molfield" / "data")

_INPUTS = pytest.StashKey[dict[str, tuple[int, int]]]()


def input_files() -> dict[str, tuple[int, int]]:
    """``{path: (size, mtime_ns)}`` of every file in `INPUT_DIRS` (caches excluded)."""
    out = {}
    for folder in INPUT_DIRS:
        for path in folder.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                st = path.stat()
                out[str(path.relative_to(ROOT))] = (st.st_size, st.st_mtime_ns)
    return out


def changed_inputs(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
                   ) -> list[str]:
    """``"added: …"``, ``"removed: …"``, ``"modified: …"`` lines, sorted."""
    lines = [f"added: {p}" for p in after.keys() - before.keys()]
    lines += [f"removed: {p}" for p in before.keys() - after.keys()]
    lines += [f"modified: {p}" for p in before.keys() & after.keys() if before[p] != after[p]]
    return sorted(lines)


def pytest_configure(config: pytest.Config) -> None:
    """Point the conformer cache at a private temporary folder for the whole run."""
    if "MOLFIELD_CACHE" not in os.environ:
        os.environ["MOLFIELD_CACHE"] = tempfile.mkdtemp(prefix="molfield-test-cache-")


def pytest_sessionstart(session: pytest.Session) -> None:
    session.stash[_INPUTS] = input_files()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run when a test wrote into (or deleted from) an input folder."""
    before = session.stash.get(_INPUTS, None)
    if before is None:
        return
    changes = changed_inputs(before, input_files())
    if changes:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        text = "the tests changed the repository's input folders:\n  " + "\n  ".join(changes)
        if reporter is not None:
            reporter.write_line(text, red=True)
        else:
            print(text)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
