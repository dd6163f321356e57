"""A run that blows up to NaN/Inf in real training: every panel keeps drawing and says so, the other run
goes on, and the JSON record writes the non-finite numbers as null."""

from __future__ import annotations

import json

from nntui.headless import run_headless
from nntui.panels.graph.widget import ModelGraphPanel
from nntui.panels.variants.widget import VariantsTable
from nntui.scenario.loader import load_path
from nntui.ui.app import NNTuiApp, panel_class
from nntui.ui.draw.palette import STATUS_STYLES

from .conftest import wait_idle

EVERY_PANEL = """
[scenario]
title = "Everything diverges"
seed = 1
[data]
kind = "moons"
n = 64
[model]
kind = "mlp"
layers = [8, 8]
[train]
loss = "bce_with_logits"
optimizer = "sgd"
lr = 0.1
steps = 40
diverge_factor = 1e300   # stopped only by NaN/Inf: the weights really reach them
[[variant]]
label = "calm"
[[variant]]
label = "wild"
train = { lr = 1e6 }
[view]
panels = ["loss", "contour", "gradient_flow", "histograms", "boundary", "graph", "code", "variants", "lesson"]
"""


async def test_nan_and_inf_reach_every_panel_and_are_shown(write_scenario):
    app = NNTuiApp(load_path(write_scenario(EVERY_PANEL)), device="cpu")
    async with app.run_test(size=(160, 60)) as pilot:
        await wait_idle(app, pilot)
        view = app.runner.view()
        calm, wild = view.runs
        assert view.state != "error" and calm.step == 40 and calm.diverged_at is None
        assert wild.diverged_at is not None and not wild.loss == wild.loss  # stopped on a NaN loss

        table = app.query_one(VariantsTable)
        assert table.cell(1, "status") == f"diverged @{wild.diverged_at}" and table.cell(1, "loss") == "NaN"
        status_colors = {seg.text.strip(): seg.style.color.name for seg in table._strips[1 + 1]
                         if seg.text.strip().startswith("diverged") and seg.style and seg.style.color}
        assert status_colors == {f"diverged @{wild.diverged_at}": STATUS_STYLES["diverged"].split()[-1].lower()}
        loss_text = "".join(seg.text for strip in app.query_one(panel_class("loss"))._strips for seg in strip)
        assert "✗" in loss_text

        for name in ("gradient_flow", "histograms", "boundary", "graph"):
            panel = app.query_one(panel_class(name))
            panel.focus()
            await pilot.press("right_square_bracket")  # show the wild run
            await pilot.pause()
            assert f"wild ✗ diverged @{wild.diverged_at}" in str(panel.border_title), name
            if not isinstance(panel, ModelGraphPanel):
                assert len(panel._strips) == panel.size.height, name  # drawn in full, nothing raised
        contour = app.query_one(panel_class("contour"))
        assert len(contour._strips) == contour.size.height
        code = app.query_one(panel_class("code"))
        assert code.size.height > 0


def test_the_record_writes_nan_as_null(write_scenario, tmp_path):
    out = tmp_path / "run.json"
    sc = load_path(write_scenario(EVERY_PANEL))
    assert run_headless(sc, device="cpu", out=out, stdout=open("/dev/null", "w"), stderr=open("/dev/null", "w")) == 0
    text = out.read_text()
    assert "NaN" not in text and "Infinity" not in text
    wild = json.loads(text)["runs"][1]
    assert wild["final_loss"] is None and wild["status"] == "diverged"
    assert wild["loss"][-1] is None and wild["diverged_at"] == wild["steps"][-1]  # the NaN step is kept
