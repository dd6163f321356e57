"""The activation panel: each activation's slope f′(z), PyTorch's own numbers, drawn where the z axis says
(issue 27: the activations lesson drew no activation or derivative at all)."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from textual.app import App

from nntui.catalog import ACTIVATIONS
from nntui.errors import ScenarioError
from nntui.panels.activation.widget import SLOPES, ActivationPanel
from nntui.runner import RunView, View
from nntui.scenario.loader import load_path

from .conftest import MINIMAL


def test_every_activation_s_slope_is_pytorch_s():
    assert set(SLOPES) == set(ACTIVATIONS)
    z = torch.linspace(-4, 4, 161, dtype=torch.float64, requires_grad=True)
    for name, module in ACTIVATIONS.items():
        (slope,) = torch.autograd.grad(getattr(torch.nn, module)()(z).sum(), z)
        assert np.allclose(SLOPES[name](z.detach().numpy()), slope.numpy(), atol=1e-9), name


class OnePanel(App):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel

    def compose(self):
        yield self.panel


def run(label: str, activation: str) -> RunView:
    return RunView(label=label, settings={"activation": activation}, steps=np.arange(2.0), losses=np.ones(2),
                   loss=1.0, status="learning", diverged_at=None, step=1)


async def test_each_run_s_slope_peaks_where_the_z_axis_says_with_its_slope_at_zero_written():
    panel = ActivationPanel()
    view = View(version=1, state="ready", device="cpu", step=1, total=1, playing=False, finished=True,
                speed=None, rate=0.0, error=None, runs=(run("sigmoid", "sigmoid"), run("relu", "relu")))
    async with OnePanel(panel).run_test(size=(50, 9)) as pilot:
        await pilot.pause()
        panel.show(view)
        lines = ["".join(seg.text for seg in strip) for strip in panel._strips]
    ticks = lines[-1]
    centres = {float(m.group().replace("−", "-")): m.start() + (len(m.group()) - 1) // 2
               for m in re.finditer(r"[−-]?\d+", ticks)}
    sigmoid = [line for line in lines if line.startswith("sigmoid")][0]
    relu = [line for line in lines if line.startswith("relu")][0]
    assert sigmoid.rstrip().endswith(" 0.25") and relu.rstrip().endswith(" 0|1")
    tallest = max(sigmoid[:-6], key=lambda ch: " ▁▂▃▄▅▆▇█".find(ch))
    peak = [c for c, ch in enumerate(sigmoid[:-6]) if ch == tallest]
    assert min(peak) <= centres[0.0] <= max(peak)  # σ′ peaks at z = 0, under the 0 tick
    # ReLU: no bar left of 0, full bars right of it (on the same scale, sigmoid's ¼ is a quarter as tall)
    assert set(relu[centres[0.0] + 1:-6].strip()) <= {"█"} and relu[len("sigmoid") + 1:centres[0.0]].strip() == ""


def test_the_panel_needs_a_hidden_layer(write_scenario):
    with pytest.raises(ScenarioError, match="activation panel draws a hidden layer's activation"):
        load_path(write_scenario(MINIMAL + '[view]\npanels = ["activation", "loss"]\n'))
