"""The loss and learning-rate panels draw what each run recorded: the training loss solid, the held-out loss
dashed and dim, the lr of every step as the optimizer used it."""

from __future__ import annotations

import pytest

from nntui.scenario import load
from nntui.schedules import learning_rate
from nntui.ui.app import NNTuiApp
from nntui.ui.learning_rate import LearningRatePanel
from nntui.ui.loss import LossPlot

from .conftest import wait_idle


def dim_cells(plot: LossPlot) -> int:
    return sum(1 for strip in plot._strips for seg in strip if seg.style is not None and seg.style.dim
               and seg.text.strip() and seg.text[0] in "▘▝▀▖▌▞▛▗▚▐▜▄▙▟█")


async def test_validation_loss_is_a_dashed_dim_curve_in_the_run_s_colour():
    app = NNTuiApp(load("binary_classification"), device="cpu", run_steps=60, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        run = app.runner.view().runs[0]
        assert len(run.val_losses) == 7  # steps 0, 10, … 60 (eval_every = 10)
        plot = app.query_one(LossPlot)
        assert dim_cells(plot) >= 1 and "╌ validation" in str(plot.border_subtitle)
        await pilot.press("tilde")  # smoothed, the training curve covers less of it
        await pilot.pause()
        assert dim_cells(plot) >= 5
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=60, questions=False)  # no data held out
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        plot = app.query_one(LossPlot)
        assert dim_cells(plot) == 0 and "validation" not in str(plot.border_subtitle)
        assert len(app.runner.view().runs[0].lrs) == 0  # no lr panel: each step's lr is not kept


async def test_the_lr_panel_shows_each_step_s_learning_rate_as_the_optimizer_used_it():
    scenario = load("lr_schedules")
    app = NNTuiApp(scenario, device="cpu", run_steps=160, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        for run, variant in zip(app.runner.view().runs, scenario.variants):
            assert run.lr_steps.tolist() == list(range(160))
            want = [learning_rate(variant.train, t, variant.steps) for t in range(160)]
            assert run.lrs.tolist() == pytest.approx(want, rel=1e-12), variant.label
        panel = app.query_one(LearningRatePanel)
        drawn = "".join(seg.text for strip in panel._strips for seg in strip)
        assert "0.08" in drawn and "waiting" not in drawn  # the axis reaches lr₀
        await pilot.press("l")  # the loss panel's log key leaves the lr axis linear
        await pilot.pause()
        assert not panel.log_y and app.query_one("#loss", LossPlot).log_y is False
