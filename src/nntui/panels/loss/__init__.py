"""The loss panel: one curve per run, on a log or linear axis, its marks and end labels, the constant guess."""

from __future__ import annotations

from ..declare import PanelSpec

PANEL = PanelSpec("panels.loss.widget:LossPlot")
