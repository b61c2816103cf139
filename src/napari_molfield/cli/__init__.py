"""The ``molfield`` command line: one module per sub-command, shared helpers in `common`."""

from __future__ import annotations

from .main import build_parser, main

__all__ = ["build_parser", "main"]
