"""The convolution step-through panel: one filter slid over its input one place per key, the patch × weights
arithmetic of the output value written out (CNN Explainer's view), and the input square the unit sees."""

from __future__ import annotations

from ..declare import Measured, PanelSpec
from ..filters import needs_cnn

# it reads the feature-maps panel's measurement (the images, every block's maps and the filters that made them):
# one probe, measured once where both panels are shown
PANEL = PanelSpec("panels.conv_step.widget:ConvStepPanel", per_run=True, holds=True,
                  check=needs_cnn("conv_step"), probe="panels.feature_maps.probe:Maps",
                  measures=(Measured("feature_maps", "now"),))
