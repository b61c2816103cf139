"""Slide a `DeformModel` between conformers: fields that move, and the atoms that move them.

A path goes through ``K ≥ 2`` key conformers (default: every conformer, in data order —
frame by frame along an MD trajectory or an NMR ensemble); key ``k`` sits at
``t = k / (K - 1)`` and the latent follows each segment linearly (or spherically). ::

    interp = DeformInterpolator(model, [0, 1], resolution=48)
    field = interp.field(0.5)            # Field [C, N, N, N], normalised values
    xyz = interp.atoms(0.5)              # [A, 3] Å
    interp.write_atoms("movie.pdb", 24)  # a multi-model PDB of 24 frames

Per frame, only the displacement network sees the new latent: the template's weights,
the first layer of ``D`` (latent-free with ``"mehta"`` modulation) and the unit-frame
grid are built once, and only voxels near the atoms of the keys and of the morphs between
them are evaluated (others are 0). Atoms solve ``x + D(x, z) = x_template``
(`decode.atoms_at`) from the linear morph; the small residual of that solution at the
keys is interpolated along the path, so the keys give back their input atoms exactly.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import torch

from ..chem.elements import vdw_radius
from ..errors import MolfieldError
from ..fields.box import Box, unit_grid
from ..fields.channels import AtomTable
from ..fields.field import Field
from ..fields.support import atom_support
from .decode import atoms_at
from .model import DeformModel
from .pdb import write_models_pdb

FRAME_CHUNK = 65536
#: Morph fractions of every segment whose atoms also widen the support.
SUPPORT_MORPHS = (0.25, 0.5, 0.75)


class DeformInterpolator:
    """Frames of fields and atoms along a latent path of a `DeformModel`.

    Parameters
    ----------
    model
        A fitted deformable model.
    items
        Key conformers in path order (indices or names); default every conformer.
    resolution
        ``N`` voxels per edge (the ensemble's box).
    mode
        ``"linear"`` (what the fit trains for) or ``"slerp"``.
    support
        ``"atoms"`` (voxels near the atoms of the keys and their morphs) or ``"all"``.
    chunk_points
        Points per network call.
    """

    def __init__(self, model: DeformModel, items: Sequence[int | str] | None = None,
                 resolution: int = 48, *, mode: str = "linear", support: str = "atoms",
                 chunk_points: int = FRAME_CHUNK) -> None:
        ids = list(range(model.n_items)) if items is None else [model.item_index(i)
                                                                  for i in items]
        if len(ids) < 2:
            raise MolfieldError("Pick at least two conformers to interpolate between.")
        if isinstance(resolution, bool) or int(resolution) < 1:
            raise MolfieldError(f"The resolution must be an integer ≥ 1, got {resolution!r}.")
        if str(mode).lower() not in ("linear", "lerp", "slerp", "spherical"):
            raise MolfieldError(f"Unknown interpolation mode {mode!r}: use linear or slerp.")
        if support not in ("atoms", "all"):
            raise MolfieldError(f"Unknown support {support!r}: use atoms or all.")
        self.model, self.ids = model, ids
        self.mode = "slerp" if str(mode).lower() in ("slerp", "spherical") else "linear"
        self.n, self.chunk = int(resolution), max(1, int(chunk_points))
        self.channels = model.channels
        self.names = [model.items[i]["name"] for i in ids]
        self.keys = model.latents[ids].detach().cpu().double().numpy()
        self.key_coords = model.coords[ids]
        self.device = model.device
        self.index = None if support == "all" else np.flatnonzero(self._support())
        grid = unit_grid(self.n)
        if self.index is not None:
            grid = grid[self.index]
        self.coords = torch.from_numpy(grid.astype(np.float32)).to(self.device)
        self._build_cache()
        self.residuals = np.stack([c - atoms_at(model, z, start=c)
                                   for c, z in zip(self.key_coords, self.keys, strict=True)])

    # ------------------------------------------------------------------ the path

    @property
    def n_keys(self) -> int:
        """Number of key conformers ``K``."""
        return len(self.ids)

    @property
    def key_times(self) -> np.ndarray:
        """``t`` of each key."""
        return np.linspace(0.0, 1.0, self.n_keys)

    @property
    def support_fraction(self) -> float:
        """Fraction of the voxels evaluated."""
        return 1.0 if self.index is None else len(self.index) / self.n**3

    def position(self, t: float) -> tuple[int, float]:
        """``(segment, local t)`` of ``t ∈ [0, 1]``."""
        s = min(max(float(t), 0.0), 1.0) * (self.n_keys - 1)
        seg = min(math.floor(s), self.n_keys - 2)
        return seg, s - seg

    def latent(self, t: float) -> np.ndarray:
        """The latent ``[L]`` at ``t``."""
        seg, u = self.position(t)
        a, b = self.keys[seg], self.keys[seg + 1]
        if self.mode == "slerp":
            return _slerp(a, b, u)
        return (1.0 - u) * a + u * b

    def box(self, t: float = 0.0) -> Box:
        """The ensemble's `Box` (conformers share it: the frame never moves)."""
        return self.model.region

    def scale(self, t: float = 0.0) -> np.ndarray:
        """The ``[C]`` normalisation scale (shared by every conformer)."""
        return self.model.scale(self.ids[0])

    # ---------------------------------------------------------------- the frames

    def values(self, t: float, out: np.ndarray | None = None) -> np.ndarray:
        """Normalised values ``[C, N, N, N]`` at ``t`` (written into ``out`` if given)."""
        return self.values_of(self.latent(t), out)

    def values_of(self, latent: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Decode any latent ``[L]`` on this grid."""
        c, n = len(self.channels), self.n
        if out is None:
            out = np.zeros((c, n, n, n), np.float32)
        elif out.shape != (c, n, n, n) or out.dtype != np.float32:
            raise MolfieldError(f"out must be float32 {(c, n, n, n)}.")
        elif self.index is not None:
            out.fill(0.0)
        z = torch.as_tensor(np.asarray(latent, dtype=np.float32)).reshape(1, -1).to(self.device)
        net = self.model.network
        with torch.inference_mode():
            warp = [(b[0], w[0].T.contiguous()) for w, b in
                    net.warp.folded(net.warp.modulations(z))]
            for a in range(0, self.coords.shape[0], self.chunk):
                b = min(a + self.chunk, self.coords.shape[0])
                self._compact[a:b] = self._forward(a, b, warp)
        vals = self._compact.cpu().numpy()
        flat = out.reshape(c, -1)
        if self.index is None:
            flat[:] = vals.T
        else:
            flat[:, self.index] = vals.T
        return out

    def field(self, t: float) -> Field:
        """The `Field` at ``t``."""
        n, box = self.n, self.model.region
        seg, u = self.position(t)
        meta = {"kind": "interpolated", "t": float(t), "mode": self.mode, "resolution": n,
                "name": f"{self.names[seg]} → {self.names[seg + 1]} ({u:.2f})",
                "beta": self.model.beta, "normalised": True, "items": self.ids,
                "scale": [float(s) for s in self.scale(t)], "model": "deformable"}
        return Field(self.values(t), box.origin(n), box.spacing(n), self.channels, box=box,
                     meta=meta)

    def atoms(self, t: float) -> np.ndarray:
        """Atoms ``[A, 3]`` (Å) at ``t``; the keys give back their input atoms."""
        seg, u = self.position(t)
        morph = (1.0 - u) * self.key_coords[seg] + u * self.key_coords[seg + 1]
        res = (1.0 - u) * self.residuals[seg] + u * self.residuals[seg + 1]
        return atoms_at(self.model, self.latent(t), start=morph) + res

    def frame(self, t: float) -> tuple[Field, np.ndarray]:
        """The field and the atoms at ``t``."""
        return self.field(t), self.atoms(t)

    def frames(self, n_frames: int) -> Iterator[Field]:
        """``n_frames`` fields at evenly spaced ``t`` from 0 to 1."""
        for t in frame_times(n_frames):
            yield self.field(float(t))

    def write_atoms(self, path: str | os.PathLike[str], times: int | Sequence[float]) -> Path:
        """A multi-model PDB with the atoms at ``times`` (or that many even frames)."""
        ts = frame_times(times) if isinstance(times, (int, np.integer)) else np.asarray(times)
        frames = np.stack([self.atoms(float(t)) for t in ts])
        titles = [f"napari-molfield deformable interpolation t = {t:.4f}" for t in ts]
        return write_models_pdb(path, self.model.atoms, frames, titles)

    # ------------------------------------------------------------- network core

    def _support(self) -> np.ndarray:
        radius = vdw_radius(np.array(self.model.atoms["elements"], dtype=object), strict=False)
        radius = np.where(np.isfinite(radius), radius, 2.0)
        sets = list(self.key_coords)
        for a, b in zip(self.key_coords[:-1], self.key_coords[1:], strict=True):
            sets += [(1 - s) * a + s * b for s in SUPPORT_MORPHS]
        ones = np.ones(len(radius))
        tables = [AtomTable(x, radius, np.zeros(len(radius), np.int32), ones, ("all",))
                  for x in sets]
        return atom_support([self.model.region] * len(sets), tables, self.n, self.model.beta)

    def _build_cache(self) -> None:
        net = self.model.network
        p = self.coords.shape[0]
        self._compact = torch.empty((p, len(self.channels)), dtype=torch.float32,
                                    device=self.device)
        with torch.inference_mode():
            self._template = [(b[0], w[0].T.contiguous())
                              for w, b in net.template.folded(net.template_mods())]
            cfg = net.warp.config
            self._first = None
            if cfg.modulation == "mehta":  # the first sine layer of D sees no latent
                first = net.warp.layers[0]
                self._first = torch.addmm(cfg.w0_first * first.bias, self.coords,
                                          (cfg.w0_first * first.weight).T).sin_()

    def _forward(self, a: int, b: int, warp: list[tuple[torch.Tensor, torch.Tensor]]
                 ) -> torch.Tensor:
        net = self.model.network
        u = self.coords[a:b]
        if self._first is not None:
            h = self._first[a:b]
        else:
            h = torch.addmm(warp[0][0], u, warp[0][1]).sin_()
        for bias, wt in warp[1:-1]:
            h = torch.addmm(bias, h, wt).sin_()
        v = torch.addmm(warp[-1][0], h, warp[-1][1]).add_(u)
        h = v
        for bias, wt in self._template[:-1]:
            h = torch.addmm(bias, h, wt).sin_()
        bias, wt = self._template[-1]
        return net.template.activate(torch.addmm(bias, h, wt))


def frame_times(n_frames: int) -> np.ndarray:
    """``n_frames`` evenly spaced ``t`` from 0 to 1."""
    if isinstance(n_frames, bool) or int(n_frames) < 1:
        raise MolfieldError(f"The number of frames must be ≥ 1, got {n_frames!r}.")
    return np.linspace(0.0, 1.0, int(n_frames)) if n_frames > 1 else np.zeros(1)


def _slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Direction along the great circle, norm linear (as `latent_paths.slerp`, which this
    layer may not import)."""
    na, nb = float(np.linalg.norm(a)), float(np.linalg.norm(b))
    if na < 1e-7 or nb < 1e-7:
        return (1.0 - t) * a + t * b
    omega = math.acos(float(np.clip((a / na) @ (b / nb), -1.0, 1.0)))
    if math.sin(omega) < 1e-6:
        return (1.0 - t) * a + t * b
    direction = (math.sin((1.0 - t) * omega) * a / na + math.sin(t * omega) * b / nb)
    return ((1.0 - t) * na + t * nb) * direction / math.sin(omega)


__all__ = ["DeformInterpolator", "frame_times"]
