"""`nntui watch train.py`: the learner's own script as the trainer process, its output kept for a console panel.

The script runs as it would on its own (`python train.py ARGS…`, in its own process group, so a Ctrl+C meant
for the app is not also the script's), with ANNOUNCE_ENV naming a file where each `nntui.watch()` inside it
writes the path of its log: the app follows those logs (logview.py) as they appear. Stopping it is what a
Ctrl+C in its own terminal would be (SIGINT: its `finally` blocks run and its log's last line says
"interrupted"), then SIGTERM, then SIGKILL, each after a grace period. No torch here.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from pathlib import Path

from .errors import NntuiError
from .runlog import ANNOUNCE_ENV

OUTPUT_LINES = 2000  # the script's last lines kept for the console panel
GRACE_SECONDS = (3.0, 2.0)  # after SIGINT, then after SIGTERM, before the next signal


class ScriptProcess:
    def __init__(self, script: str, args: list[str]):
        path = Path(script)
        if not path.is_file():
            raise NntuiError(f"{script}: no such script; give the path of a Python file, e.g. "
                             "`nntui watch train.py --epochs 3`")
        self.script, self.args = path, list(args)
        self._folder = tempfile.TemporaryDirectory(prefix="nntui-watch-")
        self.announce = Path(self._folder.name) / "logs"
        self.lines: deque[str] = deque(maxlen=OUTPUT_LINES)
        self.written = 0  # lines the script has written so far (the console shows the new ones)
        self.stopped_by_us = False
        self._process: subprocess.Popen[bytes] | None = None
        self._reader: threading.Thread | None = None
        self._announced = 0

    def start(self) -> None:
        env = {**os.environ, ANNOUNCE_ENV: str(self.announce), "PYTHONUNBUFFERED": "1"}
        try:
            self._process = subprocess.Popen([sys.executable, str(self.script), *self.args], env=env,
                                             stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                             stderr=subprocess.STDOUT, start_new_session=True)
        except OSError as exc:
            raise NntuiError(f"{self.script}: cannot start it ({exc.strerror or exc})") from None
        self._reader = threading.Thread(target=self._read, name="nntui-script-output", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self._process is not None and self._process.stdout is not None
        for raw in self._process.stdout:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n").replace("\r", ""))
            self.written += 1

    @property
    def returncode(self) -> int | None:
        return self._process.poll() if self._process is not None else None

    def new_logs(self) -> list[Path]:
        """The logs the script's nntui.watch calls have announced since the last call."""
        try:
            paths = self.announce.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return []
        new, self._announced = paths[self._announced:], len(paths)
        return [Path(p) for p in new if p]

    def stop(self) -> int | None:
        """Stop the script as Ctrl+C would, harder if it does not end; its exit code (None: it would not die)."""
        process = self._process
        if process is None:
            return None
        if process.poll() is None:
            self.stopped_by_us = True
            for number, grace in ((signal.SIGINT, GRACE_SECONDS[0]), (signal.SIGTERM, GRACE_SECONDS[1]),
                                  (signal.SIGKILL, 1.0)):
                try:
                    os.killpg(process.pid, number)  # (its own children too: a DataLoader's workers)
                except ProcessLookupError:
                    break
                deadline = time.monotonic() + grace
                while process.poll() is None and time.monotonic() < deadline:
                    time.sleep(0.02)
                if process.poll() is not None:
                    break
        if self._reader is not None:
            self._reader.join(1.0)
        self._folder.cleanup()
        return process.poll()
