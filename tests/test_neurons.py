"""The neurons panel: every unit's picture over the data's plane, the links by weight, focus and wide layers."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nntui.engine import Engine
from nntui.errors import ScenarioError
from nntui.panels.neurons.widget import NeuronsPanel
from nntui.scenario import load
from nntui.scenario.loader import load_path
from nntui.ui.app import NNTuiApp
from nntui.ui.draw.raster import fmt_short

from .conftest import probe_of, wait_idle

WIDE = """
[scenario]
title = "Neurons of a wide net"
seed = 2
[data]
kind = "circles"
n = 200
[model]
kind = "mlp"
layers = [{width}, 8]
activation = "relu"
[train]
loss = "bce_with_logits"
optimizer = "adam"
lr = 0.05
steps = 60
[view]
panels = ["neurons"]
"""


def test_the_probe_reads_every_unit_off_the_models_own_forward_pass():
    engine = Engine(load("binary_classification").with_steps(20), "cpu")
    engine.advance(20)
    run = engine.runs[0]
    n = engine.frame().runs[0].measured["neurons"]
    assert [len(g) for g in n.grids] == [2, 16, 16, 1] and n.grids[1].shape[1:] == (15, 15)
    points = probe_of(run, "Units").inputs  # the plane's grid as the model takes it
    with torch.no_grad():
        run.model.eval()
        out = run.model(points)[:, 0].reshape(15, 15).numpy()
        first = torch.relu(run.model[0](points)).T.reshape(16, 15, 15).numpy()
        run.model.train()
    assert np.allclose(n.grids[-1][0], out, atol=1e-6) and np.allclose(n.grids[1], first, atol=1e-6)
    assert np.array_equal(n.weights[0], run.model[0].weight.detach().numpy())
    with torch.no_grad():  # dead: 0 on every training input (the probe batch)
        dead = (torch.relu(run.model[0](run.x[:256])) == 0).all(0).numpy()
    assert np.array_equal(n.dead[0], dead)


async def test_a_wide_layer_shows_its_strongest_units_and_says_how_many(write_scenario):
    app = NNTuiApp(load_path(write_scenario(WIDE.format(width=40))), device="cpu", run_steps=60, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(NeuronsPanel)
        rows = ["".join(seg.text for seg in strip) for strip in panel._strips]
        shown = int(rows[-1].split("layer 1: ")[1].split(" of 40")[0])
        assert 3 <= shown < 40 and "layer 2" in rows[-1] and "output" in rows[-1]
        n = app.runner.view().runs[0].measured["neurons"]
        strongest = set(np.argsort(-np.abs(n.weights[1]).sum(0))[:shown].tolist())
        assert panel._shown(n, 1, panel.size.height - 1) == sorted(strongest)


async def test_a_network_too_deep_for_the_panel_says_so_at_every_size(write_scenario):
    # 12+ hidden layers at 80x24, 20+ at 120x40: was "IndexError: list assignment index out of range", the run
    # lost (issue 30). A net that fits is drawn; one that does not says what it needs
    text = WIDE.replace("layers = [{width}, 8]", f"layers = {[3] * 22}").replace("steps = 60", "steps = 5")
    app = NNTuiApp(load_path(write_scenario(text)), device="cpu", run_steps=5, questions=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(NeuronsPanel)
        for width, height in ((80, 24), (120, 40), (40, 12), (250, 60)):
            await pilot.resize_terminal(width, height)
            await pilot.pause(0.1)
            app.refresh_panels(force=True)
            await pilot.pause()
            text = " ".join("".join(seg.text for seg in strip) for strip in panel._strips)
            assert app.crash is None and app.is_running
            said = " ".join(text.split())
            assert ("22 hidden layers need" in said) == (width < 140), (width, text[:200])
            assert width >= 140 or "need 144 columns" in said, said  # wrapped, never cut inside the number


async def test_arrow_keys_focus_a_unit_and_list_its_bias_and_incoming_weights():
    app = NNTuiApp(load("hidden_units"), device="cpu", run_steps=50, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(NeuronsPanel)
        assert "grey: each unit × its weight · white: their sum" in str(panel.border_subtitle)  # the output's parts
        panel.focus()
        await pilot.press("down", "down")  # the first hidden unit, then the next one
        await pilot.pause()
        rows = [("".join(seg.text for seg in strip)).rstrip() for strip in panel._strips]
        n = app.runner.view().runs[0].measured["neurons"]
        zoom = min(6, panel.size.height // 3)  # the enlarged picture's rows, with the text beside it
        unit = panel._shown(n, 1, panel.size.height - 1 - zoom)[1]  # the second unit shown
        detail = rows[-zoom:]
        assert detail[0].endswith(f"layer 1 unit {unit + 1} · bias {fmt_short(float(n.biases[0][unit]))}")
        assert detail[1].endswith(f"in: x {n.weights[0][unit, 0]:+.2f}")
        assert all("⠀" <= ch <= "⣿" or ch == " " for ch in detail[2][:8 * zoom])  # the curve, enlarged
        await pilot.press("right")  # the output: its weights from the five units
        await pilot.pause()
        rows = ["".join(seg.text for seg in strip) for strip in panel._strips]
        text = " ".join(row[8 * zoom:].strip() for row in rows[-zoom:])
        assert "output · bias" in text and text.count(" u") == 5


def test_the_neurons_panel_refuses_data_it_cannot_draw(write_scenario):
    with pytest.raises(ScenarioError, match="the neurons panel draws each unit over 2-D classification"):
        load_path(write_scenario(WIDE.format(width=8).replace('kind = "circles"\nn = 200',
                                                             'kind = "blobs"\ndim = 3')
                                 .replace('"bce_with_logits"', '"cross_entropy"')))
    with pytest.raises(ScenarioError, match="up to 256 hidden units"):
        load_path(write_scenario(WIDE.format(width=300)))


def test_neurons_snapshot_80x24(snap_compare):
    """features_vs_depth at 80x24: three networks unit by unit, the x1·x2 input a checkerboard."""
    app = NNTuiApp(load("features_vs_depth"), device="cpu", run_steps=300, questions=False)
    assert snap_compare(app, terminal_size=(80, 24), run_before=lambda pilot: wait_idle(pilot.app, pilot))


def test_headless_neurons_records_each_units_picture(tmp_path, capsys):
    import json

    from .test_cli import run_main

    code, _, _ = run_main(capsys, "run", "hidden_units", "--headless", "--steps", "20", "--device", "cpu",
                          "--out", str(tmp_path / "r.json"), "--neurons")
    assert code == 0
    n = json.loads((tmp_path / "r.json").read_text())["runs"][0]["neurons"]
    assert n["inputs"] == ["x"] and [len(c) for c in n["columns"]] == [1, 5, 1] and len(n["columns"][1][0]) == 48
    assert len(n["weights"]) == 2 and len(n["weights"][1][0]) == 5 and n["dead"] == [[False] * 5]
    code, _, err = run_main(capsys, "run", "hidden_units", "--headless", "--neurons")
    assert code == 2 and "needs --out" in err


async def test_a_classifiers_output_is_its_probability_with_the_training_points_on_it():
    # features_vs_depth: the perceptron stuck at loss 0.69 had an output picture as strong as a solved one's
    # (each unit on its own largest |value|), and the XOR points were on no picture (issue 27)
    from nntui.ui.draw.palette import BOUNDARY_BACKGROUND_RGB, class_rgb

    app = NNTuiApp(load("features_vs_depth"), device="cpu", run_steps=300, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panels = list(app.query(NeuronsPanel))
        runs = app.runner.view().runs
        assert all(run.measured["neurons"].probability for run in runs)

        def dots(panel) -> list:
            """The • marks' segments (the output picture's training points)."""
            return [seg for strip in panel._strips for seg in strip if "•" in seg.text]

        def sureness(panel) -> float:
            """How far the colours under the marks are from the panel's background: how sure the output looks."""
            return float(np.mean([np.abs(np.subtract(seg.style.bgcolor.triplet, BOUNDARY_BACKGROUND_RGB)).sum()
                                  for seg in dots(panel)]))

        assert all(sum(seg.text.count("•") for seg in dots(panel)) >= 6 for panel in panels)
        assert all("• data" in str(panel.border_subtitle) for panel in panels)
        assert sureness(panels[0]) < 0.6 * sureness(panels[2])  # the perceptron's is faint, the solved net's not
        for panel in panels:  # both classes' colours are among the marks
            colours = {seg.style.color.triplet for seg in dots(panel)}
            assert colours == {class_rgb(0), class_rgb(1)}
