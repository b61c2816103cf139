"""The one training loop of the fits: Adam, the schedule, divergence, snapshots, progress.

A model kind (the auto-decoder's `fit`, the deformable `fit_deform`) builds its network,
latents, training points and Adam parameter groups, then hands `train` a `Task`: its
minibatch loss and its evaluation. Everything else is here, once:

* the cosine learning rate of every group (`nn.schedule`: steps and a time budget that
  counts training time only, `ActiveClock`);
* the step: loss → divergence check → ``zero_grad`` → ``backward`` → ``step``;
* the evaluation cadence (every ``eval_every`` steps, the last planned step, the step that
  uses up the time budget) and a final evaluation when the last step was not evaluated;
* a snapshot of the weights and latents at every finite evaluation: a diverging loss puts
  the last one back and raises `MolfieldError` (``error.model`` is the model);
* optionally (``keep_best``) the best evaluation's weights, put back with a warning when
  the fit ends that many dB below it;
* the history rows of the model and one `LoopStep` per step for the kind to yield.

The seeds, the order of random draws and the arithmetic are the kinds' own: the loop draws
nothing at random.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import torch

from ..errors import MolfieldError
from .device import pick_device, prepare_cpu
from .schedule import ActiveClock, cosine_factor, schedule_progress

#: Normalised targets peak near 1: a field loss this large is divergence.
DIVERGED_LOSS = 1e6


class LoopSettings(Protocol):
    """The fit settings the loop reads (`FitConfig`, `DeformFitConfig`)."""

    @property
    def steps(self) -> int: ...
    @property
    def time_budget(self) -> float | None: ...
    @property
    def lr(self) -> float: ...
    @property
    def lr_final(self) -> float: ...
    @property
    def eval_every(self) -> int: ...


@dataclass(frozen=True)
class StepLoss:
    """What one minibatch of a kind gives the loop.

    Attributes
    ----------
    total
        The scalar the optimiser descends.
    value
        The reported loss (the field MSE on the normalised scale); a non-finite value, or
        one above `DIVERGED_LOSS`, is divergence (so is a non-finite ``total``).
    extras
        Other numbers of the step for its progress record (``atom_rmsd``).
    """

    total: torch.Tensor
    value: float
    extras: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Task:
    """One model kind as the loop sees it.

    Attributes
    ----------
    model
        The live model (attached to a divergence error as ``error.model``).
    network, latents
        What a snapshot copies and a restore puts back.
    loss
        Draws one minibatch and returns its `StepLoss` (called once per step).
    evaluate
        PSNR in dB of the current weights (``nan`` when undefined).
    history
        The model's history list; the loop appends its rows.
    what
        How warnings name the fit (``"deformable fit"``).
    """

    model: object
    network: torch.nn.Module
    latents: torch.Tensor
    loss: Callable[[], StepLoss]
    evaluate: Callable[[], float]
    history: list[dict[str, Any]]
    what: str = "fit"


@dataclass(frozen=True)
class LoopStep:
    """One step of `train` (step 0: the untrained model, before the first step).

    ``loss`` is ``nan`` at step 0; ``psnr`` is the latest finite evaluation; ``lr`` is the
    first group's learning rate of the step; ``extras`` are the task's `StepLoss.extras`
    (``nan`` at step 0, for the keys the task names in ``extra_keys``).
    """

    step: int
    steps: int
    loss: float
    psnr: float
    evaluated: bool
    elapsed: float
    lr: float
    extras: dict[str, float]


def begin(seed: int, device: str
          ) -> tuple[ActiveClock, torch.device, torch.Generator, np.random.Generator]:
    """Start a fit: its clock (set-up counts against a time budget), its device (CPU
    threads set up) and its seeds: torch's global generator (network weights), a torch
    generator (latents, minibatches) and a numpy one (training points), all from ``seed``.
    """
    clock = ActiveClock()
    dev = pick_device(device)
    if dev.type == "cpu":
        prepare_cpu()
    torch.manual_seed(seed)
    return clock, dev, torch.Generator().manual_seed(seed), np.random.default_rng(seed)


def adam(groups: list[dict[str, Any]]) -> torch.optim.Adam:
    """Fused Adam where this torch has it (CPU since torch 2.4), else the default one."""
    try:
        return torch.optim.Adam(groups, fused=True)
    except (RuntimeError, TypeError, ValueError):
        return torch.optim.Adam(groups)


def snapshot(network: torch.nn.Module, latents: torch.Tensor) -> dict[str, torch.Tensor]:
    """A copy of the weights and the latents."""
    snap = {k: v.detach().clone() for k, v in network.state_dict().items()}
    snap["__latents__"] = latents.detach().clone()
    return snap


@torch.no_grad()
def restore(network: torch.nn.Module, latents: torch.Tensor,
            snap: dict[str, torch.Tensor]) -> None:
    """Put a `snapshot` back (in place: optimisers keep their parameters)."""
    network.load_state_dict({k: v for k, v in snap.items() if k != "__latents__"})
    latents.copy_(snap["__latents__"])


def train(
    task: Task,
    opt: torch.optim.Optimizer,
    settings: LoopSettings,
    clock: ActiveClock,
    *,
    extra_keys: tuple[str, ...] = (),
    keep_best: float | None = None,
    stacklevel: int = 3,
) -> Generator[LoopStep, None, None]:
    """Train ``task`` with ``opt`` until ``settings.steps`` or the time budget.

    Parameters
    ----------
    task
        The kind's loss, evaluation, weights and history.
    opt
        The optimiser (`adam`); each group's learning rate at entry is its base rate.
    settings
        Steps, time budget, learning rates and evaluation cadence.
    clock
        The fit's `ActiveClock`, started before its set-up (pools, warm-up): set-up counts
        against the budget but not against the schedule. It is held at every yield.
    extra_keys
        Keys of `StepLoss.extras`, reported as ``nan`` at step 0 and written into the
        history rows of evaluated steps.
    keep_best
        When the final evaluation is more than this many dB below the best one, that
        best's weights come back (a history row with ``"restored"``) with a
        `RuntimeWarning`. ``None``: the fit ends with its last weights.
    stacklevel
        Of that warning (3: the code that iterates the kind's generator).

    Yields
    ------
    LoopStep
        Step 0 (evaluated), then one per optimiser step.

    Raises
    ------
    MolfieldError
        When the loss diverges; the weights of the last finite evaluation are restored.
    """
    net, latents, history = task.network, task.latents, task.history
    base_lrs = [g["lr"] for g in opt.param_groups]
    nan_extras = dict.fromkeys(extra_keys, math.nan)
    snap = snapshot(net, latents)
    last_psnr = task.evaluate()
    good_step = 0
    best = (last_psnr if math.isfinite(last_psnr) else -math.inf, snap, 0)
    history.append({"step": 0, "loss": None, "psnr": last_psnr, "elapsed": clock()})
    clock.hold()
    yield LoopStep(0, settings.steps, math.nan, last_psnr, True, clock(), base_lrs[0],
                   nan_extras)
    clock.release()

    budget = settings.time_budget
    t_train = clock()  # the schedule follows the training time left after the set-up
    step = 0
    while step < settings.steps:
        elapsed = clock()
        if budget is not None and elapsed >= budget:
            break
        f = cosine_factor(schedule_progress(step, settings.steps, budget, elapsed, t_train),
                          settings.lr_final)
        for g, base in zip(opt.param_groups, base_lrs, strict=True):
            g["lr"] = base * f
        out = task.loss()
        _check(out, step, settings, good_step, task, snap)
        opt.zero_grad(set_to_none=True)
        out.total.backward()
        opt.step()
        step += 1
        evaluated = (step % settings.eval_every == 0 or step == settings.steps
                     or (budget is not None and clock() >= budget))
        if evaluated:
            p = task.evaluate()
            if math.isfinite(p):
                last_psnr, good_step = p, step
                snap = snapshot(net, latents)
                if p > best[0]:
                    best = (p, snap, step)
            history.append({"step": step, "loss": out.value, "psnr": p,
                            **{k: out.extras[k] for k in extra_keys}, "elapsed": clock()})
        clock.hold()
        yield LoopStep(step, settings.steps, out.value, last_psnr, evaluated, clock(),
                       opt.param_groups[0]["lr"], out.extras)
        clock.release()
    if not history or history[-1]["step"] != step:
        last_psnr = task.evaluate()
        history.append({"step": step, "loss": None, "psnr": last_psnr, "elapsed": clock()})
    if keep_best is not None and best[0] > last_psnr + keep_best:
        restore(net, latents, best[1])
        history.append({"step": step, "loss": None, "psnr": best[0], "restored": best[2],
                        "elapsed": clock()})
        warnings.warn(f"The {task.what} got worse after step {best[2]} ({best[0]:.1f} → "
                      f"{last_psnr:.1f} dB on the train grid); the model keeps the weights "
                      f"of step {best[2]}.", RuntimeWarning, stacklevel=stacklevel)


def _check(out: StepLoss, step: int, settings: LoopSettings, good_step: int, task: Task,
           snap: dict[str, torch.Tensor]) -> None:
    """Raise (after restoring ``snap``) when the step's loss diverged."""
    lv = out.value
    if math.isfinite(lv) and lv <= DIVERGED_LOSS:
        total = float(out.total.detach())
        if math.isfinite(total):
            return
        lv = total
    restore(task.network, task.latents, snap)
    shown = "NaN" if math.isnan(lv) else f"{lv:.3g}"
    err = MolfieldError(
        f"Training diverged (loss is {shown}) at step {step + 1} — lower the learning rate "
        f"(lr={settings.lr:g}); the model keeps the weights of step {good_step}."
    )
    err.model = task.model  # type: ignore[attr-defined]
    raise err


__all__ = ["DIVERGED_LOSS", "LoopSettings", "LoopStep", "StepLoss", "Task", "adam", "begin",
           "restore", "snapshot", "train"]
