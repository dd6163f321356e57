"""The loss panel draws what each run recorded: the training loss solid, the held-out loss dashed and dim."""

from __future__ import annotations

from nntui.scenario import load
from nntui.ui.app import NNTuiApp
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
