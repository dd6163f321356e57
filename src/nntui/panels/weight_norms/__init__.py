"""The weight-norms panel: each layer's ‖W‖ over the run, and how much of it each update changes (‖ΔW‖/‖W‖).

A layer whose weights grow without bound, or one that no update moves any more, shows here before the loss
says so: a step that changes a layer by about a thousandth of its size is the usual healthy rate (Karpathy's
rule of thumb); a tenth is a layer being thrown around, a millionth one that has stopped learning.
This folder is the whole panel: its probe (probe.py, the engine's side), its widget (widget.py) and this
declaration, which the registry (panels/__init__.py) names.
"""

from __future__ import annotations

from ..declare import Measured, PanelSpec

PANEL = PanelSpec(
    "panels.weight_norms.widget:WeightNormsPanel", per_run=True,
    probe="panels.weight_norms.probe:WeightNorms",
    measures=(Measured("weight_norms", "over_time"),    # ‖W‖ of each weight matrix, input layer first
              Measured("update_ratios", "every_step")),  # ‖ΔW‖/‖W‖ of every update
)
