"""Session-wide test settings: caches never touch the user's home directory."""

from __future__ import annotations

import os
import tempfile

import pytest


def pytest_configure(config: pytest.Config) -> None:
    """Point the conformer cache at a private temporary folder for the whole run."""
    if "MOLFIELD_CACHE" not in os.environ:
        os.environ["MOLFIELD_CACHE"] = tempfile.mkdtemp(prefix="molfield-test-cache-")
