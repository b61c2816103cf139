"""Where networks run: device names and CPU threads."""

from __future__ import annotations

import os

import torch

from ..errors import MolfieldError


def pick_device(device: str | torch.device | None = "auto") -> torch.device:
    """``"auto"``/``None`` → CUDA when available, else CPU; other names pass through."""
    if device is None or str(device) == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError):
        raise MolfieldError(
            f"Unknown device {device!r}: use auto, cpu, cuda or cuda:N."
        ) from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise MolfieldError(f"Device {device!r} was asked for, but CUDA is not available here.")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise MolfieldError(
            f"Device {device!r} does not exist: {torch.cuda.device_count()} GPU(s) here."
        )
    return dev


def cpu_threads() -> int:
    """CPU cores this process may use (its affinity where the OS reports one)."""
    affinity = getattr(os, "sched_getaffinity", None)  # Linux only
    if affinity is not None:
        try:
            return max(1, len(affinity(0)))
        except OSError:
            pass
    return max(1, os.cpu_count() or 1)


def prepare_cpu() -> None:
    """Use every allowed core, and flush denormals (Adam's tiny moments are slow ones)."""
    torch.set_num_threads(cpu_threads())
    torch.set_flush_denormal(True)


__all__ = ["cpu_threads", "pick_device", "prepare_cpu"]
