"""``molfield``: the command line.

Each sub-command lives in its own module and imports what it needs when it runs, so
``molfield --help`` is instant. User errors print one line on stderr and exit with status 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import MolfieldError
from . import atoms, compare, decode, demo, encode, fit, interpolate, sample, train

#: Sub-command modules in the order ``molfield --help`` lists them.
COMMANDS = (sample, fit, decode, atoms, compare, demo, train, encode, interpolate)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``molfield`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except MolfieldError as exc:
        print(f"molfield: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("molfield: interrupted", file=sys.stderr)
        return 130


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    p = argparse.ArgumentParser(
        prog="molfield", description="Molecular neural fields: sample, fit, decode, view."
    )
    sub = p.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add(sub)
    return p
