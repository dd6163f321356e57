"""Run the real `nntui` command on a pseudo-terminal, as a user's terminal would, and watch what it writes."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import termios
import time


class PtyApp:
    def __init__(self, argv: list[str], cols: int = 120, rows: int = 40):
        env = dict(os.environ, TERM="xterm-256color")
        env.pop("COLORTERM", None)
        env.pop("NO_COLOR", None)
        self.started = time.monotonic()
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the command itself
            os.execvpe(argv[0], argv, env)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.buffer = b""

    def __enter__(self) -> PtyApp:
        return self

    def __exit__(self, *exc) -> None:
        try:
            os.write(self.fd, b"q")
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and os.waitpid(self.pid, os.WNOHANG) == (0, 0):
                self.drain(0.1)
        except (OSError, ChildProcessError):
            pass
        try:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(self.fd)

    def drain(self, wait: float = 0.0) -> bytes:
        """Everything written since the last drain (waiting up to `wait` seconds for the first bytes)."""
        out = b""
        while select.select([self.fd], [], [], wait)[0]:
            try:
                chunk = os.read(self.fd, 1 << 16)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            wait = 0.0
        return out

    def wait_for(self, needle: bytes, timeout: float) -> float:
        """Seconds from the start until `needle` has been written."""
        deadline = time.monotonic() + timeout
        while needle not in self.buffer:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{needle!r} never appeared")
            self.buffer = self.buffer[-4096:] + self.drain(0.05)
        return time.monotonic() - self.started

    def press(self, key: bytes, needle: bytes, timeout: float = 5.0) -> float:
        """Seconds from writing `key` until the screen shows `needle`."""
        self.drain()
        self.buffer = b""
        sent = time.monotonic()
        os.write(self.fd, key)
        self.wait_for(needle, timeout)
        return time.monotonic() - sent

    def start_playing(self, timeout: float = 60.0) -> None:
        """lr_sweep asks before training starts: answer it (4 = 0.03), continue, and wait for the speed readout."""
        self.wait_for(b"Question", timeout)
        os.write(self.fd, b"4")
        time.sleep(0.3)
        os.write(self.fd, b"\r")
        self.buffer = b""
        self.wait_for(b"steps/s", timeout)
