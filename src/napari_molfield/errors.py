"""The one exception type a user can cause."""

from __future__ import annotations


class MolfieldError(Exception):
    """An error caused by user input (a file, a parameter, a checkpoint).

    The message is one sentence meant for the user; the CLI prints it on one line
    and exits with status 2, the napari reader turns it into a notification.
    """
