"""Editing keys in a text input act in the order they were typed, however fast they arrive.

Textual runs a focused widget's key bindings (Backspace, Delete, arrows,
Home, End…) only once the key has bubbled back up to the app, through the
message queue of every parent, while printable keys go to the Input
directly. Over SSH keys often arrive in one burst, so `a b ⌫ c d` gave
"abc": c and d were inserted before the Backspace came round. `install`
makes every Input (the home screen's filter, the edit form's fields, the
command palette's search) run its own bindings as the key arrives.

It is installed only on the Textual version it was written against
(constraints.txt pins it), and Textual's internals are looked up only inside
`install()`, so a Textual that moved them still imports nntui: the fix is
skipped, `skipped` says why, and a one-line WARNING goes to the "nntui"
logger. nntui configures no logging, so Python prints that line on stderr,
once, at import, before the app takes the terminal: never onto the running
TUI's screen.
"""

from __future__ import annotations

import logging
from importlib.metadata import version as installed_version
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual import events
    from textual.widgets import Input

WRITTEN_FOR = "8.2.8"
skipped: str | None = None  # why the last install() did not install; None when it did
_textual_on_key: Any = None  # Textual's own `Input._on_key`, saved by install() before replacing it


async def _on_key(self: Input, event: events.Key) -> None:
    if not event.is_printable:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()  # handled here: the app must not run it again
                return
    await _textual_on_key(self, event)


def install(version: str | None = None) -> bool:
    """Make Inputs run their bindings as keys arrive if this is the Textual it was written for
    (`version`: the installed one unless given) and its internals are where they were; say whether it
    is in use. A Textual that moved them is skipped with a notice, not an error."""
    global skipped, _textual_on_key
    version = version or installed_version("textual")
    if version != WRITTEN_FOR:
        return _skip(f"written for Textual {WRITTEN_FOR}, this is {version}")
    try:
        from textual.widgets import Input

        original = Input._on_key
    except (ImportError, AttributeError) as error:
        return _skip(f"Textual {version} lacks an internal it replaces ({error})")
    if original is not _on_key:
        _textual_on_key = original
    Input._on_key = _on_key  # type: ignore[method-assign]  # replacing Textual's method is the fix
    skipped = None
    return True


def _skip(reason: str) -> bool:
    """Record why the fix is not in use; log it once (the same reason again says nothing)."""
    global skipped
    if reason != skipped:
        logging.getLogger("nntui").warning("nntui: in-order editing keys not in use: %s", reason)
    skipped = reason
    return False
