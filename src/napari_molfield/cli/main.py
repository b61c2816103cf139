"""``molfield``: the command line.

Each sub-command lives in its own module and imports what it needs when it runs, so
``molfield --help`` is instant. User errors print one line on stderr and exit with status 2;
warnings print as one ``molfield: warning: …`` line; ``--debug`` (or ``MOLFIELD_LOG=FILE``)
keeps the debug log with full tracebacks (`napari_molfield.logs`).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence
from typing import Any

from ..errors import MolfieldError
from ..logs import configure, get_logger, log_exception
from . import atoms, compare, decode, demo, encode, fit, interpolate, landscape, sample, train

log = get_logger(__name__)

#: Sub-command modules in the order ``molfield --help`` lists them.
COMMANDS = (sample, fit, decode, atoms, compare, demo, train, encode, interpolate, landscape)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``molfield`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    debug = bool(getattr(args, "debug", False))
    configure(debug=debug)
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning
        try:
            return int(args.func(args) or 0)
        except MolfieldError as exc:
            log_exception(log, exc, "molfield " + (argv_text(argv)))
            print(f"molfield: error: {exc}", file=sys.stderr)  # --debug: traceback logged
            return 2
        except KeyboardInterrupt:
            print("molfield: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # a bug: one line, the traceback in the debug log
            log_exception(log, exc, "molfield " + (argv_text(argv)))
            if debug:
                raise
            print(f"molfield: internal error: {type(exc).__name__}: {exc} (run with --debug "
                  "for the traceback)", file=sys.stderr)
            return 1


def argv_text(argv: Sequence[str] | None) -> str:
    """The command line, for the log."""
    return " ".join(sys.argv[1:] if argv is None else argv)


def _one_line_warning(message: Warning | str, category: type[Warning], filename: str,
                      lineno: int, file: Any = None, line: str | None = None) -> None:
    """Warnings reach CLI users as ``molfield: warning: …`` (no source line)."""
    log.debug("warning from %s:%s: %s", filename, lineno, message)
    print(f"molfield: warning: {message}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    p = argparse.ArgumentParser(
        prog="molfield", description="Molecular neural fields: sample, fit, decode, view."
    )
    p.add_argument("--debug", action="store_true",
                   help="log every step on stderr and show the traceback of an error")
    sub = p.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add(sub)
    return p
