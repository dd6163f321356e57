"""The loss and learning-rate panels draw what each run recorded: the training loss solid, the held-out loss
dashed and dim, the lr of every step as the optimizer used it; runs told apart without colour, a diverged run
kept from rescaling the others."""

from __future__ import annotations

import math
import re
from dataclasses import replace

import numpy as np
import pytest
from rich.style import Style
from textual.app import App

from nntui.commands import StepOnce
from nntui.panels.loss.widget import MAIN, TRACE, LossPlot
from nntui.panels.lr.widget import LearningRatePanel
from nntui.runner import RunView, View
from nntui.scenario import load
from nntui.schedules import learning_rate
from nntui.ui.app import NNTuiApp
from nntui.ui.draw.raster import MARGIN, fmt_short

from .conftest import wait_idle


def is_dots(char: str) -> bool:
    return "\u2801" <= char <= "\u28ff"


def held_out_cells(plot: LossPlot) -> int:
    """Cells of dots in a run's held-out style (its colour, not bold: the curve is bold, the noise faded)."""
    held = {plot._style(run, 1) for run in range(8)}
    return sum(1 for strip in plot._strips for seg in strip if seg.style is not None
               and Style(color=seg.style.color, bold=seg.style.bold) in {Style(color=h.color, bold=h.bold) for h in held}
               for ch in seg.text if is_dots(ch))


def run(label: str, losses, steps=None, **kwargs) -> RunView:
    losses = np.asarray(losses, float)
    steps = np.arange(len(losses), dtype=float) if steps is None else np.asarray(steps, float)
    return RunView(label=label, settings={}, steps=steps, losses=losses, loss=float(losses[-1]),
                   status=kwargs.pop("status", "converging"), diverged_at=kwargs.pop("diverged_at", None),
                   step=int(steps[-1]), **kwargs)


class OnePlot(App):
    def __init__(self, plot: LossPlot):
        super().__init__()
        self.plot = plot

    def compose(self):
        yield self.plot


async def drawn(runs, size=(120, 40), log_y=False, focus_run=None, above_floor=False, smooth=False) -> LossPlot:
    """A loss panel filling a `size` terminal, drawn from `runs` after their last step."""
    plot = LossPlot(log_y=log_y, above_floor=above_floor, smooth=smooth, smoothing=0.8)
    plot.focus_run = focus_run
    step = max(r.step for r in runs)
    view = View(version=1, state="ready", device="cpu", step=step, total=step, playing=False, finished=True,
                speed=None, rate=0.0, error=None, runs=tuple(runs))
    async with OnePlot(plot).run_test(size=size) as pilot:
        await pilot.pause()
        plot.show(view)
    return plot


def lines(plot: LossPlot) -> list[str]:
    return ["".join(seg.text for seg in strip) for strip in plot._strips]


def cells(plot: LossPlot) -> list[list[tuple[str, Style | None]]]:
    """The chart's cells right of the margin, row by row, as (character, style)."""
    return [[(ch, seg.style) for seg in strip for ch in seg.text][MARGIN:] for strip in plot._strips[:-1]]


def y_labels(plot: LossPlot) -> dict[int, str]:
    return {r: line[:MARGIN - 2].strip() for r, line in enumerate(lines(plot)[:-1]) if line[MARGIN - 1] == "┤"}


async def test_validation_loss_is_a_dashed_curve_in_the_run_s_colour():
    sc = load("binary_classification")  # (its loss panel beside the boundary, half the plots' width)
    sc = replace(sc, view=sc.view.model_copy(update={"panels": ["boundary", "loss", "variants", "lesson"]}))
    app = NNTuiApp(sc, device="cpu", run_steps=60, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        run = app.runner.view().runs[0]
        assert len(run.val_losses) == 7  # steps 0, 10, … 60 (eval_every = 10)
        plot = app.query_one(LossPlot)
        raw = held_out_cells(plot)
        assert raw >= 1 and "val" in str(plot.border_subtitle)  # ("╌ lighter: validation" where it fits)
        await pilot.press("tilde")  # smoothed, the training curve covers no more of it
        await pilot.pause()
        assert held_out_cells(plot) >= max(raw, 2)
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=60, questions=False)  # no data held out
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        plot = app.query_one(LossPlot)
        assert held_out_cells(plot) == 0 and "val" not in str(plot.border_subtitle)
        assert len(app.runner.view().runs[0].lrs) == 0  # no lr panel: each step's lr is not kept


async def test_the_gap_panel_draws_validation_minus_training_loss_where_its_axis_says():
    from nntui.panels.gap.widget import GapPanel

    steps = np.arange(0, 101, 10.0)
    train = 1 / (1 + steps)
    run_view = run("20 points", train, steps=steps, train_steps=steps, train_losses=train, val_steps=steps,
                   val_losses=train + 0.3 * steps / 100)  # a gap growing to 0.3
    plot = GapPanel()
    view = View(version=1, state="ready", device="cpu", step=100, total=100, playing=False, finished=True,
                speed=None, rate=0.0, error=None, runs=(run_view,))
    async with OnePlot(plot).run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        plot.show(view)
    labels = y_labels(plot)
    rows = sorted(labels)
    per_row = (float(labels[rows[0]]) - float(labels[rows[-1]])) / (rows[-1] - rows[0])
    grid = cells(plot)
    last = max(c for row in grid for c, (ch, _) in enumerate(row) if is_dots(ch))
    row = next(r for r, line in enumerate(grid) if is_dots(line[last][0]))
    assert abs(float(labels[rows[0]]) - (row - rows[0]) * per_row - 0.3) <= per_row  # its end reads 0.3
    assert "validation − training" in str(plot.border_title)


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
        rows = ["".join(seg.text for seg in strip) for strip in panel._strips]
        assert "0 to 0.08" in str(panel.border_subtitle) and not any("waiting" in row for row in rows)
        # one strip per run, bars as tall as its lr: constant's full all along, step's drop to 0.3× at step 150
        per = min(4, (panel.size.height - 1) // len(scenario.variants))  # each run's strip of rows, in order
        top_constant, top_step = rows[0], rows[per]  # (constant, then step)
        first, last = top_constant.index("█"), top_constant.rindex("█")
        assert set(top_constant[first:last + 1]) == {"█"}  # lr₀ at every step so far
        assert top_step[first] == "█" and top_step[last] == " "  # lr₀, then 0.3 × lr₀ after step 150


async def test_noisy_mini_batch_loss_is_a_faint_band_behind_a_thin_full_data_line():
    rng = np.random.default_rng(0)
    steps = np.arange(2048.0)
    trend = 2.0 - steps / 2048  # the loss on the whole training split: smooth
    noisy = run("a", trend * np.exp(rng.normal(0, 0.3, len(steps))),
                train_steps=steps[::8], train_losses=trend[::8])
    plot = await drawn([noisy])
    grid = cells(plot)
    assert not any(ch in "▘▝▀▖▌▞▛▗▚▐▜▄▙▟█" for row in grid for ch, _ in row)  # no blocks
    bold = [sum(1 for row in grid if is_dots(row[c][0]) and row[c][1].bold) for c in range(len(grid[0]))]
    assert max(bold) <= 2 and sum(b > 0 for b in bold) > 0.9 * len(bold)  # a thin line across the chart
    faint = sum(1 for row in grid for ch, st in row if is_dots(ch) and st.color == plot._style(0, TRACE).color)
    assert faint > 3 * sum(bold)  # the mini-batch noise: a faint band around it, in a colour faded toward the
    assert plot._style(0, TRACE).color != plot._style(0, MAIN).color  # background
    assert str(plot.border_subtitle).startswith("faint: each batch")  # the legend says what the faint dots are
    full_batch = run("b", trend, train_steps=steps, train_losses=trend)  # its batch is the split: no noise
    assert "faint" not in str((await drawn([full_batch])).border_subtitle)


async def test_smoothing_draws_each_compared_curve_as_its_ema_and_its_raw_points_faint():
    # batch_size: each end label at a noisy curve's last point put batch 8 above batch 1, while the claims (and
    # the runs' levels) put batch 1 highest (issue 27). Smoothed, a curve ends at its EMA, TensorBoard's way
    from nntui.panels.loss.widget import debiased_ema
    from nntui.panels.loss.widget import smoothed as smooth_curve

    rng = np.random.default_rng(1)
    steps = np.arange(0.0, 600.0, 10.0)
    high = 0.03 * np.exp(rng.normal(0, 0.8, len(steps)))  # batch 1: high on average …
    low = 0.004 * np.exp(rng.normal(0, 0.8, len(steps)))  # … batch 8: low on average, its last point high
    high[-1], low[-1] = 0.004, 0.05
    batches = np.exp(rng.normal(0, 1, 591))  # each step's mini-batch loss: noise of its own (not a full batch)
    runs = [run(name, values.mean() * batches, np.arange(591.0), train_steps=steps, train_losses=values)
            for name, values in (("one", high), ("eight", low))]
    plain, smoothed = await drawn(runs, log_y=True), await drawn(runs, log_y=True, smooth=True)

    def label_rows(plot) -> dict[str, int]:
        return {name: r for r, line in enumerate(lines(plot)) for name in ("one", "eight") if line.rstrip().endswith(
            f" {name}") or f" {name}:" in line}

    assert label_rows(plain)["eight"] < label_rows(plain)["one"]  # raw: the last points, upside down
    assert label_rows(smoothed)["one"] < label_rows(smoothed)["eight"]  # smoothed: the runs' levels
    curves = smoothed._curves(View(version=1, state="ready", device="cpu", step=590, total=590, playing=False,
                                   finished=True, speed=None, rate=0.0, error=None, runs=tuple(runs)))
    assert np.allclose(curves[0].main[1], smooth_curve(high, 0.8, True)) and np.array_equal(curves[0].trace[1], high)
    # on a log axis, the EMA of the log loss: a curve falling by decades follows its points (a linear EMA lay two
    # decades above them); on a linear axis, TensorBoard's EMA of the loss
    falling = 10.0 ** -np.arange(8.0)
    assert np.allclose(smooth_curve(falling, 0.8, True), 10.0 ** -debiased_ema(np.arange(8.0), 0.8))
    assert np.array_equal(smooth_curve(falling, 0.8, False), debiased_ema(falling, 0.8))
    assert smooth_curve(falling, 0.8, True)[-1] < 1e-4 < debiased_ema(falling, 0.8)[-1]
    assert debiased_ema(np.array([2.0, 2.0, 2.0]), 0.9).tolist() == pytest.approx([2.0, 2.0, 2.0])  # debiased
    assert "faint: before smoothing" in str(smoothed.border_subtitle)  # what the faint dots are now


async def test_the_faint_trace_says_why_it_differs_from_the_curve():
    # regularization: a full-batch dropout run's training-mode loss was "faint: batch", and its olive dots read as
    # a validation curve; batch_norm's likewise, beside a text saying every step uses all 300 points (issue 27)
    kinds = {name: [v.step_noise for v in load(name).variants] for name in ("regularization", "batch_norm",
                                                                            "batch_size")}
    assert kinds["regularization"][-1] == "dropout" and kinds["batch_norm"][-1] == "batch norm"
    assert set(kinds["batch_size"][1:]) == {"batch"}
    rng = np.random.default_rng(0)
    steps = np.arange(400.0)
    noisy = run("dropout", 0.1 * np.exp(rng.normal(0, 0.3, 400)), train_steps=steps[::10],
                train_losses=np.full(40, 0.1))
    for kind, said in (("dropout", "faint: with dropout on"), ("batch", "faint: each batch")):
        plot = LossPlot(traces=(kind,))
        view = View(version=1, state="ready", device="cpu", step=399, total=399, playing=False, finished=True,
                    speed=None, rate=0.0, error=None, runs=(noisy,))
        async with OnePlot(plot).run_test(size=(120, 40)) as pilot:
            await pilot.pause()
            plot.show(view)
        assert said in str(plot.border_subtitle) + " ".join(lines(plot)), kind


async def test_runs_whose_curves_coincide_are_labelled_as_one():
    losses = 1 / (1 + np.arange(100.0))
    same = [run("autograd", losses), run("by hand", losses * (1 + 1e-7)), run("sgd", 2 * losses)]
    ends = [line.rstrip() for line in lines(await drawn(same, log_y=True))]
    at = next(r for r, line in enumerate(ends) if line.endswith(" autograd"))
    assert ends[at + 1].endswith(" = by hand") and any(line.endswith(" sgd") for line in ends)
    ends = [line.rstrip() for line in lines(await drawn(same, log_y=True, focus_run=1))]  # the lesson's run on top
    at = next(r for r, line in enumerate(ends) if line.endswith(" by hand"))
    assert ends[at + 1].endswith(" = autograd")


async def test_a_run_drawn_under_another_says_so_at_its_curve_s_end_or_in_the_legend():
    losses = 1 / (1 + np.arange(300.0))
    runs = [run("full", losses), run("batch 32", losses * 1.002), run("apart", 30 * losses)]  # 0.2%: one row
    plot = await drawn(runs, log_y=True)
    ends = [line.rstrip() for line in lines(plot)]
    at = next(r for r, line in enumerate(ends) if re.search(r" full(: [-\d.e]+)?$", line))  # (a row apart: valued)
    # (labels wanting one row stack by value: batch 32's, 0.2% higher, on top)
    assert re.search(r" batch 32 \(under\)(: [-\d.e]+)?$", ends[at - 1]) and not any("apart (under)" in line
                                                                                  for line in ends)
    plot = await drawn(runs, size=(30, 12), log_y=True)  # no room for end labels: the legend counts it
    shown = " ".join([*lines(plot), str(plot.border_subtitle)])
    assert not any("(under)" in line for line in lines(plot)) and "ends under others: batch 32" in shown, shown
    runs = [run("full", losses), run("batch 32", losses * 1.5), run("apart", 30 * losses)]  # a row apart
    plot = await drawn(runs, log_y=True)
    assert not any("(under)" in line for line in lines(plot)) and "under" not in str(plot.border_subtitle)
    # under the others all along but ending apart: it is seen ending, and labelled there without "(under)"
    late = np.where(np.arange(300) < 250, losses * 1.002, losses * 8)
    plot = await drawn([run("full", losses), run("batch 32", late), run("apart", 30 * losses)], log_y=True)
    assert not any("(under)" in line for line in lines(plot)) and any(line.rstrip().endswith(" batch 32")
                                                                for line in lines(plot))


async def test_a_run_whose_last_third_lies_under_another_says_so_though_most_of_it_shows():
    # input_normalization: the standardized run, flat from step 10 under raw's curve from step 82 of 150, seemed
    # to stop at 82; most of its curve showed, so the half-the-curve rule called it seen
    steps = np.arange(150.0)
    raw = 0.1 + 1e-4 + 2 * np.exp(-steps / 12)  # on fast's dots from about step 80
    fast = np.where(steps < 5, 4.0 - 0.7 * steps, 0.1) + 1e-4
    plot = await drawn([run("raw", raw), run("fast", fast)], log_y=True)
    shown = " ".join([*lines(plot), str(plot.border_subtitle)])
    assert "fast (under)" in shown or "ends under others: fast" in shown, shown
    early = np.where(steps < 5, 4.0 - 0.7 * steps, 0.1) + 1e-4  # the same, with raw never reaching it: seen
    plot = await drawn([run("raw", 0.3 + 2 * np.exp(-steps / 12)), run("fast", early)], log_y=True)
    shown = " ".join([*lines(plot), str(plot.border_subtitle)])
    assert "under" not in shown, shown


async def test_labels_pushed_away_from_their_curves_say_their_values():
    # activations: seven runs ending within two rows of 0 stacked their names up to 0.45 (issue 27)
    steps = np.arange(100.0)
    ends = (0.012, 0.02, 0.022, 0.027, 0.064)
    runs = [run(f"r{k}", 0.7 * np.exp(-steps / 20) + end) for k, end in enumerate(ends)]
    text = "\n".join(lines(await drawn(runs, size=(90, 14))))
    assert all(re.search(rf"r{k}( \(under\))?: {re.escape(fmt_short(float(r.losses[-1]), 5))}", text)
               for k, r in enumerate(runs)), text
    apart = [run(f"r{k}", 0.7 * np.exp(-steps / 20) + end) for k, end in enumerate((0.05, 0.4))]
    assert ":" not in "".join(lines(await drawn(apart, size=(60, 14)))).split("┤")[-1]  # each at its own row


async def test_a_validation_curve_under_the_training_curve_is_said_to_be_there():
    losses = 1 / (1 + np.arange(101.0))
    steps = np.arange(0, 101, 10.0)
    same = dict(val_steps=steps, val_losses=losses[::10] * 1.001)
    plot = await drawn([run("run", losses, train_steps=np.arange(101.0), train_losses=losses, **same)])
    assert "╌ validation, hidden under ━" in str(plot.border_subtitle)
    apart = dict(val_steps=steps, val_losses=losses[::10] + 0.4)
    plot = await drawn([run("run", losses, train_steps=np.arange(101.0), train_losses=losses, **apart)])
    assert "╌ lighter: validation" in str(plot.border_subtitle) and "under" not in str(plot.border_subtitle)
    # under the training curve for most of the run, then apart: "hidden" contradicted the end in plain view
    parted = dict(val_steps=steps, val_losses=np.where(steps < 60, 1.001, 3) * losses[::10])
    plot = await drawn([run("run", losses, train_steps=np.arange(101.0), train_losses=losses, **parted)])
    assert "╌ lighter: validation, partly under ━" in str(plot.border_subtitle)


async def test_a_label_too_long_for_the_gutter_wraps_onto_the_next_rows_rather_than_being_cut():
    losses = 1 / (1 + np.arange(100.0))
    # (curves ending rows apart: wrapped there, a label pushes no other off its curve's row)
    runs = [run("relu, lr 0.05", losses), run("relu, lr 2", 10 * losses), run("leaky relu, lr 2", 100 * losses)]
    ends = [line.rstrip() for line in lines(await drawn(runs, size=(34, 24), log_y=True))]
    assert not any("leaky…" in line or "…lr 2" in line for line in ends)
    at = next(r for r, line in enumerate(ends) if line.endswith(" leaky"))  # "leaky relu, lr 2", by words
    assert ends[at + 1].endswith(" relu, lr 2") or (ends[at + 1].endswith(" relu, lr") and ends[at + 2].endswith(" 2"))


async def test_a_diverged_run_leaves_through_the_top_without_rescaling_the_others():
    steps = np.arange(200.0)
    calm = [run(f"lr {k}", 1.0 * np.exp(-steps / (30 * k)) + 0.01) for k in (1, 2)]
    wild = run("lr big", np.exp(steps[:60] * math.log(1e15) / 59), steps=steps[:60], diverged_at=59)
    plot = await drawn([*calm, wild], log_y=True)
    labels = {r: float(t) for r, t in y_labels(plot).items()}
    assert max(labels.values()) <= 10  # not 1e15
    grid = cells(plot)
    rows = [r for r, row in enumerate(grid) if any(is_dots(ch) and st.bold and st.color == plot._style(0, MAIN).color
                                                    for ch, st in row)]
    assert rows[-1] - rows[0] > 0.6 * len(grid)  # the runs that matter fill the chart
    marks = [c for c, (ch, st) in enumerate(grid[0]) if ch == "✗" and st.color == plot._style(2, MAIN).color]
    assert len(marks) == 1  # it left through the top …
    assert marks[0] > 0.15 * len(grid[0])  # … and its ✗ stands at step 59, where it diverged (the table's @59),
    # not at step 4, where its curve left the chart: an ↑ marks that, and the legend says what both are
    exits = [c for c, (ch, st) in enumerate(grid[0]) if ch == "↑" and st.color == plot._style(2, MAIN).color]
    assert len(exits) == 1 and exits[0] < 0.1 * len(grid[0])
    assert "✗ diverged" in str(plot.border_subtitle) and "↑ off the top" in str(plot.border_subtitle)
    # its label says the loss it left for (batch_norm: a curve topping out near 1e4 beside a table's 3.49e+06)
    assert any("✗lr big: 1e15" in line for line in lines(plot))


async def test_a_narrow_chart_explains_its_marks_in_a_row_of_its_own_when_its_border_has_no_room():
    # lr_sweep at 80x24: "2 under others" took the border, and the ↑ and ✗ on the chart were explained nowhere
    steps = np.arange(200.0)
    calm = [run(f"lr {k}", 1.0 * np.exp(-steps / (30 * k)) + 0.01) for k in (1, 2)]
    same = run("lr 2 again", calm[1].losses * 1.0005)
    wild = run("lr big", np.exp(steps[:60] * math.log(1e15) / 59), steps=steps[:60], diverged_at=59)
    plot = await drawn([*calm, same, wild], size=(26, 16), log_y=True)
    shown = " · ".join([str(plot.border_subtitle), *(line.strip() for line in lines(plot)[-2:])])
    drawn_marks = {ch for row in cells(plot) for ch, _ in row if ch in "✗↑"}
    assert drawn_marks == {"✗", "↑"}
    assert "✗ diverged" in shown and "↑ off top" in shown and "ends under others: 2 again" in shown, shown


async def test_above_its_floor_each_run_is_drawn_at_its_loss_minus_the_best_possible():
    # lr_sweep: 0.966 and 0.924 lay on one row of a 1–1000 axis; above the floor, 0.04 and 3e-5 are decades apart
    steps = np.arange(300.0)
    runs = [run(f"lr {k}", 0.9239 + 300 * np.exp(-steps / 10) + left, train_steps=steps,
                train_losses=0.9239 + 300 * np.exp(-steps / 10) + left, floor=0.9239)
            for k, left in ((1, 0.04), (2, 3e-5))]
    plot = await drawn(runs, log_y=True, above_floor=True)
    assert str(plot.border_title).startswith("Loss above the best possible (0.9239)")
    labels = y_labels(plot)
    rows = sorted(labels)
    per_row = (math.log10(float(labels[rows[0]])) - math.log10(float(labels[rows[-1]]))) / (rows[-1] - rows[0])
    grid = cells(plot)
    for k, left in enumerate((0.04, 3e-5)):
        color = plot._style(k, MAIN).color
        end = max(c for row in grid for c, (ch, st) in enumerate(row) if is_dots(ch) and st.color == color)
        row = next(r for r, line in enumerate(grid) if is_dots(line[end][0]) and line[end][1].color == color)
        read = math.log10(float(labels[rows[0]])) - (row - rows[0]) * per_row  # its end, back through the axis
        assert abs(read - math.log10(left)) <= per_row, (left, 10 ** read)


async def test_a_loss_below_the_log_axis_leaves_through_the_bottom_instead_of_lying_flat_on_it():
    # optimizers: momentum's 3.6e-44 was drawn as a flat line at 1e-12 from step 45 on, read as a stall
    steps = np.arange(150.0)
    plot = await drawn([run("sgd", 10.0 ** (-steps / 15)), run("momentum", 10.0 ** (-steps))], log_y=True)
    grid = cells(plot)
    color = plot._style(1, MAIN).color
    exit_col = next(c for c, (ch, st) in enumerate(grid[-1]) if ch == "↓" and st.color == color)
    assert exit_col < 0.2 * len(grid[-1])  # it left at about step 12
    assert not any(is_dots(ch) and st.color == color for row in grid for ch, st in row[exit_col + 2:])
    assert "↓ below 1e-12" in str(plot.border_subtitle)


async def test_log_axis_labels_fit_the_margin_are_evenly_spaced_and_below_one():
    for size in ((80, 24), (120, 40), (40, 12)):  # a whole terminal, and the loss panel's share of 80x24
        for low, high in ((0.05, 0.2), (3e-5, 4e-4), (0.002, 3.0), (1e-6, 10.0), (1e-12, 1e3)):
            await check_log_labels(size, low, high)


async def check_log_labels(size, low, high):
    losses = np.geomspace(high, low, 50)
    plot = await drawn([run("a", losses)], size=size, log_y=True)
    labels = y_labels(plot)
    values = [float(labels[r]) for r in sorted(labels)]  # every label is a whole number, never cut
    assert len(values) >= 2 and all(len(t) <= MARGIN - 2 for t in labels.values())
    assert values == sorted(values, reverse=True) and min(values) < 1
    if math.log10(high / low) >= 3:  # whole decades, the same number of rows apart
        gaps = np.diff(sorted(labels))
        assert gaps.max() - gaps.min() <= 1 and all(math.log10(v).is_integer() for v in values), labels
    if math.log10(high / low) >= 2:  # decades: the same number of rows apart
        gaps = np.diff(sorted(labels))
        assert gaps.max() - gaps.min() <= 1 and all(math.log10(v).is_integer() for v in values)


async def test_without_colour_each_run_is_a_solid_line_named_at_its_end(monkeypatch):
    # (runs were told apart by dashes, which students read as gaps in the data: issue 27)
    monkeypatch.setenv("NO_COLOR", "1")
    runs = [run("solid", np.full(100, 1.0)), run("second", np.full(100, 2.0))]
    plot = await drawn(runs)
    grid = cells(plot)
    curves = [line for line in grid if sum(is_dots(ch) for ch, _ in line) > 20]  # one row per run
    gaps = [sum(ch == " " for ch, _ in line[:max(i for i, (ch, _) in enumerate(line) if is_dots(ch))])
            for line in curves]
    assert len(curves) == 2 and gaps == [0, 0]  # no gap in either line
    text = lines(plot)
    assert any(line.rstrip().endswith("solid") for line in text)  # labels at the curves' ends
    assert any(line.rstrip().endswith("second") for line in text)


async def test_the_run_the_current_beat_is_about_is_drawn_on_top():
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=25, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        plot = app.query_one(LossPlot)
        assert plot.focus_run == 0  # the step-20 beat is about lr=0.0005
        app.runner.send(StepOnce())
        for _ in range(20):
            app.runner.send(StepOnce())
        await wait_idle(app, pilot)
        app.refresh_panels(force=True)
        assert app.runner.view().step == 46 and plot.focus_run == 5  # step 40: lr=0.03


async def test_losses_far_off_the_chart_draw_without_a_crash():
    # a run blowing up on a linear axis: its mini-batch losses reach 1e300, whose dot rows overflowed an int
    steps = np.arange(50.0)
    calm = run("calm", 1 / (1 + steps), train_steps=steps, train_losses=1 / (1 + steps))
    wild = run("wild", np.where(steps < 40, 1.0, 1e300), train_steps=steps[::10], train_losses=np.ones(5))
    plot = await drawn([calm, wild])
    assert any(is_dots(ch) for row in cells(plot) for ch, _ in row)


async def test_a_run_early_stopping_ended_on_another_s_path_is_said_to_share_its_curve():
    # early_stopping: 'no stopping' lay under 'patience 150' until step 430 and seemed to start there
    steps = np.arange(0, 801, 10.0)
    losses = 1 / (1 + steps / 50)
    on = run("no stopping", losses, steps=steps, train_steps=steps, train_losses=losses)
    cut = steps <= 430
    restored = np.append(losses[cut][:-1], losses[20])  # its last point: the best weights put back
    stopped = run("patience 150", restored, steps=steps[cut], train_steps=steps[cut], train_losses=restored,
                  stopped_at=430)
    plot = await drawn([on, stopped], log_y=True)
    assert "one curve until ■" in str(plot.border_subtitle)
    apart = run("patience 150", restored * 1.5, steps=steps[cut], train_steps=steps[cut], train_losses=restored * 1.5,
                stopped_at=430)
    assert "one curve" not in str((await drawn([on, apart], log_y=True)).border_subtitle)


def test_a_label_never_sits_on_another_curve_s_row_without_its_value():
    # dead_relu at 80x24: three curves ending a row apart on a six-row chart, each name pushed onto the next
    # curve's row, named each curve as another run; a label off its row says its value, or none is drawn
    from nntui.panels.loss.labels import end_labels

    groups = [[(0, "")], [(1, "")], [(2, "")]]
    names, last = ["relu, lr 2", "relu, lr 0.05", "leaky relu, lr 2"], {0: 0.4589, 1: 0.03728, 2: 0.001606}
    apart = {0: (1, 20), 1: (3, 20), 2: (5, 20)}
    assert [t for _, _, t in end_labels(groups, names, apart, last, 6, 30)] == names  # each on its own row
    crowded = {0: (2, 20), 1: (2, 20), 2: (3, 20)}  # two want row 2: one is pushed onto the third's row
    assert [t for _, _, t in end_labels(groups, names, crowded, last, 6, 30)] == [
        "relu, lr 2: 0.459", "relu, lr 0.05: 0.037", "leaky relu, lr 2: 0.002"]  # (fmt_short, 5 cells)
    # no room to say the values: only the labels with a row of their own (the legend names the other)
    assert [t for _, _, t in end_labels(groups, names, crowded, last, 6, 12)] == ["relu, lr 2", "leaky relu, lr 2"]
    under = [[(0, "")], [(1, "≈")], [(2, "")]]  # with "(under)" too long, the value stays and the legend names it
    assert [t for _, _, t in end_labels(under, names, crowded, last, 6, 24)] == [
        "relu, lr 2: 0.459", "relu, lr 0.05: 0.037", "leaky relu, lr 2: 0.002"]
    same = [[(0, ""), (1, "=")], [(2, "")]]  # "= b" under "a" is where it belongs
    assert [t for _, _, t in end_labels(same, names, {0: (2, 20), 2: (5, 20)}, last, 6, 12)] == [
        "relu, lr 2", "= relu, lr 0.05", "leaky relu, lr 2"]


async def test_the_best_constant_guess_is_a_dotted_line_where_the_axis_says():
    # vanishing_gradients, activations: "stuck at ln 4 ≈ 1.386" had no line to be stuck on; the constant
    # guess's loss is drawn dotted behind the curves and named in the legend
    steps = np.arange(200.0)
    runs = [run("tanh", 0.7 + 0 * steps, baseline=math.log(4)),  # (a curve on the line would cover it)
            run("relu", 1.4 * np.exp(-steps / 30) + 0.01, baseline=math.log(4))]
    plot = await drawn(runs, size=(80, 24))
    labels = {float(t): r for r, t in y_labels(plot).items()}
    per_row = (max(labels) - min(labels)) / (labels[min(labels)] - labels[max(labels)])
    row = labels[max(labels)] + round((max(labels) - math.log(4)) / per_row)  # the row of 1.386 by the ticks
    dim = [c for c, (ch, st) in enumerate(cells(plot)[row]) if is_dots(ch) and st is not None and st.dim]
    assert len(dim) > 10 and "guess 1.386" in "".join(lines(plot)[-2:]) + str(plot.border_subtitle)
    apart = [replace(r, baseline=r.baseline * (1 + k)) for k, r in enumerate(runs)]  # no one guess: no line
    plot = await drawn(apart, size=(80, 24))
    assert "guess" not in "".join(lines(plot)[-2:]) + str(plot.border_subtitle)


async def test_the_guess_line_under_a_run_that_learned_nothing_is_said_to_be_there():
    # vanishing_gradients: sigmoid sits on ln 4 all run long, and the legend named a dotted line nobody could see
    steps = np.arange(200.0)
    stuck = run("sigmoid", np.full(200, 1.3863) + 1e-4 * np.sin(steps), baseline=1.3863)
    learns = run("relu", 1.3863 * np.exp(-steps / 30) + 0.01, baseline=1.3863)
    for size in ((120, 40), (80, 24)):
        plot = await drawn([stuck, learns], size=size, log_y=True)
        legend = str(plot.border_subtitle)
        assert "guess 1.386, behind sigmoid" in legend + "\n".join(lines(plot)), (size, legend)
    plot = await drawn([learns], log_y=True)  # seen: named alone
    assert "guess 1.386" in str(plot.border_subtitle) and "under" not in str(plot.border_subtitle)


async def test_a_curve_gone_through_the_bottom_is_labelled_with_its_loss():
    # optimizers: momentum's loss 3.6e-44 leaves a log axis floored at 1e-12 with ↓; its label said "1e-15"
    steps = np.arange(150.0)
    runs = [run("momentum", 10.0 * 0.5 ** steps), run("sgd", 10.0 * 0.9 ** steps + 1e-9),
            run("adam", 10.0 * 0.95 ** steps + 1e-7), run("rmsprop", 10.5 * 0.9 ** steps + 1.05e-9)]
    text = "\n".join(lines(await drawn(runs, size=(90, 20), log_y=True)))
    assert "1e-15" not in text and "↓" in text
    assert f"momentum: {fmt_short(runs[0].loss, 5)}" in text, text


def test_a_short_number_never_reads_as_zero():
    # optimizers: "rmsprop: 0.000" for a loss of 8.07e-4, the plain form cut to five characters
    for value in (8.07e-4, 1.73e-4, 5e-4, 3.64e-44, 0.006, 0.25, 12.5, 1.5e5):
        text = fmt_short(value, 5)
        assert len(text) <= 5 and float(text) == pytest.approx(value, rel=0.5), (value, text)


async def finished(plot: LossPlot, runs: list[RunView]) -> LossPlot:
    """`plot` in a 60x20 terminal, drawn from `runs` after their 800 steps."""
    view = View(version=1, state="ready", device="cpu", step=800, total=800, playing=False, finished=True,
                speed=None, rate=0.0, error=None, runs=tuple(runs))
    async with OnePlot(plot).run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        plot.show(view)
    return plot


def climbing_validation() -> list[RunView]:
    """early_stopping's two runs: one trained on, its validation loss climbing from step 280, and one stopped at
    430 with its best weights put back."""
    steps = np.arange(0, 801, 10.0)
    train = 1 / (1 + steps / 20)
    val = 0.08 + 0.5 * np.exp(-steps / 40) + 0.05 * np.clip(steps - 280, 0, None) / 520
    cut = steps <= 430
    kept = np.append(val[cut][:-1], val[28])  # restored: the validation loss of step 280
    return [run("no stopping", train, steps=steps, train_steps=steps, train_losses=train, val_steps=steps,
                val_losses=val, lowest_val=(280, float(val[28]))),
            run("patience 150", train[cut], steps=steps[cut], train_steps=steps[cut], train_losses=train[cut],
                val_steps=steps[cut], val_losses=kept, lowest_val=(280, float(val[28])), stopped_at=430)]


async def test_the_validation_panel_draws_each_held_out_loss_where_its_axis_says_and_the_loss_panel_training_alone():
    from nntui.panels.val_loss.widget import ValLossPlot

    runs = climbing_validation()
    panel = await finished(ValLossPlot(draws_held_out=False), runs)
    assert str(panel.border_title).startswith("Validation loss")
    labels, grid = y_labels(panel), cells(panel)
    rows = sorted(labels)
    per_row = (float(labels[rows[0]]) - float(labels[rows[-1]])) / (rows[-1] - rows[0])
    last = max(c for row in grid for c, (ch, _) in enumerate(row) if is_dots(ch))
    row = next(r for r, line in enumerate(grid) if is_dots(line[last][0]))
    end = float(labels[rows[0]]) - (row - rows[0]) * per_row
    assert abs(end - runs[0].val_losses[-1]) <= per_row  # the climbing run ends where its axis says, 0.13
    text = "\n".join(lines(panel))
    assert "▼280" in text and "■" in text  # its lowest point, and where the other stopped
    # its own axis, to the validation losses' top (0.58), not the training loss's 1: on the training loss's log
    # axis (0.001 to 1 in overfitting) the climb from 0.08 to 0.13 had been one row
    assert float(labels[rows[0]]) < 1
    training = await finished(LossPlot(draws_held_out=False), runs)
    assert str(training.border_title).startswith("Training loss")
    assert held_out_cells(training) == 0 and "▼" not in "\n".join(lines(training))
    assert "val" not in str(training.border_subtitle)


async def test_a_stopped_run_s_label_never_writes_over_another_curve():
    # early_stopping's validation: "■patience 150" had covered the climb of the run trained on, right of the ■
    from nntui.panels.val_loss.widget import ValLossPlot

    runs = climbing_validation()
    runs[0] = replace(runs[0], val_losses=np.full(len(runs[0].val_losses), runs[1].val_losses[-1]))  # on its row
    grid = cells(await finished(ValLossPlot(draws_held_out=False), runs))
    row = next(r for r, line in enumerate(grid) if "■" in "".join(ch for ch, _ in line))
    line = "".join(ch for ch, _ in grid[row])
    curve_end = max(c for c, ch in enumerate(line) if is_dots(ch))
    assert line.index("patience") > curve_end  # in the gutter, right of the other run's curve


def test_a_live_log_axis_holds_its_range_while_the_loss_falls_and_a_still_one_is_the_data_s_own():
    # lr_schedules at 200x60: a falling loss crossed a quarter-decade snap every other frame, and each change
    # redrew (and resent) the whole chart
    from nntui.panels.loss.widget import STEADY_MARGIN

    plot = LossPlot(log_y=True)

    def view(playing: bool) -> View:
        return View(version=1, state="ready", device="cpu", step=10, total=100, playing=playing, finished=False,
                    speed=None, rate=0.0, error=None, runs=())

    first = plot._steady(view(True), (0.1, 10.0))
    assert first[0] == pytest.approx(0.1 / 10 ** STEADY_MARGIN) and first[1] == 10.0  # room to fall into
    for lo in (0.08, 0.06, 0.04):  # the loss falls within that room: the same axis, frame after frame
        assert plot._steady(view(True), (lo, 10.0)) == first
    lower = plot._steady(view(True), (0.01, 10.0))  # out of it: a new range, with room again
    assert lower[0] == pytest.approx(0.01 / 10 ** STEADY_MARGIN)
    assert plot._steady(view(False), (0.01, 10.0)) == (0.01, 10.0)  # paused: the data's own range
    linear = LossPlot(log_y=False)
    assert linear._steady(view(True), (0.0, 2.0)) == (0.0, 2.0)
