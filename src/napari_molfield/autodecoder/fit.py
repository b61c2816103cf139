"""Fit a modulated SIREN auto-decoder to the Eq. 1 fields of molecules.

`fit` is a plain generator: iterate it to train, read progress from what it yields, and
stop whenever you like — every yielded `FitProgress` carries the live `FittedModel`,
which decodes and saves at any step::

    for p in fit(molecule, resolution=32, time_budget=60):
        print(p.step, p.loss, p.psnr)
    model = p.model
"""

from __future__ import annotations

import math
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any, TypeGuard

import numpy as np
import torch

from ..errors import MolfieldError
from ..fields.channels import ChannelSpec
from ..fields.field import Field
from ..nn.batches import split_batch
from ..nn.config import ModelConfig
from ..nn.device import pick_device
from ..nn.loop import Task, adam, begin, train
from ..nn.schedule import budget_settings
from ..nn.siren import ModulatedSiren
from .config import MAP_FIT, FitConfig, get_preset, map_frequency, split_overrides
from .items import ItemsLike, expand_items
from .model import FittedModel
from .steps import evaluate, step_loss
from .targets import Targets, map_targets, molecule_targets


@dataclass(frozen=True)
class FitProgress:
    """One training step.

    Attributes
    ----------
    step
        Optimiser steps done (0: the untrained model, before the first step).
    steps
        Planned steps (the time budget may end the fit earlier).
    loss
        Minibatch MSE on the normalised scale (``nan`` at step 0).
    psnr
        Latest PSNR in dB on the train-resolution grid (MAX = 1), over the first
        ``eval_items`` items; measured every ``eval_every`` steps and at the end.
    evaluated
        Whether ``psnr`` was measured at this step.
    elapsed
        Seconds since the fit started (pool building included).
    lr
        Network learning rate of this step.
    model
        The live `FittedModel` (same object at every step).
    """

    step: int
    steps: int
    loss: float
    psnr: float | None
    evaluated: bool
    elapsed: float
    lr: float
    model: FittedModel


def fit(
    items: ItemsLike,
    *,
    channels: str | Sequence[str] | ChannelSpec | None = None,
    resolution: int = 32,
    beta: float | None = None,
    preset: str = "cpu",
    steps: int | None = None,
    time_budget: float | None = None,
    seed: int = 0,
    device: str = "auto",
    add_hydrogens: bool = False,
    split: bool = False,
    padding: float | None = None,
    **overrides: Any,
) -> Generator[FitProgress, None, FittedModel]:
    """Fit one latent per item and a shared `ModulatedSiren` to the exact fields.

    Parameters
    ----------
    items
        A `Molecule` (each conformer becomes an item), a list of molecules, a list of
        ``(molecule, conformer)`` pairs, or density maps (a `Field` or a list of them,
        e.g. from `fields.maps.read_map`; one item per map). All conformers of one
        molecule share one `Box` (`Box.around` every conformer); each item stores its own
        box. A map's box is the cube around it; its targets are the map divided by its
        maximum (trilinear between voxels, zero outside), so finer decodes than the map's
        grid are interpolation, not new detail.
    channels, split
        Channel spec (`ChannelSpec.parse`); ``split`` doubles it into ligand/protein.
    resolution
        ``N`` of the training grid (the PSNR reported during the fit is measured there);
        for maps, the PSNR is measured at ``N³`` of the map's own voxels (all of them when
        it has fewer), and training draws from all its voxels.
    beta
        β of Eq. 1 (default `DEFAULT_BETA`).
    preset
        ``"tiny"``, ``"cpu"`` or ``"gpu"`` (see `PRESETS`).
    steps, time_budget
        Stop after this many steps or seconds, whichever comes first; a time budget
        alone (``steps=None``) runs for that long, training time only (`ActiveClock`).
    seed
        Makes weights, latents, pools and minibatches reproducible.
    device
        ``"auto"`` uses CUDA when present.
    add_hydrogens
        Add hydrogens to molecules that have none before fitting.
    padding
        Å around the atoms (default `DEFAULT_PADDING`), or around a map (default 0).
    **overrides
        Any `ModelConfig` or `FitConfig` field (``width=256``, ``lr=1e-4``, …).

    Yields
    ------
    FitProgress
        First the untrained model (step 0), then one record per step.

    Returns
    -------
    FittedModel
        The generator's return value (also ``progress.model``).

    Raises
    ------
    MolfieldError
        For bad settings (at call time), or when the loss becomes NaN/inf (the model
        keeps the weights of the last evaluation; ``error.model`` is it).
    """
    from ..fields.sample import DEFAULT_BETA, DEFAULT_PADDING

    beta = DEFAULT_BETA if beta is None else float(beta)
    if not (math.isfinite(beta) and beta > 0):
        raise MolfieldError(f"β must be a finite positive number, got {beta}.")
    if isinstance(resolution, bool) or not isinstance(resolution, (int, np.integer)) or (
        resolution < 2
    ):
        raise MolfieldError(f"The training resolution must be an integer ≥ 2, got {resolution}.")
    spec = ChannelSpec.parse(channels, split=split)
    pick_device(device)  # a bad device name fails now, with one sentence
    pre = get_preset(preset)
    mo, fo = split_overrides(overrides)
    fo.update(seed=int(seed), device=str(device))
    fo.update(budget_settings(steps, time_budget))
    if _are_maps(items):
        maps = [items] if isinstance(items, Field) else list(items)
        targets = map_targets(maps, 0.0 if padding is None else float(padding))
        across = max(b.edge / float(np.min(m.voxel_size))
                     for m, b in zip(maps, targets.boxes, strict=True))
        model_cfg = replace(pre.model, out_channels=len(targets.channels),
                            **{"w0_first": map_frequency(across, pre.model.w0_first), **mo})
        fit_cfg = replace(pre.fit, **{**MAP_FIT, **fo})
    else:
        model_cfg = replace(pre.model, out_channels=len(spec), **mo)
        fit_cfg = replace(pre.fit, **fo)
        pad = DEFAULT_PADDING if padding is None else float(padding)
        work = expand_items(items, pad, add_hydrogens)
        for it in work:  # fail now, not at the first step, on a bad spec
            spec.assign(it.molecule, it.conformer)
        targets = molecule_targets(work, spec, beta)
    return _run(targets, int(resolution), beta, model_cfg, fit_cfg)


def _are_maps(items: object) -> TypeGuard[Field | Sequence[Field]]:
    """Whether ``items`` is a density map `Field` or a list of them (not molecules)."""
    if isinstance(items, Field):
        return True
    if isinstance(items, Sequence) and not isinstance(items, str) and items:
        kinds = {isinstance(x, Field) for x in items}
        if kinds == {True, False}:
            raise MolfieldError("Fit molecules or density maps, not both at once.")
        return kinds == {True}
    return False


def fit_model(items: ItemsLike, *, progress: bool = False, **kwargs: Any) -> FittedModel:
    """Run `fit` to the end and return the model (a tqdm bar with ``progress=True``)."""
    gen = fit(items, **kwargs)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(unit="step")
    try:
        while True:
            p = next(gen)
            if bar is not None:
                bar.total = p.steps
                bar.n = p.step
                bar.set_postfix(loss=f"{p.loss:.2e}", psnr=f"{p.psnr or float('nan'):.1f}")
                bar.refresh()
    except StopIteration as stop:
        return stop.value
    finally:
        if bar is not None:
            bar.close()


def _run(
    targets: Targets,
    resolution: int,
    beta: float,
    mcfg: ModelConfig,
    fcfg: FitConfig,
) -> Generator[FitProgress, None, FittedModel]:
    clock, dev, gen, rng = begin(fcfg.seed, fcfg.device)
    pools = targets.pools(resolution, fcfg, rng).to(dev)
    net = ModulatedSiren(mcfg).to(dev)
    n_items = len(targets)
    latents = torch.nn.Parameter(
        (torch.randn(n_items, mcfg.latent_dim, generator=gen) * 0.01).to(dev)
    )
    model = FittedModel(
        network=net,
        config=mcfg,
        latents=latents,
        items=targets.metas,
        channels=targets.channels,
        beta=beta,
        train_resolution=resolution,
        atoms=targets.atoms,
        fit_config=fcfg.to_dict(),
    )
    opt = adam(
        [{"params": list(net.parameters()), "lr": fcfg.lr},
         {"params": [latents], "lr": fcfg.lr_latent}]
    )
    eval_ids = list(range(min(n_items, fcfg.eval_items)))
    b_items = min(n_items, fcfg.batch_items)
    counts = split_batch(max(1, fcfg.batch_points // b_items),
                         (fcfg.frac_grid, fcfg.frac_uniform, fcfg.frac_near),
                         pools.n_uniform, pools.n_near)
    task = Task(
        model, net, latents,
        loss=lambda: step_loss(model, pools, n_items, b_items, counts, fcfg.empty_weight, gen),
        evaluate=lambda: evaluate(model, pools, eval_ids),
        history=model.history,
    )
    for s in train(task, opt, fcfg, clock):
        yield FitProgress(s.step, s.steps, s.loss, s.psnr, s.evaluated, s.elapsed, s.lr,
                          model)
    return model


__all__ = ["FitProgress", "fit", "fit_model"]
