"""The accuracy panel: each run's share classified right on the training split (solid) and the validation split (dashed), over the steps."""

from __future__ import annotations

from ..declare import PanelSpec, Variant


def _problem(variants: tuple[Variant, ...]) -> str | None:
    if any(v.dataset.task != "regression" for v in variants):
        return None
    return "the accuracy panel draws classification runs; this data is regression (remove 'accuracy')"


PANEL = PanelSpec("panels.accuracy.widget:AccuracyPanel", check=_problem)
