"""Learning-rate schedules shared by the auto-decoder fit and the auto-encoder training."""

from __future__ import annotations

import math


def cosine_factor(progress: float, final: float) -> float:
    """Cosine decay from 1 at ``progress = 0`` to ``final`` at ``progress ≥ 1``."""
    p = min(max(float(progress), 0.0), 1.0)
    return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * p))


__all__ = ["cosine_factor"]
