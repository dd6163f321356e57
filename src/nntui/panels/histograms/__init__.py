"""The histograms panel: one run's weights, activations or gradients per layer, now and over the run."""

from __future__ import annotations

from ..declare import PanelSpec

PANEL = PanelSpec("panels.histograms.widget:HistogramPanel", frozenset({"dists"}), per_run=True, holds=True)
