"""The trainer in a child process (what `nntui run` uses): same numbers, same controls, failures shown."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import time

import numpy as np

from nntui import trainer_process
from nntui.commands import Release, Reset, StepOnce
from nntui.runner import Runner
from nntui.scenario import load
from nntui.trainer_process import ProcessRunner
from nntui.ui.app import NNTuiApp
from nntui.ui.header import RunHeader

from .conftest import wait_idle, wait_until


def wait(predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_child_trains_the_same_numbers_as_a_thread():
    scenario = load("lr_sweep")
    child = ProcessRunner(scenario, device="cpu", run_steps=250, questions=False)
    child.start()
    try:
        wait(lambda: child.idle)
        here = Runner(scenario, device="cpu", run_steps=250, questions=False)
        here.start()
        wait(lambda: here.idle)
        here.stop()
        theirs, ours = child.view(), here.view()
        assert theirs.step == ours.step == 250
        for a, b in zip(theirs.runs, ours.runs, strict=True):
            np.testing.assert_array_equal(a.losses, b.losses)  # the same bits: diverged run included
            assert a.status == b.status
        child.send(StepOnce())  # commands go through: one more step, then idle again
        wait(lambda: child.idle)
        assert child.view().step == 251 and not child.playing
        child.send(Reset())
        wait(lambda: child.idle)
        assert child.view().step == 0
    finally:
        child.stop()
    assert not child.alive


def test_a_missing_device_is_the_childs_one_line_error():
    import torch

    child = ProcessRunner(load("lr_sweep"), device="cuda", questions=False)
    child.start()
    try:
        wait(lambda: child.view().state != "loading")
        view = child.view()
        if torch.cuda.is_available():
            assert view.state == "ready" and view.device.startswith("cuda")
        else:  # the Runner's own one-line message comes through the pipe
            assert view.state == "error" and "cuda" in view.error.lower() and "\n" not in view.error
    finally:
        child.stop()


def test_a_crashed_child_is_reported_not_waited_for():
    child = ProcessRunner(load("lr_sweep"), device="cpu", speed="max", questions=False)
    child.start()
    try:
        wait(lambda: child.view().step > 0)
        os.kill(child._process.pid, signal.SIGKILL)
        wait(lambda: child.view().state == "error")
        view = child.view()
        assert "trainer process exited" in view.error and not view.playing
        assert view.step > 0  # what it had trained stays on screen
        dead = child._process
        child.send(Reset())  # r: a fresh trainer process, from step 0 (was: nothing, for good)
        assert child._process is not dead and child.view().state == "loading"
        wait(lambda: child.view().state == "ready" and child.view().step > 0)
        dead.wait(1)
    finally:
        child.stop()


async def test_the_app_with_a_child_answers_keys_at_once_and_quits_clean():
    app = NNTuiApp(load("lr_sweep").with_steps(100_000), device="cpu", speed="max", questions=False,
                   trainer_process=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(lambda: app.runner.view().step > 50, pilot, timeout=60)
        header = app.query_one(RunHeader)
        await pilot.press("minus")
        # before the child has acknowledged, the header already shows the new speed
        assert "speed 1000" in header.status_text
        await pilot.press("space")
        assert "paused" in header.status_text
        await wait_idle(app, pilot)
        paused_at = app.runner.view().step
        await asyncio.sleep(0.3)
        assert app.runner.view().step == paused_at and not app.runner.view().playing
        process = app.runner._process
        await pilot.press("ctrl+p")  # the palette can open another lesson: its trainer starts loading now
        await pilot.pause()
        assert trainer_process._spare is not None
        spare = trainer_process._spare[0]
        await pilot.press("escape")
    assert process.poll() is not None, "the trainer process ended with the app"
    trainer_process.discard_spare()  # what the CLI does when the session ends
    assert spare.poll() is not None and trainer_process._spare is None


def test_a_prestarted_child_is_the_next_runners_trainer():
    trainer_process.prestart()
    spare = trainer_process._spare[0]
    child = ProcessRunner(load("lr_sweep"), device="cpu", run_steps=5, questions=False)
    child.start()
    try:
        assert child._process is spare and trainer_process._spare is None
        wait(lambda: child.idle)
        assert child.view().step == 5
    finally:
        child.stop()


def test_a_runner_stopped_before_it_started_never_starts_a_child():
    """The app can quit before its first frame, when the trainer would have started: nothing may outlive it."""
    child = ProcessRunner(load("lr_sweep"), device="cpu", questions=False)
    child.stop()
    child.start()
    assert child._process is None and not child.alive


def test_stopping_a_child_still_loading_torch_kills_it_without_waiting():
    """A child importing torch reads no controls for seconds: "stop" would only make quitting wait 1 s."""

    class Child:
        killed = False

        def kill(self):
            self.killed = True

        def wait(self, timeout=None):
            return -9

    class Pipe:
        sent: list = []

        def send(self, message):
            self.sent.append(message)

    runner = ProcessRunner(load("lr_sweep"), device="cpu", questions=False)
    assert runner.view().state == "loading"
    runner._process, runner._controls = Child(), Pipe()
    runner.stop()
    assert runner._process.killed and Pipe.sent == []


def test_an_answered_question_is_not_waiting_while_its_release_is_on_the_way():
    # the app asks the question the runner waits at on every refresh: until the trainer had applied the
    # Release, the answered question still looked due and was asked again (a flaky replay test found it)
    class Pipe:
        def send(self, message):
            pass

    thread = Runner(load("lr_sweep"), device="cpu")  # not started: nothing applies commands
    thread._waiting_at = 0
    thread.send(Release(0))
    assert thread.waiting_at is None
    thread._applied = thread._sent  # the trainer caught up; a replay stops at the same question again
    assert thread.waiting_at == 0
    child = ProcessRunner(load("lr_sweep"), device="cpu")
    child._controls = Pipe()
    child._published = dataclasses.replace(child._published, waiting_at=0)
    child.send(Release(0))
    assert child.waiting_at is None
