"""Numba kernels for Eq. 1 on the CPU: voxel grids and arbitrary points.

Each entry ``e`` (an atom feeding channel ``c`` with weight ``w``) adds

    w · exp(−β (|p − x|² / r² − 1)) = w e^β · gx(p_x) · gy(p_y) · gz(p_z)

to channel ``c``, with the separable 1-D Gaussians ``g(t) = exp(−β (t − x_t)² / r²)``.
Contributions are dropped beyond the per-entry cutoff radius

    d_c = r · sqrt(ln(1/tol) / β),

where a term has fallen to ``tol`` times its value at the centre. Positions are never
snapped to voxels: every voxel-centre distance is exact.

Grid kernel
    Each entry is splatted into the voxels of its cutoff sphere (the z extent of each
    ``(i, j)`` row is cut to the sphere) from three precomputed 1-D Gaussians, so the
    work is the number of atom–voxel pairs inside the cutoff and the innermost loop is a
    contiguous multiply-add along z. The grid is split into x-slabs of about equal work,
    one per thread; a thread zeroes its own slab (so its pages are first touched by the
    thread that writes them) and adds every entry whose window overlaps the slab. No two
    threads write the same voxel, so there are no races and no per-thread buffers.

Point kernel
    Entries are binned into cubic cells no smaller than the largest cutoff; a point sums
    the entries of its 27 neighbouring cells (9 contiguous runs), parallel over points.

Every kernel releases the GIL (``nogil``): a viewer samples fields in a worker thread,
and a kernel holding the GIL would stop its window's event loop for as long as it runs.
"""

from __future__ import annotations

import math
import mmap

import numba
import numpy as np
from numba import njit, prange


def cutoff_radius(radius: np.ndarray, beta: float, tol: float) -> np.ndarray:
    """Per-entry cutoff distance ``r · sqrt(ln(1/tol) / β)``, Å."""
    return np.asarray(radius, dtype=np.float64) * math.sqrt(math.log(1.0 / tol) / beta)


@njit(cache=True, nogil=True)
def _windows(xyz, cut, origin, spacing, n):  # pragma: no cover - compiled
    """Clipped voxel index windows ``[E, 3, 2]`` (inclusive; lo > hi when empty)."""
    e_count = xyz.shape[0]
    win = np.empty((e_count, 3, 2), np.int64)
    for e in range(e_count):
        for d in range(3):
            t = (xyz[e, d] - origin[d]) / spacing
            c = cut[e] / spacing
            lo = math.ceil(t - c)
            hi = math.floor(t + c)
            if lo < 0:
                lo = 0
            if hi > n - 1:
                hi = n - 1
            win[e, d, 0] = lo
            win[e, d, 1] = hi
    return win


@njit(cache=True, nogil=True)
def _slab_bounds(win, n, n_slabs, plane_cost):  # pragma: no cover - compiled
    """Split x-planes ``0..n`` into ``n_slabs`` ranges of about equal work."""
    work = np.full(n, plane_cost, np.float64)
    for e in range(win.shape[0]):
        area = (win[e, 1, 1] - win[e, 1, 0] + 1) * (win[e, 2, 1] - win[e, 2, 0] + 1)
        if area <= 0:
            continue
        for i in range(win[e, 0, 0], win[e, 0, 1] + 1):
            work[i] += area
    total = work.sum()
    bounds = np.empty(n_slabs + 1, np.int64)
    bounds[0] = 0
    acc = 0.0
    s = 1
    for i in range(n):
        acc += work[i]
        while s < n_slabs and acc >= total * s / n_slabs:
            bounds[s] = i + 1
            s += 1
    while s <= n_slabs:
        bounds[s] = n
        s += 1
    return bounds


@njit(cache=True, nogil=True, parallel=True, fastmath=False)
def splat_grid(
    xyz, radius, channel, weight, beta, tol, origin, spacing, out, zero, n_slabs
):  # pragma: no cover - compiled
    """Add Eq. 1 of every entry to ``out`` (``[C, N, N, N]`` float32) in place.

    Parameters
    ----------
    xyz, radius, channel, weight
        Entries: ``[E, 3]`` Å, ``[E]`` Å, ``[E]`` channel index (``< 0`` skipped), ``[E]``.
    beta, tol
        Sharpness β and the relative cutoff tolerance.
    origin, spacing
        Centre of voxel ``(0, 0, 0)`` (``[3]``, Å) and voxel size, Å.
    out
        Output grid; zeroed first when ``zero`` is true (by the thread owning each slab).
    n_slabs
        Number of x-slabs (one per thread is best).
    """
    n = out.shape[1]
    n_ch = out.shape[0]
    e_count = xyz.shape[0]
    lnt = math.log(1.0 / tol) / beta
    cut = np.empty(e_count)
    for e in range(e_count):
        cut[e] = radius[e] * math.sqrt(lnt)
    win = _windows(xyz, cut, origin, spacing, n)
    # live entries sorted by the first x-plane of their window
    keep = np.zeros(e_count, np.bool_)
    wmax = 1
    for e in range(e_count):
        c = channel[e]
        if c < 0 or c >= n_ch or weight[e] == 0.0:
            continue
        ok = True
        for d in range(3):
            if win[e, d, 1] < win[e, d, 0]:
                ok = False
        if ok:
            keep[e] = True
            for d in range(3):
                w = win[e, d, 1] - win[e, d, 0] + 1
                if w > wmax:
                    wmax = w
    live = np.flatnonzero(keep)
    order = live[np.argsort(win[live, 0, 0], kind="mergesort")]
    lo_x = win[order, 0, 0].copy()
    bounds = _slab_bounds(win[order], n, n_slabs, 0.25 * n_ch * n)
    amp_all = np.exp(beta) * weight
    for s in prange(n_slabs):
        x0 = bounds[s]
        x1 = bounds[s + 1]
        if x1 <= x0:
            continue
        if zero:
            for c in range(n_ch):
                for i in range(x0, x1):
                    for j in range(n):
                        for k in range(n):
                            out[c, i, j, k] = 0.0
        gx = np.empty(wmax, np.float32)
        gy = np.empty(wmax, np.float32)
        gz = np.empty(wmax, np.float32)
        dx2 = np.empty(wmax, np.float64)
        dy2 = np.empty(wmax, np.float64)
        first = np.searchsorted(lo_x, x0 - wmax)
        last = np.searchsorted(lo_x, x1)
        for t in range(first, last):
            e = order[t]
            ilo = max(win[e, 0, 0], x0)
            ihi = min(win[e, 0, 1], x1 - 1)
            if ihi < ilo:
                continue
            jlo = win[e, 1, 0]
            jhi = win[e, 1, 1]
            klo = win[e, 2, 0]
            khi = win[e, 2, 1]
            inv = beta / (radius[e] * radius[e])
            ex = xyz[e, 0]
            ey = xyz[e, 1]
            ez = xyz[e, 2]
            for i in range(ilo, ihi + 1):
                d = origin[0] + spacing * i - ex
                dx2[i - ilo] = d * d
                gx[i - ilo] = math.exp(-inv * d * d)
            for j in range(jlo, jhi + 1):
                d = origin[1] + spacing * j - ey
                dy2[j - jlo] = d * d
                gy[j - jlo] = math.exp(-inv * d * d)
            for k in range(klo, khi + 1):
                d = origin[2] + spacing * k - ez
                gz[k - klo] = math.exp(-inv * d * d)
            c = channel[e]
            amp = amp_all[e]
            cut2 = cut[e] * cut[e]
            tz = (ez - origin[2]) / spacing
            for i in range(ilo, ihi + 1):
                a = np.float32(amp * gx[i - ilo])
                rx = cut2 - dx2[i - ilo]
                for j in range(jlo, jhi + 1):
                    rem = rx - dy2[j - jlo]
                    if rem < 0.0:
                        continue
                    hz = math.sqrt(rem) / spacing
                    k0 = max(klo, math.ceil(tz - hz))
                    k1 = min(khi, math.floor(tz + hz))
                    b = a * gy[j - jlo]
                    row = out[c, i, j]
                    for k in range(k0, k1 + 1):
                        row[k] += b * gz[k - klo]
    return out


@njit(cache=True, nogil=True)
def _cell_list(xyz, cut, amp, inv, channel, cell):  # pragma: no cover - compiled
    """Entries sorted into cubic cells of edge ``cell``: packed arrays and run starts."""
    e_count = xyz.shape[0]
    lower = np.empty(3)
    dims = np.empty(3, np.int64)
    for d in range(3):
        lo = xyz[0, d]
        hi = xyz[0, d]
        for e in range(e_count):
            lo = min(lo, xyz[e, d])
            hi = max(hi, xyz[e, d])
        lower[d] = lo
        dims[d] = int((hi - lo) / cell) + 1
    ncell = dims[0] * dims[1] * dims[2]
    idx = np.empty(e_count, np.int64)
    count = np.zeros(ncell + 1, np.int64)
    for e in range(e_count):
        cx = min(int((xyz[e, 0] - lower[0]) / cell), dims[0] - 1)
        cy = min(int((xyz[e, 1] - lower[1]) / cell), dims[1] - 1)
        cz = min(int((xyz[e, 2] - lower[2]) / cell), dims[2] - 1)
        idx[e] = (cx * dims[1] + cy) * dims[2] + cz
        count[idx[e] + 1] += 1
    start = np.cumsum(count)
    fill = start[:-1].copy()
    packed = np.empty((e_count, 6))  # x, y, z, cutoff², amplitude, β/r²
    pch = np.empty(e_count, np.int64)
    for e in range(e_count):
        t = fill[idx[e]]
        fill[idx[e]] += 1
        packed[t, 0] = xyz[e, 0]
        packed[t, 1] = xyz[e, 1]
        packed[t, 2] = xyz[e, 2]
        packed[t, 3] = cut[e] * cut[e]
        packed[t, 4] = amp[e]
        packed[t, 5] = inv[e]
        pch[t] = channel[e]
    return lower, dims, start, packed, pch


@njit(cache=True, nogil=True, parallel=True, fastmath=False)
def eval_points(points, xyz, radius, channel, weight, beta, tol, out):  # pragma: no cover
    """Add Eq. 1 at ``points`` (``[P, 3]`` Å) to ``out`` (``[P, C]`` float32) in place.

    Entries with a channel outside ``0..C-1`` or zero weight are skipped.
    """
    n_ch = out.shape[1]
    keep = np.flatnonzero((channel >= 0) & (channel < n_ch) & (weight != 0.0))
    if keep.size == 0:
        return out
    sx = xyz[keep]
    lnt = math.sqrt(math.log(1.0 / tol) / beta)
    cut = radius[keep] * lnt
    amp = np.exp(beta) * weight[keep]
    inv = beta / (radius[keep] * radius[keep])
    cell = cut.max()
    lower, dims, start, packed, pch = _cell_list(sx, cut, amp, inv, channel[keep], cell)
    nx = dims[0]
    ny = dims[1]
    nz = dims[2]
    for p in prange(points.shape[0]):
        px = points[p, 0]
        py = points[p, 1]
        pz = points[p, 2]
        # cell coordinates, clamped as floats first so far points cannot overflow
        fx = min(max((px - lower[0]) / cell, -2.0), nx + 1.0)
        fy = min(max((py - lower[1]) / cell, -2.0), ny + 1.0)
        fz = min(max((pz - lower[2]) / cell, -2.0), nz + 1.0)
        cx = math.floor(fx)
        cy = math.floor(fy)
        cz = math.floor(fz)
        z0 = max(cz - 1, 0)
        z1 = min(cz + 1, nz - 1)
        if z1 < z0:
            continue
        for ix in range(max(cx - 1, 0), min(cx + 1, nx - 1) + 1):
            for iy in range(max(cy - 1, 0), min(cy + 1, ny - 1) + 1):
                base = (ix * ny + iy) * nz
                for t in range(start[base + z0], start[base + z1 + 1]):
                    dx = px - packed[t, 0]
                    dy = py - packed[t, 1]
                    dz = pz - packed[t, 2]
                    d2 = dx * dx + dy * dy + dz * dz
                    if d2 <= packed[t, 3]:
                        out[p, pch[t]] += np.float32(packed[t, 4] * math.exp(-packed[t, 5] * d2))
    return out


def default_threads() -> int:
    """Threads numba will use for the parallel kernels."""
    return int(numba.get_num_threads())


_HUGE_MIN_BYTES = 4 << 20


def new_grid(shape: tuple[int, ...]) -> tuple[np.ndarray, bool]:
    """A float32 array for a kernel output, and whether it is already zero.

    Large grids come from a fresh anonymous ``mmap`` advised to use transparent huge
    pages: the kernel guarantees zero pages, so the grid kernel need not clear them, and
    they are first touched (faulted in, 2 MiB at a time) by the threads that write them.
    Elsewhere (small grids, no ``madvise``), an uninitialised array that the kernel zeroes.
    """
    nbytes = int(np.prod(shape, dtype=np.int64)) * 4
    if nbytes >= _HUGE_MIN_BYTES and hasattr(mmap, "MADV_HUGEPAGE"):
        try:
            buf = mmap.mmap(-1, nbytes)
            buf.madvise(mmap.MADV_HUGEPAGE)
        except (OSError, ValueError):
            pass
        else:
            return np.frombuffer(buf, dtype=np.float32).reshape(shape), True
    return np.empty(shape, dtype=np.float32), False
