"""Checks shared by everything that makes grids: resolutions and memory."""

from __future__ import annotations

import os

import numpy as np

from ..errors import MolfieldError

#: Largest grid edge any sampler or decoder accepts.
MAX_RESOLUTION = 1024


def check_resolution(
    resolution: object, minimum: int = 1, what: str = "resolution",
    maximum: int | None = MAX_RESOLUTION,
) -> int:
    """``resolution`` as an int in ``[minimum, maximum]``, else one sentence.

    ``maximum=None`` for grids that are decoded in tiles (`decode` with a sub-box).
    """
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)):
        raise MolfieldError(f"The {what} must be an integer ≥ {minimum}, got {resolution!r}.")
    n = int(resolution)
    if n < minimum:
        raise MolfieldError(f"The {what} must be an integer ≥ {minimum}, got {n}.")
    if maximum is not None and n > maximum:
        raise MolfieldError(f"The {what} {n} is above the limit of {maximum}.")
    return n


def available_bytes() -> float:
    """Physical memory available now (8 GiB assumed where the OS does not say)."""
    try:
        return float(os.sysconf("SC_AVPHYS_PAGES")) * float(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, ValueError, OSError):  # not POSIX
        return 8.0 * 2**30


def check_memory(need: float, what: str, advice: str) -> None:
    """Refuse work needing more than half the available memory.

    Parameters
    ----------
    need
        Bytes the work needs.
    what
        What needs them (starts the sentence), e.g. ``"A 9-channel 128³ grid"``.
    advice
        What to do instead, e.g. ``"lower the resolution"``.
    """
    limit = available_bytes() / 2
    if need > limit:
        raise MolfieldError(
            f"{what} needs {need / 2**30:.2f} GiB, more than the {limit / 2**30:.2f} GiB "
            f"allowed (half the available memory); {advice}."
        )


def grid_bytes(n_channels: int, shape: tuple[int, int, int] | int) -> float:
    """Bytes of a float32 ``[C, X, Y, Z]`` grid (``shape`` an edge or three)."""
    x, y, z = (shape,) * 3 if isinstance(shape, (int, np.integer)) else shape
    return 4.0 * n_channels * float(x) * float(y) * float(z)


__all__ = ["MAX_RESOLUTION", "available_bytes", "check_memory", "check_resolution", "grid_bytes"]
