"""The filters panel: each kernel of a cnn's conv blocks as a small image, live while it trains."""

from __future__ import annotations

from ..declare import Measured, PanelSpec, Variant


def needs_cnn(panel: str):
    """A check for panels that draw a cnn's blocks: every run must be one."""
    def problem(variants: tuple[Variant, ...]) -> str | None:
        other = next((v for v in variants if v.model.kind != "cnn"), None)
        if other is None:
            return None
        return (f"the {panel} panel draws a cnn's conv blocks; run '{other.label}' is model.kind = "
                f"'{other.model.kind}' (use kind = 'cnn', or remove '{panel}')")
    return problem


PANEL = PanelSpec("panels.filters.widget:FiltersPanel", per_run=True, holds=True, check=needs_cnn("filters"),
                  probe="panels.filters.probe:Filters",
                  measures=(Measured("filters", "now"),))  # frames.ConvFilters: every kernel now
