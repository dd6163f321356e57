"""What the optimizer-state probes read from torch's own optimizer state: each checked against the steps taken."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.engine import Engine
from nntui.scenario.loader import load_path

VALLEY = """
[scenario]
title = "valley"
[model]
kind = "surface"
surface = "quadratic"
condition = 10
start = [-4.0, 1.0]
[train]
steps = 30
[[variant]]
label = "sgd"
train = {{ optimizer = "sgd", lr = 0.08 }}
[[variant]]
label = "momentum"
train = {{ optimizer = "sgd", lr = 0.08, momentum = 0.5 }}
[[variant]]
label = "adam"
train = {{ optimizer = "adam", lr = 0.3 }}
[[variant]]
label = "rmsprop"
train = {{ optimizer = "rmsprop", lr = 0.05 }}
[view]
panels = {panels}
"""


def _engine(write_scenario, panels: list[str]) -> Engine:
    return Engine(load_path(write_scenario(VALLEY.format(panels=panels))), "cpu")


def test_the_contour_arrow_is_the_step_the_optimizer_state_sets(write_scenario):
    """Momentum's −lr·v (momentum_buffer) and Adam's / RMSProp's −lr·m̂/(√v̂+ε) are exactly the step just taken
    (θ now − θ a step ago); plain SGD keeps no state and gets no arrow."""
    engine = _engine(write_scenario, ["contour", "loss"])
    engine.advance(7)
    before = {r.label: r.position.copy() for r in engine.frame().runs}
    engine.advance(1)
    frame = engine.frame()
    for run in frame.runs:
        step, rates = run.measured["optimizer_step"], run.measured["effective_lr"]
        if run.label == "sgd":
            assert np.isnan(step).all() and np.isnan(rates).all()
            continue
        assert step == pytest.approx(run.position - before[run.label], rel=1e-5, abs=1e-7), run.label
        assert np.isfinite(rates).all() == (run.label in ("adam", "rmsprop"))


def test_adam_effective_lr_is_lr_over_root_of_its_running_mean_of_squared_gradients(write_scenario):
    """Adam's effective lr per coordinate, against Adam written out by hand on the same quadratic."""
    engine = _engine(write_scenario, ["contour", "loss"])
    engine.advance(5)
    adam = next(r for r in engine.frame().runs if r.label == "adam")
    theta, m, v = np.array([-4.0, 1.0]), np.zeros(2), np.zeros(2)
    for t in range(1, 6):
        g = np.array([1.0, 10.0]) * theta
        m, v = 0.9 * m + 0.1 * g, 0.999 * v + 0.001 * g * g
        root = np.sqrt(v / (1 - 0.999 ** t)) + 1e-8
        theta = theta - 0.3 * (m / (1 - 0.9 ** t)) / root
    assert adam.measured["effective_lr"] == pytest.approx(0.3 / root, rel=1e-4)
    assert adam.position == pytest.approx(theta, rel=1e-4)


def test_the_state_panel_compares_each_step_with_plain_sgds(write_scenario):
    """Every step is measured: plain SGD's step is lr·g exactly (1); momentum's ‖v‖/‖g‖ per parameter, against
    v ← β·v + g written out; adaptive runs' effective lr."""
    engine = _engine(write_scenario, ["optimizer_state", "loss"])
    engine.advance(6)
    runs = {r.label: r for r in engine.frame().runs}
    steps, rows = runs["sgd"].measured["optimizer_state"]
    assert list(steps) == list(range(6)) and (rows[:, 0::2] == 1).all() and np.isnan(rows[:, 1::2]).all()
    theta, velocity, ratios = np.array([-4.0, 1.0]), np.zeros(2), []
    for _ in range(6):
        g = np.array([1.0, 10.0]) * theta
        velocity = 0.5 * velocity + g
        ratios.append(np.abs(velocity) / np.abs(g))
        theta = theta - 0.08 * velocity
    _, rows = runs["momentum"].measured["optimizer_state"]
    assert rows[:, 0::2] == pytest.approx(np.array(ratios), rel=1e-4)
    for label in ("adam", "rmsprop"):
        _, rows = runs[label].measured["optimizer_state"]
        assert np.isfinite(rows).all() and (rows[:, 1::2] > 0).all(), label


def test_runs_with_momentum_train_alone_when_a_panel_reads_their_state(write_scenario):
    """A batch keeps its runs' momentum in a tensor of its own: shown the contour (which reads it), a linear
    model's momentum run leaves the batch; its plain-SGD neighbours stay batched."""
    text = """
[scenario]
title = "lines"
[data]
kind = "linear"
start = 0.0
stop = 2.0
step = 0.1
[model]
kind = "linear"
[train]
steps = 5
[[variant]]
label = "plain a"
[[variant]]
label = "plain b"
train = { lr = 0.002 }
[[variant]]
label = "heavy"
train = { momentum = 0.9 }
[view]
panels = {panels}
"""
    plain = Engine(load_path(write_scenario(text.replace("{panels}", '["loss"]'))), "cpu")
    shown = Engine(load_path(write_scenario(text.replace("{panels}", '["contour", "loss"]'))), "cpu")
    assert [len(b.runs) for b in plain.batches] == [3]
    assert [[r.label for r in b.runs] for b in shown.batches] == [["plain a", "plain b"]]
