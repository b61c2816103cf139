"""Settings of an auto-decoder fit and the named presets (network shape + fit settings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MolfieldError
from ..nn.config import ConfigMixin, ModelConfig, pick_preset
from ..nn.config import split_overrides as split_settings


@dataclass(frozen=True)
class FitConfig(ConfigMixin):
    """How an auto-decoder fit runs.

    Parameters
    ----------
    steps
        Optimiser steps (the fit stops at ``steps`` or ``time_budget``, whichever first).
    time_budget
        Wall-clock limit in seconds, or ``None``.
    lr, lr_latent
        Adam learning rates of the network and of the latent codes.
    lr_final
        Final learning rate as a fraction of the first (cosine decay over the run; with a
        time budget the decay follows the elapsed fraction of the budget).
    batch_points
        Points per optimiser step, over all items of the step.
    batch_items
        Items per step (their latents are trained together).
    frac_grid, frac_uniform, frac_near
        Mixture of the minibatch: train-resolution voxel centres, uniform points in the
        box, points near atoms (Gaussian jitter of σ = ``near_sigma`` × radius).
    pool_factor
        Uniform and near-atom pools each hold ``pool_factor × N³`` points per item.
    near_sigma
        Jitter of near-atom points in units of the atom radius.
    empty_weight
        Loss weight of training points whose targets are empty (every channel below
        `EMPTY_LEVEL` of its peak) relative to the others: above 1 the network learns the
        zeros around a molecule harder, so less density floats in empty space.
    eval_every
        Steps between PSNR evaluations on the train-resolution grid.
    eval_items
        At most this many items are evaluated (the first ones).
    seed
        Seeds weights, latents, pools and minibatches.
    device
        ``"auto"`` (CUDA when present), ``"cpu"``, ``"cuda"``, …
    """

    _kind = "fit"

    steps: int = 2000
    time_budget: float | None = None
    lr: float = 1e-4
    lr_latent: float = 1e-3
    lr_final: float = 0.05
    batch_points: int = 8192
    batch_items: int = 8
    frac_grid: float = 0.5
    frac_uniform: float = 0.2
    frac_near: float = 0.3
    pool_factor: float = 2.0
    near_sigma: float = 1.0
    empty_weight: float = 1.0
    eval_every: int = 100
    eval_items: int = 4
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        fr = (self.frac_grid, self.frac_uniform, self.frac_near)
        if min(fr) < 0 or sum(fr) <= 0:
            raise MolfieldError("Point fractions must be non-negative and not all zero.")
        if self.steps < 0 or self.batch_points < 1 or self.batch_items < 1:
            raise MolfieldError("Steps, batch points and batch items must be positive.")
        if self.lr <= 0 or self.lr_latent < 0:
            raise MolfieldError("Learning rates must be positive.")
        if self.time_budget is not None and self.time_budget <= 0:
            raise MolfieldError("The time budget must be a positive number of seconds.")
        if not self.empty_weight > 0:
            raise MolfieldError("The empty-space weight must be positive.")



@dataclass(frozen=True)
class Preset:
    """A named pair of model and fit settings (channels are filled in at fit time)."""

    model: ModelConfig
    fit: FitConfig


PRESETS: dict[str, Preset] = {
    # seconds on a laptop: unit tests and smoke runs
    "tiny": Preset(
        ModelConfig(latent_dim=8, width=32, depth=3, w0_first=20.0, w0_hidden=30.0),
        FitConfig(steps=300, lr=1e-3, lr_latent=1e-3, batch_points=2048, eval_every=50),
    ),
    # a 2-core laptop: 1IEP at 32³ in about a minute; empty space weighted 4× (1IEP, 4.5k
    # atoms, 1,000 steps: spurious mass 40 % → 21 %, PSNR +1.8 dB; benchmarks/spurious_mass.py)
    "cpu": Preset(
        ModelConfig(latent_dim=32, width=128, depth=4, w0_first=60.0, w0_hidden=30.0),
        FitConfig(steps=3000, lr=1e-3, lr_latent=1e-3, batch_points=4096, pool_factor=4.0,
                  frac_grid=0.4, frac_uniform=0.2, frac_near=0.4, empty_weight=4.0),
    ),
    # a GPU: wider and deeper, bigger batches
    "gpu": Preset(
        ModelConfig(latent_dim=64, width=256, depth=5, w0_first=30.0, w0_hidden=30.0),
        FitConfig(steps=20000, lr=2e-4, lr_latent=1e-3, batch_points=65536, batch_items=32),
    ),
}


#: What a fit of density maps changes in every preset (settings given by name still win):
#: most points are the map's own voxels (a map is its voxels; between them any value is an
#: interpolation), a few are trilinear points between them and around its features, and
#: empty space gets no extra weight (a map's background may be positive, its features
#: negative). EMD-3197 (20³, positive background), 200 steps, w0 30: 33.7 dB at its voxels
#: with 80 % voxels, 36.8 dB with 90 %; 23.7 dB with the molecules' mixture (w0 60).
MAP_FIT: dict[str, float] = {"frac_grid": 0.9, "frac_uniform": 0.05, "frac_near": 0.05,
                             "empty_weight": 1.0}


def map_frequency(voxels_across: float, ceiling: float) -> float:
    """``w0_first`` of a map fit: the map's Nyquist frequency in the network frame, at most
    ``ceiling`` (the preset's).

    A map with ``n`` voxels along its box's edge (of length 2 in the network frame) holds
    detail up to ``π n / 2`` radians per unit. A coarse map fitted with a first sine layer
    of a higher frequency rings between its voxels (EMD-3197, 20 voxels across, 200 steps:
    w0 30 gives 33.7 dB at the voxels and 27.5 dB against trilinear values between them,
    w0 120 gives 31.2 and 10.2); above the preset's frequency a fine map does not train
    (1jzv, 96 voxels across, 800 steps: w0 60 gives 34.8 dB, zero field 27.0; w0 150
    stays at the zero field), and the later sine layers reach its detail anyway.
    """
    return float(min(np.pi * max(float(voxels_across), 1.0) / 2.0, ceiling))


def get_preset(name: str) -> Preset:
    """The named preset, or a :class:`MolfieldError` naming the choices."""
    return pick_preset(PRESETS, name)


def split_overrides(overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sort keyword overrides into model and fit settings; unknown names are an error."""
    return split_settings(overrides, ModelConfig, FitConfig, "fit")


__all__ = [
    "MAP_FIT",
    "PRESETS",
    "FitConfig",
    "Preset",
    "get_preset",
    "map_frequency",
    "split_overrides",
]
