"""The weight-norms panel (panels/weight_norms/): its numbers are each layer's ‖W‖ and exactly the last update's
share ‖ΔW‖/‖W‖, they reach the panel through the declared seam (frame → record → RunView.measured), and the
widget draws them."""

from __future__ import annotations

import re

import numpy as np
import torch

from nntui.engine import Engine
from nntui.panels.weight_norms.widget import WeightNormsPanel, layer_span
from nntui.record import History
from nntui.runner import run_view
from nntui.scenario.loader import load_path
from nntui.ui.app import NNTuiApp

from .conftest import wait_idle

SWEEP = """
[scenario]
title = "t"
seed = 2
[data]
kind = "blobs"
n = 64
[model]
kind = "mlp"
layers = [8, 8]
[train]
loss = "cross_entropy"
optimizer = "sgd"
steps = 12
[sweep]
lr = [0.1, 0.02]
[view]
panels = ["loss", "weight_norms"]
"""


def weights(run) -> list[torch.Tensor]:
    return [p.detach().clone() for p in run.params if p.dim() >= 2]


def test_the_update_ratio_is_the_last_update_over_the_weights_before_it(write_scenario):
    """Both runs train as one batched computation (an SGD sweep): the probe sees their own weights."""
    engine = Engine(load_path(write_scenario(SWEEP)), "cpu")
    assert engine.batches, "the sweep trains batched"
    engine.advance(3)
    engine.frame()  # (a frame reports the updates since the one before)
    before = [weights(run) for run in engine.runs]
    engine.advance(1)
    for run, old, frame, lr in zip(engine.runs, before, engine.frame().runs, (0.1, 0.02)):
        new = weights(run)
        norms, (steps, rows) = frame.measured["weight_norms"], frame.measured["update_ratios"]
        assert steps.tolist() == [3]  # the update taken at step 3, alone since the last frame
        ratios = rows[0]
        np.testing.assert_allclose(norms, [float(w.norm()) for w in new], rtol=1e-5)
        np.testing.assert_allclose(ratios, [float((w - b).norm() / b.norm()) for w, b in zip(new, old)], rtol=1e-4)
        layers = [i for i, shape in enumerate(frame.param_shapes) if len(shape) == 2]
        # plain SGD moves W by lr·∇W: the share is lr·‖∇W‖ / ‖W‖
        np.testing.assert_allclose(ratios, lr * frame.grad_norms[layers] / [float(b.norm()) for b in old], rtol=1e-4)


def test_every_update_is_kept_however_rarely_frames_come(write_scenario):
    """One step sampled per frame drew a lurching run differently at each speed (at full speed, frames come only
    where claims are judged): every update's share reaches the record."""
    engine = Engine(load_path(write_scenario(SWEEP)), "cpu")
    shares = []
    for _ in range(4):
        old = weights(engine.runs[0])
        engine.advance(1)
        shares.append([float((w - b).norm() / b.norm()) for w, b in zip(weights(engine.runs[0]), old)])
    steps, rows = engine.frame().runs[0].measured["update_ratios"]
    assert steps.tolist() == [0, 1, 2, 3]
    np.testing.assert_allclose(rows, shares, rtol=1e-5)
    steps, rows = engine.frame().runs[0].measured["update_ratios"]
    assert len(steps) == len(rows) == 0  # no update since the last frame


def test_what_a_probe_measures_reaches_the_panels_as_declared(write_scenario):
    scenario = load_path(write_scenario(SWEEP))
    engine, history = Engine(scenario, "cpu"), History.for_scenario(scenario)
    history.add(engine.frame())  # step 0: no row yet, and still (steps, rows), never the frame's bare value
    steps, rows = run_view(history.runs[0]).measured["weight_norms"]
    assert len(steps) == len(rows) == 0
    for _ in range(4):
        engine.advance(3)
        history.add(engine.frame())
    measured = run_view(history.runs[0]).measured
    steps, rows = measured["weight_norms"]  # kept over time: a row a frame
    assert steps.tolist() == [3, 6, 9, 12] and rows.shape == (4, 3)  # ‖W‖: a row a frame
    steps, rows = measured["update_ratios"]  # ‖ΔW‖/‖W‖: a row an update
    assert steps.tolist() == list(range(12)) and np.isfinite(rows).all()
    quiet = Engine(load_path(write_scenario(SWEEP.replace('"weight_norms"', '"variants"'))), "cpu")
    assert quiet.frame().runs[0].measured is None and not quiet.runs[0].panel_probes  # not shown: not measured


def test_layer_spans_name_runs_of_layers():
    assert layer_span((1, 2, 3, 5)) == "L2–L4, L6" and layer_span((0,)) == "L1"


async def test_the_panel_draws_every_layer_and_switches_runs(write_scenario):
    app = NNTuiApp(load_path(write_scenario(SWEEP)), device="cpu", run_steps=12)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(WeightNormsPanel)
        text = ["".join(seg.text for seg in strip) for strip in panel._strips]
        assert text[0].startswith("‖W‖") and any(line.startswith("‖ΔW‖/‖W‖") for line in text)
        assert re.search(r"L1\*? L2\*? L3", text[-1]) and "lr=0.1" in str(panel.border_title)
        assert "0.001" in str(panel.border_subtitle)  # the dotted guide, explained
        panel.focus()
        await pilot.press("right_square_bracket")
        assert "lr=0.02" in str(panel.border_title)
