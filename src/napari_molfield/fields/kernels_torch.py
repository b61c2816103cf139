"""Torch kernels for Eq. 1 (used for ``device != "cpu"``, e.g. CUDA).

The same operations and cutoff as `kernels_cpu`, vectorised:

* grid: each entry's cutoff window is a ``W³`` block (``W`` the widest window) built as the
  outer product of three 1-D Gaussians, masked to the cutoff sphere and the grid, and
  added with ``index_add_`` into the flattened ``[C·N³]`` output; entries are processed in
  chunks so a chunk holds at most ``chunk`` window voxels;
* points: all (point, entry) pairs of a chunk of points, masked by the cutoff, reduced to
  channels by a matrix product with the one-hot ``[E, C]`` weight matrix.

Distances are formed from small float64 offsets computed on the host, so float32 on the
device loses no precision to large absolute coordinates. This module is only imported when
a torch device is requested.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from ..errors import MolfieldError


def resolve_device(device: str | torch.device) -> torch.device:
    """The torch device, or a `MolfieldError` when it is unavailable."""
    try:
        dev = torch.device(device)
    except (RuntimeError, TypeError) as exc:
        raise MolfieldError(f"Unknown device {device!r}.") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise MolfieldError(f"Device {device!r} was requested but CUDA is not available.")
    return dev


def _live(channel: np.ndarray, weight: np.ndarray, n_channels: int) -> np.ndarray:
    return np.flatnonzero((channel >= 0) & (channel < n_channels) & (weight != 0))


def splat_grid(
    xyz: np.ndarray,
    radius: np.ndarray,
    channel: np.ndarray,
    weight: np.ndarray,
    beta: float,
    tol: float,
    origin: np.ndarray,
    spacing: float,
    n: int,
    n_channels: int,
    *,
    device: str | torch.device = "cpu",
    chunk: int = 1 << 24,
) -> torch.Tensor:
    """Eq. 1 of the entries on the ``n³`` grid; ``[C, N, N, N]`` float32 on ``device``."""
    dev = resolve_device(device)
    total = n_channels * n**3
    out = torch.zeros(total + 1, dtype=torch.float32, device=dev)  # last slot: discarded
    live = _live(channel, weight, n_channels)
    if live.size == 0:
        return out[:total].view(n_channels, n, n, n)
    xyz, radius = xyz[live], radius[live]
    channel, weight = channel[live], weight[live]
    cut = radius * math.sqrt(math.log(1.0 / tol) / beta)
    t = (xyz - np.asarray(origin)[None]) / spacing  # grid coordinates [E, 3]
    lo = np.ceil(t - (cut / spacing)[:, None]).astype(np.int64)
    width = int((np.floor(t + (cut / spacing)[:, None]) - lo).max()) + 1
    width = max(width, 1)
    delta = lo - t  # offset of the window's first voxel, in voxels
    per = max(1, chunk // width**3)
    ar = torch.arange(width, device=dev)
    for s in range(0, live.size, per):
        sl = slice(s, s + per)
        lo_t = torch.as_tensor(lo[sl], device=dev)  # [e, 3]
        d = (ar[None, None, :] + torch.as_tensor(delta[sl], dtype=torch.float32, device=dev)
             [:, :, None]) * spacing  # [e, 3, W] Å
        inv = torch.as_tensor(beta / radius[sl] ** 2, dtype=torch.float32, device=dev)
        g = torch.exp(-inv[:, None, None] * d * d)
        idx = lo_t[:, :, None] + ar  # [e, 3, W]
        inside = (idx >= 0) & (idx < n)
        d2 = (d[:, 0, :, None, None] ** 2 + d[:, 1, None, :, None] ** 2
              + d[:, 2, None, None, :] ** 2)
        cut2 = torch.as_tensor(cut[sl] ** 2, dtype=torch.float32, device=dev)
        mask = (
            (d2 <= cut2[:, None, None, None])
            & inside[:, 0, :, None, None] & inside[:, 1, None, :, None]
            & inside[:, 2, None, None, :]
        )
        amp = torch.as_tensor(math.exp(beta) * weight[sl], dtype=torch.float32, device=dev)
        vals = (amp[:, None, None, None] * g[:, 0, :, None, None]
                * g[:, 1, None, :, None] * g[:, 2, None, None, :])
        ch = torch.as_tensor(channel[sl], device=dev)
        flat = (ch[:, None, None, None] * n**3 + idx[:, 0, :, None, None] * n * n
                + idx[:, 1, None, :, None] * n + idx[:, 2, None, None, :])
        flat = torch.where(mask, flat, torch.full_like(flat, total))
        out.index_add_(0, flat.reshape(-1), torch.where(mask, vals, 0.0).reshape(-1))
    return out[:total].view(n_channels, n, n, n)


def eval_points(
    points: np.ndarray,
    xyz: np.ndarray,
    radius: np.ndarray,
    channel: np.ndarray,
    weight: np.ndarray,
    beta: float,
    tol: float,
    n_channels: int,
    *,
    device: str | torch.device = "cpu",
    chunk: int = 1 << 22,
) -> torch.Tensor:
    """Eq. 1 at ``points`` (``[P, 3]`` Å); ``[P, C]`` float32 on ``device``."""
    dev = resolve_device(device)
    p_count = points.shape[0]
    out = torch.zeros(p_count, n_channels, dtype=torch.float32, device=dev)
    live = _live(channel, weight, n_channels)
    if live.size == 0 or p_count == 0:
        return out
    centre = xyz[live].mean(axis=0)
    ex = torch.as_tensor(xyz[live] - centre, dtype=torch.float32, device=dev)
    cut2 = torch.as_tensor(
        radius[live] ** 2 * (math.log(1.0 / tol) / beta), dtype=torch.float32, device=dev
    )
    inv = torch.as_tensor(beta / radius[live] ** 2, dtype=torch.float32, device=dev)
    onehot = torch.zeros(live.size, n_channels, dtype=torch.float32, device=dev)
    onehot[torch.arange(live.size, device=dev), torch.as_tensor(channel[live], device=dev)] = (
        torch.as_tensor(math.exp(beta) * weight[live], dtype=torch.float32, device=dev)
    )
    per = max(1, chunk // live.size)
    for s in range(0, p_count, per):
        p = torch.as_tensor(points[s : s + per] - centre, dtype=torch.float32, device=dev)
        d2 = (p[:, 0, None] - ex[:, 0]) ** 2  # [p, E]
        d2 += (p[:, 1, None] - ex[:, 1]) ** 2
        d2 += (p[:, 2, None] - ex[:, 2]) ** 2
        g = torch.where(d2 <= cut2, torch.exp(-inv * d2), 0.0)
        out[s : s + per] = g @ onehot
    return out
