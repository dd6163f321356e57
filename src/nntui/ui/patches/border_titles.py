"""A border title that changes repaints its border row, not the whole widget.

Textual's border title and subtitle setter (`_BorderTitle.__set__`) refreshes the whole widget. A live
panel's subtitle says what its marks mean right now (the contour's "⊕ at min" once a run reaches the
minimum, the runs whose paths lie under others), so it changes every few frames, and each change resent
the whole panel: in batch_size at 120x40 the contour and loss panels were sent whole about three times a
second. The setter below stores the title exactly as Textual's does and repaints only the row the border
title sits on: the top row for a title, the bottom row for a subtitle. A widget not laid out yet (no rows)
is refreshed whole, as before. It is installed only on the Textual it was written for; any other keeps
its own (textual_patch.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .textual_patch import TextualPatch

if TYPE_CHECKING:
    from textual.widget import Widget


def _set(self: Any, obj: Widget, title: Any) -> None:
    from rich.text import Text
    from textual.content import Content
    from textual.geometry import Region

    if isinstance(title, Text):
        title = Content.from_rich_text(title)
    if title is None:
        setattr(obj, self._internal_name, None)
    else:  # (as Textual's own setter stores it)
        setattr(obj, self._internal_name, obj.render_str(title).expand_tabs(4).split()[0])
    width, height = obj.outer_size
    if not width or not height:
        obj.refresh()
        return
    row = 0 if self._internal_name == "_border_title" else height - 1
    offset = obj.content_offset  # (refresh takes regions relative to the content, inside the border)
    obj.refresh(Region(-offset.x, row - offset.y, width, 1))


def _target() -> tuple[Any, str]:
    from textual.widget import Widget, _BorderTitle

    if not isinstance(Widget.__dict__["border_title"], _BorderTitle):
        raise AttributeError("Widget.border_title is no longer a _BorderTitle")
    return _BorderTitle, "__set__"


PATCH = TextualPatch("border titles repainting their row alone", _set, _target)


def install(version: str | None = None) -> bool:
    """Make a border title repaint only its row, on the Textual it was written for; say whether it is in use."""
    return PATCH.install(version)
