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
import os
import shutil
import signal
import time

from textual import constants, events
from textual.app import App
from textual.geometry import Size

# the terminal modes a Textual app sets (drivers/linux_driver.py), left and taken again around a suspend:
# mouse tracking, bracketed paste, focus events, the kitty keyboard protocol, the alternate screen, the cursor
LEAVE_APP_MODE = b"\x1b[?1000l\x1b[?1003l\x1b[?1015l\x1b[?1006l\x1b[?2004l\x1b[?1004l\x1b[<u\x1b[?1049l\x1b[?25h"
ENTER_APP_MODE = b"\x1b[?1049h\x1b[?1000h\x1b[?1003h\x1b[?1015h\x1b[?1006h\x1b[?2004h\x1b[?1004h\x1b[?25l"
KITTY_KEYS = b"\x1b[>25u"  # the driver's flags: disambiguate escapes, report all keys and their text
STOPPING = (signal.SIGTERM, signal.SIGHUP)  # a scheduler's kill, a closed terminal or dropped SSH session


class BaseApp(App):
    """Mixin for nntui's apps; run them with `run_or_raise`."""

    crash: Exception | None = None
    terminated: int | None = None  # the stopping signal that quit the app
    _suspends = False  # SIGTSTP is handled here (_wrap_suspend)

    def on_mount(self) -> None:
        for number in STOPPING:
            try:
                asyncio.get_running_loop().add_signal_handler(number, self._terminate, number)
            except (NotImplementedError, RuntimeError, ValueError):  # not the main thread (tests), or no signals
                pass
        self._wrap_suspend()

    def _wrap_suspend(self) -> None:
        """Ctrl+Z or `kill -TSTP`, then `fg` or `kill -CONT`. Textual's driver suspends inside its signal handlers
        by joining its input and output threads and starting them again, which hangs (a plain Textual app too:
        it never stops, or never draws again). Here the handler only asks the event loop, which gives the
        terminal back as it found it and stops the process; on SIGCONT it goes on right there, takes the
        terminal again and draws every cell. The driver's threads stop and go on with the process."""
        try:
            if not callable(signal.getsignal(signal.SIGTSTP)):  # no terminal driver's handler (tests, serve)
                return
            loop = asyncio.get_running_loop()
            # (call_later: the suspend runs as the app's own callback, in its context; a bare loop callback
            # lacks it, and the timers and repaints it starts never ran)
            signal.signal(signal.SIGTSTP, lambda *_: loop.call_soon_threadsafe(self.call_later, self._suspend_process))
            signal.signal(signal.SIGCONT, signal.SIG_DFL)  # (going on is the default: _suspend_process resumes)
            self._suspends = True
        except (AttributeError, RuntimeError, ValueError):  # no such signals, or not the main thread
            pass

    def _suspend_process(self) -> None:
        import termios

        driver = self._driver
        fd = getattr(driver, "fileno", None)
        if not isinstance(fd, int):
            return
        writer = getattr(driver, "_writer_thread", None)
        deadline = time.monotonic() + 0.5  # what the app has drawn reaches the terminal before it is left
        while writer is not None and writer._queue.qsize() and time.monotonic() < deadline:
            time.sleep(0.01)
        self.on_suspend()
        try:
            raw = termios.tcgetattr(fd)
            os.write(fd, LEAVE_APP_MODE)
            before = getattr(driver, "attrs_before", None)
            if before is not None:
                termios.tcsetattr(fd, termios.TCSANOW, before)
            os.kill(os.getpid(), signal.SIGSTOP)  # the process stops here, and SIGCONT goes on from here
            termios.tcsetattr(fd, termios.TCSANOW, raw)
            os.write(fd, ENTER_APP_MODE + (b"" if constants.DISABLE_KITTY_KEY else KITTY_KEYS))
        except (OSError, termios.error):  # a terminal that went away meanwhile: go on as we can
            pass
        width, height = shutil.get_terminal_size()  # (resized while stopped: the layout follows)
        self.post_message(events.Resize(Size(width, height), Size(width, height)))
        self.on_resume()

    def on_suspend(self) -> None:
        """The process is about to stop (SIGTSTP)."""

    def on_resume(self) -> None:
        """The process goes on (SIGCONT): the terminal may hold anything now, so every cell is drawn again."""
        # a refresh redraws only what changed since the last frame, and the terminal holds anything now:
        # the compositor's whole frame, written at once (what Textual writes after a resize)
        screen = self.screen
        self._display(screen, screen._compositor.render_update(full=True, screen_stack=self._background_screens))

    def on_unmount(self) -> None:
        for number in STOPPING:
            try:
                asyncio.get_running_loop().remove_signal_handler(number)
            except (NotImplementedError, RuntimeError, ValueError):
                pass
        if self._suspends:  # (the handler asks this app's loop, which is ending)
            signal.signal(signal.SIGTSTP, signal.SIG_DFL)

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
