"""The validation loss panel: each run's held-out loss as its own solid line, on the loss panel's y axis."""

from __future__ import annotations

from ..declare import PanelSpec, Variant


def _problem(variants: tuple[Variant, ...]) -> str | None:
    if any(len(v.dataset.x_val) for v in variants):
        return None
    return "the val_loss panel draws the loss on held-out data; no run holds data out (set data.validation, e.g. 0.3)"


PANEL = PanelSpec("panels.val_loss.widget:ValLossPlot", check=_problem)
