"""The gap panel: each run's validation − training loss over the steps (the generalization lessons' headline)."""

from __future__ import annotations

from ..declare import PanelSpec, Variant


def _problem(variants: tuple[Variant, ...]) -> str | None:
    if any(len(v.dataset.x_val) for v in variants):
        return None
    return "the gap panel draws validation − training loss; no run holds data out (set data.validation, e.g. 0.3)"


PANEL = PanelSpec("panels.gap.widget:GapPanel", check=_problem)
