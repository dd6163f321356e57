"""Render cost of each panel at 100x30: loss, contour and curvature on lr_sweep after 300 steps, lr on lr_schedules'
seven schedules after 300 steps,
gradient flow and histograms on a 7-layer MLP (tests/data/deep_mlp.toml) after 60 steps,
boundary on two circles (tests/data/circles.toml) after 100 steps, the model graph on mlp_graph,
the expression graph on computation_graph with every node revealed, accuracy and confusion on multiclass after 150
steps, weight norms on exploding_gradients after 100; the neurons panel on 3 hidden layers of 8 units (tests/data/neurons_3x8.toml) at 120x40, its own budget case; a cnn's
filters, feature maps and convolution step-through on lenet_digits after 300 steps, and the last two on conv_vs_mlp
(16×16 images, 8 and 16 channels) after 200, each at 120x40 (the size issue 33 sets their target at).

    python -m benchmarks.render_panels

Each panel is mounted alone in a 100x30 app and redrawn from the same View
(forced, as if new data had arrived). Target: ≤ 15 ms per panel per redraw.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from pathlib import Path

from textual.app import App, ComposeResult

from nntui.panels import PANELS
from nntui.panels.accuracy.widget import AccuracyPanel
from nntui.panels.boundary.widget import BoundaryPanel
from nntui.panels.confusion.widget import ConfusionPanel
from nntui.panels.contour.widget import ContourPanel
from nntui.panels.conv_step.widget import ConvStepPanel
from nntui.panels.curvature.widget import CurvaturePanel
from nntui.panels.feature_maps.widget import FeatureMapsPanel
from nntui.panels.filters.widget import FiltersPanel
from nntui.panels.gradient_flow.widget import GradientFlowPanel
from nntui.panels.graph.expression import GraphPanel
from nntui.panels.graph.widget import ModelGraphPanel
from nntui.panels.histograms.widget import HistogramPanel
from nntui.panels.loss.widget import LossPlot
from nntui.panels.lr.widget import LearningRatePanel
from nntui.panels.neurons.widget import NeuronsPanel
from nntui.panels.weight_norms.widget import WeightNormsPanel
from nntui.runner import Runner
from nntui.scenario import load

TARGET_MS = 15.0
DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
REPEATS = 30


def trained_view(name: str, steps: int):
    runner = Runner(load(name), device="cpu", run_steps=steps)
    runner.start()
    while not runner.idle:
        time.sleep(0.05)
    view = runner.view()
    runner.stop()
    return view


class OnePanel(App):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel

    def compose(self) -> ComposeResult:
        yield self.panel


def redraw_model_graph(panel, view) -> None:
    """Graph panels draw into a Static: rebuild the canvas and render it."""
    panel._key = None
    panel.show(view)
    panel.query_one("#canvas").render()


def redraw_expression(panel, view) -> None:
    panel.stage = panel.stages  # every value and gradient on show
    panel._draw()
    panel.query_one("#canvas").render()


def redraw_widget(panel, view) -> None:
    """Line-API panels: forget the cached strips, rebuild, and render every line."""
    panel._key = None
    panel.show(view)
    for y in range(panel.size.height):
        panel.render_line(y)


async def measure(panel, redraw, view, size: tuple[int, int] = (100, 30)) -> list[float]:
    app = OnePanel(panel)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        if isinstance(panel, GraphPanel):
            panel.set_result(view.expression)
        redraw(panel, view)  # warm caches
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            redraw(panel, view)
            times.append((time.perf_counter() - started) * 1000)
        return times


def render_times() -> list[tuple[str, float, float]]:
    """(panel, median ms, max ms) per panel at 100x30."""
    lr_sweep = trained_view("lr_sweep", 300)
    schedules = trained_view("lr_schedules", 300)
    deep = trained_view(str(DATA / "deep_mlp.toml"), 60)
    circles = trained_view(str(DATA / "circles.toml"), 100)
    mlp_graph = trained_view("mlp_graph", 30)
    multiclass = trained_view("multiclass", 150)
    expression = trained_view("computation_graph", 0)
    exploding = trained_view("exploding_gradients", 100)
    graph_lesson = load("computation_graph").expression
    expression_panel = GraphPanel(graph_lesson.graph, graph_lesson.output)
    rows = []
    cases = (("loss", LossPlot(), redraw_widget, lr_sweep), ("lr", LearningRatePanel(), redraw_widget, schedules),
             ("contour", ContourPanel(), redraw_widget, lr_sweep),
             ("curvature", CurvaturePanel(), redraw_widget, lr_sweep),
             ("gradient_flow", GradientFlowPanel(), redraw_widget, deep),
             ("histograms", HistogramPanel(), redraw_widget, deep),
             ("boundary", BoundaryPanel([v.dataset for v in load(str(DATA / "circles.toml")).variants]),
              redraw_widget, circles),
             ("accuracy", AccuracyPanel(), redraw_widget, multiclass),
             ("confusion", ConfusionPanel(), redraw_widget, multiclass),
             ("weight_norms", WeightNormsPanel(), redraw_widget, exploding),
             ("graph (model)", ModelGraphPanel(), redraw_model_graph, mlp_graph),
             ("graph (expr)", expression_panel, redraw_expression, expression))
    for name, panel, redraw, view in cases:
        times = asyncio.run(measure(panel, redraw, view))
        rows.append((name, statistics.median(times), max(times)))
    times = asyncio.run(measure(NeuronsPanel(), redraw_widget, trained_view(str(DATA / "neurons_3x8.toml"), 100),
                                size=(120, 40)))
    rows.append(("neurons 120x40", statistics.median(times), max(times)))
    for lesson, steps in (("lenet_digits", 300), ("conv_vs_mlp", 200)):
        view = trained_view(lesson, steps)
        for name, panel in (("filters", FiltersPanel()), ("feature_maps", FeatureMapsPanel()),
                            ("conv_step", ConvStepPanel.for_scenario(load(lesson)))):
            if not all(m.name in view.runs[0].measured for m in PANELS[name].measures):
                continue  # (the lesson does not show it: nothing measured for it to draw)
            times = asyncio.run(measure(panel, redraw_widget, view, size=(120, 40)))
            rows.append((f"{name} {lesson.split('_')[0]}", statistics.median(times), max(times)))
    return rows


def main() -> None:
    rows = render_times()
    print(f"{'panel':<20}{'median ms':>10}{'max ms':>9}{'target':>9}  verdict")
    for name, median, worst in rows:
        print(f"{name:<20}{median:>10.1f}{worst:>9.1f}{TARGET_MS:>9.0f}  {'ok' if median <= TARGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
