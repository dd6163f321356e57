"""Expression lessons: a safe grammar, the chain rule against torch.autograd, stepping, headless JSON."""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import re
import subprocess
import sys

import pytest

from nntui.engine.expression import evaluate
from nntui.errors import ScenarioError
from nntui.expression import OPERATIONS, ExpressionError, backward, forward, parse
from nntui.panels.graph.expression import GraphPanel
from nntui.scenario import load
from nntui.scenario.loader import load_path
from nntui.ui.app import NNTuiApp

from .conftest import wait_idle


def test_the_lesson_example():
    g = parse("(x + y) * z")
    values = forward(g, {"x": -2, "y": 5, "z": -4})
    grads = backward(g, values)
    by_name = {n.name: (v, d) for n, v, d in zip(g.nodes, values, grads)}
    assert by_name["q1"] == (3, -4) and by_name["q2"] == (-12, 1)
    assert (by_name["x"][1], by_name["y"][1], by_name["z"][1]) == (-4, -4, 3)


@pytest.mark.parametrize("text, expect", [
    ("-x**2", -1),                      # -(x**2), as in Python
    ("2**3**2", 512),                   # right-associative
    ("1 - 2 - 3", -4),                  # left-associative
    ("8 / 2 / 2", 2),
    ("relu(-3) + sigmoid(0) + tanh(0) + exp(0) + log(1)", 1.5),
    (".5e1 + 1.", 6),
])
def test_grammar(text, expect):
    g = parse(text)
    assert forward(g, {"x": 1.0})[g.output] == pytest.approx(expect)


@pytest.mark.parametrize("text, message", [
    ("x.__class__", "unexpected '.' at column 2"),
    ("__import__('os').system('ls')", "unexpected ''' at column 12"),
    ("open('f')", "unexpected ''' at column 6"),
    ("eval(x)", "unknown function 'eval' at column 1"),
    ("x[0]", "unexpected '[' at column 2"),
    ("lambda: 1", "unexpected ':' at column 7"),
    ("x +", "ends too early"),
    ("(x", "expected ')'"),
    ("exp x", "is a function"),
    ("", "empty"),
])
def test_anything_else_is_a_clear_error(text, message):
    with pytest.raises(ExpressionError, match=re.escape(message)):
        parse(text)


def _random_expression(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["a", "b", "c", f"{rng.uniform(0.5, 2):.2f}"])
    kind = rng.random()
    if kind < 0.5:
        op = rng.choice(["+", "-", "*", "/"])
        return f"({_random_expression(rng, depth - 1)} {op} {_random_expression(rng, depth - 1)})"
    if kind < 0.6:
        return f"({_random_expression(rng, depth - 1)}) ** 2"
    fn = rng.choice(["exp", "tanh", "sigmoid", "relu", "sin", "cos"])
    return f"{fn}({_random_expression(rng, depth - 1)})"


def test_chain_rule_matches_torch_autograd_on_random_expressions():
    rng = random.Random(0)
    checked = 0
    for _ in range(300):
        text = _random_expression(rng, 4)
        g = parse(text)
        values = {name: rng.uniform(0.3, 1.5) for name in g.variables}
        mine_v = forward(g, values)
        mine_g = backward(g, mine_v)
        torch_result = evaluate(g, values)
        if not all(math.isfinite(v) for v in torch_result.values):
            continue
        for n in g.nodes:
            assert mine_v[n.id] == pytest.approx(torch_result.values[n.id], rel=1e-9, abs=1e-12), text
            if not torch_result.constant[n.id]:
                assert mine_g[n.id] == pytest.approx(torch_result.grads[n.id], rel=1e-7, abs=1e-10), text
        checked += 1
    assert checked > 250


# every operation, each input at the edges of float64: the chain rule's terms are numbers (Inf and NaN
# included) equal to torch's, never an exception (the app died on y = 1e200 in x / y)
_WRITTEN = {"add": "x + y", "sub": "x - y", "mul": "x * y", "div": "x / y", "pow": "x ** y", "neg": "-x"}
_EXTREMES = (0.0, -0.0, 1e-170, -1e-170, 1e200, -1e200, 800.0, -800.0, 2.5, -3.0, math.inf, -math.inf, math.nan)


@pytest.mark.parametrize("op", OPERATIONS)
def test_every_operation_at_extreme_values_matches_torch_and_never_raises(op):
    g = parse(_WRITTEN.get(op, f"{op}(x)"))
    for x, y in itertools.product(_EXTREMES, _EXTREMES if "y" in g.variables else (0.0,)):
        values = {"x": x, "y": y} if "y" in g.variables else {"x": x}
        mine_v = forward(g, values)
        mine_g = backward(g, mine_v)
        torch_result = evaluate(g, values)
        assert mine_v == pytest.approx(list(torch_result.values), rel=1e-12, nan_ok=True), (op, x, y)
        assert mine_g == pytest.approx(list(torch_result.grads), rel=1e-12, nan_ok=True), (op, x, y)


@pytest.mark.parametrize("text, values, shown", [
    ("x / y", {"x": 1.0, "y": 1e200}, "(1)·(-0) = -0"),         # y² overflows
    ("x / y", {"x": 1.0, "y": 1e-170}, "(1)·(-Inf) = -Inf"),      # x/y² is 1e340: past float64
    ("sin(exp(x))", {"x": 800.0}, "(NaN)·(Inf) = NaN"),          # exp(800) is Inf, cos(Inf) NaN
])
async def test_stepping_backward_through_extreme_values_shows_them(write_scenario, text, values, shown):
    path = write_scenario(f'[scenario]\ntitle = "edge"\n[expression]\ntext = "{text}"\nvalues = {{ '
                          + ", ".join(f"{k} = {v!r}" for k, v in values.items()) + " }\n")
    app = NNTuiApp(load_path(path), device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GraphPanel)
        explained = []
        for _ in range(panel.stages):
            await pilot.press("n")
            explained.append(str(panel.query_one("#explain").render()))
        assert panel.stage == panel.stages and app.is_running
        assert not app.query("#lesson")  # no lesson text: the graph gets the whole width
        line = next((line for line in explained if shown in line), None)
        assert line is not None, "\n".join(explained)
        assert ("torch gives the same" in line) == ("Inf" in shown or "NaN" in shown)  # what Inf and NaN mean


async def test_a_graph_too_wide_for_the_panel_runs_top_to_bottom_or_else_scrolls_with_its_explanation_whole(
        write_scenario):
    def scenario(text: str, values: str):
        return load_path(write_scenario(f'[scenario]\ntitle = "wide"\n[expression]\ntext = "{text}"\nvalues = '
                                        f'{{ {values} }}\n[lesson]\ntext = "The lesson takes half the width."\n'))

    app = NNTuiApp(scenario("sin(exp(x))", "x = 800"), device="cpu")  # a chain: one node a layer
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GraphPanel)
        await pilot.press("n", "n", "n")
        await pilot.pause()
        canvas = str(panel.query_one("#canvas").render())
        assert panel.scroll_x == 0 and "x" in canvas and "sin" in canvas  # every node in view, input to output
    app = NNTuiApp(scenario("a*b + c*d + e*f + g*h", "a = 1, b = 2, c = 3, d = 4, e = 5, f = 6, g = 7, h = 8"),
                   device="cpu")  # eight inputs in one layer: wider than the panel either way
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GraphPanel)
        await pilot.press(*["n"] * 15)  # the output node, at the right: the graph scrolls to it
        await pilot.pause()
        assert panel.scroll_x > 0
        assert app.query_one("#explain").region.x == panel.content_region.x  # not cut at the left


def test_scenario_errors(write_scenario):
    base = '[scenario]\ntitle = "g"\n[expression]\n'
    with pytest.raises(ScenarioError, match=r"expression.text: unknown function 'eval'"):
        load_path(write_scenario(base + 'text = "eval(x)"\nvalues = { x = 1 }\n'))
    with pytest.raises(ScenarioError, match=r"variable 'y' has no value"):
        load_path(write_scenario(base + 'text = "x * y"\nvalues = { x = 1 }\n'))
    with pytest.raises(ScenarioError, match=r"'w' is not in the expression"):
        load_path(write_scenario(base + 'text = "x"\nvalues = { x = 1, w = 2 }\n'))
    with pytest.raises(ScenarioError, match=r"'loss' needs training"):
        load_path(write_scenario(base + 'text = "x"\nvalues = { x = 1 }\n[view]\npanels = ["loss", "graph"]\n'))
    with pytest.raises(ScenarioError, match=r"has no \[data\]"):
        load_path(write_scenario(base + 'text = "x"\nvalues = { x = 1 }\n[data]\nkind = "circles"\n'))


async def test_n_steps_forward_then_backward_and_r_starts_over():
    app = NNTuiApp(load("computation_graph"), device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GraphPanel)
        assert panel.stage == 0 and panel.result is not None
        await pilot.press(*"nnnnn")
        assert panel.phase == "forward" and "-12" in str(panel.query_one("#canvas").render())
        assert "∂f/∂" not in str(panel.query_one("#canvas").render())
        await pilot.press(*"nnnnn")
        assert panel.stage == 10 and panel.phase == "backward"
        canvas = str(panel.query_one("#canvas").render())
        assert "∂f/∂x = -4" in canvas and "∂f/∂z = 3" in canvas
        # the whole backward walk, in its order: the output first, each node once, the last one marked
        walk = str(panel.query_one("#explain").render()).splitlines()
        assert walk[0] == "backward, the output first" and walk[1].strip().startswith("∂f/∂f = 1")
        order = [line.split("=")[0].strip(" ▶") for line in walk[1:] if "∂f/∂" in line.split("=")[0]]
        assert len(order) == 5 and order[0] == "∂f/∂f" and walk[-2].startswith("▶ ∂f/∂")
        assert "∂f/∂z = ∂f/∂f·∂(q1 × z)/∂z = (1)·(3) = 3" in walk[2]  # not ∂f/∂f·∂f/∂z: ∂f/∂z by itself
        assert "step 10/10" in app.query_one("RunHeader").status_text
        await pilot.press("n")
        assert panel.stage == 10  # the end
        await pilot.press("r")
        assert panel.stage == 0


async def test_space_plays_the_graph():
    app = NNTuiApp(load("computation_graph"), device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GraphPanel)
        await pilot.press("space")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10  # one node per 0.8 s; generous under load
        while panel.stage < 2:
            assert loop.time() < deadline, "the graph did not play"
            await asyncio.sleep(0.1)
        await pilot.press("space")
        stage = panel.stage
        await pilot.pause(1.0)
        assert panel.stage == stage


def test_headless_json_holds_the_graph(tmp_path):
    out = tmp_path / "g.json"
    proc = subprocess.run([sys.executable, "-m", "nntui", "run", "computation_graph", "--headless", "--out", str(out)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    graph = json.loads(out.read_text())["graph"]
    nodes = {n["label"]: n for n in graph["nodes"]}
    assert nodes["q1"]["value"] == 3 and nodes["f"]["value"] == -12
    assert (nodes["x"]["grad"], nodes["y"]["grad"], nodes["z"]["grad"]) == (-4, -4, 3)


@pytest.mark.parametrize("name, size, presses", [("computation_graph", (80, 24), 4),
                                                 ("computation_graph", (120, 40), 8), ("backprop_order", (120, 40), 8)])
def test_graph_snapshots(snap_compare, name, size, presses):
    app = NNTuiApp(load(name), device="cpu")

    async def run_before(pilot):
        await wait_idle(pilot.app, pilot)
        await pilot.press(*("n" * presses))

    assert snap_compare(app, terminal_size=size, run_before=run_before)


async def test_nan_and_inf_values_are_shown_not_a_crash(write_scenario):
    path = write_scenario('[scenario]\ntitle = "nan"\n[expression]\ntext = "log(x) + 1 / y"\nvalues = { x = -1, y = 0 }\n')
    app = NNTuiApp(load(str(path)), device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GraphPanel)
        for _ in range(panel.stages):
            await pilot.press("n")
        canvas = str(panel.query_one("#canvas").render())
        assert "NaN" in canvas and "Inf" in canvas


async def test_the_backward_walk_keeps_its_current_step_in_view_in_a_small_window():
    # at 80x24 six listed steps pushed the current one below the panel's edge (issue 27): earlier ones go first
    app = NNTuiApp(load("computation_graph"), device="cpu")
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GraphPanel)
        await pilot.press(*"n" * 10)
        await pilot.pause()
        walk = str(panel.query_one("#explain").render())
        assert panel.stage == 10 and "▶ ∂f/∂x" in walk and "not shown" in walk and panel.max_scroll_y == 0


async def test_a_variable_used_twice_gathers_both_gradients_and_the_claims_say_so():
    """backprop_order: a in a·b + a gets 1 from f and b = −2 through q1; the walk reaches it last, says it is used
    twice and adds both; the lesson's claims about ∂f/∂a and ∂f/∂b are judged on torch's values, passed."""
    app = NNTuiApp(load("backprop_order"), device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GraphPanel)
        await pilot.press(*"n" * panel.stages)
        walk = str(panel.query_one("#explain").render())
        assert "▶ ∂f/∂a = ∂f/∂q1·∂q1/∂a + ∂f/∂f·∂(q1 + a)/∂a = (1)·(-2) + (1)·(1) = -1" in walk
        assert "a is used 2 times" in walk
        verdicts = app.runner.view().verdicts
        assert len(verdicts) == 2 and all(v is not None and v.passed for v in verdicts)


@pytest.mark.parametrize("check, message", [
    ('that = \'derivative("w") > 0\'', r"'w' is not a variable of the expression"),
    ('that = \'loss("x") > 0\'', r"loss is measured on training runs, and a graph lesson has none"),
    ('at = 3\nthat = \'derivative("x") > 0\'', r"a graph lesson trains nothing: its claims are judged once"),
])
def test_a_graph_lesson_s_claims_are_about_its_variables(write_scenario, check, message):
    text = ('[scenario]\ntitle = "g"\n[expression]\ntext = "x * y"\nvalues = { x = 2, y = 3 }\n'
            f'[[check]]\nsay = "s"\n{check}\n')
    with pytest.raises(ScenarioError, match=message):
        load_path(write_scenario(text))


def test_a_wrong_claim_about_a_derivative_fails_with_the_value(write_scenario):
    from nntui.headless import judge

    text = ('[scenario]\ntitle = "g"\n[expression]\ntext = "x * y"\nvalues = { x = 2, y = 3 }\n'
            '[[check]]\nsay = "wrong"\nthat = \'derivative("x") < 0\'\n')
    lines, passed = judge(load_path(write_scenario(text)), "cpu")
    assert not passed and lines == ["✗ end: wrong (x.grad: 3 < 0)  [derivative(\"x\") < 0]"]


async def test_mid_walk_a_variable_used_twice_shows_what_it_has_so_far_and_what_it_waits_for():
    """backprop_order after f's gradient: a's box holds "so far: 1" (grey) and the walk says it waits for q1; after
    q1's, it holds both, −1, and then its own step puts −1 in .grad. 120x40 keeps its boxed layout."""
    app = NNTuiApp(load("backprop_order"), device="cpu")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(GraphPanel)
        await pilot.press(*"n" * 5)  # forward (4 nodes), then f's gradient
        assert "so far: 1" in str(panel.query_one("#canvas").render())
        assert "→ f sends 1 to a, used more than once: a has 1 so far; it waits for q1" in str(
            panel.query_one("#explain").render())
        await pilot.press("n")  # q1 sends its part
        assert "so far: -1" in str(panel.query_one("#canvas").render())
        assert "→ q1 sends -2 to a, used more than once: a has -1 so far: every use is in" in str(
            panel.query_one("#explain").render())
        await pilot.press("n", "n")  # b, then a itself: the gradient in .grad
        canvas = str(panel.query_one("#canvas").render())
        assert "∂f/∂a = -1" in canvas and "┌" in canvas  # (boxes: the graph still fits left to right)
