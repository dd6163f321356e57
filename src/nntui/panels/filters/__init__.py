"""The filters panel: each kernel of a cnn's conv blocks as a small image, live while it trains."""

from __future__ import annotations

from ..declare import Measured, PanelSpec, Variant


def needs_cnn(panel: str):
    """A check for panels that draw a cnn's blocks: a run must be one (another run, an mlp say, shows that it
    has none)."""
    def problem(variants: tuple[Variant, ...]) -> str | None:
        if any(v.model.kind == "cnn" for v in variants):
            return None
        return (f"the {panel} panel draws a cnn's conv blocks, and no run is a cnn (use model.kind = 'cnn' with "
                f"`conv` blocks, or remove '{panel}')")
    return problem


PANEL = PanelSpec("panels.filters.widget:FiltersPanel", per_run=True, holds=True, check=needs_cnn("filters"),
                  probe="panels.filters.probe:Filters",
                  measures=(Measured("filters", "now"),))  # frames.ConvFilters: every kernel now
