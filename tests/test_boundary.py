"""The boundary panel: regions and fits are the model's own predictions, drawn over the data."""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np
import pytest
import torch
from textual.app import App, ComposeResult

from nntui.engine import Engine
from nntui.errors import ScenarioError
from nntui.frames import Boundary
from nntui.panels.boundary.widget import (
    LEAST_SQUARES_RGB,
    NONFINITE_RGB,
    BoundaryPanel,
    closed_form_fit,
    least_squares,
)
from nntui.runner import View
from nntui.scenario import load
from nntui.scenario.loader import load_path
from nntui.ui import STYLESHEET
from nntui.ui.app import NNTuiApp
from nntui.ui.draw.raster import MARGIN

from .conftest import MINIMAL, diverged_run, wait_idle

CIRCLES, FIT = "tests/data/circles.toml", "tests/data/fit.toml"


def test_regions_are_the_models_predictions_and_separate_the_circles():
    sc = load(CIRCLES)
    engine = Engine(sc, "cpu")
    engine.advance(150)
    b = engine.frame().runs[0].measured["boundary"]
    ny, nx = b.classes.shape
    xs, ys = np.linspace(*b.x_range, nx), np.linspace(*b.y_range, ny)
    model = engine.runs[0].model
    for i, j in ((5, 7), (32, 48), (60, 90), (20, 70)):
        with torch.no_grad():
            p = torch.sigmoid(model(torch.tensor([[xs[j], ys[i]]], dtype=torch.float32)))[0, 0].item()
        assert b.classes[i, j] == int(p > 0.5) and b.confidence[i, j] == pytest.approx(max(p, 1 - p), abs=1e-5)
    ds = sc.variants[0].dataset
    cols = np.clip(np.round((ds.x_train[:, 0] - xs[0]) / (xs[1] - xs[0])).astype(int), 0, nx - 1)
    rows = np.clip(np.round((ds.x_train[:, 1] - ys[0]) / (ys[1] - ys[0])).astype(int), 0, ny - 1)
    assert (b.classes[rows, cols] == ds.y_train[:, 0]).mean() > 0.9


def test_fit_curve_is_the_model_output():
    engine = Engine(load(FIT), "cpu")
    engine.advance(50)
    b = engine.frame().runs[0].measured["boundary"]
    with torch.no_grad():
        direct = engine.runs[0].model(torch.tensor(b.curve_x[:, None], dtype=torch.float32))[:, 0].numpy()
    assert np.allclose(b.curve_y, direct, atol=1e-6) and b.classes is None


def test_boundary_needs_drawable_data(write_scenario):
    text = MINIMAL.replace('kind = "linear"\nstop = 1.0\nn = 20\nslope = 2.0',
                           'kind = "blobs"\ndim = 3\ncenters = 3').replace("lr = 0.1", 'lr = 0.1\nloss = "cross_entropy"')
    with pytest.raises(ScenarioError, match="2-D classification or 1-D regression"):
        load_path(write_scenario(text + '[view]\npanels = ["boundary"]\n'))


async def test_brackets_switch_runs():
    app = NNTuiApp(load(CIRCLES), device="cpu", run_steps=20)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(BoundaryPanel)
        assert "lr=0.05" in str(panel.border_title)
        panel.focus()
        await pilot.press("right_square_bracket")
        assert "lr=0.001" in str(panel.border_title)
        assert "[ / ]: run" in str(panel.border_subtitle)  # (two runs: the keys switch between them)
    app = NNTuiApp(load("linear_regression"), device="cpu", run_steps=5)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        subtitle = str(app.query_one(BoundaryPanel).border_subtitle)
        assert "line: model" in subtitle and "[ / ]" not in subtitle  # one run: nothing to switch to


class PanelApp(App):
    CSS_PATH = STYLESHEET  # the panel's styles, as in the app

    def __init__(self, datasets, **kwargs):
        super().__init__()
        self.datasets, self.kwargs = datasets, kwargs

    def compose(self) -> ComposeResult:
        yield BoundaryPanel(self.datasets, **self.kwargs)


async def test_nan_predictions_are_marked():
    ds = load(CIRCLES).variants[0].dataset
    conf = np.full((64, 96), 0.9)
    conf[:10] = np.nan
    panel = await drawn(ds, Boundary((-1.0, 1.0), (-1.0, 1.0), classes=np.zeros((64, 96), int), confidence=conf))
    colors = {seg.style.color.triplet for strip in panel._strips for seg in strip if seg.style and seg.style.color}
    assert tuple(NONFINITE_RGB) in {tuple(c) for c in colors if c}


async def drawn(ds, boundary: Boundary, **kwargs) -> BoundaryPanel:
    """A boundary panel in a 60x20 terminal, drawn from one run's `boundary` over the data `ds`."""
    view = View(1, "ready", "cpu", 3, 10, False, True, 60, math.nan, None, (diverged_run(3, measured={"boundary": boundary}),))
    app = PanelApp([ds], **kwargs)
    async with app.run_test(size=(60, 20)) as pilot:
        panel = app.query_one(BoundaryPanel)
        panel.show(view)
        await pilot.pause()
    return panel


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_boundary_snapshots(snap_compare, size):
    app = NNTuiApp(load(CIRCLES), device="cpu", run_steps=100)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: wait_idle(pilot.app, pilot))


def test_fit_snapshot(snap_compare):
    app = NNTuiApp(load(FIT), device="cpu", run_steps=120)
    assert snap_compare(app, terminal_size=(100, 30), run_before=lambda pilot: wait_idle(pilot.app, pilot))


async def test_a_fit_is_a_thin_line_where_its_axes_say():
    # nonlinear_regression: a straight line of gentle slope was drawn as a staircase of two-pixel blocks, a jump
    # of a whole row at one column; in braille it is one dot thick and within half a cell of its value
    ds = load(FIT).variants[0].dataset
    xs = np.linspace(-3.0, 3.0, 200)
    panel = await drawn(ds, Boundary((-3.0, 3.0), (-6.0, 6.0), curve_x=xs, curve_y=0.4 * xs + 1.0))
    rows = ["".join(seg.text for seg in strip) for strip in panel._strips]
    ticks = {r: float(line[:MARGIN - 2]) for r, line in enumerate(rows[:-1]) if line[MARGIN - 1] == "┤"}
    (r0, v0), (r1, v1) = min(ticks.items()), max(ticks.items())
    per_row = (v1 - v0) / (r1 - r0)
    x_ticks = {m.start() + len(m.group()) // 2: float(m.group()) for m in re.finditer(r"-?\d+(\.\d+)?", rows[-1])}
    (c0, x0), (c1, x1) = min(x_ticks.items()), max(x_ticks.items())
    cells = [(r, c) for r, line in enumerate(rows[:-1]) for c, ch in enumerate(line) if 0x2800 < ord(ch) <= 0x28FF]
    assert len({c for _, c in cells}) > 0.8 * (len(rows[0]) - MARGIN)  # a line across the panel …
    for r, c in cells:  # … each cell of it within half a cell (plus a dot) of the line's value at its column
        x = x0 + (c - c0) * (x1 - x0) / (c1 - c0)
        assert abs(v0 + (r - r0) * per_row - (0.4 * x + 1.0)) <= 0.75 * abs(per_row), (r, c, x)
    assert max(Counter(c for _, c in cells).values()) <= 2  # one dot thick: a column crosses one row line at most


async def test_a_linear_model_s_fit_shows_the_least_squares_line_it_is_heading_for():
    # linear_regression: "lands on the closed-form least-squares fit", and that fit was nowhere on screen
    ds = load(FIT).variants[0].dataset  # (y = 1.5·x + noise)
    theta = least_squares(ds)
    xs = np.linspace(-3.0, 3.0, 200)
    assert theta[0] == pytest.approx(1.5, abs=0.1)
    white = f"#{LEAST_SQUARES_RGB[0]:02x}{LEAST_SQUARES_RGB[1]:02x}{LEAST_SQUARES_RGB[2]:02x}"

    def dotted(panel) -> int:
        return sum(1 for strip in panel._strips for seg in strip if seg.style and seg.style.color
                   and seg.style.color.name == white and any(0x2800 < ord(ch) <= 0x28FF for ch in seg.text))

    far = Boundary((-3.0, 3.0), (-6.0, 6.0), curve_x=xs, curve_y=0 * xs)  # a flat start: the fit drawn apart
    panel = await drawn(ds, far, closed_form=[True])
    assert dotted(panel) > 5 and "┄ least squares" in str(panel.border_subtitle)
    there = Boundary((-3.0, 3.0), (-6.0, 6.0), curve_x=xs, curve_y=closed_form_fit(ds, theta, xs))
    panel = await drawn(ds, there, closed_form=[True])  # on it: one line, and the legend says it is both
    assert dotted(panel) == 0 and "least" in str(panel.border_subtitle) and "┄" not in str(panel.border_subtitle)
    panel = await drawn(ds, far)  # an MLP's fit: no closed form to show
    assert dotted(panel) == 0 and "least" not in str(panel.border_subtitle)


async def test_a_fit_that_leaves_the_chart_is_marked_where_it_leaves():
    # nonlinear_regression at 200x60: the sigmoid net's curve ran off the top edge, and nothing said so (issue 27)
    ds = load(FIT).variants[0].dataset
    xs = np.linspace(-3.0, 3.0, 200)
    panel = await drawn(ds, Boundary((-3.0, 3.0), (-6.0, 6.0), curve_x=xs, curve_y=4.0 * xs))  # ±12 on a ±6 axis
    rows = ["".join(seg.text for seg in strip) for strip in panel._strips]
    assert rows[0].count("↑") == 1 and rows[-2].count("↓") == 1  # one arrow where it leaves, at each edge
    assert rows[0].index("↑") > rows[-2].index("↓")  # the rising line leaves through the top on the right
    assert "↑↓" in str(panel.border_subtitle) and "off" in str(panel.border_subtitle)
    inside = await drawn(ds, Boundary((-3.0, 3.0), (-6.0, 6.0), curve_x=xs, curve_y=xs))
    assert not any(ch in "".join(seg.text for strip in inside._strips for seg in strip) for ch in "↑↓")
    assert "off" not in str(inside.border_subtitle)
