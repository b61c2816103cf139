"""Learning-rate schedules shared by the auto-decoder fit and the auto-encoder training."""

from __future__ import annotations

import math
import time

#: Steps of a fit that only its time budget ends ("run for S seconds").
UNLIMITED_STEPS = 10**9


def cosine_factor(progress: float, final: float) -> float:
    """Cosine decay from 1 at ``progress = 0`` to ``final`` at ``progress ≥ 1``."""
    p = min(max(float(progress), 0.0), 1.0)
    return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * p))


def budget_settings(steps: int | None, time_budget: float | None) -> dict[str, float | int]:
    """Fit-config overrides for ``steps`` and ``time_budget``: either or both given; a time
    budget alone (``steps=None``) runs for that long (`UNLIMITED_STEPS`), whatever the
    preset's step count."""
    out: dict[str, float | int] = {}
    if steps is not None:
        out["steps"] = int(steps)
    elif time_budget is not None:
        out["steps"] = UNLIMITED_STEPS
    if time_budget is not None:
        out["time_budget"] = float(time_budget)
    return out


def schedule_progress(step: int, steps: int, time_budget: float | None, elapsed: float,
                      t_train: float) -> float:
    """How far a fit is through its schedule (0 → 1): the larger of its step fraction and,
    with a time budget, the fraction of the training time left after set-up (``t_train``:
    the set-up's seconds; ``elapsed``: seconds so far)."""
    progress = step / max(steps, 1)
    if time_budget is not None:
        progress = max(progress, (elapsed - t_train) / max(time_budget - t_train, 1e-9))
    return progress


class ActiveClock:
    """Seconds a generator has been running, not counting the time it sat at a yield.

    A fit's time budget is training time: while its consumer holds it (a paused widget, a
    preview being decoded, a slow log) the clock stands still, so pausing a 60 s fit for a
    minute still trains for 60 s. Call `hold` just before a ``yield`` and `release` just
    after it.
    """

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self._held = 0.0
        self._since: float | None = None

    def __call__(self) -> float:
        """Running seconds since the clock was made."""
        now = self._since if self._since is not None else time.perf_counter()
        return now - self.start - self._held

    def hold(self) -> None:
        """Stop counting (the generator is about to yield)."""
        if self._since is None:
            self._since = time.perf_counter()

    def release(self) -> None:
        """Count again (the generator was resumed)."""
        if self._since is not None:
            self._held += time.perf_counter() - self._since
            self._since = None


__all__ = ["UNLIMITED_STEPS", "ActiveClock", "budget_settings", "cosine_factor",
           "schedule_progress"]
