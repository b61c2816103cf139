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
import os
import time
from collections import Counter
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from .chem.molecule import Molecule
from .errors import MolfieldError
from .fields.box import Box
from .fields.channels import ChannelSpec
from .nn.config import FitConfig, ModelConfig, get_preset, split_overrides
from .nn.model import AtomPack, FittedModel
from .nn.pools import PointPools, build_pools
from .nn.siren import ModulatedSiren, pick_device

ItemsLike = Molecule | Sequence[Molecule] | Sequence[tuple[Molecule, int]]
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


@dataclass(eq=False)
class _Item:
    molecule: Molecule
    index: int
    conformer: int
    box: Box
    hydrogens_added: bool


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
        A `Molecule` (each conformer becomes an item), a list of molecules, or a list of
        ``(molecule, conformer)`` pairs. All conformers of one molecule share one `Box`
        (`Box.around` every conformer); each item stores its own box.
    channels, split
        Channel spec (`ChannelSpec.parse`); ``split`` doubles it into ligand/protein.
    resolution
        ``N`` of the training grid (the PSNR reported during the fit is measured there).
    beta
        β of Eq. 1 (default `DEFAULT_BETA`).
    preset
        ``"tiny"``, ``"cpu"`` or ``"gpu"`` (see `PRESETS`).
    steps, time_budget
        Stop after this many steps or seconds, whichever comes first.
    seed
        Makes weights, latents, pools and minibatches reproducible.
    device
        ``"auto"`` uses CUDA when present.
    add_hydrogens
        Add hydrogens to molecules that have none before fitting.
    padding
        Å around the atoms (default `DEFAULT_PADDING`).
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
    from .fields.sample import DEFAULT_BETA, DEFAULT_PADDING

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
    if steps is not None:
        fo["steps"] = int(steps)
    if time_budget is not None:
        fo["time_budget"] = float(time_budget)
    model_cfg = replace(pre.model, out_channels=len(spec), **mo)
    fit_cfg = replace(pre.fit, **fo)
    pad = DEFAULT_PADDING if padding is None else float(padding)
    work = _expand_items(items, pad, add_hydrogens)
    for it in work:  # fail now, not at the first step, on a bad spec
        spec.assign(it.molecule, it.conformer)
    return _run(work, spec, int(resolution), beta, model_cfg, fit_cfg)


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


def _expand_items(items: ItemsLike, padding: float, add_h: bool) -> list[_Item]:
    if isinstance(items, Molecule):
        items = [items]
    if not isinstance(items, Sequence) or isinstance(items, str) or len(items) == 0:
        raise MolfieldError("Give a molecule, a list of molecules or (molecule, conformer) pairs.")
    pairs: list[tuple[Molecule, int | None]] = []
    for x in items:
        if isinstance(x, Molecule):
            pairs.append((x, None))
        elif isinstance(x, tuple) and len(x) == 2 and isinstance(x[0], Molecule):
            pairs.append((x[0], int(x[1])))
        else:
            raise MolfieldError(f"Cannot fit {type(x).__name__!r}: give molecules.")
    mols: dict[int, tuple[int, Molecule, Box, bool]] = {}
    out = []
    for mol, k in pairs:
        if id(mol) not in mols:
            added = add_h and not mol.has_hydrogens
            m = mol
            if added:
                from .chem.hydrogens import add_hydrogens

                m = add_hydrogens(mol)
            mols[id(mol)] = (len(mols), m, Box.around(m.coords, padding), added)
        idx, m, box, added = mols[id(mol)]
        ks = range(m.n_conformers) if k is None else [k]
        for kk in ks:
            if not -m.n_conformers <= kk < m.n_conformers:
                raise MolfieldError(
                    f"{m.name}: conformer {kk} does not exist ({m.n_conformers} conformers)."
                )
            out.append(_Item(m, idx, kk % m.n_conformers, box, added))
    return out


def _item_meta(it: _Item, scale: np.ndarray) -> dict[str, Any]:
    m = it.molecule
    assert m.conformer_names is not None
    name = m.name if m.n_conformers == 1 else f"{m.name} [{m.conformer_names[it.conformer]}]"
    return {
        "name": name,
        "source": m.source,
        "molecule": it.index,
        "conformer": it.conformer,
        "conformer_name": m.conformer_names[it.conformer],
        "box": it.box.to_dict(),
        "scale": [float(s) for s in scale],
        "elements": dict(sorted(Counter(str(e) for e in m.elements).items())),
        "hydrogens_added": it.hydrogens_added,
    }


def _lr_factor(progress: float, final: float) -> float:
    """Cosine decay from 1 to ``final`` over ``progress`` ∈ [0, 1]."""
    p = min(max(progress, 0.0), 1.0)
    return final + (1.0 - final) * 0.5 * (1.0 + math.cos(math.pi * p))


def _run(
    work: list[_Item],
    spec: ChannelSpec,
    resolution: int,
    beta: float,
    mcfg: ModelConfig,
    fcfg: FitConfig,
) -> Generator[FitProgress, None, FittedModel]:
    from .fields.sample import channel_peaks

    t0 = time.perf_counter()
    dev = pick_device(fcfg.device)
    if dev.type == "cpu":
        torch.set_num_threads(len(os.sched_getaffinity(0)))
        torch.set_flush_denormal(True)  # Adam's tiny second moments are slow denormals
    torch.manual_seed(fcfg.seed)
    gen = torch.Generator().manual_seed(fcfg.seed)
    rng = np.random.default_rng(fcfg.seed)

    tables = [spec.assign(it.molecule, it.conformer) for it in work]
    scales = [channel_peaks(t, beta) for t in tables]
    n_pool = max(1, round(fcfg.pool_factor * resolution**3))
    n_uni = round(n_pool * fcfg.frac_uniform / max(fcfg.frac_uniform + fcfg.frac_near, 1e-9))
    pools = build_pools(
        tables, [it.box for it in work], scales, resolution,
        n_uniform=n_uni if fcfg.frac_uniform > 0 else 0,
        n_near=(n_pool - n_uni) if fcfg.frac_near > 0 else 0,
        near_sigma=fcfg.near_sigma, beta=beta, rng=rng, device=dev,
    )

    net = ModulatedSiren(mcfg).to(dev)
    n_items = len(work)
    latents = torch.nn.Parameter(
        (torch.randn(n_items, mcfg.latent_dim, generator=gen) * 0.01).to(dev)
    )
    model = FittedModel(
        network=net,
        config=mcfg,
        latents=latents,
        items=[_item_meta(it, s) for it, s in zip(work, scales, strict=True)],
        channels=spec.names,
        beta=beta,
        train_resolution=resolution,
        atoms=AtomPack.from_tables(tables),
        fit_config=fcfg.to_dict(),
    )
    opt = _adam(
        [{"params": list(net.parameters()), "lr": fcfg.lr},
         {"params": [latents], "lr": fcfg.lr_latent}]
    )
    base_lrs = [g["lr"] for g in opt.param_groups]
    eval_ids = list(range(min(n_items, fcfg.eval_items)))
    snapshot = _snapshot(model)
    last_psnr = _evaluate(model, pools, eval_ids)
    good_step = 0
    model.history.append(
        {"step": 0, "loss": None, "psnr": last_psnr, "elapsed": time.perf_counter() - t0}
    )
    yield FitProgress(0, fcfg.steps, math.nan, last_psnr, True, time.perf_counter() - t0,
                      fcfg.lr, model)

    b_items = min(n_items, fcfg.batch_items)
    per_item = max(1, fcfg.batch_points // b_items)
    fr = np.array([fcfg.frac_grid, fcfg.frac_uniform, fcfg.frac_near], dtype=float)
    if pools.n_uniform == 0:
        fr[1] = 0
    if pools.n_near == 0:
        fr[2] = 0
    fr = fr / fr.sum()
    n_grid = round(per_item * fr[0])
    n_uni_b = round(per_item * fr[1])
    n_near_b = max(0, per_item - n_grid - n_uni_b) if fr[2] > 0 else 0
    if fr[2] == 0:
        n_uni_b = per_item - n_grid
    t_train = time.perf_counter()
    step = 0
    while step < fcfg.steps:
        elapsed = time.perf_counter() - t0
        if fcfg.time_budget is not None and elapsed >= fcfg.time_budget:
            break
        progress = step / max(fcfg.steps, 1)
        if fcfg.time_budget is not None:
            # the decay follows the training time left after the pools were built
            budget = max(fcfg.time_budget - (t_train - t0), 1e-9)
            progress = max(progress, (time.perf_counter() - t_train) / budget)
        f = _lr_factor(progress, fcfg.lr_final)
        for g, base in zip(opt.param_groups, base_lrs, strict=True):
            g["lr"] = base * f

        ids = (torch.randperm(n_items, generator=gen)[:b_items] if n_items > b_items
               else torch.arange(n_items))
        x, y = _minibatch(pools, ids, n_grid, n_uni_b, n_near_b, gen, dev)
        pred = net(x, latents[ids.to(dev)])
        loss = torch.mean((pred - y) ** 2)
        lv = float(loss.detach())
        if not math.isfinite(lv) or lv > DIVERGED_LOSS:
            _restore(model, snapshot)
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
            and time.perf_counter() - t0 >= fcfg.time_budget
        ):
            evaluated = True  # the last step of a timed fit
        if evaluated:
            p = _evaluate(model, pools, eval_ids)
            if math.isfinite(p):
                last_psnr = p
                snapshot = _snapshot(model)
                good_step = step
            model.history.append(
                {"step": step, "loss": lv, "psnr": p, "elapsed": time.perf_counter() - t0}
            )
        yield FitProgress(step, fcfg.steps, lv, last_psnr, evaluated,
                          time.perf_counter() - t0, opt.param_groups[0]["lr"], model)
    if not model.history or model.history[-1]["step"] != step:
        last_psnr = _evaluate(model, pools, eval_ids)
        model.history.append(
            {"step": step, "loss": None, "psnr": last_psnr, "elapsed": time.perf_counter() - t0}
        )
    return model


def _adam(groups: list[dict[str, Any]]) -> torch.optim.Adam:
    """Fused Adam where this torch has it (CPU since torch 2.4), else the default one."""
    try:
        return torch.optim.Adam(groups, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(groups)


def _minibatch(
    pools: PointPools,
    ids: torch.Tensor,
    n_grid: int,
    n_uni: int,
    n_near: int,
    gen: torch.Generator,
    dev: torch.device,
) -> tuple[torch.Tensor, torch.Tensor]:
    """``[B, P, 3]`` points and ``[B, P, C]`` targets drawn from the pools of ``ids``."""
    b = len(ids)
    ids_d = ids.to(dev)
    xs, ys = [], []
    if n_grid:
        gi = torch.randint(0, pools.grid_x.shape[0], (b, n_grid), generator=gen).to(dev)
        xs.append(pools.grid_x[gi])
        ys.append(pools.grid_y[ids_d[:, None], gi])
    for n, lo, hi in ((n_uni, 0, pools.n_uniform),
                      (n_near, pools.n_uniform, pools.rand_x.shape[1])):
        if n and hi > lo:
            ri = torch.randint(lo, hi, (b, n), generator=gen).to(dev)
            xs.append(pools.rand_x[ids_d[:, None], ri])
            ys.append(pools.rand_y[ids_d[:, None], ri])
    return torch.cat(xs, dim=1), torch.cat(ys, dim=1)


@torch.no_grad()
def _evaluate(model: FittedModel, pools: PointPools, ids: list[int], chunk: int = 65536) -> float:
    """PSNR over every voxel and channel of the train grid of items ``ids``."""
    net = model.network
    mse_sum, count = 0.0, 0
    for i in ids:
        mods = net.modulations(model.latents[i : i + 1].detach())
        for a in range(0, pools.grid_x.shape[0], chunk):
            x = pools.grid_x[None, a : a + chunk]
            y = pools.grid_y[i : i + 1, a : a + chunk]
            d = net.forward_modulated(x, mods) - y
            mse_sum += float(torch.sum(d.double() ** 2))
            count += d.numel()
    mse = mse_sum / max(count, 1)
    if not math.isfinite(mse):
        return math.nan
    return float("inf") if mse == 0 else 10 * math.log10(1.0 / mse)


def _snapshot(model: FittedModel) -> dict[str, torch.Tensor]:
    snap = {k: v.detach().clone() for k, v in model.network.state_dict().items()}
    snap["__latents__"] = model.latents.detach().clone()
    return snap


@torch.no_grad()
def _restore(model: FittedModel, snap: dict[str, torch.Tensor]) -> None:
    model.network.load_state_dict({k: v for k, v in snap.items() if k != "__latents__"})
    model.latents.copy_(snap["__latents__"])


__all__ = ["FitProgress", "fit", "fit_model"]
