"""The gradient-flow panel: each weight layer's gradient norm, input to output, now and over the run."""

from __future__ import annotations

from ..declare import PanelSpec

PANEL = PanelSpec("panels.gradient_flow.widget:GradientFlowPanel", per_run=True, holds=True)
