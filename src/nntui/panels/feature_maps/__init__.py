"""The feature-maps panel: one held-out image and every channel's output, conv block by conv block (ConvNetJS's
view), with the class the model gives it."""

from __future__ import annotations

from ..declare import Measured, PanelSpec
from ..filters import needs_cnn

PANEL = PanelSpec("panels.feature_maps.widget:FeatureMapsPanel", per_run=True, holds=True,
                  check=needs_cnn("feature_maps"), probe="panels.feature_maps.probe:Maps",
                  measures=(Measured("feature_maps", "now"),))  # frames.FeatureMaps: a few images, every map
