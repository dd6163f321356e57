"""Interrupted work: quitting the real app mid-run on a pseudo-terminal exits at once, restores the
terminal and leaves no trainer process behind. (Ctrl+C in headless mode: test_cli.)"""

from __future__ import annotations

import os
import re
import signal
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from benchmarks.pty_app import PtyApp

RESTORED = (b"\x1b[?1049l", b"\x1b[?25h", b"\x1b[?1000l")  # main screen back, cursor shown, mouse off


def processes_marked(mark: str) -> list[int]:
    """Live processes whose environment carries `mark` (the app and its trainer child inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if mark.encode() in (entry / "environ").read_bytes():
                    status = (entry / "stat").read_text().split(") ")[-1].split()[0]
                    if status != "Z":
                        found.append(int(entry.name))
            except OSError:
                continue
    return found


def exit_of(app: PtyApp, timeout: float = 10) -> tuple[int | None, bytes]:
    """Wait for the app to exit; its exit status and what it wrote meanwhile."""
    out, status, deadline = b"", None, time.monotonic() + timeout
    while status is None and time.monotonic() < deadline:
        out += app.drain(0.02)
        pid, code = os.waitpid(app.pid, os.WNOHANG)
        if pid:
            status = os.waitstatus_to_exitcode(code)
    return status, out + app.drain(0.1)


@contextmanager
def flat_out(monkeypatch) -> Iterator[tuple[PtyApp, str]]:
    """lr_sweep training flat out on a pty, in its own process: (the app, the environment marker its processes
    carry)."""
    mark = f"nntui-test-{uuid.uuid4()}"
    monkeypatch.setenv("NNTUI_TEST_MARK", mark)
    command = [sys.executable, "-m", "nntui", "run", "lr_sweep", "--steps", "10000000", "--speed", "max",
               "--device", "cpu"]
    with PtyApp(command) as app:
        app.start_playing()
        time.sleep(1.0)  # training flat out in its own process
        yield app, mark


def end_mid_run(monkeypatch, end) -> tuple[int | None, bytes, float]:
    """lr_sweep training flat out on a pty, then `end(app)`: exit status, output, seconds to exit. No process
    may be left after it (the app and its trainer carry the test's environment marker)."""
    with flat_out(monkeypatch) as (app, mark):
        assert len(processes_marked(mark)) == 2, "the app and its trainer"
        app.drain()
        sent = time.monotonic()
        end(app)
        status, out = exit_of(app)
        seconds = time.monotonic() - sent
    deadline = time.monotonic() + 3
    while processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_marked(mark) == [], "a trainer process outlived the app"
    return status, out, seconds


def test_q_mid_run_exits_at_once_and_leaves_a_clean_terminal(monkeypatch):
    status, out, seconds = end_mid_run(monkeypatch, lambda app: os.write(app.fd, b"q"))
    assert status == 0 and seconds < 2.0, (status, seconds)
    assert all(sequence in out for sequence in RESTORED), out[-200:]


def test_sigterm_quits_like_q_and_restores_the_terminal(monkeypatch):
    # was: the terminal left in the alternate screen, cursor hidden, mouse tracking on
    status, out, _ = end_mid_run(monkeypatch, lambda app: os.kill(app.pid, signal.SIGTERM))
    assert status == 128 + signal.SIGTERM, status
    assert all(sequence in out for sequence in RESTORED), out[-200:]


def test_sighup_quits_like_q_and_restores_the_terminal(monkeypatch):
    # a closed terminal or a dropped SSH session: was killed at once, the terminal left in the app's modes
    status, out, _ = end_mid_run(monkeypatch, lambda app: os.kill(app.pid, signal.SIGHUP))
    assert status == 128 + signal.SIGHUP, status
    assert all(sequence in out for sequence in RESTORED), out[-200:]

def process_state(pid: int) -> str:
    return (Path("/proc") / str(pid) / "stat").read_text().split(") ")[-1].split()[0]


def test_tstp_stops_the_trainer_too_and_cont_redraws_the_whole_screen(monkeypatch):
    # was: after `kill -TSTP` the trainer kept training; after CONT only the header repainted (issue 30)
    with flat_out(monkeypatch) as (app, mark):
        (trainer,) = [pid for pid in processes_marked(mark) if pid != app.pid]
        os.kill(app.pid, signal.SIGTSTP)
        deadline = time.monotonic() + 5
        while {process_state(app.pid), process_state(trainer)} != {"T"} and time.monotonic() < deadline:
            app.drain(0.05)  # (as a terminal reads: the app leaves its screen before it stops)
        assert process_state(app.pid) == "T" and process_state(trainer) == "T"  # both stopped
        app.drain(0.2)
        os.kill(app.pid, signal.SIGCONT)
        out, deadline = b"", time.monotonic() + 2.0
        while time.monotonic() < deadline:  # (drain returns with the first burst: the whole frame comes after)
            out += app.drain(0.05)
        assert process_state(trainer) != "T"
        assert b"Variants" in out and b"Lesson" in out and b"Quit" in out, out[-300:]  # every panel, not the header
        os.write(app.fd, b"q")
        status, _ = exit_of(app)
    assert status == 0


def test_a_trainer_stopped_with_its_app_dies_with_it(monkeypatch):
    # SIGKILL to an app stopped by Ctrl+Z: its trainer, stopped too, could not see the pipe close
    mark = f"nntui-test-{uuid.uuid4()}"
    monkeypatch.setenv("NNTUI_TEST_MARK", mark)
    with PtyApp([sys.executable, "-m", "nntui", "run", "lr_sweep", "--device", "cpu"]) as app:
        app.wait_for(b"Question", 60)
        deadline = time.monotonic() + 30
        while len(processes_marked(mark)) < 2 and time.monotonic() < deadline:
            app.drain(0.1)
        os.kill(app.pid, signal.SIGTSTP)
        deadline = time.monotonic() + 5
        while any(process_state(pid) != "T" for pid in processes_marked(mark)) and time.monotonic() < deadline:
            app.drain(0.05)
        os.kill(app.pid, signal.SIGKILL)
        os.waitpid(app.pid, 0)
    deadline = time.monotonic() + 5
    while processes_marked(mark) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert processes_marked(mark) == [], "a stopped trainer outlived its app"


# a bug planted in the app: the first `n` of a graph lesson raises inside a key handler
CRASHING_APP = """
import sys
from nntui.panels.graph.expression import GraphPanel
def advance(self):
    raise RuntimeError("planted fault")
GraphPanel.advance = advance
from nntui.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "NNTUI_DEBUG"])
def test_a_crash_inside_the_app_is_one_line_exit_1_and_a_restored_terminal(monkeypatch, debug):
    if debug:
        monkeypatch.setenv("NNTUI_DEBUG", "1")
    else:
        monkeypatch.delenv("NNTUI_DEBUG", raising=False)
    command = [sys.executable, "-c", CRASHING_APP, "run", "computation_graph", "--device", "cpu"]
    with PtyApp(command) as app:
        app.wait_for(b"next node", 30)
        os.write(app.fd, b"n")
        status, out = exit_of(app)
    assert status == 1, (status, out[-400:])
    assert all(sequence in out for sequence in RESTORED), out[-400:]
    after = out[out.rindex(RESTORED[0]):].decode(errors="replace")  # what the shell shows once the app is gone
    if debug:
        assert "Traceback" in after and "RuntimeError: planted fault" in after
    else:
        lines = [line for line in re.sub(r"\x1b\[[?0-9;]*[a-zA-Z]", "", after).splitlines() if line.strip()]
        assert lines == [("nntui: internal error: RuntimeError: planted fault; please report it "
                          "(NNTUI_DEBUG=1 shows the traceback)")], after

