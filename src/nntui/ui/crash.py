"""An exception inside the app ends it the way every internal error of nntui ends: one line, exit 1.

Textual's own handler prints a full traceback (with locals) after the app
exits, and `App.run()` then returns normally, so the process exited 0. Here
the exception is kept instead; the CLI raises it again once the terminal is
restored, and `cli.main` prints the one line (or, with NNTUI_DEBUG=1, the
traceback).
"""

from __future__ import annotations

from textual.app import App


class KeepsCrash(App):
    """Mixin for nntui's apps: `crash` holds the first unexpected exception; `run_or_raise` re-raises it."""

    crash: Exception | None = None

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
        return result
