"""Sub-commands for the auto-encoder and latent interpolation (``train``, ``encode``, ``interpolate``).

Kept apart from :mod:`napari_molfield.cli` so each stays small; imports stay lazy.
"""

from __future__ import annotations

import argparse


def add_subcommands(sub: argparse._SubParsersAction) -> None:
    """Register the extra sub-commands on the ``molfield`` parser."""
    return None
