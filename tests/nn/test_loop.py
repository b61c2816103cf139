"""The training loop on a synthetic task: cadence, schedule, divergence, best weights."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import pytest
import torch

from napari_molfield.errors import MolfieldError
from napari_molfield.nn.loop import StepLoss, Task, adam, snapshot, train
from napari_molfield.nn.schedule import UNLIMITED_STEPS, ActiveClock, cosine_factor


@dataclass(frozen=True)
class Settings:
    steps: int = 10
    time_budget: float | None = None
    lr: float = 1e-2
    lr_final: float = 0.1
    eval_every: int = 4


class FakeClock(ActiveClock):
    """A clock that advances one second per call (unless held), for budget tests."""

    def __init__(self) -> None:
        super().__init__()
        self.t = 0.0
        self.held = False

    def __call__(self) -> float:
        if not self.held:
            self.t += 1.0
        return self.t

    def hold(self) -> None:
        self.held = True

    def release(self) -> None:
        self.held = False


def make_task(losses=None, scores=None, nan_total=()):
    """A linear model fit to y = 2x; ``losses``/``scores`` override the step's reported loss
    and the evaluations by call number; at calls in ``nan_total`` the descended loss is NaN."""
    torch.manual_seed(0)
    net = torch.nn.Linear(1, 1)
    latents = torch.nn.Parameter(torch.zeros(2, 3))
    x = torch.linspace(-1, 1, 16)[:, None]
    calls = {"loss": 0, "eval": 0}
    history: list[dict] = []

    def loss() -> StepLoss:
        i = calls["loss"]
        calls["loss"] += 1
        mse = torch.mean((net(x) - 2 * x) ** 2) + 0 * latents.sum()
        value = float(mse.detach()) if losses is None or i not in losses else losses[i]
        return StepLoss(mse * (math.nan if i in nan_total else 1.0), value, {"i": float(i)})

    def evaluate() -> float:
        i = calls["eval"]
        calls["eval"] += 1
        if scores is not None:
            return scores[i]
        with torch.no_grad():
            return -10 * math.log10(float(torch.mean((net(x) - 2 * x) ** 2)))

    model = object()
    task = Task(model, net, latents, loss, evaluate, history, what="test fit")
    opt = adam([{"params": list(net.parameters()), "lr": 1e-2},
                {"params": [latents], "lr": 1e-3}])
    return task, opt


def test_steps_cadence_records_and_history():
    task, opt = make_task()
    cfg = Settings()
    recs = list(train(task, opt, cfg, ActiveClock(), extra_keys=("i",)))
    assert [r.step for r in recs] == list(range(11))
    assert math.isnan(recs[0].loss) and math.isnan(recs[0].extras["i"]) and recs[0].evaluated
    assert [r.step for r in recs if r.evaluated] == [0, 4, 8, 10]
    assert [h["step"] for h in task.history] == [0, 4, 8, 10]
    assert task.history[1]["i"] == 3.0 and "i" not in task.history[0]
    assert recs[-1].psnr > recs[0].psnr  # it learns
    for r in recs[1:]:  # the cosine schedule of every group, from its own base rate
        f = cosine_factor((r.step - 1) / cfg.steps, cfg.lr_final)
        assert r.lr == pytest.approx(1e-2 * f)
    assert opt.param_groups[1]["lr"] == pytest.approx(1e-3 * cosine_factor(0.9, 0.1))


def test_divergence_restores_the_last_finite_evaluation():
    # evaluations at steps 0, 2, 4, 6 (4 and 6: nan, not a good state); step 7's loss is inf
    task, opt = make_task(losses={6: math.inf}, scores=[10.0, 11.0, math.nan, math.nan])
    cfg = Settings(eval_every=2)
    gen = train(task, opt, cfg, ActiveClock())
    kept = None
    with pytest.raises(MolfieldError, match=r"diverged \(loss is inf\) at step 7") as err:
        for r in gen:
            if r.step == 2:
                kept = snapshot(task.network, task.latents)
    assert err.value.model is task.model
    assert "weights of step 2" in str(err.value) and kept is not None
    for k, v in task.network.state_dict().items():
        assert torch.equal(v, kept[k])


def test_a_non_finite_total_is_divergence_too():
    task, opt = make_task(nan_total={3})
    with pytest.raises(MolfieldError, match=r"loss is NaN\) at step 4"):
        list(train(task, opt, Settings(), ActiveClock()))


def test_keep_best_restores_the_best_evaluation_with_a_warning():
    task, opt = make_task(scores=[20.0, 30.0, 22.0, 21.0])  # steps 0, 4, 8, 10
    best = None
    with pytest.warns(RuntimeWarning, match=r"test fit got worse after step 4 \(30.0 → 21.0"):
        for r in train(task, opt, Settings(), ActiveClock(), keep_best=0.5):
            if r.step == 4:
                best = snapshot(task.network, task.latents)
    assert task.history[-1]["restored"] == 4 and task.history[-1]["psnr"] == 30.0
    assert best is not None
    for k, v in task.network.state_dict().items():
        assert torch.equal(v, best[k])


def test_without_keep_best_the_last_weights_stay():
    task, opt = make_task(scores=[20.0, 30.0, 22.0, 21.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        list(train(task, opt, Settings(), ActiveClock()))
    assert "restored" not in task.history[-1] and task.history[-1]["psnr"] == 21.0


def test_within_the_margin_the_last_weights_stay():
    task, opt = make_task(scores=[20.0, 30.0, 29.8, 29.6])
    list(train(task, opt, Settings(), ActiveClock(), keep_best=0.5))
    assert "restored" not in task.history[-1]


def test_time_budget_ends_the_fit_and_its_last_step_is_evaluated():
    task, opt = make_task()
    recs = list(train(task, opt, Settings(steps=UNLIMITED_STEPS, time_budget=12.0,
                                          eval_every=1000), FakeClock()))
    assert 1 < recs[-1].step < 12
    assert recs[-1].evaluated and task.history[-1]["step"] == recs[-1].step
    assert recs[-1].elapsed >= 12.0
