"""`Interpolator`: slide a modulated SIREN between latents and decode each frame fast.

Built from a network, key latents, their boxes and scales and a support mask — it knows
no model kind (`autodecoder.interpolate.interpolator` and
`autoencoder.interpolate.interpolator` build it from a model)::

    interp = Interpolator(network, latents, boxes, channels, 48, mode="slerp")
    field = interp.field(0.25)          # Field [C, N, N, N], normalised values
    for f in interp.frames(30):         # 30 frames, t = 0 … 1
        ...

The Å box is interpolated as well (centre and edge, linearly): every frame samples the
same ``N³`` grid of the network's ``[-1, 1]³`` frame, so the endpoints reproduce the
decode of the key items exactly, and conformers of one molecule (one shared box) never
move.

What is reused across frames (`Interpolator` builds it once):

* the unit-frame grid coordinates of the voxels (never rebuilt, never re-uploaded);
* the first sine layer (`nn.fast_eval.GridEvaluator`): with ``"mehta"`` modulation it does
  not depend on the latent, so its activations are cached (with ``"shift"`` its latent-free
  pre-activation is cached and each frame adds its shift);
* the support: voxels outside a given mask (e.g. `fields.support.atom_support` of the keys'
  atoms) are not evaluated (set to 0);
* without a mask each frame is decoded coarse-to-fine (`fields.skip.coarse_to_fine`): a
  coarse pass finds where some channel exceeds a threshold and only blocks there are
  evaluated, the rest is 0 (``skip_empty=False``: every voxel);
* per-chunk layer buffers (no allocation per frame besides the output).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.skip import DEFAULT_THRESHOLD, coarse_stride, coarse_to_fine
from ..nn.decoders import FieldDecoder
from ..nn.fast_eval import GridEvaluator, network_device
from .base import FRAME_CHUNK, LatentPath
from .paths import lerp, path_position

#: The first-layer cache is skipped above this many bytes.
MAX_CACHE_BYTES = 512 * 2**20


class Interpolator(LatentPath):
    """Decode frames along a latent path of one modulated SIREN, reusing work.

    Parameters
    ----------
    network
        The modulated SIREN (a `FittedModel`'s ``network`` or an auto-encoder's ``siren``).
    latents
        ``[K, L]`` key latents, ``K ≥ 2``, in path order.
    boxes
        The Å box of each key (one `Box` for all); interpolated linearly along the path.
    channels
        Channel names.
    resolution
        ``N`` voxels per edge.
    mode
        ``"linear"`` or ``"slerp"``.
    names, scales
        Optional per-key names and ``[K, C]`` normalisation scales (for ``Field.meta``).
    support
        Boolean ``[N, N, N]`` mask of the voxels to evaluate (others are 0), or ``None``
        for every voxel (coarse-to-fine with ``skip_empty``).
    chunk_points
        Points per network call.
    meta
        Extra ``Field.meta`` entries (``beta`` …).
    skip_empty
        Without a ``support`` mask, decode each frame coarse-to-fine and leave empty space
        at 0 (`fields.skip.coarse_to_fine`); ``False``: every voxel.
    threshold
        Normalised value at or below which a voxel counts as empty (for ``skip_empty``);
        ``"auto"``: from each frame's coarse pass (`fields.skip.auto_threshold`).
    """

    def __init__(
        self,
        network: FieldDecoder,
        latents: np.ndarray | torch.Tensor,
        boxes: Box | Sequence[Box],
        channels: Sequence[str],
        resolution: int,
        *,
        mode: str = "linear",
        names: Sequence[str] | None = None,
        scales: np.ndarray | None = None,
        support: np.ndarray | None = None,
        chunk_points: int = FRAME_CHUNK,
        meta: dict[str, Any] | None = None,
        skip_empty: bool = True,
        threshold: float | str = DEFAULT_THRESHOLD,
    ) -> None:
        super().__init__(latents, channels, resolution, mode=mode, names=names, meta=meta)
        k = self.n_keys
        if self.keys.shape[1] != network.config.latent_dim:
            raise MolfieldError(
                f"Latents have {self.keys.shape[1]} values; the network needs "
                f"{network.config.latent_dim}."
            )
        if len(self.channels) != network.config.out_channels:
            raise MolfieldError(f"{len(self.channels)} channel names for a network of "
                                f"{network.config.out_channels} channels.")
        self.network = network
        self.boxes = [boxes] * k if isinstance(boxes, Box) else list(boxes)
        if len(self.boxes) != k:
            raise MolfieldError(f"{len(self.boxes)} boxes for {k} latents.")
        self.scales = None if scales is None else np.asarray(scales, dtype=np.float64)
        if self.scales is not None and self.scales.shape != (k, len(self.channels)):
            raise MolfieldError(f"The scales must be [{k}, {len(self.channels)}], got "
                                f"{list(self.scales.shape)}.")
        self.chunk = max(1, int(chunk_points))
        self.device = network_device(network)
        self.coords = self._unit_coords(support, self.device)
        self.skip_empty = bool(skip_empty) and self.index is None
        self.threshold = threshold
        self.stride = coarse_stride(min(b.edge for b in self.boxes) / self.n)
        #: What the last frame evaluated (fraction of the voxels) and, coarse-to-fine, the
        #: threshold it used.
        self.last_evaluated = self.support_fraction
        self.last_threshold: float | None = None
        self._grid = GridEvaluator(network, self.coords, self.chunk, MAX_CACHE_BYTES)
        self._compact = torch.empty((self.coords.shape[0], network.config.out_channels),
                                    dtype=torch.float32, device=self.device)

    # --------------------------------------------------------------------- the path

    def box(self, t: float = 0.0) -> Box:
        """The Å box at ``t`` (centre and edge interpolated linearly)."""
        seg, u = path_position(self.n_keys, t)
        a, b = self.boxes[seg], self.boxes[seg + 1]
        if a == b:
            return a
        return Box(tuple(lerp(a.centre, b.centre, u)), float(lerp(a.edge, b.edge, u)))

    def scale(self, t: float = 0.0) -> np.ndarray | None:
        """The ``[C]`` normalisation scale at ``t`` (linear), if the keys have one."""
        if self.scales is None:
            return None
        seg, u = path_position(self.n_keys, t)
        return lerp(self.scales[seg], self.scales[seg + 1], u)

    # ------------------------------------------------------------------- decoding

    def _decode(self, z: torch.Tensor, out: np.ndarray) -> np.ndarray:
        if self.skip_empty:
            return self._values_skip(z, out)
        compact = self._compact
        with torch.inference_mode():
            weights = self._grid.weights(z)
            for a in range(0, self.coords.shape[0], self.chunk):
                b = min(a + self.chunk, self.coords.shape[0])
                compact[a:b] = self._grid.rows(slice(a, b), weights)
        self.last_evaluated = self.support_fraction
        return self._scatter(compact, out)

    def _values_skip(self, z: torch.Tensor, out: np.ndarray) -> np.ndarray:
        """Coarse-to-fine decode of latent ``z`` ``[1, L]`` into ``out`` ``[C, N, N, N]``."""
        c, n = len(self.channels), self.n
        with torch.inference_mode():
            weights = self._grid.weights(z)

            def at(idx: np.ndarray) -> np.ndarray:
                rows = torch.from_numpy((idx[:, 0] * n + idx[:, 1]) * n + idx[:, 2])
                rows = rows.to(self.device)
                res = torch.empty((len(rows), c), device=self.device)
                for a in range(0, len(rows), self.chunk):
                    res[a : a + self.chunk] = self._grid.rows(rows[a : a + self.chunk],
                                                              weights)
                return res.cpu().numpy()

            vals, stats = coarse_to_fine(at, (n, n, n), c, threshold=self.threshold,
                                         stride=self.stride)
        out[:] = vals
        self.last_evaluated = stats.fraction
        self.last_threshold = stats.threshold
        return out


__all__ = ["MAX_CACHE_BYTES", "Interpolator"]
