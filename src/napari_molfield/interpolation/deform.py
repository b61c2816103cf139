"""`DeformInterpolator`: frames of a `DeformNet` along a latent path — fields that move,
and the atoms that move them.

Built from the network, the key latents, the ensemble's box and the keys' atoms (with a
solver for the atoms of any latent) — it knows no model class
(`deform.interpolate.interpolator` builds it from a `DeformModel`)::

    interp = deform.interpolate.interpolator(model, [0, 1], 48)
    field = interp.field(0.5)            # Field [C, N, N, N], normalised values
    xyz = interp.atoms(0.5)              # [A, 3] Å
    interp.write_atoms("movie.pdb", 24)  # a multi-model PDB of 24 frames

Per frame, only the displacement network sees the new latent: the template's folded
weights, the first layer of ``D`` (`nn.fast_eval.GridEvaluator`) and the unit-frame grid
are built once, and only voxels near the atoms of the keys and of the morphs between
them are evaluated (others are 0). Atoms come from the solver (``x + D(x, z) =
x_template``) started at the linear morph; the small residual of that solution at the
keys is interpolated along the path, so the keys give back their input atoms exactly.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..chem.elements import vdw_radius
from ..chem.pdb_models import pdb_models_text
from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.channels import AtomTable
from ..fields.io import atomic_write
from ..fields.support import atom_support
from ..nn.deform_net import DeformNet
from ..nn.fast_eval import GridEvaluator, folded_layers, run_layers
from .base import FRAME_CHUNK, LatentPath
from .field import MAX_CACHE_BYTES
from .paths import check_support, path_position, times_of

#: Morph fractions of every segment whose atoms also widen the support.
SUPPORT_MORPHS = (0.25, 0.5, 0.75)
#: Radius (Å) of an element without a van der Waals radius, for the support.
FALLBACK_RADIUS = 2.0
#: ``(latent [L], start [A, 3] Å) → atoms [A, 3] Å`` whose warp lands on the template.
AtomSolver = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class KeyAtoms:
    """The atoms of a deformable path's keys and how to find them at any latent.

    Attributes
    ----------
    coords
        ``[K, A, 3]`` atoms of the keys (Å), in path order.
    annotations
        Per-atom ``elements``, ``atom_names``, ``residue_names``, ``residue_numbers``,
        ``chains``, ``hetero`` (for PDB output; a `DeformModel`'s ``atoms``).
    solve
        `AtomSolver` of the model (`deform.decode.atoms_at`).
    """

    coords: np.ndarray
    annotations: dict[str, Sequence[Any]]
    solve: AtomSolver


class DeformInterpolator(LatentPath):
    """Frames of fields and atoms along a latent path of a `DeformNet`.

    Parameters
    ----------
    network
        The fitted `DeformNet`.
    latents
        ``[K, L]`` key latents in path order.
    region
        The ensemble's `Box` (conformers share it: the frame never moves).
    channels
        Channel names.
    resolution
        ``N`` voxels per edge.
    atoms
        The keys' `KeyAtoms`.
    scale
        ``[C]`` normalisation scale of the ensemble.
    beta
        Eq. 1 ``β`` (for the support's reach).
    mode
        ``"linear"`` (what the fit trains for) or ``"slerp"``.
    names
        Per-key names.
    support
        ``"atoms"`` (voxels near the atoms of the keys and their morphs) or ``"all"``.
    chunk_points
        Points per network call.
    meta
        Extra ``Field.meta`` entries.
    """

    moves_atoms = True

    def __init__(self, network: DeformNet, latents: np.ndarray | torch.Tensor, region: Box,
                 channels: Sequence[str], resolution: int, atoms: KeyAtoms, *,
                 scale: np.ndarray, beta: float, mode: str = "linear",
                 names: Sequence[str] | None = None, support: str = "atoms",
                 chunk_points: int = FRAME_CHUNK, meta: dict[str, Any] | None = None) -> None:
        super().__init__(latents, channels, resolution, mode=mode, names=names,
                         meta={"beta": float(beta), "normalised": True, **(meta or {})})
        self.network, self.region, self.atoms_of_keys = network, region, atoms
        self.key_coords = np.asarray(atoms.coords, dtype=np.float64)
        if self.key_coords.ndim != 3 or self.key_coords.shape[0] != self.n_keys:
            raise MolfieldError(f"The atoms of {self.n_keys} keys must be [K, A, 3], got "
                                f"{list(self.key_coords.shape)}.")
        self.scales = np.asarray(scale, dtype=np.float64).reshape(-1)
        self.beta, self.chunk = float(beta), max(1, int(chunk_points))
        self.device = next(network.parameters()).device
        mask = self._support() if check_support(support) == "atoms" else None
        self.coords = self._unit_coords(mask, self.device)
        self._build_cache()
        self.residuals = np.stack([c - atoms.solve(z, c)
                                   for c, z in zip(self.key_coords, self.keys, strict=True)])

    # ------------------------------------------------------------------ the path

    def box(self, t: float = 0.0) -> Box:
        """The ensemble's `Box` (the same at every ``t``)."""
        return self.region

    def scale(self, t: float = 0.0) -> np.ndarray:
        """The ``[C]`` normalisation scale (shared by every conformer)."""
        return self.scales

    # ---------------------------------------------------------------- the atoms

    def atoms(self, t: float) -> np.ndarray:
        """Atoms ``[A, 3]`` (Å) at ``t``; the keys give back their input atoms."""
        seg, u = path_position(self.n_keys, t)
        morph = (1.0 - u) * self.key_coords[seg] + u * self.key_coords[seg + 1]
        res = (1.0 - u) * self.residuals[seg] + u * self.residuals[seg + 1]
        return self.atoms_of_keys.solve(self.latent(t), morph) + res

    def write_atoms(self, path: str | os.PathLike[str], times: int | Sequence[float]
                    ) -> Path:
        """A multi-model PDB with the atoms at ``times`` (or that many even frames),
        written atomically."""
        return write_atom_frames(self, path, times)

    # ------------------------------------------------------------- network core

    def _support(self) -> np.ndarray:
        elements = np.array(self.atoms_of_keys.annotations["elements"], dtype=object)
        radius = vdw_radius(elements, strict=False)
        radius = np.where(np.isfinite(radius), radius, FALLBACK_RADIUS)
        sets = list(self.key_coords)
        for a, b in zip(self.key_coords[:-1], self.key_coords[1:], strict=True):
            sets += [(1 - s) * a + s * b for s in SUPPORT_MORPHS]
        ones = np.ones(len(radius))
        tables = [AtomTable(x, radius, np.zeros(len(radius), np.int32), ones, ("all",))
                  for x in sets]
        return atom_support([self.region] * len(sets), tables, self.n, self.beta)

    def _build_cache(self) -> None:
        net, p = self.network, self.coords.shape[0]
        self._compact = torch.empty((p, len(self.channels)), dtype=torch.float32,
                                    device=self.device)
        self._warp = GridEvaluator(net.warp, self.coords, self.chunk, MAX_CACHE_BYTES)
        width = net.template.config.width
        self._bufs = [torch.empty((min(self.chunk, max(p, 1)), width), device=self.device)
                      for _ in range(2)]
        with torch.inference_mode():
            self._template = folded_layers(net.template,
                                           torch.zeros(1, 1, device=self.device))

    def _decode(self, z: torch.Tensor, out: np.ndarray) -> np.ndarray:
        template = self.network.template
        with torch.inference_mode():
            warp = self._warp.weights(z)
            for a in range(0, self.coords.shape[0], self.chunk):
                b = min(a + self.chunk, self.coords.shape[0])
                v = self._warp.rows(slice(a, b), warp).add_(self.coords[a:b])  # u + D(u)
                bufs = [buf[: b - a] for buf in self._bufs]
                self._compact[a:b] = run_layers(template, self._template, v, bufs)
        return self._scatter(self._compact, out)


class AtomPathInterpolator(LatentPath):
    """Frames along a latent path of a model that decodes atoms (the deformable model's
    ``"atoms"`` decoder): each frame is Eq. 1 of the atoms at its latent.

    Parameters
    ----------
    latents, region, channels, resolution, atoms, scale, beta, mode, names, meta
        As for `DeformInterpolator`; ``atoms.solve`` gives the atoms of a latent (its
        start is not needed).
    render
        ``atoms [A, 3] (Å) → [C, N, N, N]`` normalised Eq. 1 of those atoms on the path's
        grid (in ``region``).
    """

    moves_atoms = True

    def __init__(self, latents: np.ndarray | torch.Tensor, region: Box,
                 channels: Sequence[str], resolution: int, atoms: KeyAtoms,
                 render: Callable[[np.ndarray], np.ndarray], *, scale: np.ndarray,
                 beta: float, mode: str = "linear", names: Sequence[str] | None = None,
                 meta: dict[str, Any] | None = None) -> None:
        super().__init__(latents, channels, resolution, mode=mode, names=names,
                         meta={"beta": float(beta), "normalised": True, **(meta or {})})
        self.region, self.atoms_of_keys, self.render = region, atoms, render
        self.key_coords = np.asarray(atoms.coords, dtype=np.float64)
        if self.key_coords.ndim != 3 or self.key_coords.shape[0] != self.n_keys:
            raise MolfieldError(f"The atoms of {self.n_keys} keys must be [K, A, 3], got "
                                f"{list(self.key_coords.shape)}.")
        self.scales = np.asarray(scale, dtype=np.float64).reshape(-1)
        self.residuals = np.stack([c - atoms.solve(z, c)
                                   for c, z in zip(self.key_coords, self.keys, strict=True)])

    def box(self, t: float = 0.0) -> Box:
        """The ensemble's `Box` (the same at every ``t``)."""
        return self.region

    def scale(self, t: float = 0.0) -> np.ndarray:
        """The ``[C]`` normalisation scale (shared by every conformer)."""
        return self.scales

    def atoms(self, t: float) -> np.ndarray:
        """Atoms ``[A, 3]`` (Å) at ``t``; the keys give back their input atoms."""
        seg, u = path_position(self.n_keys, t)
        res = (1.0 - u) * self.residuals[seg] + u * self.residuals[seg + 1]
        return self.atoms_of_keys.solve(self.latent(t), self.key_coords[seg]) + res

    def values(self, t: float, out: np.ndarray | None = None) -> np.ndarray:
        """Eq. 1 ``[C, N, N, N]`` of `atoms` at ``t`` (the frame and its atoms agree)."""
        return self._into(self.render(self.atoms(t)), out)

    def write_atoms(self, path: str | os.PathLike[str], times: int | Sequence[float]
                    ) -> Path:
        """A multi-model PDB with the atoms at ``times`` (or that many even frames),
        written atomically."""
        return write_atom_frames(self, path, times)

    def _decode(self, z: torch.Tensor, out: np.ndarray) -> np.ndarray:
        xyz = self.atoms_of_keys.solve(z[0].double().cpu().numpy(), self.key_coords[0])
        return self._into(self.render(xyz), out)

    def _into(self, values: np.ndarray, out: np.ndarray | None) -> np.ndarray:
        if out is None:
            return np.ascontiguousarray(values, dtype=np.float32)
        out[...] = values
        return out


def write_atom_frames(path_of: DeformInterpolator | AtomPathInterpolator,
                      path: str | os.PathLike[str], times: int | Sequence[float]) -> Path:
    """A multi-model PDB of ``path_of``'s atoms at ``times``, written atomically."""
    path = Path(path)
    if path.suffix.lower() not in (".pdb", ".ent"):
        raise MolfieldError(f"{path.name}: atom frames are written as .pdb.")
    ts = times_of(times)
    frames = np.stack([path_of.atoms(float(t)) for t in ts])
    titles = [f"napari-molfield deformable interpolation t = {t:.4f}" for t in ts]
    text = pdb_models_text(path_of.atoms_of_keys.annotations, frames, titles)

    def write(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    atomic_write(path, write)
    return path


__all__ = ["FALLBACK_RADIUS", "SUPPORT_MORPHS", "AtomPathInterpolator", "AtomSolver",
           "DeformInterpolator", "KeyAtoms", "write_atom_frames"]
