"""The training clock: a time budget counts training, not the time a consumer holds it."""

from __future__ import annotations

import numpy as np
import pytest

from napari_molfield.chem.molecule import Molecule
from napari_molfield.nn.schedule import ActiveClock, cosine_factor


@pytest.fixture(scope="module")
def water_methanol_ensemble() -> Molecule:
    """Two conformers of methanol (the hydroxyl H turned)."""
    xyz = np.array([
        [0.000, 0.000, 0.000], [1.410, 0.000, 0.000], [-0.360, 1.030, 0.000],
        [-0.360, -0.510, 0.890], [-0.360, -0.510, -0.890], [1.730, 0.900, 0.000],
    ])
    other = xyz.copy()
    other[5] = [1.730, -0.450, 0.780]
    return Molecule(["C", "O", "H", "H", "H", "H"], np.stack([xyz, other]), name="methanol")


class FakeTime:
    """A clock that moves only when told (and by 1 ms each time it is read)."""

    def __init__(self) -> None:
        self.now = 100.0

    def perf_counter(self) -> float:
        self.now += 1e-3
        return self.now


@pytest.fixture
def fake_time(monkeypatch):
    from napari_molfield.nn import schedule

    fake = FakeTime()
    monkeypatch.setattr(schedule, "time", fake)
    return fake


def test_active_clock_stands_still_while_held(fake_time):
    clock = ActiveClock()
    fake_time.now += 5.0
    clock.hold()
    held_at = clock()
    fake_time.now += 60.0
    assert clock() == held_at  # frozen while held
    clock.release()
    fake_time.now += 2.0
    assert 7.0 <= clock() < 7.01  # 5 s + 2 s running; the 60 s hold is not counted


def test_cosine_factor_ends():
    assert cosine_factor(0.0, 0.05) == pytest.approx(1.0)
    assert cosine_factor(1.0, 0.05) == pytest.approx(0.05)
    assert cosine_factor(2.0, 0.05) == pytest.approx(0.05)


@pytest.mark.parametrize("kind", ["siren", "deform"])
def test_a_paused_consumer_does_not_spend_the_time_budget(kind, water_methanol_ensemble,
                                                          fake_time):
    """Hold the generator 1000 s (of the fit's clock) after its first step: it still trains
    its whole budget, and stops right after it (no wall clock involved)."""
    if kind == "siren":
        from napari_molfield.autodecoder.fit import fit as run
    else:
        from napari_molfield.deform.fit import fit_deform as run
    budget = 0.5  # 500 reads of the fake clock
    last = None
    for last in run(water_methanol_ensemble, resolution=12, preset="tiny", steps=10**6,
                    time_budget=budget, device="cpu", seed=0):
        if last.step == 1:
            fake_time.now += 1000.0  # e.g. a paused Fit widget
    assert last is not None and last.step > 1
    assert budget <= last.elapsed < budget + 0.05, last.elapsed  # the hold is not counted


def test_a_time_budget_alone_decides_when_a_fit_ends(water_methanol_ensemble):
    """No steps given: the budget, not the preset's step count, ends the fit."""
    from napari_molfield.autodecoder.fit import fit
    from napari_molfield.nn.schedule import UNLIMITED_STEPS

    runs = list(fit(water_methanol_ensemble, resolution=12, preset="tiny", time_budget=2.5,
                    device="cpu", seed=0))
    last = runs[-1]
    assert last is not None and last.steps == UNLIMITED_STEPS and last.elapsed >= 2.5


def test_budget_settings_and_schedule_progress():
    from napari_molfield.nn.schedule import UNLIMITED_STEPS, budget_settings, schedule_progress

    assert budget_settings(None, None) == {}
    assert budget_settings(500, None) == {"steps": 500}
    assert budget_settings(None, 30) == {"steps": UNLIMITED_STEPS, "time_budget": 30.0}
    assert budget_settings(500, 30) == {"steps": 500, "time_budget": 30.0}
    assert schedule_progress(50, 100, None, 999.0, 0.0) == pytest.approx(0.5)
    # 10 s of set-up, then half of the 20 s left: half-way, whatever the step count says
    assert schedule_progress(1, UNLIMITED_STEPS, 30.0, 20.0, 10.0) == pytest.approx(0.5)
