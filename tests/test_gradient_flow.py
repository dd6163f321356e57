"""The gradient-flow panel: its numbers are the engine's, its keys switch runs, NaN never crashes it."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from textual.app import App, ComposeResult

from nntui.claims import fmt
from nntui.engine import Engine
from nntui.panels.gradient_flow.widget import (
    NONFINITE_RGB,
    GradientFlowPanel,
    bar_span,
    weight_layers,
)
from nntui.runner import View
from nntui.scenario import load
from nntui.ui import STYLESHEET
from nntui.ui.app import NNTuiApp
from nntui.ui.draw.palette import scale_rgb

from .conftest import diverged_run, wait_idle

DEEP = "tests/data/deep_mlp.toml"


def test_sigmoid_gradients_vanish_toward_the_input_and_relu_keeps_them():
    engine = Engine(load(DEEP), "cpu")
    engine.advance(20)
    sigmoid, relu = engine.frame().runs
    layers = [i for i, shape in enumerate(sigmoid.param_shapes) if len(shape) == 2]
    s, r = sigmoid.grad_norms[layers], relu.grad_norms[layers]
    assert s[0] < 0.1 * s[-1], "sigmoid: the first layer gets far less gradient than the last"
    assert r.max() < 10 * r.min(), "relu + he: all layers within 10x"


async def test_panel_shows_the_engine_numbers_and_brackets_switch_runs():
    app = NNTuiApp(load(DEEP), device="cpu", run_steps=20)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GradientFlowPanel)
        view = app.runner.view()
        run = view.runs[0]
        layers = weight_layers(run)
        assert len(layers) == 7 and run.grads.shape[1] == len(run.param_names)
        header, first_row = ("".join(seg.text for seg in strip) for strip in panel._strips[:2])
        # what the bar and the strip beside it are; one moment has no strip (it would look like every step)
        one_moment = run.grad_steps[0] == run.grad_steps[-1]
        assert ("‖∇W‖ at step" if one_moment else "‖∇W‖ now") in header  # (not held: the title does not say the step)
        assert ("each step →" in header) is not one_moment
        assert first_row.startswith("L1 (in)") and f"{run.grads[-1, layers[0]]:.1e}" in first_row
        assert "sigmoid" in str(panel.border_title)
        panel.focus()
        await pilot.press("right_square_bracket")
        assert panel.run_index == 1 and "relu" in str(panel.border_title)
        await pilot.press("left_square_bracket", "left_square_bracket")
        assert panel.run_index == 1


class PanelApp(App):
    CSS_PATH = STYLESHEET  # the panel's styles, as in the app

    def compose(self) -> ComposeResult:
        yield GradientFlowPanel()


async def test_nan_and_inf_gradients_draw_a_marker():
    grads = np.array([[1e-3, 0.1, 1e-2, 0.1], [np.nan, 0.1, np.inf, 0.1], [0.0, 0.0, 1e-9, 0.0]])
    run = diverged_run(2, param_names=("0.weight", "0.bias", "2.weight", "2.bias"),
                      param_shapes=((4, 2), (4,), (1, 4), (1,)), grad_steps=np.array([1, 2, 3]), grads=grads)
    view = View(1, "ready", "cpu", 2, 10, False, True, 60, math.nan, None, (run,))
    app = PanelApp()
    async with app.run_test(size=(70, 12)) as pilot:
        panel = app.query_one(GradientFlowPanel)
        panel.show(view)
        await pilot.pause()
        texts = "".join(seg.text for strip in panel._strips for seg in strip)
        assert "×" in texts and "L1 (in)" in texts and "L2 (out)" in texts
        styles = {seg.style.color.triplet for strip in panel._strips for seg in strip if seg.style and seg.style.color}
        assert tuple(NONFINITE_RGB) in {tuple(c) for c in styles if c}


def test_color_scale_is_monotone_in_brightness_from_vanishing_to_healthy():
    lum = [sum(scale_rgb(k)) for k in range(-8, 1)]
    assert lum == sorted(lum)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_gradient_flow_snapshots(snap_compare, size):
    app = NNTuiApp(load(DEEP), device="cpu", run_steps=40)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: wait_idle(pilot.app, pilot))


@pytest.fixture(scope="module")
def vanishing_view():
    from benchmarks.render_panels import trained_view

    return trained_view("vanishing_gradients", 20)


# the panel's outer size in vanishing_gradients (two side by side) at 80x24, 120x40 and 200x60
@pytest.mark.parametrize("size", [(26, 9), (40, 17), (66, 27)])
async def test_every_layer_is_shown_whole_in_the_height_it_gets(vanishing_view, size):
    app = PanelApp()
    async with app.run_test(size=size) as pilot:
        panel = app.query_one(GradientFlowPanel)
        panel.show(vanishing_view)
        await pilot.pause()
        lines = ["".join(seg.text for seg in strip) for strip in panel._strips]
        text = "\n".join(lines)
        run = vanishing_view.runs[0]
        now = run.grads[-1, weight_layers(run)]
        assert len(now) == 10 and "more layers" not in text
        if panel.size.height >= len(now):  # a row per layer: every layer's value, whole
            assert all(f"{v:.1e}" in text for v in now)
            assert lines[-1].rstrip().endswith(("1e2", "exploding"))  # the legend: no word cut
        else:  # the layers side by side: the scale's ends and the first and last layer named
            lo, hi = bar_span(vanishing_view.runs)  # (every run's norms: 1e-6 … 10 here)
            assert lines[0].startswith(f"{10 ** hi:g}".rjust(4) + "┤") and lines[-2].startswith(f"1e{int(lo)}┤")
            assert "L1" in lines[-1] and "L10" in lines[-1]
        assert sum(bool(line.strip()) for line in lines) / panel.size.height > 0.75
        assert "…" not in str(panel.border_title) + str(panel.border_subtitle)


async def test_the_first_steps_ratio_stays_on_screen_when_the_bars_have_evened_out():
    # vanishing_gradients: by the end sigmoid's bars are alike; the ratio line still says what step 1 showed
    sc = load("vanishing_gradients")
    live = dataclasses.replace(sc, view=sc.view.model_copy(update={"at": {}}))  # panels that follow training
    app = NNTuiApp(live, device="cpu", run_steps=120, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = next(p for p in app.query(GradientFlowPanel) if "sigmoid" in str(p.border_title))
        run = app.runner.view().runs[panel.run_index]
        layers = weight_layers(run)
        then, now = run.grads[0, layers], run.grads[-1, layers]
        assert then[0] / then[-1] < 1e-3 < now[0] / now[-1]  # (what makes the line worth its row)
        text = "\n".join("".join(seg.text for seg in strip) for strip in panel._strips)
        assert f"L1/L10 at step {run.grad_steps[0]}: {then[0] / then[-1]:.1e} · now " in text


async def test_a_panel_held_at_a_step_draws_that_step_all_run_long():
    # vanishing_gradients holds its gradient flows at step 1 (view.at): at step 120 they still show step 1's norms
    app = NNTuiApp(load("vanishing_gradients"), device="cpu", run_steps=120, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        view = app.runner.view()
        assert view.step == 120
        panel = next(p for p in app.query(GradientFlowPanel) if "sigmoid" in str(p.border_title))
        assert panel.held_at == 1 and str(panel.border_title).endswith("sigmoid · at step 1")
        held = view.at(1).runs[panel.run_index]
        assert held.step == 1 and held.held_at == 1 and held.grad_steps.max() == 1
        layers = weight_layers(held)
        text = "\n".join("".join(seg.text for seg in strip) for strip in panel._strips)
        assert f"{held.grad_norms[layers[0]]:.1e}" in text and f"{held.grad_norms[layers[-1]]:.1e}" in text
        first, last = held.grad_norms[layers[0]], held.grad_norms[layers[-1]]
        assert f" = {fmt(first / last)} < " in app.runner.view().verdicts[0].shown  # the claim at step 1 read it
        assert first / last < 1e-3 and view.runs[panel.run_index].step == 120  # the others go on


def test_bars_span_the_decades_every_run_s_norms_span():
    # exploding_gradients: on 1e-8 … 1e2, L1's 58 and L8's 2.5 were bars a cell apart; on the decades the runs
    # span (0.1 … 100, both panels alike) one is plainly longer, and the scale's ends are written over the bars
    import numpy as np

    from nntui.runner import RunView

    def run(label, norms):
        grads = np.array([norms], float)
        return RunView(label=label, settings={}, steps=np.zeros(0), losses=np.zeros(0), loss=1.0, status="learning",
                       diverged_at=None, step=1, grads=grads, grad_steps=np.array([1]),
                       param_shapes=[(4, 4)] * len(norms))

    big, calm = run("N(0, 1)", [58.0, 12.0, 2.5]), run("xavier", [0.62, 0.9, 0.81])
    assert bar_span([big, calm]) == (-1.0, 2.0)
    assert bar_span([calm]) == (-2.0, 0.0)  # at least MIN_DECADES, down from the top
    assert bar_span([run("dead", [0.0, float("nan")])]) == (-8.0, 2.0)
    panel = GradientFlowPanel()
    panel._span = bar_span([big, calm])
    lengths = [len("".join(seg.text for seg in panel._bar(v, 12)).rstrip()) for v in (58.0, 2.5, 0.62)]
    assert lengths[0] - lengths[1] >= 4 and lengths[1] > lengths[2]  # 23×: a third of the bar


def test_a_title_too_narrow_for_the_name_cuts_the_name_not_the_step_it_is_held_at():
    # batch_norm at 80x24: "batch norm, lr 2" fitted only without "· step 4", and the panel no longer said when
    from types import SimpleNamespace

    from nntui.ui.panel import cut_run_name

    run = SimpleNamespace(label="batch norm, lr 2", diverged_at=None, held_at=4)
    assert cut_run_name(run, 40) == "batch norm, lr 2 · at step 4"
    assert cut_run_name(run, 23) == "batch norm… · at step 4" and len(cut_run_name(run, 23)) <= 23


def test_a_column_reaches_its_tick_label_s_row_centre_at_that_value():
    # vanishing_gradients at 80x24: ReLU's bars at 1.91 reached half a row past the "10" they stood under (the
    # scale's ends were the column's edges, its labels at the end rows' centres)
    panel = GradientFlowPanel()
    panel._span = (-6.0, 1.0)  # ticked 1e-6 on the bottom row, 10 on the top one
    rows = 7  # a decade and a sixth a row
    assert panel._row_position(1.0, rows) == pytest.approx(rows - 0.5)  # 10: the top row's centre
    assert panel._row_position(-6.0, rows) == pytest.approx(0.5)  # 1e-6: the bottom row's centre
    assert panel._row_position(math.log10(1.91), rows) < rows - 1  # 1.91: under the top row
    top = "".join(seg.text for seg in panel._column_cell(1.91, rows - 1, rows, 1))
    assert top == " "


def test_a_new_step_changes_only_the_history_s_newest_columns():
    # manual_vs_autograd: the history resampled to the width moved every column every frame, and both panels
    # were resent whole; over a step axis that grows in jumps, a column keeps its steps
    from nntui.ui.draw.raster import step_columns

    norms = np.exp(-np.arange(1, 61, dtype=float) / 20)[:, None]
    steps = np.arange(1, 61)
    before = step_columns(norms[:50], steps[:50], 30, 100)
    after = step_columns(norms[:51], steps[:51], 30, 100)
    changed = np.flatnonzero((before != after).any(axis=1))
    assert len(changed) == 1 and before[changed[0] + 1:].sum() == 0  # the newest column; the rest not reached yet
    assert after[changed[0], 0] == norms[50, 0]  # it shows the newest step's norm
    assert step_columns(norms, steps, 30, 60)[-1, 0] == norms[-1, 0]  # the axis's end: the last step
