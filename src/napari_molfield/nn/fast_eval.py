"""`FoldedEvaluator`: one latent's field at many points, as fast as plain torch allows.

`ModulatedSiren.forward_modulated` is general (a batch of latents, autograd). To decode one
latent on a grid, the modulations are folded into the weights once
(`ModulatedSiren.folded`) and every chunk of points runs ``addmm`` into two reused
buffers with in-place sines: no allocation per layer, no batched matmul. The values are
those of `forward_modulated` up to float round-off.

Local decoders (`decoders.is_local`: modulations that vary in space) have nothing to fold:
both evaluators then compute the modulations once per latent and run
`forward_modulated` chunk by chunk (in smaller chunks: each point reads 8 nodes).
"""

from __future__ import annotations

import numpy as np
import torch

from .atom_slots import AtomSlots, slot_values
from .decoders import FieldDecoder, is_local
from .siren import ModulatedSiren

#: Points per network call (large: fewer thread-pool barriers; 32 MiB of buffers at width 128).
EVAL_CHUNK = 65536
#: Points per call of a local decoder (its activations are 8 × points × width).
LOCAL_CHUNK = 8192

#: What an evaluator keeps of one latent: folded ``(bias, weightᵀ)`` layers (global
#: decoders) or the modulations tensor (local decoders).
Weights = list[tuple[torch.Tensor, torch.Tensor]] | torch.Tensor


def network_device(network: torch.nn.Module) -> torch.device:
    """Where a decoder lives (by its parameters, or its buffers: `AtomSlots` has no
    weights)."""
    for t in (*network.parameters(), *network.buffers()):
        return t.device
    return torch.device("cpu")


def local_rows(network: FieldDecoder, mods: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
    """Values ``[P, C]`` of a local decoder at unit-frame ``coords`` ``[P, 3]``."""
    if isinstance(network, AtomSlots):  # Eq. 1 itself: the compiled samplers
        return slot_values(network, mods, coords)[0]
    out = torch.empty((coords.shape[0], network.config.out_channels), device=coords.device)
    for a in range(0, coords.shape[0], LOCAL_CHUNK):
        out[a : a + LOCAL_CHUNK] = network.forward_modulated(
            coords[None, a : a + LOCAL_CHUNK], mods)[0]
    return out


def folded_layers(network: ModulatedSiren, z: torch.Tensor
                  ) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per-layer ``(bias, weightᵀ)`` of one latent ``z`` ``[1, L]``, modulations folded in."""
    return [(bias[0].contiguous(), weight[0].T.contiguous())
            for weight, bias in network.folded(network.modulations(z))]


def run_layers(network: ModulatedSiren, layers: list[tuple[torch.Tensor, torch.Tensor]],
               h: torch.Tensor, bufs: list[torch.Tensor], start: int = 0) -> torch.Tensor:
    """Apply sine layers ``layers[start:-1]`` to ``h`` (into the two reused ``bufs``), then
    the output layer and its activation: ``[P, C]``."""
    for k, (bias, wt) in enumerate(layers[start:-1], start=start):
        h = torch.addmm(bias, h, wt, out=bufs[k % 2]).sin_()
    bias, wt = layers[-1]
    return network.activate(torch.addmm(bias, h, wt))


class GridEvaluator:
    """One fixed set of unit-frame points decoded for many latents (interpolation frames).

    The first sine layer does not depend on the latent with ``"mehta"`` modulation, so its
    activations are computed once and reused (with ``"shift"`` its latent-free
    pre-activation is cached and each latent adds its shift); above ``max_cache_bytes``
    nothing is cached.

    Parameters
    ----------
    network
        The modulated SIREN.
    coords
        ``[P, 3]`` unit-frame points (float32, on the network's device).
    chunk
        Points per call.
    max_cache_bytes
        Largest first-layer cache kept.
    """

    def __init__(self, network: FieldDecoder, coords: torch.Tensor, chunk: int = EVAL_CHUNK,
                 max_cache_bytes: int = 512 * 2**20) -> None:
        cfg = network.config
        self.network, self.coords, self.chunk = network, coords, max(1, int(chunk))
        self.local = is_local(network)
        self.device = coords.device
        self.mehta = getattr(cfg, "modulation", "") == "mehta"
        p = coords.shape[0]
        self._first: torch.Tensor | None = None
        if self.local:  # nothing to fold or cache: each call gathers the modulations
            return
        assert isinstance(network, ModulatedSiren)
        cfg = network.config
        self._bufs = [torch.empty((min(self.chunk, max(p, 1)), cfg.width), device=self.device)
                      for _ in range(2)]
        first = network.sine_layers[0]
        self._first_bias = cfg.w0_first * first.bias
        if p * cfg.width * 4 <= max_cache_bytes:
            with torch.inference_mode():
                pre = torch.addmm(self._first_bias, coords, (cfg.w0_first * first.weight).T)
                self._first = pre.sin_() if self.mehta else pre

    def weights(self, z: torch.Tensor) -> Weights:
        """The folded layers (or local modulations) of latent ``z`` ``[1, L]`` (once a frame)."""
        if self.local:
            return self.network.modulations(z.to(self.device))
        assert isinstance(self.network, ModulatedSiren)
        return folded_layers(self.network, z.to(self.device))

    def rows(self, sel: slice | torch.Tensor, layers: Weights) -> torch.Tensor:
        """Values ``[P', C]`` at the points ``sel`` (a slice or flat indices, ≤ ``chunk``)."""
        if isinstance(layers, torch.Tensor):
            return local_rows(self.network, layers, self.coords[sel])
        assert isinstance(self.network, ModulatedSiren)
        first = self._first
        n = (sel.stop - sel.start) if isinstance(sel, slice) else len(sel)
        bufs = [b[:n] for b in self._bufs]
        if first is not None and self.mehta:
            h = first[sel]
        elif first is not None:  # shift: cached pre-activation + this latent's shift
            h = torch.add(first[sel], layers[0][0] - self._first_bias, out=bufs[0]).sin_()
        else:
            bias, wt = layers[0]
            h = torch.addmm(bias, self.coords[sel], wt, out=bufs[0]).sin_()
        return run_layers(self.network, layers, h, bufs, start=1)


class FoldedEvaluator:
    """Evaluate ``network`` for one latent at unit-frame points, chunk by chunk.

    Parameters
    ----------
    network
        The modulated SIREN.
    latent
        ``[L]`` (or ``[1, L]``) latent code.
    chunk
        Points per network call.
    device
        Where to compute (default: where the network is).
    """

    def __init__(self, network: FieldDecoder, latent: torch.Tensor | np.ndarray,
                 chunk: int = EVAL_CHUNK, device: torch.device | str | None = None) -> None:
        self.network = network
        self.device = (network_device(network) if device is None else torch.device(device))
        self.chunk = max(1, int(chunk))
        z = torch.as_tensor(np.asarray(latent, dtype=np.float32) if not torch.is_tensor(latent)
                            else latent.detach()).float().reshape(1, -1).to(self.device)
        self.layers: list[tuple[torch.Tensor, torch.Tensor]] = []
        self.mods: torch.Tensor | None = None
        with torch.inference_mode():
            if is_local(network):
                self.mods = network.modulations(z)
            else:
                assert isinstance(network, ModulatedSiren)
                self.layers = folded_layers(network, z)
        self.out_channels = network.config.out_channels
        self._bufs: list[torch.Tensor] = []

    def _buffers(self, p: int) -> list[torch.Tensor]:
        if not self._bufs or self._bufs[0].shape[0] < p:
            w = self.network.config.width
            self._bufs = [torch.empty((p, w), device=self.device) for _ in range(2)]
        return [b[:p] for b in self._bufs]

    def run(self, coords: torch.Tensor) -> torch.Tensor:
        """Values ``[P, C]`` at unit-frame ``coords`` ``[P, 3]`` (float32, on the device)."""
        if self.mods is not None:
            with torch.inference_mode():
                return local_rows(self.network, self.mods, coords)
        assert isinstance(self.network, ModulatedSiren)
        out = torch.empty((coords.shape[0], self.out_channels), device=self.device)
        with torch.inference_mode():
            for a in range(0, coords.shape[0], self.chunk):
                h = coords[a : a + self.chunk]
                bufs = self._buffers(h.shape[0])
                out[a : a + h.shape[0]] = run_layers(self.network, self.layers, h, bufs)
        return out

    def __call__(self, coords: np.ndarray) -> np.ndarray:
        """Values ``[P, C]`` float32 at unit-frame ``coords`` ``[P, 3]`` (numpy in, numpy out)."""
        u = torch.from_numpy(np.ascontiguousarray(coords, dtype=np.float32)).to(self.device)
        return self.run(u).cpu().numpy()


__all__ = [
    "EVAL_CHUNK",
    "LOCAL_CHUNK",
    "FoldedEvaluator",
    "GridEvaluator",
    "Weights",
    "folded_layers",
    "local_rows",
    "network_device",
    "run_layers",
]
