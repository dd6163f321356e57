"""The histograms panel: one run's weights, activations or gradients per layer, now and over the run."""

from __future__ import annotations

from ..declare import Measured, PanelSpec

PANEL = PanelSpec(
    "panels.histograms.widget:HistogramPanel", per_run=True, holds=True,
    probe="panels.histograms.probe:Histograms",
    measures=(Measured("dists", "now"),                    # quantity → Distributions (frames.py)
              Measured("weights_bands", "over_time"),      # each quantity's percentiles, every layer's in one row
              Measured("activations_bands", "over_time"),
              Measured("gradients_bands", "over_time")),
)
