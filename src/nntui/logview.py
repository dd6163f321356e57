"""Follow the logs of watched training loops (`nntui view`) and publish Views, as the Runner does for a scenario.

A thread reads each log's new lines (runlog.LogReader) every POLL_SECONDS into one History, so the panels draw
a watched run exactly as they draw a lesson's: the same bounded series, the same statuses. Nothing here trains
and nothing imports torch; the script that writes the log may still be running, or long finished.
"""

from __future__ import annotations

import math
import threading
import time
from pathlib import Path

from .errors import NntuiError
from .panels import measured
from .record import History
from .runlog import LogReader, log_file
from .runner import View, run_view

POLL_SECONDS = 0.25
STALLED_SECONDS = 10.0
UNKNOWN_LENGTH = 10**12  # the length of a run whose script is still writing
PANELS = ("loss", "gradient_flow", "histograms", "weight_norms")  # what a watched run's log holds  # a log with no new line for this long, and no end line, is no longer called live


def find_logs(paths: list[str]) -> list[Path]:
    """Each path's log file; a path with none is a one-line error that says how one is made."""
    found = []
    for name in paths:
        path = log_file(Path(name))
        if not path.is_file():
            raise NntuiError(f"{name}: no nntui log here ({path.name} not found); record one with "
                             f"run = nntui.watch(model, optimizer, log_dir={name!r}) in your training script")
        found.append(path)
    return found


class LogRunner:
    """The latest View of one or more watched runs, read from their logs by a thread of its own. Logs can be added
    while it runs (`add`: a watched script starting another run); each becomes a run once its header is read."""

    def __init__(self, paths: list[Path], waiting: bool = False):
        """`waiting`: more logs may come (nntui watch: the script has not called nntui.watch yet)."""
        self.readers = [LogReader(p) for p in paths]
        self.waiting = waiting
        self._runs: list[int] = []  # the readers that are runs of the History, in the order they became runs
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.version = 0
        self.error: str | None = None
        self.history = History([], [], measures=measured(PANELS))
        self._view: View | None = None
        self._first_step: tuple[float, int] | None = None  # (when, step) a live run was first seen: its rate

    def add(self, path: Path) -> None:
        with self._lock:
            self.readers.append(LogReader(path))

    def load(self) -> None:
        """Read every log as far as it is written (headless, and before the app's first paint)."""
        self._poll()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._follow, name="nntui-logs", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    @property
    def live(self) -> bool:
        """Some run's script is still writing its log (no end line, and a line within STALLED_SECONDS)."""
        now = time.monotonic()
        return any(r.ended is None and now - r.last_write < STALLED_SECONDS for r in self.readers)

    @property
    def shown(self) -> list[LogReader]:
        """The readers whose runs are in the History, in its order."""
        return [self.readers[k] for k in self._runs]

    def _follow(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            if not self.waiting and all(r.ended is not None for r in self.readers):
                return
            self._poll()

    def _poll(self) -> None:
        readers = list(self.readers)
        try:
            batches = [r.poll() for r in readers]
        except NntuiError as exc:
            with self._lock:
                self.error = str(exc)
                self.version += 1
            self._stop.set()
            return
        new_runs = [k for k, r in enumerate(readers) if r.header is not None and k not in self._runs]
        if not any(batches) and not new_runs:
            return
        with self._lock:
            for k in new_runs:
                self._runs.append(k)
                self.history.add_run(_label(readers[k], self.shown[:-1]), {})
            for index, k in enumerate(self._runs):
                self.history.runs[index].settings = _settings(readers[k])
                for frame in batches[k]:
                    self.history.add_run_frame(index, frame)
            self.history.judge_runs()
            self.history.step = max((r.step for r in readers), default=0)
            self.version += 1

    def view(self) -> View:
        with self._lock:
            if self._view is None or self._view.version != self.version:
                self._view = self._build()
            return self._view

    def _build(self) -> View:
        h = self.history
        runs = tuple(run_view(r) for r in h.runs)
        step = max((r.step for r in self.readers), default=0)
        finished = bool(runs) and all(r.ended is not None for r in self.readers)  # (a later run would go on)
        state = "error" if self.error else "ready" if runs else "loading"
        device = ", ".join(dict.fromkeys(str((r.header or {}).get("device", "?")) for r in self.shown))
        # the step axis ends at the last step of a finished run, or where the scripts said they would end
        # (nntui.watch(steps=…)); else a live run's grows in 1-2-5 jumps
        planned = [int((r.header or {}).get("steps") or 0) for r in self.shown]
        total = step if finished else max(*planned, step) if self.planned else UNKNOWN_LENGTH
        return View(self.version, state, device, step, total, self.live, finished, None, self._rate(step),
                    self.error, runs)

    @property
    def planned(self) -> bool:
        """Every run's script said how many steps it will take."""
        return bool(self._runs) and all((r.header or {}).get("steps") for r in self.shown)

    def _rate(self, step: int) -> float:
        """Steps a second the scripts add now (seen here: the log's own clock is the script's)."""
        now = time.monotonic()
        if self._first_step is None or step < self._first_step[1]:
            self._first_step = (now, step)
            return math.nan
        seconds = now - self._first_step[0]
        return (step - self._first_step[1]) / seconds if seconds > 1 else math.nan


def _label(reader: LogReader, others: list[LogReader]) -> str:
    """A run's name; a run of the same name as one before it is told apart by its folder."""
    if reader.name not in {r.name for r in others}:
        return reader.name
    return str(reader.path.parent)


def _settings(reader: LogReader) -> dict:
    """What the runs table shows of a run: its optimizer and lr, as the header says; and whether its losses are
    of mini-batches (swings are then noise, not oscillation: the status says "noisy")."""
    header = reader.header or {}
    groups = header.get("groups") or [{}]
    lr = groups[0].get("lr")
    return {"optimizer": header.get("optimizer") or "?", "lr": math.nan if lr is None else lr,
            "batch_size": reader.batch_size or "?", "step_noise": "batch" if reader.sampled else None}
