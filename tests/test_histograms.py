"""The distributions panel: percentiles match numpy, ranges only grow, keys move, NaN is marked."""

from __future__ import annotations

import math

import numpy as np
import pytest
from textual.app import App, ComposeResult

from nntui.engine import Engine
from nntui.frames import PERCENTILES, Distributions
from nntui.panels.histograms.widget import NONFINITE_RGB, HistogramPanel
from nntui.runner import View
from nntui.scenario import load
from nntui.ui import STYLESHEET
from nntui.ui.app import NNTuiApp

from .conftest import diverged_run, probe_of, wait_idle

DEEP = "tests/data/deep_mlp.toml"


def test_percentiles_and_histograms_match_numpy():
    engine = Engine(load(DEEP), "cpu")
    engine.advance(5)
    frame = engine.frame().runs[0]
    run = engine.runs[0]
    weights = [p.detach().numpy().ravel() for name, p in run.model.named_parameters() if p.dim() == 2]
    d = frame.measured["dists"]["weights"]
    assert len(d.names) == len(weights) == 7
    for i, w in enumerate(weights):
        assert d.percentiles[i] == pytest.approx(np.percentile(w, PERCENTILES), rel=1e-5, abs=1e-7)
        counts, _ = np.histogram(w, bins=30, range=tuple(d.ranges[i]))
        assert abs(int(d.counts[i].sum()) - w.size) <= 1 and np.abs(counts - d.counts[i]).sum() <= 2
    grads = [p.grad.numpy().ravel() for _, p in run.model.named_parameters() if p.dim() == 2]
    g = frame.measured["dists"]["gradients"]
    assert g.percentiles[0, 4] == pytest.approx(np.median(grads[0]), abs=1e-9)


def test_activations_come_from_a_probe_pass_with_no_hooks_left_behind():
    engine = Engine(load(DEEP), "cpu")
    engine.advance(3)
    frame = engine.frame().runs[0]
    acts = frame.measured["dists"]["activations"]
    assert len(acts.names) == 6  # one per sigmoid
    assert 0.0 <= acts.percentiles[:, 0].min() and acts.percentiles[:, -1].max() <= 1.0  # sigmoid outputs
    model = engine.runs[0].model
    assert all(not m._forward_hooks for m in model.modules())


def test_shared_range_only_grows():
    engine = Engine(load(DEEP), "cpu")
    ranges = []
    for _ in range(5):
        engine.advance(10)
        ranges.append(engine.frame().runs[1].measured["dists"]["weights"].ranges.copy())
    for before, after in zip(ranges, ranges[1:]):
        assert (after[:, 0] <= before[:, 0]).all() and (after[:, 1] >= before[:, 1]).all()


async def test_keys_move_between_layers_quantities_and_runs():
    app = NNTuiApp(load(DEEP), device="cpu", run_steps=10)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(HistogramPanel)
        panel.focus()
        await pilot.press("down", "down")
        assert panel.layer_index == 2 and "L3/7" in str(panel.border_title)
        await pilot.press("right")
        assert panel.quantity == "activations" and "Activations" in str(panel.border_title)
        await pilot.press("right", "right")
        assert panel.quantity == "weights"
        await pilot.press("left")
        assert panel.quantity == "gradients"
        await pilot.press("right_square_bracket")
        assert "relu" in str(panel.border_title)
        for _ in range(10):
            await pilot.press("down")
        assert panel.layer_index == 6  # clamped at the last layer


class PanelApp(App):
    CSS_PATH = STYLESHEET  # the panel's styles, as in the app

    def compose(self) -> ComposeResult:
        yield HistogramPanel()


async def test_nan_values_are_counted_and_marked():
    pct = np.tile(np.linspace(-1, 1, 9), (2, 1))
    dists = {"weights": Distributions(("0.weight", "2.weight"), np.ones((2, 30), np.int64),
                                      np.array([[-1.0, 1.0], [-1.0, 1.0]]), pct, np.array([0, 5]))}
    bands = (np.array([1, 2, 3]), np.stack([pct, pct * np.nan, pct]).reshape(3, -1))
    run = diverged_run(3, measured={"dists": dists, "weights_bands": bands})
    view = View(1, "ready", "cpu", 3, 10, False, True, 60, math.nan, None, (run,))
    app = PanelApp()
    async with app.run_test(size=(60, 20)) as pilot:
        panel = app.query_one(HistogramPanel)
        panel.layer_index = 1
        panel.show(view)
        await pilot.pause()
        assert "5 NaN/Inf" in str(panel.border_title)
        colors = {seg.style.bgcolor.triplet for strip in panel._strips for seg in strip if seg.style and seg.style.bgcolor}
        assert tuple(NONFINITE_RGB) in {tuple(c) for c in colors if c}


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_histogram_snapshots(snap_compare, size):
    app = NNTuiApp(load(DEEP), device="cpu", run_steps=30)

    async def run_before(pilot):
        await wait_idle(pilot.app, pilot)
        panel = pilot.app.query_one(HistogramPanel)
        panel.focus()
        await pilot.press("right", "down", "down")  # activations of layer 3

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.fixture(scope="module")
def dead_relu_view():
    from benchmarks.render_panels import trained_view

    return trained_view("dead_relu", 30)


def _used(strips, height: int) -> float:
    """The fraction of the panel's rows that show something."""
    return sum(bool("".join(seg.text for seg in strip).strip()) for strip in strips) / height


# the panel's outer size in dead_relu at 80x24, at 120x40 and at 200x60
@pytest.mark.parametrize("size", [(26, 15), (40, 32), (66, 52)])
async def test_all_layers_fill_the_panel_and_keep_every_number(dead_relu_view, size):
    app = PanelApp()
    async with app.run_test(size=size) as pilot:
        panel = app.query_one(HistogramPanel)
        panel.quantity, panel.all_layers = "activations", True
        panel.show(dead_relu_view)
        await pilot.pause()
        text = "\n".join("".join(seg.text for seg in strip) for strip in panel._strips)
        dists = dead_relu_view.runs[0].measured["dists"]["activations"]
        for std, dead in zip(dists.std, dists.dead):
            assert f"σ {std:.4g}" in text and f"dead {dead:.0%}" in text
        assert _used(panel._strips, panel.size.height) > 0.7  # a free row parts two layers
        assert "…" not in str(panel.border_title) and "Act" in str(panel.border_title)


async def test_runs_side_by_side_share_one_value_axis_and_leaky_relu_says_none_died(dead_relu_view):
    # dead_relu: ReLU's activations on 0–16 beside Leaky ReLU's on 0–12 looked alike; weight_init's tiny init on
    # its own ±0.02 looked as wide as Xavier on ±0.5 (issue 27): small multiples share the range of them all
    def axis(panel) -> list[str]:
        return "".join(seg.text for seg in panel._strips[-1]).split()  # every tick label

    texts, ticks = [], []
    for run, side in ((1, (1, 2)), (2, (1, 2)), (2, ())):  # (24 columns: a panel of three beside the lesson at 80x24)
        app = PanelApp()
        async with app.run_test(size=(24, 20)) as pilot:
            panel = app.query_one(HistogramPanel)
            panel.quantity, panel.all_layers, panel.run_index, panel.side_by_side = "activations", True, run, side
            panel.show(dead_relu_view)
            await pilot.pause()
            texts.append("\n".join("".join(seg.text for seg in strip) for strip in panel._strips))
            ticks.append(axis(panel))
    # side by side: one axis, ticked alike whatever each run's layer names ("0 10" beside "-1 17" read as two
    # ranges at 80x24); alone: its own
    assert ticks[0] == ticks[1] and ticks[2] != ticks[1]
    assert "LeakyReLU" in texts[1] and texts[1].count("dead 0%") == 3


async def test_a_relus_exact_zeros_are_grey_and_a_leaky_relus_small_values_are_not(dead_relu_view):
    # dead_relu: ReLU's spike at 0 (units that output exactly 0) and Leaky ReLU's (small negative outputs that
    # still pass a gradient) were one green bar each, and reviewers read the two runs as alike (issue 27)
    from nntui.ui.draw.palette import ZERO_RGB

    def grey_cells(panel) -> int:
        return sum(len(seg.text.strip()) for strip in panel._strips for seg in strip
                   if seg.style is not None and seg.style.color is not None and seg.style.color.triplet == ZERO_RGB)

    found = {}
    for run, all_layers in ((1, True), (2, True), (1, False)):
        app = PanelApp()
        async with app.run_test(size=(40, 32)) as pilot:
            panel = app.query_one(HistogramPanel)
            panel.quantity, panel.all_layers, panel.run_index = "activations", all_layers, run
            panel.show(dead_relu_view)
            await pilot.pause()
            found[run, all_layers] = (grey_cells(panel), str(panel.border_subtitle))
    dists = [dead_relu_view.runs[k].measured["dists"]["activations"] for k in (1, 2)]
    assert all(z > 0.5 for z in dists[0].zeros) and all(z == 0 for z in dists[1].zeros)  # relu, lr 2: mostly 0
    assert found[1, True][0] >= 3 * 3 and found[1, True][1].startswith("grey: exactly 0")  # each layer's spike
    assert found[1, False][0] >= 3 and found[1, False][1].startswith("grey: exactly 0")  # one layer, large
    assert found[2, True][0] == 0 and "grey" not in found[2, True][1]  # leaky: no exact zeros, no key


def test_the_probe_counts_exact_zeros_of_each_activation():
    import torch

    engine = Engine(load("dead_relu"), "cpu")
    engine.advance(5)
    zeros = engine.frame().runs[1].measured["dists"]["activations"].zeros
    run = engine.runs[1]
    probe = probe_of(run, "Histograms")
    outputs = []
    hooks = [m.register_forward_hook(lambda _m, _i, out: outputs.append(out)) for _, m in probe.activation_modules]
    with torch.no_grad():
        run.model(probe.x)
    for hook in hooks:
        hook.remove()
    assert zeros == pytest.approx([float((a == 0).float().mean()) for a in outputs]) and max(zeros) > 0.3
