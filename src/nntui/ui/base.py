"""What every nntui app does beyond Textual: it ends as every nntui command ends, terminal restored,
and takes only sizes a terminal can have.

- An exception inside the app: Textual's own handler prints a full
  traceback (with locals) after the app exits, and `App.run()` then returns
  normally, so the process exited 0. Here the exception is kept; the CLI
  raises it again once the terminal is restored, and `cli.main` prints one
  line and exits 1 (or, with NNTUI_DEBUG=1, shows the traceback).
- SIGTERM (`kill`, a scheduler) and SIGHUP (a closed terminal, a dropped SSH
  session): Python's default ends the process at once, leaving the terminal
  in the alternate screen with the cursor hidden and mouse tracking on. Here
  either quits like `q`, and the process then exits 128 + the signal's number.
- A size of no cells: a browser tab can report a width of −5 (nntui serve), and Textual's renderer
  fails on it (IndexError). Such a size is taken as 1 cell.
"""

from __future__ import annotations

import asyncio
import signal

from textual import events
from textual.app import App
from textual.geometry import Size

STOPPING = (signal.SIGTERM, signal.SIGHUP)  # a scheduler's kill, a closed terminal or dropped SSH session


class BaseApp(App):
    """Mixin for nntui's apps; run them with `run_or_raise`."""

    crash: Exception | None = None
    terminated: int | None = None  # the stopping signal that quit the app

    def on_mount(self) -> None:
        for number in STOPPING:
            try:
                asyncio.get_running_loop().add_signal_handler(number, self._terminate, number)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), or no signals
                pass

    def on_unmount(self) -> None:
        for number in STOPPING:
            try:
                asyncio.get_running_loop().remove_signal_handler(number)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

    def _terminate(self, number: int) -> None:
        self.terminated = number
        self.exit()

    async def _on_resize(self, event: events.Resize) -> None:
        # App._on_resize keeps the event it gets and later posts it to the screen, so it gets a fresh one:
        # the default prevented below (App._on_resize must not run twice) would travel with the event,
        # and the screen would never lay out at the new size.
        size = Size(max(event.size.width, 1), max(event.size.height, 1))
        await App._on_resize(self, events.Resize(size, size, pixel_size=event.pixel_size))
        event.prevent_default()  # App._on_resize has run, with the size it can draw

    def _handle_exception(self, error: Exception) -> None:
        if self.crash is None:
            self.crash = error
        super()._handle_exception(error)  # exits the app (and keeps what Pilot tests re-raise)

    def _fatal_error(self) -> None:
        self._close_messages_no_wait()  # the exit Textual would take, without its traceback on the screen

    def run_or_raise(self, **kwargs):
        """`run()`, then the exception that ended the app, if one did (the terminal is restored by then)."""
        result = self.run(**kwargs)
        if self.crash is not None:
            raise self.crash
        if self.terminated is not None:
            raise SystemExit(128 + self.terminated)
        return result
