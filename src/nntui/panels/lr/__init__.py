"""The learning-rate panel: each run's lr at every step, as its optimizer used it."""

from __future__ import annotations

from ..declare import PanelSpec

PANEL = PanelSpec("panels.lr.widget:LearningRatePanel", frozenset({"lr"}))
