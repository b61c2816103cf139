"""Latent interpolation: slide between conformers or molecules and decode each frame fast.

A path goes through ``K ≥ 2`` key latents (e.g. the models of an NMR ensemble in order)
and is parametrised by ``t ∈ [0, 1]``: key ``k`` sits at ``t = k / (K - 1)`` and each
segment is interpolated linearly (``"linear"``) or spherically (``"slerp"``)::

    interp = Interpolator.from_model(model, items=[0, 3, 7], resolution=48, mode="slerp")
    field = interp.field(0.25)          # Field [C, N, N, N], normalised values
    for f in interp.frames(30):         # 30 frames, t = 0 … 1
        ...

Spherical interpolation turns the *direction* along the great circle and interpolates
the *norm* linearly, so endpoints of equal norm keep that norm at every ``t``.

The Å box is interpolated as well (centre and edge, linearly): every frame samples the
same ``N³`` grid of the network's ``[-1, 1]³`` frame, so the endpoints reproduce `decode`
of the key items exactly, and conformers of one molecule (one shared box) never move.

What is reused across frames (`Interpolator` builds it once):

* the unit-frame grid coordinates of the voxels (never rebuilt, never re-uploaded);
* the first sine layer: with ``"mehta"`` modulation it does not depend on the latent, so
  its activations are cached (with ``"shift"`` its latent-free pre-activation is cached;
  shift modulations are affine in the latent, so for ``"linear"`` they are exactly the
  interpolation of the endpoint modulations — per frame they cost one tiny matmul);
* the support: voxels farther than a cut-off from every atom of every key item hold
  (analytically) less than ``rel_tol`` of a peak, and are not evaluated (set to 0);
* without atoms (auto-encoder latents, models that store none) each frame is decoded
  coarse-to-fine (`fields.skip.coarse_to_fine`): a coarse pass finds where some channel
  exceeds a threshold and only blocks there are evaluated, the rest is 0
  (``skip_empty=False``: every voxel);
* per-chunk layer buffers (no allocation per frame besides the output).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import torch

from .errors import MolfieldError
from .fields.box import Box, unit_grid
from .fields.field import Field
from .fields.skip import DEFAULT_THRESHOLD, coarse_stride, coarse_to_fine
from .fields.support import atom_support
from .latent_paths import check_mode, frame_times, lerp, path_latent, path_position
from .nn.fast_eval import GridEvaluator

if TYPE_CHECKING:
    from .autodecoder.model import FittedModel
    from .autoencoder.model import AEModel
    from .nn.siren import ModulatedSiren

#: Points per network call while decoding a frame (large: fewer thread-pool barriers).
FRAME_CHUNK = 65536
#: The first-layer cache is skipped above this many bytes.
MAX_CACHE_BYTES = 512 * 2**20


class Interpolator:
    """Decode frames along a latent path on one fixed ``N³`` grid, reusing work.

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
        Optional per-key names and ``[C]`` normalisation scales (for ``Field.meta``).
    support
        Boolean ``[N, N, N]`` mask of the voxels to evaluate (others are 0), or ``None``
        for every voxel.
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
        network: ModulatedSiren,
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
        z = latents.detach().cpu().numpy() if torch.is_tensor(latents) else latents
        self.keys = np.asarray(z, dtype=np.float64)
        k = self.keys.shape[0] if self.keys.ndim == 2 else 0
        if k < 2:
            raise MolfieldError("Interpolation needs at least two items or latents.")
        if self.keys.shape[1] != network.config.latent_dim:
            raise MolfieldError(
                f"Latents have {self.keys.shape[1]} values; the network needs "
                f"{network.config.latent_dim}."
            )
        if isinstance(resolution, bool) or int(resolution) < 1:
            raise MolfieldError(f"The resolution must be an integer ≥ 1, got {resolution!r}.")
        self.network = network
        self.boxes = [boxes] * k if isinstance(boxes, Box) else list(boxes)
        if len(self.boxes) != k:
            raise MolfieldError(f"{len(self.boxes)} boxes for {k} latents.")
        self.channels = tuple(channels)
        self.n = int(resolution)
        self.mode = check_mode(mode)
        self.names = list(names) if names is not None else [f"latent {i}" for i in range(k)]
        self.scales = None if scales is None else np.asarray(scales, dtype=np.float64)
        self.meta = dict(meta or {})
        self.chunk = max(1, int(chunk_points))
        self.device = next(network.parameters()).device
        n = self.n
        if support is not None:
            support = np.asarray(support, dtype=bool)
            if support.shape != (n, n, n):
                raise MolfieldError(f"The support mask must be {n}³, got {support.shape}.")
            self.index: np.ndarray | None = np.flatnonzero(support)
        else:
            self.index = None
        self.skip_empty = bool(skip_empty) and self.index is None
        self.threshold = threshold
        self.stride = coarse_stride(min(b.edge for b in self.boxes) / n)
        # unit-frame voxel centres, built once (identical for every key box)
        grid = unit_grid(n)
        if self.index is not None:
            grid = grid[self.index]
        self.coords = torch.from_numpy(grid.astype(np.float32)).to(self.device)
        #: What the last frame evaluated (fraction of the voxels) and, coarse-to-fine, the
        #: threshold it used.
        self.last_evaluated = self.support_fraction
        self.last_threshold: float | None = None
        self._grid = GridEvaluator(network, self.coords, self.chunk, MAX_CACHE_BYTES)
        self._compact = torch.empty((self.coords.shape[0], network.config.out_channels),
                                    dtype=torch.float32, device=self.device)

    # ------------------------------------------------------------------ constructors

    @classmethod
    def from_model(
        cls,
        model: FittedModel,
        items: Sequence[int | str],
        resolution: int,
        *,
        mode: str = "linear",
        support: str | np.ndarray | None = "atoms",
        chunk_points: int = FRAME_CHUNK,
        skip_empty: bool = True,
    ) -> Interpolator:
        """A path through the latents of ``items`` of an auto-decoder.

        ``support="atoms"`` evaluates only voxels near the stored atoms of the key items
        (when the model stores no atoms: coarse-to-fine, unless ``skip_empty=False``);
        ``"all"``/``None``: every voxel.
        """
        ids = [model.item_index(i) for i in items]
        if len(ids) < 2:
            raise MolfieldError("Pick at least two items to interpolate between.")
        boxes = [model.box(i) for i in ids]
        mask = support if isinstance(support, np.ndarray) else None
        if isinstance(support, str) and support not in ("atoms", "all"):
            raise MolfieldError(f"Unknown support {support!r}: use atoms or all.")
        if support == "atoms" and model.atoms is not None:
            mask = atom_support(boxes, [model.table(i) for i in ids], int(resolution),
                                model.beta)
        return cls(
            model.network, model.latents[ids].detach(), boxes, model.channels, resolution,
            mode=mode, names=[model.items[i]["name"] for i in ids],
            scales=np.stack([model.scale(i) for i in ids]), support=mask,
            chunk_points=chunk_points,
            meta={"beta": model.beta, "items": ids, "normalised": True},
            skip_empty=skip_empty and support == "atoms",
        )

    @classmethod
    def from_autoencoder(
        cls,
        model: AEModel,
        latents: np.ndarray | torch.Tensor,
        resolution: int,
        *,
        mode: str = "linear",
        centre: Sequence[float] = (0.0, 0.0, 0.0),
        names: Sequence[str] | None = None,
        chunk_points: int = FRAME_CHUNK,
        skip_empty: bool = True,
    ) -> Interpolator:
        """A path through raw auto-encoder latents ``[K, L]`` (e.g. `encode_molecules`).

        Frames match `encode.decode_latent` on the shared box centred at ``centre``;
        with ``skip_empty`` (default) they are decoded coarse-to-fine.
        """
        box = Box(tuple(float(c) for c in centre), model.box_edge)
        return cls(model.net.siren, latents, box, model.channels, resolution, mode=mode,
                   names=names, chunk_points=chunk_points, skip_empty=skip_empty,
                   meta={"beta": model.beta, "normalised": True, "source": "autoencoder"})

    # --------------------------------------------------------------------- the path

    @property
    def n_keys(self) -> int:
        """Number of key latents ``K``."""
        return self.keys.shape[0]

    @property
    def key_times(self) -> np.ndarray:
        """``t`` of each key: ``k / (K - 1)``."""
        return np.linspace(0.0, 1.0, self.n_keys)

    @property
    def support_fraction(self) -> float:
        """Fraction of the voxels the network may evaluate (1 with coarse-to-fine frames;
        see ``last_evaluated`` for what the last one did)."""
        return 1.0 if self.index is None else len(self.index) / self.n**3

    def latent(self, t: float) -> np.ndarray:
        """The latent ``[L]`` at ``t``."""
        return path_latent(self.keys, t, self.mode)

    def box(self, t: float) -> Box:
        """The Å box at ``t`` (centre and edge interpolated linearly)."""
        seg, u = path_position(self.n_keys, t)
        a, b = self.boxes[seg], self.boxes[seg + 1]
        if a == b:
            return a
        return Box(tuple(lerp(a.centre, b.centre, u)), float(lerp(a.edge, b.edge, u)))

    def scale(self, t: float) -> np.ndarray | None:
        """The ``[C]`` normalisation scale at ``t`` (linear), if the keys have one."""
        if self.scales is None:
            return None
        seg, u = path_position(self.n_keys, t)
        return lerp(self.scales[seg], self.scales[seg + 1], u)

    # ------------------------------------------------------------------- decoding

    def values(self, t: float, out: np.ndarray | None = None) -> np.ndarray:
        """Normalised values ``[C, N, N, N]`` (float32) at ``t``, written into ``out`` if given."""
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
        if self.skip_empty:
            return self._values_skip(z, out)
        compact = self._compact
        with torch.inference_mode():
            weights = self._grid.weights(z)
            for a in range(0, self.coords.shape[0], self.chunk):
                b = min(a + self.chunk, self.coords.shape[0])
                compact[a:b] = self._grid.rows(slice(a, b), weights)
        flat = out.reshape(c, -1)
        vals = compact.cpu().numpy() if compact.device.type != "cpu" else compact.numpy()
        if self.index is None:
            flat[:] = vals.T
        else:
            flat[:, self.index] = vals.T
        self.last_evaluated = self.support_fraction
        return out

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

    def field(self, t: float) -> Field:
        """The `Field` at ``t`` (placed in the interpolated box)."""
        return self._field(t, self.values(t))

    def frames(self, n_frames: int) -> Iterator[Field]:
        """``n_frames`` fields at evenly spaced ``t`` from 0 to 1."""
        for t in frame_times(n_frames):
            yield self.field(float(t))

    def _field(self, t: float, values: np.ndarray) -> Field:
        box = self.box(t)
        seg, u = path_position(self.n_keys, t)
        meta = {
            **self.meta,
            "kind": "interpolated",
            "t": float(t),
            "mode": self.mode,
            "name": f"{self.names[seg]} → {self.names[seg + 1]} ({u:.2f})",
            "resolution": self.n,
        }
        s = self.scale(t)
        if s is not None:
            meta["scale"] = [float(v) for v in s]
        return Field(values, box.origin(self.n), box.spacing(self.n), self.channels, box=box,
                     meta=meta)


def interpolate_model(
    model: FittedModel,
    items: Sequence[int | str],
    n_frames: int,
    resolution: int,
    *,
    mode: str = "linear",
    support: str | np.ndarray | None = "atoms",
) -> dict[str, Any]:
    """All frames of a path through ``items`` as arrays (what ``molfield interpolate`` saves).

    Returns
    -------
    dict
        ``values`` ``[F, C, N, N, N]`` float32 (normalised), ``t`` ``[F]``, ``origin``
        ``[F, 3]`` and ``spacing`` ``[F]`` (Å; constant for conformers of one molecule),
        ``channels``, ``items``, ``mode``.
    """
    interp = Interpolator.from_model(model, items, resolution, mode=mode, support=support)
    ts = frame_times(n_frames)
    c, n = len(model.channels), interp.n
    values = np.zeros((len(ts), c, n, n, n), np.float32)
    origin = np.zeros((len(ts), 3))
    spacing = np.zeros(len(ts))
    for f, t in enumerate(ts):
        interp.values(float(t), out=values[f])
        box = interp.box(float(t))
        origin[f], spacing[f] = box.origin(n), box.spacing(n)
    return {"values": values, "t": ts, "origin": origin, "spacing": spacing,
            "channels": np.array(model.channels), "items": np.array(interp.meta["items"]),
            "mode": interp.mode}


__all__ = [
    "Interpolator",
    "interpolate_model",
]
