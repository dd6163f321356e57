"""The optimizer-state panel: for one run, how its optimizer scales each parameter's gradient, step by step, read
from the torch optimizer's own state (momentum_buffer, exp_avg, exp_avg_sq, square_avg, sum).

Plain SGD steps by lr·g. Momentum steps by lr·v, a running sum of gradients: a parameter whose gradient keeps its
sign moves further than lr·g, one whose gradient flips moves less. Adam, RMSProp and Adagrad divide each
parameter's step by a running size of its gradients: the effective learning rate, lr/(√v̂ + ε), grows as the
gradients shrink. This folder is the whole panel: the probe (probe.py), the widget (widget.py) and this
declaration.
"""

from __future__ import annotations

from ..declare import Measured, PanelSpec, Variant

MOST_TENSORS = 8  # a line (in its own colour) per parameter tensor


def _problem(variants: tuple[Variant, ...]) -> str | None:
    for v in variants:
        tensors = 2 if v.model.kind in ("surface", "linear") else None
        if tensors is None:
            layers = len(v.dense_widths) - 1 + len(v.conv_blocks)
            tensors = layers * (2 if v.model.bias else 1) + 2 * len(v.model.layers) * v.model.batch_norm
        if tensors > MOST_TENSORS:
            return (f"the optimizer_state panel draws a line per parameter tensor, at most {MOST_TENSORS}; run "
                    f"'{v.label}' has {tensors} (use fewer layers, or remove 'optimizer_state')")
    return None


PANEL = PanelSpec(
    "panels.optimizer_state.widget:OptimizerStatePanel", per_run=True, check=_problem, own_optimizer=True,
    probe="panels.optimizer_state.probe:OptimizerState",
    # per parameter tensor, every step: the step ÷ plain SGD's (lr·g), and the effective lr (NaN: none kept)
    measures=(Measured("optimizer_state", "every_step"),),
)
