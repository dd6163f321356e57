"""The graph panel: a training run's autograd graph; in a graph lesson the same name shows the expression's graph
(expression.py)."""

from __future__ import annotations

from ..declare import PanelSpec

PANEL = PanelSpec("panels.graph.widget:ModelGraphPanel", frozenset({"graph"}), training=False, per_run=True)
