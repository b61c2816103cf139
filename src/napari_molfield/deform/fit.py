"""Fit a deformable field ``f(x; z) = T(x + D(x, z))`` to an ensemble of conformers.

`fit_deform` is a plain generator like the auto-decoder's `fit`: iterate it to train;
every yielded `DeformProgress` carries the live `DeformModel`::

    for p in fit_deform([closed, open_], resolution=32, time_budget=90):
        print(p.step, p.loss, p.psnr, p.atom_rmsd)
    model = p.model

Losses: the field MSE (normalised Eq. 1 targets from `fields.pools`); the atom
correspondences ``x_k + D(x_k, z_k) = x_template`` (same atoms, same order in every
conformer), also along straight latent paths between conformers (so sliding ``z`` moves
atoms along the morph); and two regularisers that keep ``D`` smooth and small. With
``decoder="atoms"`` (`fit_atoms`) the latents decode every atom's position and the loss
is those positions' error.
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import torch

from ..chem.molecule import Molecule
from ..errors import MolfieldError
from ..fields.box import Box
from ..fields.channels import ChannelSpec
from ..fields.pools import build_pools
from ..nn.atom_decoder import AtomDecoder
from ..nn.batches import split_batch
from ..nn.deform_net import DeformNet
from ..nn.device import pick_device
from ..nn.loop import Task, adam, begin, train
from ..nn.schedule import budget_settings
from .config import DeformConfig, DeformFitConfig, get_preset, split_overrides
from .ensemble import ensemble_molecule, template_atoms
from .fit_atoms import atoms_network, atoms_task, with_atom_count
from .holdout import fit_latents, holdout_frames, with_held_out
from .model import DeformModel, atom_annotations
from .steps import AtomTargets, atom_loss, evaluate, path_loss, smooth_loss, step_loss

#: Standard deviation of the initial latents (distinct codes let ``D`` tell them apart).
LATENT_INIT = 0.1


@dataclass(frozen=True)
class DeformProgress:
    """One training step (as the auto-decoder's `FitProgress`, plus the atom error).

    Attributes
    ----------
    step, steps, loss, psnr, evaluated, elapsed, lr, model
        As in `FitProgress` (``loss`` is the field MSE, normalised scale, of the
        ``"warp"`` decoder; the atoms' mean squared error in Å² of the ``"atoms"`` one).
    atom_rmsd
        RMS of ``|x_k + D(x_k, z_k) − x_template|`` in Å over the step's atoms.
    """

    step: int
    steps: int
    loss: float
    psnr: float | None
    evaluated: bool
    elapsed: float
    lr: float
    model: DeformModel
    atom_rmsd: float
    stage: str = "fit"


def fit_deform(
    items: Molecule | Sequence[Molecule],
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
    holdout: int | None = None,
    **overrides: Any,
) -> Generator[DeformProgress, None, DeformModel]:
    """Fit one latent per conformer, a template and a displacement field.

    Parameters
    ----------
    items
        A `Molecule` with ≥ 2 conformers, or molecules holding the same atoms in the same
        order (two crystal states, NMR models, MD frames); every conformer of every
        molecule is one item, in order, all in one shared `Box`.
    channels, split, resolution, beta, preset, steps, time_budget, seed, device,
    add_hydrogens, padding
        As in the auto-decoder's `fit` (presets: `deform.config.PRESETS`).
    holdout
        Leave every ``holdout``-th conformer out of the fit (`holdout.holdout_frames`);
        after it, each gets a latent fitted to its field with the network frozen
        (`holdout.fit_latents`; progress records with ``stage="held-out"``). The model
        holds every conformer in order, the left-out ones marked ``"held_out"``.
    **overrides
        Any `DeformConfig` or `DeformFitConfig` field.

    Raises
    ------
    MolfieldError
        For molecules with different atoms, fewer than two conformers, bad settings, or
        a diverging loss (``error.model`` keeps the last evaluated weights).
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
    pick_device(device)
    pre = get_preset(preset)
    mo, fo = split_overrides(overrides)
    fo.update(seed=int(seed), device=str(device))
    fo.update(budget_settings(steps, time_budget))
    mcfg = replace(pre.model, out_channels=len(spec), **mo)
    fcfg = replace(pre.fit, **fo)
    mol, added = ensemble_molecule(items, add_hydrogens)
    if mol.n_conformers < 2:
        raise MolfieldError(
            f"{mol.name}: a deformable fit needs at least two conformers; fit one structure "
            "with the modulated SIREN (--model siren)."
        )
    spec.assign(mol, 0)  # a bad spec fails now
    box = Box.around(mol.coords, DEFAULT_PADDING if padding is None else float(padding))
    held = holdout_frames(mol.n_conformers, holdout) if holdout else []
    return _fit(mol, added, box, spec, int(resolution), beta, mcfg, fcfg, held)


def _fit(mol: Molecule, added: bool, box: Box, spec: ChannelSpec, resolution: int,
         beta: float, mcfg: DeformConfig, fcfg: DeformFitConfig, held: list[int]
         ) -> Generator[DeformProgress, None, DeformModel]:
    """`_run` on the conformers not in ``held``, then the held-out latents."""
    if not held:
        return (yield from _run(mol, added, box, spec, resolution, beta, mcfg, fcfg))
    kept = [i for i in range(mol.n_conformers) if i not in set(held)]
    train_mol = mol.subset(np.ones(mol.n_atoms, bool), conformers=kept)
    model = yield from _run(train_mol, added, box, spec, resolution, beta, mcfg, fcfg)
    last = model.history[-1] if model.history else {}
    z = yield from _held_out(model, mol.coords[held], fcfg.seed, last)
    full = with_held_out(model, mol, held, z)
    # the last record carries the whole model (front ends keep the last record's model)
    # (a fit that went back to its best weights ends on a row without loss or atom error)
    yield DeformProgress(int(last.get("step", 0)), int(last.get("step", 0)),
                         _number(last.get("loss")), last.get("psnr"), False,
                         _number(last.get("elapsed"), 0.0), 0.0, full,
                         _number(last.get("atom_rmsd")), "done")
    return full


def _number(value: Any, default: float = math.nan) -> float:
    """A history row's number (``default`` where the row has none)."""
    return default if value is None else float(value)


def _held_out(model: DeformModel, coords: np.ndarray, seed: int, last: dict[str, Any]
              ) -> Generator[DeformProgress, None, np.ndarray]:
    """`fit_latents` of the left-out frames, as progress records of the fit."""
    gen = fit_latents(model, coords, seed=seed)
    t0 = _number(last.get("elapsed"), 0.0)
    try:
        while True:
            p = next(gen)
            yield DeformProgress(p.step, p.steps, p.loss, None, False,
                                 t0 + p.elapsed, 0.0, model, math.nan, "held-out")
    except StopIteration as stop:
        return stop.value


def fit_deform_model(items: Molecule | Sequence[Molecule], **kwargs: Any) -> DeformModel:
    """Run `fit_deform` to the end and return the model."""
    gen = fit_deform(items, **kwargs)
    try:
        while True:
            next(gen)
    except StopIteration as stop:
        return stop.value


def _run(mol: Molecule, added: bool, box: Box, spec: ChannelSpec, resolution: int,
         beta: float, mcfg: DeformConfig, fcfg: DeformFitConfig
         ) -> Generator[DeformProgress, None, DeformModel]:
    from ..fields.sample import channel_peaks

    clock, dev, gen, rng = begin(fcfg.seed, fcfg.device)
    k = mol.n_conformers
    tables = [spec.assign(mol, i) for i in range(k)]
    scale = np.mean([channel_peaks(t, beta) for t in tables], axis=0)
    template = template_atoms(mol.coords, mcfg.template)
    assert mol.conformer_names is not None
    items = [{"name": f"{mol.name} [{c}]" if not c.startswith(mol.name) else c,
              "source": mol.source, "conformer": i, "conformer_name": c,
              "box": box.to_dict(), "scale": [float(s) for s in scale]}
             for i, c in enumerate(mol.conformer_names)]
    eval_ids = list(range(min(k, fcfg.eval_items)))
    if mcfg.decoder == "atoms":
        mcfg = with_atom_count(mcfg, mol.n_atoms)
        net: DeformNet | AtomDecoder = atoms_network(mcfg).to(dev)
    else:
        net = DeformNet(mcfg).to(dev)
    latents = torch.nn.Parameter(
        (torch.randn(k, mcfg.latent_dim, generator=gen) * LATENT_INIT).to(dev))
    model = DeformModel(net, mcfg, latents, items, spec.names, beta, resolution, box,
                        mol.coords.copy(), template, atom_annotations(mol), mol.name,
                        mol.source, added, fcfg.to_dict())
    if isinstance(net, AtomDecoder):
        task, opt = atoms_task(model, fcfg, eval_ids, gen)
    else:
        task, opt = _warp_task(model, net, tables, scale, rng, gen, fcfg, eval_ids,
                               clock.start)
    for s in train(task, opt, fcfg, clock, extra_keys=("atom_rmsd",),
                   keep_best=KEEP_BEST_MARGIN, stacklevel=4):  # user → _fit → _run
        yield DeformProgress(s.step, s.steps, s.loss, s.psnr, s.evaluated, s.elapsed, s.lr,
                             model, s.extras["atom_rmsd"])
    return model


def _warp_task(model: DeformModel, net: DeformNet, tables: list[Any], scale: np.ndarray,
               rng: np.random.Generator, gen: torch.Generator, fcfg: DeformFitConfig,
               eval_ids: list[int], t0: float) -> tuple[Task, torch.optim.Optimizer]:
    """The ``"warp"`` decoder's training points, warm-up, loss and optimiser."""
    box, resolution, dev = model.region, model.train_resolution, model.device
    k, latents = len(tables), model.latents
    # many frames (an MD trajectory): fewer points each, the pools' memory bounded
    n_pool = max(1, min(round(fcfg.pool_factor * resolution**3),
                        max(MAX_POOL_POINTS // k, resolution**3 // 2)))
    share = fcfg.frac_uniform / max(fcfg.frac_uniform + fcfg.frac_near, 1e-9)
    n_uni = round(n_pool * share) if fcfg.frac_uniform > 0 else 0
    pools = build_pools(tables, [box] * k, [scale] * k, resolution, n_uniform=n_uni,
                        n_near=(n_pool - n_uni) if fcfg.frac_near > 0 else 0,
                        near_sigma=fcfg.near_sigma, beta=model.beta, rng=rng).to(dev)
    f32 = {"dtype": torch.float32, "device": dev}
    atoms = AtomTargets(torch.as_tensor(box.to_unit(model.coords), **f32),
                        torch.as_tensor(box.to_unit(model.template_xyz), **f32), box.edge / 2)
    opt = adam([{"params": list(net.template.parameters()), "lr": fcfg.lr},
                {"params": list(net.warp.parameters()), "lr": fcfg.lr_warp},
                {"params": [latents], "lr": fcfg.lr_latent}])
    _warmup(net, latents, atoms, fcfg, gen, t0)  # set-up, like the pools
    b_items = min(k, fcfg.batch_items)
    counts = split_batch(max(1, fcfg.batch_points // b_items),
                         (fcfg.frac_grid, fcfg.frac_uniform, fcfg.frac_near),
                         pools.n_uniform, pools.n_near)
    task = Task(
        model, net, latents,
        loss=lambda: step_loss(net, latents, pools, atoms, fcfg, b_items, counts, gen),
        evaluate=lambda: evaluate(net, latents, pools, eval_ids),
        history=model.history,
        what="deformable fit",
    )
    return task, opt


#: Training points over all conformers' pools (4 B × (3 + C) each: ~0.8 GB at C = 9).
MAX_POOL_POINTS = 16_000_000
#: A fit that ends this many dB below its best evaluation goes back to that one.
KEEP_BEST_MARGIN = 0.5
#: Conformers per warm-up step (all of them when there are no more).
WARMUP_ITEMS = 16
#: Share of a time budget the warm-up may take (the rest trains the whole model).
WARMUP_SHARE = 0.25


def _warmup(net: DeformNet, latents: torch.Tensor, atoms: AtomTargets, fcfg: DeformFitConfig,
            gen: torch.Generator, t0: float) -> None:
    """Fit ``D`` and the latents to the atom correspondences (and regularisers) alone.

    With a time budget, the warm-up ends early once it has used `WARMUP_SHARE` of it.
    """
    if fcfg.warmup <= 0:
        return
    deadline = (None if fcfg.time_budget is None
                else t0 + WARMUP_SHARE * fcfg.time_budget)
    params = list(net.warp.parameters())
    opt = adam([{"params": params, "lr": fcfg.lr_warp},
                {"params": [latents], "lr": fcfg.lr_latent}])
    k = atoms.conformers.shape[0]
    n_atoms = 4 * fcfg.atom_points
    step_unit = fcfg.smooth_step / atoms.half
    for _ in range(fcfg.warmup):
        if deadline is not None and time.perf_counter() >= deadline:
            break
        # many frames (a trajectory): a random subset per step, like the joint fit
        ids = (torch.randperm(k, generator=gen)[:WARMUP_ITEMS] if k > WARMUP_ITEMS
               else torch.arange(k))
        loss = atom_loss(net, atoms, ids, latents, n_atoms, gen)
        if fcfg.path_weight > 0:
            loss = loss + (fcfg.path_weight / max(fcfg.atom_weight, 1e-12)) * path_loss(
                net, atoms, latents, fcfg.path_samples, n_atoms, gen)
        if fcfg.smooth_weight > 0:
            x = (torch.rand((len(ids), fcfg.atom_points, 3), generator=gen) * 2 - 1).to(
                latents.device)
            z = latents[ids.to(latents.device)]
            loss = loss + (fcfg.smooth_weight / max(fcfg.atom_weight, 1e-12)) * smooth_loss(
                net, x, net.displacement(x, z), z, step_unit, gen)
        if not torch.isfinite(loss):  # the settings, not bad luck: say which
            raise MolfieldError(
                f"The deformable warm-up diverged (atom loss {float(loss.detach()):.3g}): lower "
                f"lr_warp (now {fcfg.lr_warp:g}) or lr_latent (now {fcfg.lr_latent:g}).")
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


__all__ = ["DeformProgress", "fit_deform", "fit_deform_model"]
