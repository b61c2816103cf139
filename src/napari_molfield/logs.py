"""Logging of napari-molfield: a debug log with full tracebacks behind one-line messages.

The library logs to the ``napari_molfield`` logger tree (a `logging.NullHandler` by
default, as libraries should); nothing is printed unless asked:

* ``molfield --debug …`` logs everything at DEBUG on stderr and prints the traceback of
  an error after its one-line message;
* ``MOLFIELD_LOG=/path/to/file`` (the CLI, the widgets, a notebook that calls
  `configure`) appends the same debug log to a file, so the traceback behind a one-line
  napari notification can be read afterwards.
"""

from __future__ import annotations

import logging
import os
import sys

#: The root of every logger of the package.
ROOT = "napari_molfield"
#: Environment variable naming a debug-log file.
LOG_ENV = "MOLFIELD_LOG"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

logging.getLogger(ROOT).addHandler(logging.NullHandler())


def get_logger(name: str) -> logging.Logger:
    """The logger of module ``name`` (pass ``__name__``)."""
    return logging.getLogger(name)


def configure(debug: bool = False, path: str | os.PathLike[str] | None = None) -> None:
    """Send the package's log to stderr (``debug``) and/or to ``path`` (default: the file
    named by ``MOLFIELD_LOG``, if set). Calling it again adds no duplicate handlers."""
    root = logging.getLogger(ROOT)
    path = path if path is not None else os.environ.get(LOG_ENV) or None
    wanted: list[logging.Handler] = []
    if debug:
        wanted.append(logging.StreamHandler(sys.stderr))
    if path:
        wanted.append(logging.FileHandler(os.fspath(path), encoding="utf-8"))
    if not wanted:
        return
    for h in list(root.handlers):
        if getattr(h, "_molfield", False):
            root.removeHandler(h)
            h.close()
    for h in wanted:
        h.setFormatter(logging.Formatter(_FORMAT))
        h._molfield = True  # type: ignore[attr-defined]
        root.addHandler(h)
    root.setLevel(logging.DEBUG)


def log_exception(logger: logging.Logger, exc: BaseException, what: str) -> None:
    """Record ``exc`` with its traceback (DEBUG for a user's mistake, a `MolfieldError`;
    ERROR for anything else)."""
    from .errors import MolfieldError

    level = logging.DEBUG if isinstance(exc, MolfieldError) else logging.ERROR
    logger.log(level, "%s: %s", what, exc, exc_info=(type(exc), exc, exc.__traceback__))


__all__ = ["LOG_ENV", "ROOT", "configure", "get_logger", "log_exception"]
