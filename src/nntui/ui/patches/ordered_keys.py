"""Editing keys in a text input act in the order they were typed, however fast they arrive.

Textual runs a focused widget's key bindings (Backspace, Delete, arrows,
Home, End…) only once the key has bubbled back up to the app, through the
message queue of every parent, while printable keys go to the Input
directly. Over SSH keys often arrive in one burst, so `a b ⌫ c d` gave
"abc": c and d were inserted before the Backspace came round. `install`
makes every Input (the home screen's filter, the edit form's fields, the
command palette's search) run its own bindings as the key arrives.

It is installed only on the Textual it was written for; any other keeps its
own (textual_patch.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .textual_patch import TextualPatch

if TYPE_CHECKING:
    from textual import events
    from textual.widgets import Input

async def _on_key(self: Input, event: events.Key) -> None:
    if not event.is_printable:
        for binding in self._bindings.key_to_bindings.get(event.key, ()):
            if not binding.priority and await self.app.run_action(binding.action, self):
                event.stop()
                event.prevent_default()  # handled here: the app must not run it again
                return
    await PATCH.original(self, event)


def _target() -> tuple[Any, str]:
    from textual.widgets import Input

    return Input, "_on_key"


PATCH = TextualPatch("in-order editing keys", _on_key, _target)


def install(version: str | None = None) -> bool:
    """Make Inputs run their bindings as keys arrive, on the Textual it was written for; say whether it is
    in use."""
    return PATCH.install(version)
