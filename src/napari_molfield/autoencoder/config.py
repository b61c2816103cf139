"""Settings of an auto-encoder training and the network shapes of its presets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..chem.elements import vdw_radius
from ..errors import MolfieldError
from ..nn.atom_slots import SlotConfig
from ..nn.config import ConfigMixin, ModelConfig
from ..nn.encoder import EncoderConfig


@dataclass(frozen=True)
class TrainConfig(ConfigMixin):
    """How an auto-encoder training runs.

    Parameters
    ----------
    steps, time_budget
        Stop after ``steps`` optimiser steps or ``time_budget`` seconds, whichever first.
    budget_clock
        What ``time_budget`` counts: ``"wall"`` seconds, or ``"cpu"`` seconds of this
        process (all its threads; unlike wall time, not stretched by other jobs on a
        shared machine).
    batch_items
        Molecules per global batch (split evenly over the ranks).
    batch_points
        Points per molecule and step.
    frac_near
        Fraction of the points drawn from the near-atom pool (exact off-grid targets);
        the rest are voxel centres of the training grid.
    frac_occupied
        Of the voxel points, the fraction drawn among occupied voxels.
    lr, lr_encoder, lr_final
        Adam learning rates of the SIREN and of the encoder; cosine decay to
        ``lr_final`` × the first over the run (over the time budget when one is given).
    latent_l2
        Weight of ``mean(z²)`` in the loss (keeps the latent space compact).
    rotate
        Random rotations of every molecule at every step (augmentation; before the
        canonical frame for models that use one).
    flip_prob
        For models with a canonical frame: the chance that an item is turned by 180°
        about one of the frame's axes (covers axis signs the skewness rule could get
        wrong for near-symmetric molecules).
    pool_near
        Near-atom points per molecule (and conformer) in its pool.
    batch_cache
        Compute each molecule conformer's grid and near-atom pool once, on first use, and
        apply the canonical-frame flips as exact voxel permutations (`batches.ItemCache`).
        ``False`` recomputes every augmented item at every step (the path before the
        cache, kept for benchmarks); random rotations (``rotate``) always recompute.
    threads
        CPU threads of torch and numba (``None``: every core this process may use, shared
        out over the ranks). One thread per process uses the fewest CPU-seconds per step
        on a busy machine.
    eval_every, eval_items
        Steps between PSNR evaluations and molecules evaluated per split.
    seed, device
        Seed of weights, batches and points; ``"auto"``, ``"cpu"``, ``"cuda"``, …
    """

    _kind = "training"

    steps: int | None = 2000
    time_budget: float | None = None
    budget_clock: str = "wall"
    batch_items: int = 16
    batch_points: int = 2048
    frac_near: float = 0.25
    frac_occupied: float = 0.5
    lr: float = 3e-4
    lr_encoder: float = 5e-4
    lr_final: float = 0.05
    latent_l2: float = 0.0
    rotate: bool = False
    flip_prob: float = 0.0
    pool_near: int = 4096
    batch_cache: bool = True
    threads: int | None = None
    eval_every: int = 250
    eval_items: int = 32
    seed: int = 0
    device: str = "auto"

    def __post_init__(self) -> None:
        if self.steps is None and self.time_budget is None:
            raise MolfieldError("Give a number of steps or a time budget.")
        if self.batch_items < 1 or self.batch_points < 1:
            raise MolfieldError("Batch items and batch points must be positive.")
        if not (0 <= self.frac_near <= 1 and 0 <= self.frac_occupied <= 1
                and 0 <= self.flip_prob <= 1):
            raise MolfieldError("Point fractions and the flip chance must lie in [0, 1].")
        if self.budget_clock not in ("wall", "cpu"):
            raise MolfieldError(f"The budget clock must be 'wall' or 'cpu', not "
                                f"{self.budget_clock!r}.")
        if self.threads is not None and self.threads < 1:
            raise MolfieldError("The number of CPU threads must be at least 1.")
        if self.time_budget is not None and self.time_budget <= 0:
            raise MolfieldError("The time budget must be a positive number of seconds.")


#: Auto-encoder shapes (pinned here, independent of the auto-decoder presets):
#: ``(encoder base maps, latent length, SIREN width, SIREN depth)`` — one global latent.
AE_PRESETS: dict[str, tuple[int, int, int, int]] = {
    "tiny": (8, 16, 32, 3),
    "cpu": (16, 128, 128, 4),
    "gpu": (32, 256, 256, 5),
}

#: Latent-grid presets (`nn.patch_siren`): ``(encoder base maps, grid G, features per
#: node F, SIREN width, SIREN depth, first-layer frequency in cell units)``; the latent is
#: ``G³ · F`` values.
GRID_PRESETS: dict[str, tuple[int, int, int, int, int, float]] = {
    "patch-tiny": (8, 4, 2, 16, 2, 10.0),
    "patch": (16, 8, 8, 64, 3, 10.0),
}


#: Atom-slot presets (`nn.atom_slots`): ``(encoder base maps, grid G, slots per node S)``;
#: the latent is ``G³ · S · (4 + C)`` values.
SLOT_PRESETS: dict[str, tuple[int, int, int]] = {
    "slots-tiny": (8, 4, 4),
    "slots": (32, 8, 8),
}
#: Radius of a channel whose name is no element ("other"), Å: bromine's (Bondi), the
#: commonest such atom in the training corpus.
OTHER_RADIUS = 1.85


def slot_configs(preset: str, channels: Sequence[str], box_edge: float, beta: float,
                 resolution: int) -> tuple[EncoderConfig, SlotConfig]:
    """Encoder and decoder shapes of an atom-slot preset (`SLOT_PRESETS`); each channel's
    radius is its element's van der Waals radius (`OTHER_RADIUS` for other names)."""
    base, grid, slots = SLOT_PRESETS[preset]
    levels = next((k for k in range(1, 6) if resolution == grid * 2**k), 0)
    if not levels:
        raise MolfieldError(f"The {preset} preset has a {grid}³ slot grid: the resolution "
                            f"must be {grid} × a power of two, not {resolution}.")
    radii = vdw_radius(np.array(list(channels), dtype=object), strict=False)
    radii = np.where(np.isfinite(radii), radii, OTHER_RADIUS)
    dec = SlotConfig(out_channels=len(channels), latent_dim=grid**3 * slots * (4 + len(channels)),
                     grid=grid, slots=slots, beta=float(beta), box_edge=float(box_edge),
                     radii=tuple(float(r) for r in radii))
    return EncoderConfig(len(channels), dec.latent_dim, resolution, base, levels, grid=grid), dec


def ae_configs(
    preset: str, channels: int, latent_dim: int | None, resolution: int
) -> tuple[EncoderConfig, ModelConfig]:
    """Encoder and decoder shapes of an auto-encoder preset (``AE_PRESETS`` and
    ``GRID_PRESETS``; for a grid preset ``latent_dim`` sets the features per node as
    ``latent_dim / G³``)."""
    if preset in GRID_PRESETS:
        return _grid_configs(preset, channels, latent_dim, resolution)
    if preset not in AE_PRESETS:
        known = ", ".join([*AE_PRESETS, *GRID_PRESETS, *SLOT_PRESETS])
        raise MolfieldError(f"Unknown preset {preset!r}: use one of {known}.")
    base, latent, width, depth = AE_PRESETS[preset]
    latent = int(latent_dim or latent)
    levels = 3 if resolution % 8 == 0 else 2 if resolution % 4 == 0 else 1
    dec = ModelConfig(out_channels=channels, latent_dim=latent, width=width, depth=depth,
                      w0_first=60.0, w0_hidden=30.0)
    return EncoderConfig(channels, latent, resolution, base, levels), dec


def _grid_configs(preset: str, channels: int, latent_dim: int | None, resolution: int
                  ) -> tuple[EncoderConfig, ModelConfig]:
    base, grid, features, width, depth, w0 = GRID_PRESETS[preset]
    levels = next((k for k in range(1, 6) if resolution == grid * 2**k), 0)
    if not levels:
        raise MolfieldError(f"The {preset} preset has a {grid}³ latent grid: the resolution "
                            f"must be {grid} × a power of two, not {resolution}.")
    latent = int(latent_dim or grid**3 * features)
    dec = ModelConfig(out_channels=channels, latent_dim=latent, width=width, depth=depth,
                      w0_first=w0, w0_hidden=30.0, modulation="shift")
    return EncoderConfig(channels, latent, resolution, base, levels, grid=grid), dec


__all__ = ["AE_PRESETS", "GRID_PRESETS", "OTHER_RADIUS", "SLOT_PRESETS", "TrainConfig",
           "ae_configs", "slot_configs"]
