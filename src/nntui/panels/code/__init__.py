"""The code panel: the plain PyTorch training loop of the shown run, one step walked phase by phase."""

from __future__ import annotations

from ..declare import PanelSpec

PANEL = PanelSpec("panels.code.widget:CodePanel", per_run=True)
