"""True pictures of exact surfaces: equal scale, start and minimum framed, escaping paths cut with an arrow, and
the curvature panel (the loss along the Hessian's top eigenvector, each run's iterates bouncing on it)."""

from __future__ import annotations

import numpy as np
import pytest
from textual.app import App, ComposeResult

from benchmarks.render_panels import trained_view
from nntui.errors import ScenarioError
from nntui.frames import Surface
from nntui.panels.contour.widget import ContourPanel
from nntui.panels.curvature.widget import CurvaturePanel
from nntui.runner import View
from nntui.scenario import load
from nntui.scenario.loader import load_path
from nntui.ui import STYLESHEET
from nntui.ui.draw.palette import variant_rgb
from nntui.ui.draw.raster import MARGIN

from .conftest import MINIMAL, diverged_run


class PanelApp(App):
    CSS_PATH = STYLESHEET

    def __init__(self, panel):
        super().__init__()
        self.panel = panel

    def compose(self) -> ComposeResult:
        yield self.panel


async def drawn(panel, view: View, size: tuple[int, int]):
    app = PanelApp(panel)
    async with app.run_test(size=size) as pilot:
        panel.show(view)
        await pilot.pause()
    return panel


@pytest.fixture(scope="module")
def gd_view() -> View:
    return trained_view("gd_contours", 20)


@pytest.mark.parametrize("size", [(60, 30), (110, 20)])
async def test_exact_surface_has_the_same_units_per_pixel_on_both_axes(gd_view, size):
    panel = await drawn(ContourPanel(), gd_view, size)
    (x0, x1), (y0, y1) = panel.window
    pw, py = panel.pixels
    assert (x1 - x0) / (pw - 1) == pytest.approx((y1 - y0) / (py - 1), rel=1e-9)
    assert py == 2 * (size[1] - 2 - 2)  # half blocks: two pixels per cell row (borders, x ticks, legend left out)


@pytest.mark.parametrize("size", [(60, 30), (110, 20)])
async def test_start_and_minimum_are_well_inside_the_frame(gd_view, size):
    panel = await drawn(ContourPanel(), gd_view, size)
    (x0, x1), (y0, y1) = panel.window
    ds = load("gd_contours").variants[0].dataset
    design = np.hstack([ds.x_train.astype(np.float64), np.ones((ds.n_train, 1))])
    minimum = np.linalg.lstsq(design, ds.y_train[:, 0], rcond=None)[0]
    assert gd_view.surfaces[0].minimum == pytest.approx(tuple(minimum), abs=1e-6)
    for x, y in ((0.0, 0.0), minimum):  # the start (zero init) and the least-squares solution
        assert x0 + 0.1 * (x1 - x0) <= x <= x1 - 0.1 * (x1 - x0)
        assert y0 + 0.1 * (y1 - y0) <= y <= y1 - 0.1 * (y1 - y0)


async def test_an_escaping_path_stops_at_the_edge_with_an_arrow():
    z = np.add.outer(np.linspace(-4, 4, 81) ** 2, np.linspace(-4, 4, 81) ** 2)
    surface = Surface("w", "b", (-4.0, 4.0), (-4.0, 4.0), z, 1, (0,), focus=((-1.0, 1.0), (-1.0, 1.0)))
    # in, in, out to the right, then far out on the left: the last jump must not be painted across the panel
    path = np.array([[-0.5, 0.0], [0.2, 0.0], [5.0, 0.0], [-9.0, 0.0]])
    run = diverged_run(3, path=path, position=None)
    view = View(1, "ready", "cpu", 3, 10, False, True, 60, np.nan, None, (run,), (surface,))
    panel = await drawn(ContourPanel(), view, (50, 24))
    rows = [i for i, strip in enumerate(panel._strips) if "→" in strip.text]
    assert len(rows) == 1, "one arrow, the way the path last left"
    cells = [(seg.text, seg.style) for seg in panel._strips[rows[0]] for _ in seg.text]
    assert cells[-1][0] == "→", "at the right edge"
    colors = {tuple(c.triplet) for _, style in cells[8:8 + 8] if style for c in (style.color, style.bgcolor) if c}
    assert variant_rgb(0) not in colors, "nothing of the run is drawn left of its first point"
    on_path = [text for text, style in cells if style and style.color and tuple(style.color.triplet) == variant_rgb(0)]
    assert on_path and all("\u2801" <= t <= "\u28ff" or t in "→●" for t in on_path)  # a thin braille line


@pytest.fixture(scope="module")
def lr_view() -> View:
    return trained_view("lr_sweep", 30)


async def test_curvature_panel_shows_lambda_max_and_lr_003_bouncing_out(lr_view):
    surface = lr_view.surfaces[0]
    assert surface.curvatures[0] == pytest.approx(67.17, abs=0.01)
    panel = await drawn(CurvaturePanel(), lr_view, (80, 24))
    assert "λmax 67.17" in panel.border_title and "0.02977" in panel.border_subtitle
    t = panel.iterates[5]  # lr = 0.03: each step multiplies t by 1 − 0.03·67.17 ≈ −1.015
    assert len(t) >= 30
    assert (np.sign(t[:-1]) != np.sign(t[1:])).all(), "t_k alternates in sign"
    assert (np.abs(t[1:]) > np.abs(t[:-1])).all(), "and grows"
    crawl = panel.iterates[0]  # lr = 0.0005: 1 − 0.0005·67.17 ≈ 0.97, one side, creeping in
    assert (crawl < 0).all() and (np.diff(np.abs(crawl)) < 0).all()


def test_curvature_panel_needs_an_exact_two_parameter_surface(write_scenario):
    text = MINIMAL.replace('[model]\nkind = "linear"', '[model]\nkind = "mlp"\nlayers = [4]')
    assert text != MINIMAL
    with pytest.raises(ScenarioError, match="curvature panel .* this model has 13 parameters"):
        load_path(write_scenario(text + '[view]\npanels = ["curvature"]\n'))


def screen_lines(app) -> list[str]:
    """Every screen row's text as the terminal shows it (border titles included, cut where Textual cuts them)."""
    return ["".join(seg.text for seg in strip) for strip in app.screen._compositor.render_strips()]


async def shown_lines(panel, view: View, size: tuple[int, int]) -> list[str]:
    app = PanelApp(panel)
    async with app.run_test(size=size) as pilot:
        panel.show(view)
        await pilot.pause()
        return screen_lines(app)


# the panels' outer sizes in the lessons at 80x24 (a third of the screen) and at 120x40
@pytest.mark.parametrize("size", [(27, 13), (40, 17)])
async def test_curvature_titles_and_legend_keep_their_numbers_at_80x24(lr_view, size):
    lines = await shown_lines(CurvaturePanel(), lr_view, size)
    top, bottom, legend = lines[0], lines[-1], " ".join(lines[-3:-1])
    assert "…" not in top + bottom + legend
    assert "λmax 67.17" in top and "lr < " in bottom and "0.02977" in bottom
    assert "t = (θ" in legend and "━━" in legend and "loss" in legend
    if True:  # every mark on the plot is said in the legend: ◆ start, ● now, the arrow off the plot
        marks = {ch for line in lines[1:-3] for ch in line if ch in "◆●✗→↗↑↖←↙↓↘"}
        assert marks and all(ch in legend for ch in marks), (marks, legend)


async def test_curvature_ticks_sit_on_their_values_and_the_escaping_run_s_arrow_points_where_it_is():
    panel = await drawn(CurvaturePanel(), trained_view("lr_sweep", 150), (60, 24))  # lr 0.03 is far off it
    rows = ["".join(seg.text for seg in strip) for strip in panel._strips]
    ticks = {r: float(line[:MARGIN - 2]) for r, line in enumerate(rows) if line[MARGIN - 1:MARGIN] == "┤"}
    assert len(ticks) >= 2
    pairs = sorted(ticks.items())
    steps = {round((v0 - v1) / (r1 - r0), 9) for (r0, v0), (r1, v1) in zip(pairs, pairs[1:])}
    assert len(steps) == 1  # evenly spaced: the same value per row between every two ticks
    t = panel.iterates[5][-1]  # lr 0.03, far off the plot: on which side is it now?
    arrows = [ch for line in rows[:-3] for ch in line if ch in "→↗↖←"]  # (the plot, not its legend)
    assert arrows == (["↗"] if t > 0 else ["↖"])


@pytest.fixture(scope="module")
def optimizers_view() -> View:
    return trained_view("optimizers", 20)


async def test_every_mark_on_the_contour_plot_is_in_its_legend():
    for view in (trained_view("gd_contours", 200), trained_view("optimizers", 20)):
        lines = await shown_lines(ContourPanel(), view, (60, 24))
        marks = {ch for line in lines[1:-1] for ch in line[MARGIN + 1:-1] if ch in "◆●⊕✗+→↗↑↖←↙↓↘"}
        assert "◆" in marks and all(ch in lines[-1] for ch in marks), (marks, lines[-1])


@pytest.mark.parametrize("size", [(26, 22), (26, 15), (40, 20)])
async def test_contour_title_names_both_axes_and_legend_every_run_at_80x24(gd_view, optimizers_view, size):
    lines = await shown_lines(ContourPanel(), gd_view, size)
    assert "…" not in lines[0] + lines[-1]
    assert "x: weight" in lines[0] and "y: bias" in lines[0] and "start" in lines[-1] and "now" in lines[-1]
    lines = await shown_lines(ContourPanel(), optimizers_view, size)
    legend = " ".join(lines[-6:-1])
    assert all(label in legend for label in ("sgd", "momentum 0.3", "rmsprop", "adam")), legend


@pytest.mark.parametrize("size", [(26, 15), (60, 30), (120, 50)])
async def test_contour_lines_are_spaced_for_the_panel_not_a_checkerboard(size):
    view = trained_view("batch_size", 20)  # a bowl whose rings crowd a small panel
    panel = await drawn(ContourPanel(), view, size)
    _, lines, values = panel._pixels(view.surfaces[0], panel.window, *panel.pixels)
    assert (lines >= 0).mean() < 0.3  # (8 levels on a 16-pixel-wide panel made every other pixel a line)
    assert len(values) >= (1 if size[0] < 40 else 3)  # …and a larger panel keeps its detail
