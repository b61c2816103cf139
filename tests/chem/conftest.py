"""Shared fixtures for the chem tests."""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture
def data_dir() -> Path:
    """The tests/data folder with the real input files."""
    return DATA
