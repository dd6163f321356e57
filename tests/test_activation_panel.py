"""The activation panel: each activation's f(z) and slope f′(z), PyTorch's own numbers drawn where the axes
say (issue 27: the activations lesson drew no activation curve at all)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from rich.style import Style
from textual.app import App

from nntui.catalog import ACTIVATIONS
from nntui.errors import ScenarioError
from nntui.runner import RunView, View
from nntui.scenario.loader import load_path
from nntui.ui.activation import CURVES, ActivationPanel
from nntui.ui.raster import MARGIN

from .conftest import MINIMAL


def test_every_activation_s_curve_and_slope_are_pytorch_s():
    assert set(CURVES) == set(ACTIVATIONS)
    z = torch.linspace(-4, 4, 161, dtype=torch.float64, requires_grad=True)
    for name, module in ACTIVATIONS.items():
        out = getattr(torch.nn, module)()(z)
        (slope,) = torch.autograd.grad(out.sum(), z)
        f, df = CURVES[name]
        zs = z.detach().numpy()
        assert np.allclose(f(zs), out.detach().numpy(), atol=1e-9), name
        assert np.allclose(df(zs), slope.numpy(), atol=1e-9), name


class OnePanel(App):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel

    def compose(self):
        yield self.panel


async def test_sigmoid_s_slope_peaks_at_a_quarter_read_through_the_axis():
    panel = ActivationPanel()
    run = RunView(label="sigmoid", settings={"activation": "sigmoid"}, steps=np.arange(2.0), losses=np.ones(2),
                  loss=1.0, status="learning", diverged_at=None, step=1)
    view = View(version=1, state="ready", device="cpu", step=1, total=1, playing=False, finished=True,
                speed=None, rate=0.0, error=None, runs=(run,))
    async with OnePanel(panel).run_test(size=(60, 22)) as pilot:
        await pilot.pause()
        panel.show(view)
        rows = [[(ch, seg.style) for seg in strip for ch in seg.text] for strip in panel._strips[:-1]]
    labels = {r: float("".join(ch for ch, _ in row[:MARGIN - 2]).strip()) for r, row in enumerate(rows)
              if row[MARGIN - 1][0] == "┤"}
    (r0, v0), (r1, v1) = sorted(labels.items())[0], sorted(labels.items())[-1]
    grey = [r for r, row in enumerate(rows) if any("\u2801" <= ch <= "\u28ff" and isinstance(st, Style)
                                                    and not st.bold for ch, st in row[MARGIN:])]
    top = min(grey)  # the slope's highest row, read back through the ticks: σ′(0) = 0.25
    per_row = (v0 - v1) / (r1 - r0)
    assert abs(v0 - (top - r0) * per_row - 0.25) <= per_row / 2 + 1e-9
    assert "slope f′" in str(panel.border_subtitle)


def test_the_panel_needs_a_hidden_layer(write_scenario):
    with pytest.raises(ScenarioError, match="activation panel draws a hidden layer's activation"):
        load_path(write_scenario(MINIMAL + '[view]\npanels = ["activation", "loss"]\n'))
