"""Settings of a deformable (conformational) neural field and its named presets.

The model is ``f(x; z) = T(x + D(x, z))``: a latent-free template SIREN ``T`` seen through
a displacement field ``D`` (a modulated SIREN conditioned on the conformer's latent ``z``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import MolfieldError
from ..nn.config import ConfigMixin, ModelConfig, pick_preset
from ..nn.config import split_overrides as split_settings

#: How the template atoms are chosen from the conformers.
TEMPLATES = ("mean", "first", "medoid")
#: What turns a latent into a field: the template SIREN seen through the warp, or Eq. 1
#: of the atoms an `nn.atom_decoder.AtomDecoder` puts the latent's conformer at.
DECODERS = ("warp", "atoms")


@dataclass(frozen=True)
class DeformConfig(ConfigMixin):
    """Shapes of the two networks.

    Parameters
    ----------
    out_channels
        Field channels ``C`` of the template.
    latent_dim
        Length ``L`` of a conformer's latent code (it steers ``D`` only).
    width, depth, w0_first, w0_hidden
        The template SIREN ``T`` (a plain SIREN: it sees no latent).
    warp_width, warp_depth, warp_w0_first, warp_w0_hidden
        The displacement SIREN ``D`` (3 outputs, network-frame units). A low first
        frequency keeps ``D`` smooth: domains move, bonds do not stretch.
    warp_modulation
        ``"mehta"`` or ``"shift"`` (see `ModelConfig`).
    warp_init
        Scale of ``D``'s initial output layer (``D ≈ 0`` at the start).
    template
        Which atoms the template holds: ``"mean"`` of the conformers, the ``"first"``
        conformer, or the ``"medoid"`` (the conformer closest to the mean).
    decoder
        ``"warp"``: ``f(x; z) = T(x + D(x, z))`` (the template and displacement SIRENs
        above). ``"atoms"``: an `AtomDecoder` maps ``z`` to every atom's position and the
        field is Eq. 1 of those atoms — exact at any resolution, atoms without a solve;
        for ensembles whose every conformer holds all atoms (MD frames), where per-atom
        detail (thermal motion) is beyond a smooth warp.
    atom_width
        Hidden width of the `AtomDecoder`'s MLP (``decoder="atoms"``).
    n_atoms
        Atoms per conformer (set by the fit; the `AtomDecoder`'s output size).
    """

    _kind = "model"

    out_channels: int = 1
    latent_dim: int = 16
    width: int = 128
    depth: int = 4
    w0_first: float = 60.0
    w0_hidden: float = 30.0
    warp_width: int = 64
    warp_depth: int = 3
    warp_w0_first: float = 10.0
    warp_w0_hidden: float = 30.0
    warp_modulation: str = "mehta"
    warp_init: float = 0.05
    template: str = "mean"
    decoder: str = "warp"
    atom_width: int = 512
    n_atoms: int = 0

    def __post_init__(self) -> None:
        if self.template not in TEMPLATES:
            raise MolfieldError(
                f"Unknown template {self.template!r}: use one of {', '.join(TEMPLATES)}."
            )
        if self.decoder not in DECODERS:
            raise MolfieldError(
                f"Unknown decoder {self.decoder!r}: use one of {', '.join(DECODERS)}."
            )
        if self.atom_width < 1 or self.n_atoms < 0:
            raise MolfieldError("The atom decoder's width must be positive.")
        self.template_net()
        self.warp_net()

    def template_net(self) -> ModelConfig:
        """The `ModelConfig` of ``T`` (one dummy latent, shift modulation: a plain SIREN)."""
        return ModelConfig(out_channels=self.out_channels, latent_dim=1, width=self.width,
                           depth=self.depth, w0_first=self.w0_first, w0_hidden=self.w0_hidden,
                           modulation="shift")

    def warp_net(self) -> ModelConfig:
        """The `ModelConfig` of ``D``."""
        return ModelConfig(out_channels=3, latent_dim=self.latent_dim, width=self.warp_width,
                           depth=self.warp_depth, w0_first=self.warp_w0_first,
                           w0_hidden=self.warp_w0_hidden, modulation=self.warp_modulation)


@dataclass(frozen=True)
class DeformFitConfig(ConfigMixin):
    """How a deformable fit runs.

    Parameters
    ----------
    steps, time_budget, lr, lr_latent, lr_final
        As in the auto-decoder's `FitConfig` (the fit stops at whichever comes first).
    lr_warp
        Adam learning rate of ``D``.
    batch_points
        Field points per step, over all conformers of the step.
    batch_items
        Conformers per step.
    frac_grid, frac_uniform, frac_near, pool_factor, near_sigma
        The field points (`fields.pools`), as in the auto-decoder.
    atom_points
        Atoms per conformer and step in the correspondence loss.
    atom_weight
        Weight of the correspondence loss: ``x_k + D(x_k, z_k)`` should land on the
        template atom, in Å² (every conformer holds the same atoms in the same order).
    path_weight
        Weight of the same loss along straight paths between two conformers: at
        ``z = lerp(z_i, z_j, s)`` the atoms ``lerp(x_i, x_j, s)`` map to the template, so
        that sliding the latent moves atoms (and density) along the morph.
    path_samples
        Points ``s`` per step on such paths.
    smooth_weight
        Weight of ``|D(p + δ) − D(p)|² / |δ|²`` at random points (δ ≈ ``smooth_step`` Å):
        a smooth, invertible warp.
    smooth_step
        Length of the finite-difference step, Å.
    small_weight
        Weight of ``|D(p)|²`` (Å²) at random points: no displacement where nothing asks
        for one.
    warmup
        Steps that fit ``D`` (and the latents) to the atom losses alone before the joint
        fit: cheap (no template evaluation), and the template then learns from every
        conformer mapped onto one structure.
    eval_every, eval_items, seed, device
        As in `FitConfig`.
    """

    _kind = "fit"

    steps: int = 3000
    time_budget: float | None = None
    lr: float = 1e-3
    lr_warp: float = 1e-3
    lr_latent: float = 1e-3
    lr_final: float = 0.05
    batch_points: int = 4096
    batch_items: int = 8
    frac_grid: float = 0.4
    frac_uniform: float = 0.2
    frac_near: float = 0.4
    pool_factor: float = 4.0
    near_sigma: float = 1.0
    atom_points: int = 256
    atom_weight: float = 0.05
    path_weight: float = 0.05
    path_samples: int = 2
    smooth_weight: float = 1e-3
    smooth_step: float = 1.0
    small_weight: float = 1e-5
    warmup: int = 300
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
        if min(self.lr, self.lr_warp) <= 0 or self.lr_latent < 0:
            raise MolfieldError("Learning rates must be positive.")
        if self.time_budget is not None and self.time_budget <= 0:
            raise MolfieldError("The time budget must be a positive number of seconds.")
        weights = (self.atom_weight, self.path_weight, self.smooth_weight, self.small_weight)
        if min(weights) < 0 or self.smooth_step <= 0 or self.warmup < 0:
            raise MolfieldError("Loss weights must be non-negative and the step positive.")


@dataclass(frozen=True)
class DeformPreset:
    """A named pair of model and fit settings (channels are filled in at fit time)."""

    model: DeformConfig
    fit: DeformFitConfig


PRESETS: dict[str, DeformPreset] = {
    # seconds: unit tests and smoke runs
    "tiny": DeformPreset(
        DeformConfig(latent_dim=4, width=32, depth=3, w0_first=20.0, warp_width=32,
                     warp_depth=2),
        DeformFitConfig(steps=300, batch_points=2048, atom_points=128, pool_factor=2.0,
                        eval_every=50, warmup=100),
    ),
    # a 2-core laptop, like the auto-decoder's "cpu" preset; lr 5e-4: at 1e-3 a 300 s fit
    # of adenylate kinase (closed/open) collapsed after ~50 s (31 → 27 dB) and never came
    # back, at 5e-4 it climbed steadily to 38.6 dB (seed 0, 32³)
    "cpu": DeformPreset(DeformConfig(), DeformFitConfig(lr=5e-4, lr_warp=5e-4)),
    # a GPU: a wider template, bigger batches
    # MD trajectories: every frame's atoms from its latent (`AtomDecoder`); the field is
    # Eq. 1 of them. On adenylate kinase (85 DIMS frames, 3,341 atoms, 2 cores) a 16-d
    # latent and a 512-wide MLP fit every frame to < 0.01 Å in ~1,000 steps (~90 s).
    "atoms": DeformPreset(
        DeformConfig(decoder="atoms", latent_dim=16),
        DeformFitConfig(steps=2000, lr=1e-3, lr_warp=1e-3, lr_latent=1e-2, eval_every=100,
                        warmup=0),
    ),
    "gpu": DeformPreset(
        DeformConfig(latent_dim=32, width=256, depth=5, w0_first=30.0, warp_width=128),
        DeformFitConfig(steps=20000, lr=2e-4, lr_warp=2e-4, batch_points=65536,
                        batch_items=32, atom_points=4096),
    ),
}


def get_preset(name: str) -> DeformPreset:
    """The named preset, or a `MolfieldError` naming the choices."""
    return pick_preset(PRESETS, name)


def split_overrides(overrides: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Sort keyword overrides into model and fit settings; unknown names are an error."""
    return split_settings(overrides, DeformConfig, DeformFitConfig, "deformable fit")


__all__ = [
    "DECODERS",
    "PRESETS",
    "TEMPLATES",
    "DeformConfig",
    "DeformFitConfig",
    "DeformPreset",
    "get_preset",
    "split_overrides",
]
