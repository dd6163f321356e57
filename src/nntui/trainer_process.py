"""The Runner's trainer in a child process, so training never competes with the UI for the GIL.

On a thread, every UI frame waited for the trainer to hand over the GIL: measured on the real app at
full speed, a key press took 20-65 ms to reach the screen (p99 over 50). In its own process the trainer
has a core to itself and the UI the other.

The child runs an ordinary `Runner` and publishes its View through a pipe whenever it changes, as a
latest value (the parent keeps only the newest); commands (commands.py) go the other way, the same
values a thread Runner takes. Until the child has acknowledged a command, the parent shows what it
will do (`commands.predict`), so a key press shows at once.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection

from .commands import Command, ContinueRun, Release, Reset, RestartRun, predict
from .runner import RemoteView, Runner, View, answered_question, settle_heap
from .scenario import Scenario

PUBLISH_SECONDS = 0.1  # the child publishes at most this often unless a control asks for a view at once …
LOOK_SECONDS = 0.02  # … looking at its Runner this often: a change after a quiet spell, or the first step, goes at once


@dataclass(frozen=True)
class Stop:
    """The parent is done: the child stops its Runner and exits (a lifecycle message, not a command)."""


@dataclass(frozen=True)
class Published:
    view: View
    waiting_at: int | None
    idle: bool
    acknowledged: int  # controls applied so far


class ProcessRunner(RemoteView):
    """`Runner`'s `send` and `view()`, with the trainer in a child process."""

    def __init__(self, scenario: Scenario, **options):
        self.scenario = scenario
        self._options = options
        self._lock = threading.Lock()
        self._releasing: int | None = None
        self._before_first_step()
        self._process: subprocess.Popen | None = None
        self._controls: Connection | None = None
        self._views: Connection | None = None
        self._stopped = False
        self.on_view: Callable[[], None] | None = None  # called (on the pipe's thread) after each View arrives

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> None:
        global _spare
        if self._stopped:  # the app quit before its first frame: no child to outlive it
            return
        (self._process, self._controls, self._views), _spare = _spare or _spawn(), None
        self._controls.send((self.scenario, self._options))
        threading.Thread(target=self._receive, args=(self._process, self._views), name="nntui-views",
                         daemon=True).start()

    def stop(self, timeout: float = 1.0) -> None:
        self._stopped = True
        if self._process is None:
            return
        if self._published.view.state == "loading":  # still importing torch: it cannot hear "stop" yet
            self._process.kill()
            self._process.wait()
            return
        self._send(Stop())
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(timeout)

    def signal(self, number: int) -> None:
        """Send the child a signal (SIGSTOP / SIGCONT: it stops and goes on with the app)."""
        if self.alive:
            assert self._process is not None  # (alive)
            try:
                self._process.send_signal(number)
            except ProcessLookupError:  # it ended meanwhile
                pass

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    # ------------------------------------------------------------------ commands

    def send(self, command: Command) -> None:
        if isinstance(command, Reset) and self._process is not None and not self.alive and not self._stopped:
            self._start_again()  # the child died (killed, out of memory): r starts a fresh one
            return
        if isinstance(command, RestartRun | ContinueRun):
            self.scenario = command.scenario  # a child started again later trains the edited experiment
        self._predicted = predict(self.playing, self.speed, command)
        if isinstance(command, Release):
            self._releasing = command.step
            if command.answered:  # a child started again (r after it died) does not ask it again either
                self._options["answered"] = (*self._options.get("answered", ()), command.step)
        self._send(command)

    def _start_again(self) -> None:
        """A new child from step 0, in place of one that is gone; the screen shows loading until it runs."""
        for end in (self._controls, self._views):
            assert end is not None  # set with the process that is gone
            end.close()
        self._before_first_step()
        self.start()

    def _before_first_step(self) -> None:
        """What is shown until the child publishes: an unstarted Runner's View, with no control sent yet."""
        local = Runner(self.scenario, **self._options)
        with self._lock:
            self._published, self._sent = Published(local.view(), None, False, 0), 0
        self._predicted = (local.playing, local.speed)
        self._releasing = None  # the question answered last (sent as Release)

    # ------------------------------------------------------------------ state

    def view(self) -> View:
        with self._lock:
            published, pending = self._published, self._sent > self._published.acknowledged
        if pending:  # the child has not caught up with the last key yet: show what it will do
            return dataclasses.replace(published.view, playing=self._predicted[0], speed=self._predicted[1])
        return published.view

    @property
    def waiting_at(self) -> int | None:
        with self._lock:
            published, pending = self._published, self._sent > self._published.acknowledged
        return answered_question(published.waiting_at, self._releasing, pending)

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._published.idle and self._sent == self._published.acknowledged

    # ------------------------------------------------------------------ pipes

    def _send(self, message: Command | Stop) -> None:
        if self._controls is None:  # not started: nothing to tell (and nothing to wait for)
            return
        with self._lock:
            self._sent += 1
        try:
            self._controls.send(message)
        except OSError:  # the child is gone: _receive reports it
            pass

    def _receive(self, process: subprocess.Popen, views: Connection) -> None:
        try:
            while True:
                published = views.recv()
                with self._lock:
                    if process is self._process:  # not a child that has since been replaced
                        self._published = published
                if self.on_view is not None:
                    self.on_view()
        except (EOFError, OSError):
            pass
        except Exception as exc:  # a message we cannot read: show it rather than hang on "loading"
            process.kill()
            self._report(process, f"training stopped: {type(exc).__name__}: {exc}")
            return
        try:
            code = process.wait(1.0)
        except subprocess.TimeoutExpired:
            code = None
        if code not in (0, None) or self._published.view.state == "loading":
            self._report(process, f"training stopped: the trainer process exited (code {code}); "
                                  "r starts it again")

    def _report(self, process: subprocess.Popen, message: str) -> None:
        """The child is gone: the View keeps what it showed, with the reason (unless it gave its own)."""
        with self._lock:
            if process is not self._process:
                return
            view = self._published.view
            error = view.error or message
            self._published = Published(dataclasses.replace(view, state="error", playing=False, error=error),
                                        None, True, self._sent)


# a child started ahead of time (lesson picker, command palette, edit form)
_spare: tuple[subprocess.Popen, Connection, Connection] | None = None


def prestart() -> None:
    """Start a trainer process now, to be used by the next ProcessRunner: it imports torch meanwhile."""
    global _spare
    if _spare is None:
        _spare = _spawn()


def discard_spare() -> None:
    """The session is over: stop the spare child now (left alone it would finish importing torch first)."""
    global _spare
    if _spare is not None:
        process, controls, views = _spare
        _spare = None
        process.kill()
        process.wait()
        controls.close()
        views.close()


def _spawn() -> tuple[subprocess.Popen, Connection, Connection]:
    # a plain subprocess, not multiprocessing: under Textual sys.stderr has no file descriptor, which
    # multiprocessing's launcher needs; a new session keeps the child off the terminal (and its ctrl+c)
    controls_in, controls_out = os.pipe()
    views_in, views_out = os.pipe()
    process = subprocess.Popen(
        [sys.executable, "-m", "nntui.trainer_process", str(controls_in), str(views_out)],
        pass_fds=(controls_in, views_out), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    os.close(controls_in)
    os.close(views_out)
    return process, Connection(controls_out, readable=False), Connection(views_in, writable=False)


def _serve(controls: Connection, views: Connection) -> None:
    """The child: run a Runner, hand it the parent's commands, publish its View when it changes."""
    from .engine import warm_up  # torch, before the scenario comes: a spare child is ready when needed

    warm_up()
    settle_heap()  # (its full collection, 0.15 s with torch loaded, had come after the scenario, before step 1)

    scenario, options = controls.recv()
    runner = Runner(scenario, **options)
    runner.start()
    applied, last, sent_at, sent_step = 0, None, 0.0, 0
    try:
        while True:
            urgent = controls.poll(LOOK_SECONDS)
            while controls.poll():
                message = controls.recv()
                if isinstance(message, Stop):
                    return
                runner.send(message)
                applied += 1
            # a View is built (every run's series sorted, with the GIL the trainer wants) only when it may go out:
            # at most every PUBLISH_SECONDS under way; before the first step at each look (a lesson just opened
            # waits for it: it had gone out with the next 0.1 s tick), where nothing changing keeps it cached
            if not (urgent or sent_step == 0 or time.monotonic() - sent_at >= PUBLISH_SECONDS):
                continue
            view = runner.view()
            state = (view.version, view.playing, view.speed, runner.waiting_at, runner.idle, applied)
            if urgent or state != last:
                views.send(Published(view, runner.waiting_at, runner.idle, applied))
                last, sent_at, sent_step = state, time.monotonic(), view.step
    except (EOFError, OSError):  # the parent is gone
        pass
    finally:
        runner.stop()


if __name__ == "__main__":  # python -m nntui.trainer_process CONTROLS_FD VIEWS_FD
    # the package's module, not __main__: the pickled classes are named there
    from nntui.lifetime import die_with_parent
    from nntui.trainer_process import _serve as serve

    die_with_parent(signal.SIGKILL)  # (stopped with its app by Ctrl+Z, it could not hear the pipe close)
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
