"""The speed panel: each run's steps per second of its own training time, as bars, with its device."""

from __future__ import annotations

from ..declare import PanelSpec

PANEL = PanelSpec("panels.speed.widget:SpeedPanel")
