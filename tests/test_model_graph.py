"""The autograd graph of a training step: the structure torch records, drawn as layers or a tree."""

from __future__ import annotations

import pytest

from nntui.engine import Engine
from nntui.panels.graph.widget import ModelGraphPanel, op_legend
from nntui.panels.loss.widget import LossPlot
from nntui.scenario import load
from nntui.ui import STYLESHEET
from nntui.ui.app import NNTuiApp
from nntui.ui.draw.raster import wrap_label

from .conftest import diverged_run, wait_idle


def test_every_parameter_is_a_leaf_exactly_once():
    engine = Engine(load("mlp_graph"), "cpu")
    graph = engine.frame().runs[0].graph
    leaves = [n.label for n in graph.nodes if n.kind == "param"]
    names = [name for name, _ in engine.runs[0].model.named_parameters()]
    assert sorted(leaves) == sorted(names) and len(leaves) == len(set(leaves)) == 4
    ops = [n.label for n in graph.nodes if n.kind == "op"]
    assert ops.count("Addmm") == 2 and "Relu" in ops and ops.count("T") == 2
    assert graph.nodes[graph.output].kind == "loss" and graph.output == len(graph.nodes) - 1
    shapes = {n.label: n.shape for n in graph.nodes if n.kind == "param"}
    assert shapes["0.weight"] == (8, 2) and shapes["2.bias"] == (1,)
    assert engine.frame().runs[0].graph is None, "the structure is sent once"
    legend = op_legend(graph).plain  # what T, Mm, Addmm… compute is said under the graph, once each
    assert "Addmm: b + x·Wᵀ" in legend and "T: transpose" in legend and "Relu: max(0, z)" in legend
    assert legend.count("Addmm") == 1 and "BinaryCrossEntropyWithLogits: σ then binary cross-entropy" in legend
    assert legend.endswith("colour of ‖∇‖: 1e-8 " + "█" * 11 + " 1e2")  # the leaves' colours, keyed (issue 27)


def test_deep_graph_links_every_layer_to_the_loss():
    engine = Engine(load("tests/data/deep_mlp.toml").with_steps(5), "cpu")
    run = engine.runs[0]
    from nntui.engine.autograd_graph import trace

    graph = trace(run.model, run.loss_fn, run.x, run.y)
    reachable, stack = set(), [graph.output]
    while stack:
        i = stack.pop()
        if i not in reachable:
            reachable.add(i)
            stack.extend(graph.nodes[i].inputs)
    assert reachable == set(range(len(graph.nodes)))
    assert sum(n.kind == "param" for n in graph.nodes) == 14


async def test_t_toggles_tree_and_layers():
    app = NNTuiApp(load("mlp_graph"), device="cpu", run_steps=10)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(ModelGraphPanel)
        first = panel.tree_view
        panel.focus()
        await pilot.press("t")
        assert panel.tree_view is (not first)
        text = str(panel.query_one("#canvas").render())
        assert "0.weight" in text and "BinaryCrossEntropyWithLogits" in text


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_model_graph_snapshots(snap_compare, size):
    app = NNTuiApp(load("mlp_graph"), device="cpu", run_steps=30)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: wait_idle(pilot.app, pilot))


async def test_nan_gradients_draw_without_a_crash():
    import math

    import numpy as np
    from textual.app import App, ComposeResult

    from nntui.frames import GraphNode, ModelGraph
    from nntui.runner import View

    graph = ModelGraph((GraphNode("0.weight", "param", (), 0, (2, 2)), GraphNode("0.bias", "param", (), 1, (2,)),
                        GraphNode("Addmm", "op", (1, 0)), GraphNode("MseLoss", "loss", (2,))), 3)
    run = diverged_run(3, graph=graph, grad_norms=np.array([math.nan, math.inf]))
    view = View(1, "ready", "cpu", 3, 10, False, True, 60, math.nan, None, (run,))

    class PanelApp(App):
        CSS_PATH = STYLESHEET  # the panel's styles, as in the app

        def compose(self) -> ComposeResult:
            yield ModelGraphPanel()

    app = PanelApp()
    async with app.run_test(size=(100, 20)) as pilot:
        panel = app.query_one(ModelGraphPanel)
        for tree in (False, True):
            panel.tree_view = tree
            panel._key = None
            panel.show(view)
            await pilot.pause()
            text = str(panel.query_one("#canvas").render())
            assert "0.weight" in text and "nan" in text.lower()


async def test_nothing_is_shown_before_it_exists():
    # before the first step there is no gradient: none shown, never "‖∇‖ nan"
    app = NNTuiApp(load("mlp_graph"), device="cpu", run_steps=0, questions=False)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_idle(app, pilot)
        shown = str(app.query_one(ModelGraphPanel).query_one("#canvas").render())
        assert "0.weight" in shown and "nan" not in shown.lower()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_layers_fit_the_panel_at_80x24_and_120x40(size):
    app = NNTuiApp(load("mlp_graph"), device="cpu", run_steps=5, questions=False)
    async with app.run_test(size=size) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(ModelGraphPanel)
        canvas = panel.query_one("#canvas")
        assert panel.tree_view is False, "the layered drawing fits: it is the one shown"
        assert canvas.size.width <= panel.scrollable_content_region.width
        assert canvas.size.height <= panel.scrollable_content_region.height
        lines = str(canvas.render()).splitlines()
        text = "\n".join(lines)
        assert all(name in text for name in ("0.weight 8×2", "0.bias 8", "2.weight 1×8", "2.bias 1", "Relu", "Addmm"))
        assert text.count("‖∇‖ ") == 4 and "BinaryCrossEntropy" in text
        assert "…" not in str(panel.border_title) + str(panel.border_subtitle)


@pytest.mark.parametrize("width", [0, 1, 3])
def test_labels_wrap_at_any_width(width):
    lines = wrap_label("loss: BinaryCrossEntropyWithLogits", width)
    assert "".join(lines).replace(" ", "") == "loss:BinaryCrossEntropyWithLogits"
    assert all(len(line) <= max(width, 1) for line in lines)


async def test_zooming_another_panel_leaves_the_hidden_graph_alone():
    # the graph behind a zoomed loss plot has no width: drawing it there once looped forever (CI ran out of memory)
    app = NNTuiApp(load("mlp_graph"), device="cpu", run_steps=5, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        graph = app.query_one(ModelGraphPanel)
        app.query_one(LossPlot).focus()
        await pilot.press("m")
        graph._key = None
        graph.show(app.runner.view())  # returns: nothing to fit
        await pilot.pause()
        assert app.screen.maximized is app.query_one(LossPlot)
        await pilot.press("m")
        await pilot.pause()
        assert graph.tree_view is False and "0.weight" in str(graph.query_one("#canvas").render())
