"""The lesson panel: the lesson's text, its beats and its claims as training reaches them, beside the plots."""

from __future__ import annotations

from ..declare import PanelSpec

PANEL = PanelSpec("panels.lesson.widget:LessonPanel", training=False, frame=True)
