"""Replacing one of Textual's methods, safely: only on the Textual it was written for, looked up at install time.

nntui fixes three things in Textual by replacing a method (partial_updates, timer_ticks, ordered_keys).
Each is installed only on the version it was written against (constraints.txt pins it), and Textual's
internals are looked up only inside `install`, so a Textual that moved them still imports nntui: the
patch is skipped, `skipped` says why, and a one-line WARNING goes to the "nntui" logger. nntui
configures no logging, so Python prints that line on stderr, once, at import, before the app takes the
terminal: never onto the running TUI's screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from importlib.metadata import version as installed_version
from typing import Any

WRITTEN_FOR = "8.2.8"


class TextualPatch:
    def __init__(self, what: str, replacement: Any, target: Callable[[], tuple[Any, str]]):
        """`target` imports and returns (the Textual class, the method's name); it may check other internals
        the replacement uses, raising ImportError or AttributeError if one is gone."""
        self.what = what  # named in the notice, e.g. "partial screen updates"
        self.replacement = replacement
        self.target = target
        self.skipped: str | None = None  # why the last install did not install; None when it did
        self.original: Any = None  # Textual's own method, saved before it was replaced

    def install(self, version: str | None = None) -> bool:
        """Replace Textual's method if this is the Textual it was written for (`version`: the installed one
        unless given) and its internals are where they were; say whether it is in use."""
        version = version or installed_version("textual")
        if version != WRITTEN_FOR:
            return self._skip(f"written for Textual {WRITTEN_FOR}, this is {version}")
        try:
            owner, name = self.target()
            original = getattr(owner, name)
        except (ImportError, AttributeError) as error:
            return self._skip(f"Textual {version} lacks an internal it replaces or uses ({error})")
        if original is not self.replacement:
            self.original = original
        setattr(owner, name, self.replacement)
        self.skipped = None
        return True

    def _skip(self, reason: str) -> bool:
        """Record why the patch is not in use; log it once (the same reason again says nothing)."""
        if reason != self.skipped:
            logging.getLogger("nntui").warning("nntui: %s not in use: %s", self.what, reason)
        self.skipped = reason
        return False
