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
from ..fields.metrics import EMPTY_LEVEL
from ..fields.pools import PointPools
from ..nn.config import ModelConfig
from ..nn.device import pick_device, prepare_cpu
from ..nn.schedule import ActiveClock, budget_settings, cosine_factor, schedule_progress
from ..nn.siren import ModulatedSiren
from .config import FitConfig, get_preset, split_overrides
from .items import ItemsLike, expand_items
from .model import FittedModel
from .steps import adam, evaluate, minibatch, restore, snapshot
from .targets import Targets, map_targets, molecule_targets

DIVERGED_LOSS = 1e6  # normalised targets peak near 1: a loss this large is divergence


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
        ``N`` of the training grid (the PSNR reported during the fit is measured there).
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
    model_cfg = replace(pre.model, out_channels=len(spec), **mo)
    fit_cfg = replace(pre.fit, **fo)
    if _are_maps(items):
        maps = [items] if isinstance(items, Field) else list(items)
        targets = map_targets(maps, 0.0 if padding is None else float(padding))
        model_cfg = replace(model_cfg, out_channels=len(targets.channels))
    else:
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
    clock = ActiveClock()
    dev = pick_device(fcfg.device)
    if dev.type == "cpu":
        prepare_cpu()
    torch.manual_seed(fcfg.seed)
    gen = torch.Generator().manual_seed(fcfg.seed)
    rng = np.random.default_rng(fcfg.seed)

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
    base_lrs = [g["lr"] for g in opt.param_groups]
    eval_ids = list(range(min(n_items, fcfg.eval_items)))
    snap = snapshot(model)
    last_psnr = evaluate(model, pools, eval_ids)
    good_step = 0
    model.history.append(
        {"step": 0, "loss": None, "psnr": last_psnr, "elapsed": clock()}
    )
    clock.hold()
    yield FitProgress(0, fcfg.steps, math.nan, last_psnr, True, clock(),
                      fcfg.lr, model)
    clock.release()

    b_items = min(n_items, fcfg.batch_items)
    n_grid, n_uni_b, n_near_b = _split_batch(fcfg, pools, max(1, fcfg.batch_points // b_items))
    t_train = clock()
    step = 0
    while step < fcfg.steps:
        elapsed = clock()
        if fcfg.time_budget is not None and elapsed >= fcfg.time_budget:
            break
        # the decay follows the training time left after the pools were built
        progress = schedule_progress(step, fcfg.steps, fcfg.time_budget, elapsed, t_train)
        f = cosine_factor(progress, fcfg.lr_final)
        for g, base in zip(opt.param_groups, base_lrs, strict=True):
            g["lr"] = base * f

        ids = (torch.randperm(n_items, generator=gen)[:b_items] if n_items > b_items
               else torch.arange(n_items))
        x, y = minibatch(pools, ids, n_grid, n_uni_b, n_near_b, gen, dev)
        pred = net(x, latents[ids.to(dev)])
        sq = (pred - y) ** 2
        if fcfg.empty_weight != 1.0:
            w = torch.where(y.amax(dim=-1, keepdim=True) < EMPTY_LEVEL, fcfg.empty_weight, 1.0)
            loss = torch.mean(w * sq) / torch.mean(w)
        else:
            loss = torch.mean(sq)
        lv = float(torch.mean(sq).detach())
        if not math.isfinite(lv) or lv > DIVERGED_LOSS:
            restore(model, snap)
            err = MolfieldError(
                f"Training diverged (loss is {'NaN' if math.isnan(lv) else lv:.3g}) at step "
                f"{step + 1} — lower the learning rate (lr={fcfg.lr:g}); the model keeps "
                f"the weights of step {good_step}."
            )
            err.model = model  # type: ignore[attr-defined]
            raise err
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        evaluated = step % fcfg.eval_every == 0 or step == fcfg.steps
        if (
            not evaluated
            and fcfg.time_budget is not None
            and clock() >= fcfg.time_budget
        ):
            evaluated = True  # the last step of a timed fit
        if evaluated:
            p = evaluate(model, pools, eval_ids)
            if math.isfinite(p):
                last_psnr = p
                snap = snapshot(model)
                good_step = step
            model.history.append(
                {"step": step, "loss": lv, "psnr": p, "elapsed": clock()}
            )
        clock.hold()
        yield FitProgress(step, fcfg.steps, lv, last_psnr, evaluated,
                          clock(), opt.param_groups[0]["lr"], model)
        clock.release()
    if not model.history or model.history[-1]["step"] != step:
        last_psnr = evaluate(model, pools, eval_ids)
        model.history.append(
            {"step": step, "loss": None, "psnr": last_psnr, "elapsed": clock()}
        )
    return model


def _split_batch(fcfg: FitConfig, pools: PointPools, per_item: int) -> tuple[int, int, int]:
    """Grid, uniform and near-atom points per item and step (empty pools get none)."""
    fr = np.array([fcfg.frac_grid, fcfg.frac_uniform, fcfg.frac_near], dtype=float)
    if pools.n_uniform == 0:
        fr[1] = 0
    if pools.n_near == 0:
        fr[2] = 0
    fr = fr / fr.sum()
    n_grid = round(per_item * fr[0])
    n_uni = round(per_item * fr[1])
    n_near = max(0, per_item - n_grid - n_uni) if fr[2] > 0 else 0
    if fr[2] == 0:
        n_uni = per_item - n_grid
    return n_grid, n_uni, n_near


__all__ = ["FitProgress", "fit", "fit_model"]
