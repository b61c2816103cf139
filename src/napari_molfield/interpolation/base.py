"""`LatentPath`: what every interpolator shares, whatever network decodes its frames.

A path goes through ``K ≥ 2`` key latents; key ``k`` sits at ``t = k / (K - 1)``. Every
interpolator (the plain field's `Interpolator`, the deformable `DeformInterpolator`)
offers the same interface — ``n``, ``channels``, ``names``, ``mode``, ``n_keys``,
``key_times``, ``support_fraction``, ``latent(t)``, ``box(t)``, ``scale(t)``,
``values(t, out)``, ``values_of(latent, out)``, ``field(t)``, ``frames(n)``,
``arrays(times)``, ``moves_atoms``, ``atoms(t)``, ``write_atoms(path, times)`` — and
implements only the decoding of one latent on its grid and its box and scale along the path.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..errors import MolfieldError
from ..fields.box import Box, unit_grid
from ..fields.field import Field
from ..fields.limits import check_memory, check_resolution, grid_bytes
from .paths import check_mode, path_latent, path_position, times_of

#: Points per network call while decoding a frame (large: fewer thread-pool barriers).
FRAME_CHUNK = 65536
#: What `atoms` says on a path whose density fades rather than moves.
NO_ATOMS = ("Only a deformable model moves atoms along its path: recover the atoms of a "
            "frame from its field instead.")


def check_frames_memory(n_frames: int, n_channels: int, resolution: int,
                        what: str = "frames") -> None:
    """Refuse ``n_frames`` float32 ``[C, N, N, N]`` frames held at once when they need more
    than half the available memory (the estimate is in the message).

    Raises
    ------
    MolfieldError
        Naming the frames, channels, grid and GiB.
    """
    n = int(resolution)
    check_memory(
        float(n_frames) * grid_bytes(n_channels, n),
        f"{n_frames} {what} of {n}³ voxels × {n_channels} channels",
        "write fewer frames, lower the resolution, or write a movie (one frame at a time)"
        if n_frames > 1 else "lower the resolution",
    )


class LatentPath:
    """Frames along a latent path on one fixed ``N³`` grid of the network frame.

    Parameters
    ----------
    latents
        ``[K, L]`` key latents, ``K ≥ 2``, in path order.
    channels
        Channel names.
    resolution
        ``N`` voxels per edge.
    mode
        ``"linear"`` or ``"slerp"``.
    names
        Per-key names (default ``latent k``).
    meta
        Extra ``Field.meta`` entries of every frame (``beta`` …).
    """

    #: Whether the path moves atoms (`atoms`, `write_atoms`).
    moves_atoms = False

    def __init__(self, latents: np.ndarray | torch.Tensor, channels: Sequence[str],
                 resolution: int, *, mode: str = "linear", names: Sequence[str] | None = None,
                 meta: dict[str, Any] | None = None) -> None:
        z = latents.detach().cpu().numpy() if torch.is_tensor(latents) else latents
        self.keys = np.asarray(z, dtype=np.float64)
        k = self.keys.shape[0] if self.keys.ndim == 2 else 0
        if k < 2:
            raise MolfieldError("Interpolation needs at least two items or latents.")
        self.n = check_resolution(resolution)
        self.channels = tuple(channels)
        # one frame buffer and the network's output for it
        check_frames_memory(2, len(self.channels), self.n, "buffers of one frame")
        self.mode = check_mode(mode)
        self.names = [str(s) for s in names] if names is not None else [
            f"latent {i}" for i in range(k)]
        if len(self.names) != k:
            raise MolfieldError(f"{len(self.names)} names for {k} keys.")
        self.meta = dict(meta or {})
        #: Flat indices of the voxels evaluated (``None``: every voxel).
        self.index: np.ndarray | None = None

    # --------------------------------------------------------------------- the path

    @property
    def n_keys(self) -> int:
        """Number of keys ``K``."""
        return int(self.keys.shape[0])

    @property
    def key_times(self) -> np.ndarray:
        """``t`` of each key: ``k / (K - 1)``."""
        return np.linspace(0.0, 1.0, self.n_keys)

    @property
    def support_fraction(self) -> float:
        """Fraction of the voxels the network may evaluate."""
        return 1.0 if self.index is None else len(self.index) / self.n**3

    def latent(self, t: float) -> np.ndarray:
        """The latent ``[L]`` (float64) at ``t``."""
        return path_latent(self.keys, t, self.mode)

    def box(self, t: float = 0.0) -> Box:
        """The Å box of the frame at ``t``."""
        raise NotImplementedError

    def scale(self, t: float = 0.0) -> np.ndarray | None:
        """The ``[C]`` normalisation scale at ``t`` (``None`` when the keys have none)."""
        raise NotImplementedError

    # --------------------------------------------------------------------- decoding

    def values(self, t: float, out: np.ndarray | None = None) -> np.ndarray:
        """Normalised values ``[C, N, N, N]`` (float32) at ``t``, into ``out`` if given."""
        return self.values_of(self.latent(t), out)

    def values_of(self, latent: np.ndarray | torch.Tensor, out: np.ndarray | None = None
                  ) -> np.ndarray:
        """Decode any latent ``[L]`` on this grid (the network frame of the path)."""
        c, n = len(self.channels), self.n
        if out is None:
            out = np.zeros((c, n, n, n), np.float32)
        elif out.shape != (c, n, n, n) or out.dtype != np.float32:
            raise MolfieldError(f"out must be float32 {(c, n, n, n)}.")
        elif self.index is not None:
            out.fill(0.0)
        z = torch.as_tensor(np.asarray(latent, dtype=np.float32)).reshape(1, -1)
        if z.shape[1] != self.keys.shape[1]:
            raise MolfieldError(f"A latent of this path has {self.keys.shape[1]} values, "
                                f"got {z.shape[1]}.")
        return self._decode(z, out)

    def _decode(self, z: torch.Tensor, out: np.ndarray) -> np.ndarray:
        """Write the values of latent ``z`` ``[1, L]`` into ``out`` ``[C, N, N, N]``."""
        raise NotImplementedError

    def field(self, t: float) -> Field:
        """The `Field` at ``t`` (placed in the box at ``t``)."""
        box = self.box(t)
        seg, u = path_position(self.n_keys, t)
        meta = {**self.meta, "kind": "interpolated", "t": float(t), "mode": self.mode,
                "name": f"{self.names[seg]} → {self.names[seg + 1]} ({u:.2f})",
                "resolution": self.n}
        s = self.scale(t)
        if s is not None:
            meta["scale"] = [float(v) for v in s]
        return Field(self.values(t), box.origin(self.n), box.spacing(self.n), self.channels,
                     box=box, meta=meta)

    def frames(self, n_frames: int) -> Iterator[Field]:
        """``n_frames`` fields at evenly spaced ``t`` from 0 to 1."""
        for t in times_of(n_frames):
            yield self.field(float(t))

    def arrays(self, times: int | Sequence[float]) -> dict[str, Any]:
        """Every frame at ``times`` (or that many even frames) as arrays, what
        ``molfield interpolate`` saves in ``.npz``.

        Returns
        -------
        dict
            ``values`` ``[F, C, N, N, N]`` float32 (normalised), ``t`` ``[F]``,
            ``origin`` ``[F, 3]`` and ``spacing`` ``[F]`` (Å), ``channels``, ``keys``
            (the key names) and ``mode``.
        """
        ts = times_of(times)
        c, n = len(self.channels), self.n
        check_frames_memory(len(ts), c, n)
        values = np.zeros((len(ts), c, n, n, n), np.float32)
        origin, spacing = np.zeros((len(ts), 3)), np.zeros(len(ts))
        for f, t in enumerate(ts):
            self.values(float(t), out=values[f])
            box = self.box(float(t))
            origin[f], spacing[f] = box.origin(n), box.spacing(n)
        return {"values": values, "t": ts, "origin": origin, "spacing": spacing,
                "channels": np.array(self.channels), "keys": np.array(self.names),
                "mode": np.array(self.mode)}

    # ------------------------------------------------------------------------ atoms

    def atoms(self, t: float) -> np.ndarray:
        """Atoms ``[A, 3]`` (Å) at ``t``: only a path that moves atoms has them."""
        raise MolfieldError(NO_ATOMS)

    def write_atoms(self, path: str | os.PathLike[str], times: int | Sequence[float]
                    ) -> Path:
        """A multi-model PDB of the atoms at ``times``: only a path that moves atoms."""
        raise MolfieldError(NO_ATOMS)

    # ------------------------------------------------------------------------ grids

    def _unit_coords(self, support: np.ndarray | None, device: torch.device) -> torch.Tensor:
        """Sets ``index`` from a boolean ``[N, N, N]`` mask (``None``: every voxel) and
        returns the unit-frame centres of the voxels evaluated, ``[P, 3]`` on ``device``."""
        n = self.n
        if support is not None:
            support = np.asarray(support, dtype=bool)
            if support.shape != (n, n, n):
                raise MolfieldError(f"The support mask must be {n}³, got {support.shape}.")
            self.index = np.flatnonzero(support)
        grid = unit_grid(n)
        if self.index is not None:
            grid = grid[self.index]
        return torch.from_numpy(grid.astype(np.float32)).to(device)

    def _scatter(self, compact: torch.Tensor, out: np.ndarray) -> np.ndarray:
        """Write per-voxel rows ``[P, C]`` of the evaluated voxels into ``out``."""
        vals = compact.cpu().numpy() if compact.device.type != "cpu" else compact.numpy()
        flat = out.reshape(len(self.channels), -1)
        if self.index is None:
            flat[:] = vals.T
        else:
            flat[:, self.index] = vals.T
        return out


__all__ = ["FRAME_CHUNK", "NO_ATOMS", "LatentPath", "check_frames_memory"]
