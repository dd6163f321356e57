"""The contour panel: the exact surface, the recorded paths, NaN/Inf drawing, keys and snapshots."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
import torch
from textual.app import App, ComposeResult

from nntui.engine import Engine
from nntui.engine.surface import filter_normalized, slice_grid
from nntui.frames import Surface
from nntui.panels.contour.widget import ContourPanel
from nntui.panels.contour.widget import _step_rgb as step_rgb
from nntui.runner import View
from nntui.scenario import load
from nntui.scenario.loader import load_path
from nntui.ui import STYLESHEET
from nntui.ui.app import NNTuiApp
from nntui.ui.draw.palette import SURFACE_NONFINITE_RGB, variant_rgb

from .conftest import diverged_run, wait_idle


def test_exact_grid_matches_the_loss_computed_directly():
    sc = load("lr_sweep")
    engine = Engine(sc, "cpu")
    engine.advance(30)
    surface = engine.frame().surface
    assert (surface.x_name, surface.y_name) == ("weight", "bias")
    ds = sc.variants[0].dataset
    x, y = ds.x_train[:, 0].astype(np.float64), ds.y_train[:, 0].astype(np.float64)
    xs = np.linspace(*surface.x_range, surface.z.shape[1])
    ys = np.linspace(*surface.y_range, surface.z.shape[0])
    rng = np.random.default_rng(0)
    for i, j in zip(rng.integers(0, len(ys), 25), rng.integers(0, len(xs), 25)):
        direct = np.mean((xs[j] * x + ys[i] - y) ** 2)
        assert surface.z[i, j] == pytest.approx(direct, rel=1e-4)


def test_paths_start_together_and_follow_every_step():
    sc = load("lr_sweep")
    engine = Engine(sc, "cpu")
    engine.advance(20)
    frame = engine.frame()
    for run in frame.runs:
        assert run.path_steps.tolist() == list(range(20))
        assert run.path[0].tolist() == [0.0, 0.0]  # zero init
    assert frame.surface.members == tuple(range(6))
    # the region covers the converging runs' paths; lr=0.03's runaway points are left out
    good = np.vstack([r.path for r in frame.runs[:5]])
    (x0, x1), (y0, y1) = frame.surface.x_range, frame.surface.y_range
    assert x0 <= good[:, 0].min() and good[:, 0].max() <= x1 and y0 <= good[:, 1].min() and good[:, 1].max() <= y1


def test_surface_is_recomputed_only_when_the_paths_outgrow_it():
    engine = Engine(load("lr_sweep"), "cpu")
    versions = []
    for _ in range(30):
        engine.advance(10)
        s = engine.frame().surface
        versions.append(None if s is None else s.version)
    assert versions.count(None) > 20, "most frames reuse the grid"


def _circles_with_contour():
    sc = load("tests/data/circles.toml")
    return dataclasses.replace(sc, view=sc.view.model_copy(update={"panels": ["loss", "contour", "variants"]}))


def test_filter_normalized_directions_match_each_filters_norm():
    engine = Engine(_circles_with_contour(), "cpu")
    params = engine.runs[0].params
    for raw in engine._slice.raw:
        dirs = filter_normalized(raw, params)
        for d, p in zip(dirs, params):
            if p.dim() <= 1:
                assert torch.count_nonzero(d) == 0  # biases are left out, as in Li et al.
            else:
                assert torch.allclose(d.norm(dim=1), p.detach().norm(dim=1), rtol=1e-5)


def test_slice_goes_through_the_current_weights_and_paths_end_there():
    engine = Engine(_circles_with_contour(), "cpu")
    for _ in range(11):
        engine.advance(5)
        frame = engine.frame()
    s = frame.surface
    assert s is not None and s.paths is not None and s.x_name.startswith("α")
    run = engine.runs[0]
    center = run._flat()
    d1, d2 = (torch.cat([d.reshape(-1) for d in filter_normalized(raw, run.params)]) for raw in engine._slice.raw)
    at_center = slice_grid(run.model, run.loss_fn, run.x, run.y, center, d1, d2, np.zeros(1), np.zeros(1))[0, 0]
    with torch.no_grad():
        direct = float(run.loss_fn(run.model(run.x), run.y))
    assert at_center == pytest.approx(direct, rel=1e-5)
    assert np.allclose(s.paths[0][-1], 0, atol=1e-5), "the first run's path ends at the slice's centre"
    assert len(s.paths[0]) == 11 and np.isfinite(s.z).all()  # one point per frame


def test_slice_snapshot(snap_compare):
    app = NNTuiApp(_circles_with_contour(), device="cpu", run_steps=60)
    assert snap_compare(app, terminal_size=(120, 40), run_before=lambda pilot: wait_idle(pilot.app, pilot))


class PanelApp(App):
    CSS_PATH = STYLESHEET  # the panel's styles, as in the app

    def compose(self) -> ComposeResult:
        yield ContourPanel()


async def test_nan_and_inf_draw_a_marker_not_a_crash():
    z = np.linspace(1, 100, 96 * 64).reshape(64, 96)
    z[10:30, 10:50] = np.nan
    z[40:50, 60:90] = np.inf
    surface = Surface("w", "b", (-1.0, 1.0), (-2.0, 2.0), z, 1, (0,))
    path = np.array([[0.0, 0.0], [np.nan, 1.0], [0.5, np.inf], [0.9, 1.5]])
    run = diverged_run(3, path=path, position=np.array([np.nan, np.nan]))
    view = View(1, "ready", "cpu", 3, 10, False, True, 60, np.nan, None, (run,), (surface,))
    app = PanelApp()
    async with app.run_test(size=(60, 20)) as pilot:
        panel = app.query_one(ContourPanel)
        panel.show(view)
        await pilot.pause()
        colors = {seg.style.bgcolor.triplet for strip in panel._strips for seg in strip if seg.style and seg.style.bgcolor}
        assert tuple(SURFACE_NONFINITE_RGB) in {tuple(c) for c in colors if c}
        assert len(panel._strips) == panel.size.height


def _lr_sweep_with_contour():
    """lr_sweep shows the curvature panel, not the contour: its six paths lie on one line across a narrow trench."""
    sc = load("lr_sweep")
    return dataclasses.replace(sc, view=sc.view.model_copy(update={"panels": ["loss", "contour", "variants"]}))


async def test_tab_focuses_and_m_maximizes_the_contour():
    app = NNTuiApp(_lr_sweep_with_contour(), device="cpu", run_steps=20)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        app.query_one(ContourPanel).focus()
        await pilot.press("m")
        assert app.screen.maximized is app.query_one(ContourPanel)
        await pilot.press("m")
        assert app.screen.maximized is None
        await pilot.press("tab")
        assert app.focused is not None


def test_contour_maximized_snapshot(snap_compare):
    app = NNTuiApp(_lr_sweep_with_contour(), device="cpu", run_steps=60)

    async def run_before(pilot):
        await wait_idle(pilot.app, pilot)
        pilot.app.query_one(ContourPanel).focus()
        await pilot.press("m")

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)


async def test_a_run_that_reached_the_minimum_is_drawn_as_one_mark_not_hidden_under_its_dot():
    app = NNTuiApp(load("gd_contours"), device="cpu", run_steps=120, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        text = "".join(seg.text for strip in app.query_one(ContourPanel)._strips for seg in strip)
        assert "⊕" in text and "●" not in text.replace("● now", "")  # ● and + share a cell: ⊕


@pytest.mark.parametrize("size", [(120, 40), (200, 60)])
async def test_the_window_a_panel_draws_lies_inside_the_surface_s_grid(size):
    # optimizers' wide surface at 120x40 reached 2.3 units past the grid: the edge column's value was smeared over
    # them, and the bowl's lowest band ran off to the right of the minimum
    app = NNTuiApp(load("optimizers"), device="cpu", run_steps=150, questions=False)
    async with app.run_test(size=size) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(ContourPanel)
        surface = panel._view.surfaces[0]
        (x0, x1), (y0, y1) = panel.window
        assert surface.x_range[0] <= x0 and x1 <= surface.x_range[1], (panel.window, surface.x_range)
        assert surface.y_range[0] <= y0 and y1 <= surface.y_range[1], (panel.window, surface.y_range)
        said = str(panel.border_subtitle)  # the rings' loss values are said what they are
        assert "numbers: the loss on that ring" in said or "numbers: loss" in said, said


def one_surface() -> str:
    """The optimizers lesson with its four paths on one surface (as shipped, one small multiple each)."""
    lines = Path("scenarios/optimizers.toml").read_text().splitlines()
    return "\n".join('wide = ["contour"]' if line.startswith("wide ") else line
                     for line in lines if not line.startswith("runs "))


async def test_small_multiples_of_one_surface_draw_each_its_own_run_s_path():
    # optimizers: four paths on one valley lay over each other; one valley per optimizer, each with its own path
    app = NNTuiApp(load("optimizers"), device="cpu", run_steps=25, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panels = list(app.query(ContourPanel))
        assert [p.run_index for p in panels] == [0, 1, 2, 3]
        for panel in panels:
            drawn = {seg.style.color.get_truecolor() for strip in panel._strips for seg in strip
                     if seg.style is not None and seg.style.color is not None
                     and any("\u2801" <= ch <= "\u28ff" for ch in seg.text)}  # the paths' braille dots
            # its own path, and its step now (momentum, RMSProp and Adam: a lighter shade of its colour)
            assert drawn - {step_rgb(panel.run_index)} == {variant_rgb(panel.run_index)}
            label = app.runner.view().runs[panel.run_index].label
            assert str(panel.border_title).startswith((f"Loss surface of {label}", label))


async def test_a_path_drawn_over_in_most_of_its_cells_is_named_under_others(write_scenario):
    # optimizers: RMSProp's path lay under SGD's and Adam's (11% of its cells showed), and nothing said so; the
    # shortest path is drawn on top now, and a path no order can show (a copy of another) is named
    one = one_surface()
    text = one.replace(
        '[[variant]]\nlabel = "momentum 0.3"', '[[variant]]\nlabel = "sgd again"\n\n[[variant]]\nlabel = "momentum 0.3"')
    app = NNTuiApp(load_path(write_scenario(text)), device="cpu", run_steps=25, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(ContourPanel)
        assert "sgd again" in panel.under and "*under others" in str(panel.border_subtitle).replace(": path", "")
        # the legend under the plot marks it, the border says what the mark means
        legend = "".join(seg.text for strip in panel._strips[-4:] for seg in strip)  # (its rows: adaptive runs
        assert "sgd again*" in legend                                                # name their lr per axis)
    app = NNTuiApp(load_path(write_scenario(one)), device="cpu", run_steps=25, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        # RMSProp's short path, drawn over SGD's long one, shows; momentum's last stretch along the valley floor
        # lies under RMSProp's (a path drawn over at its end seems to stop short of where it is)
        assert app.query_one(ContourPanel).under == ["momentum 0.3"]


async def test_which_way_each_run_s_optimizer_steps_now_is_drawn_from_its_point():
    """Momentum's velocity and Adam's / RMSProp's step, read from their optimizer state, as lines of one length
    from the run's point in a lighter shade, with a head pointing its way; the border says what they are; plain
    SGD, which keeps no state, has none."""
    app = NNTuiApp(load("optimizers"), device="cpu", run_steps=6, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        for panel in app.query(ContourPanel):
            run = app.runner.view().runs[panel.run_index]
            heads = [seg.text for strip in panel._strips for seg in strip if seg.text.strip() in "▶◥▲◤◀◣▼◢"
                     and seg.text.strip()]
            if run.label == "sgd":
                assert not heads and "step" not in str(panel.border_subtitle)
                continue
            assert len(heads) == 1, run.label
            assert ("velocity" in str(panel.border_subtitle)) == (run.label == "momentum 0.3")
            step = run.measured["optimizer_step"]  # the head points the step's way (y up on screen)
            assert heads[0].strip() == "▶◥▲◤◀◣▼◢"[round(math.atan2(step[1], step[0]) / (math.pi / 4)) % 8]
