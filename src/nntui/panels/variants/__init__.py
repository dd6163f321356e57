"""The variants table: each run's colour, settings, loss and status, under the plots."""

from __future__ import annotations

from ..declare import PanelSpec

PANEL = PanelSpec("panels.variants.widget:VariantsTable", frame=True)
