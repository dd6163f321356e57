"""Run the engine on a background thread and publish snapshots for the UI.

The UI never waits for training: it reads `Runner.view()` (a small
immutable snapshot, rebuilt only when something changed) on a timer. The
trainer never waits for the UI: it appends to the History under a short
lock. torch is imported on the trainer thread, so the UI paints first.
`nntui run` runs this same Runner in a child process (trainer_process.py),
so that training and drawing do not share the GIL.
"""

from __future__ import annotations

import gc
import math
import queue
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any, assert_never

import numpy as np

from .claims import EXPRESSION, Verdict
from .claims import evaluate as judge
from .commands import Command, ContinueRun, Pause, Release, Reset, RestartRun, SetSpeed, StepOnce, Toggle, predict
from .errors import NntuiError
from .frames import ExpressionResult, ModelGraph, RunFrame, Surface
from .record import History, RunHistory
from .scenario import ExpressionLesson, Scenario

SPEEDS: tuple[int | None, ...] = (1, 2, 5, 10, 20, 30, 60, 120, 250, 500, 1000, None)  # steps/s; None = max
FRAME_SECONDS = 0.05  # at full speed, publish a frame about every 50 ms
LAG_FORGIVEN = 0.5  # a set speed more than this many seconds behind (Ctrl+Z, a stall) goes on from now


@dataclass(frozen=True)
class ExpressionValues:
    """A graph lesson's evaluated expression, as its claims read it (claims' `derivative`)."""

    lesson: ExpressionLesson
    result: ExpressionResult

    def grad(self, name: str) -> float:
        node = next(n for n in self.lesson.graph.nodes if n.op == "var" and n.name == name)
        return self.result.grads[node.id]


def judge_expression(scenario: Scenario, result: ExpressionResult) -> tuple[Verdict | None, ...]:
    """A graph lesson's claims, judged on the values and gradients torch gave its expression."""
    assert scenario.expression is not None
    runs: dict = {EXPRESSION: ExpressionValues(scenario.expression, result)}
    return tuple(judge(check.claim, runs, 0) for check in scenario.checks)


@dataclass(frozen=True, kw_only=True)
class RunView:
    """One run as the panels see it: its history so far and what its panels' probes measured last."""

    label: str
    settings: dict
    steps: np.ndarray                     # each step's loss on its own mini-batch (per step, or bucketed)
    losses: np.ndarray
    loss: float                           # the loss now on the whole training split: the run's loss compared
    status: str
    diverged_at: int | None
    step: int
    train_steps: np.ndarray | None = None    # the loss on the whole training split, every eval_every steps (every
    train_losses: np.ndarray | None = None   # step where the batch is the whole split): the curve runs are compared on
    smooth_steps: np.ndarray | None = None   # the loss's EMA (key ~ shows it instead of the raw loss)
    smooth_losses: np.ndarray | None = None
    val_steps: np.ndarray | None = None      # the loss on the held-out split, every eval_every steps
    val_losses: np.ndarray | None = None
    accuracy: float = math.nan               # classification: the fraction right on the whole training split now …
    val_accuracy: float = math.nan           # … and on the validation split
    acc_steps: np.ndarray | None = None      # classification: accuracy on the training split over time …
    accuracies: np.ndarray | None = None
    val_acc_steps: np.ndarray | None = None  # … and on the validation split
    val_accuracies: np.ndarray | None = None
    val_loss: float = math.nan               # the validation loss now (NaN: no validation split)
    lowest_val: tuple[int, float] | None = None  # (step, value) of the lowest validation loss so far
    stopped_at: int | None = None            # early stopping: the step it ended at (its best weights restored)
    best_step: int | None = None             # early stopping: the step of the best validation loss
    zero_weights: int = 0                    # weights that are exactly 0 (L1) …
    weight_count: int = 0                    # … of this many
    lr_steps: np.ndarray | None = None       # the learning rate of each step
    lrs: np.ndarray | None = None
    lr: float = math.nan                  # the learning rate now (schedules change it)
    rate: float = math.nan                # steps per second of training time (the devices lesson)
    floor: float = math.nan               # the lowest loss the model can reach, where known (least squares)
    baseline: float = math.nan            # the loss of the best constant guess (ln k for k classes; the variance)
    device: str = ""
    param_names: tuple[str, ...] = ()
    param_shapes: tuple[tuple[int, ...], ...] = ()
    grad_norms: np.ndarray | None = None  # per parameter, now
    grad_steps: np.ndarray | None = None  # (k,) steps of the rows below
    grads: np.ndarray | None = None       # (k, n_params) gradient norms over time
    # built-in probes (panels/): None unless a shown panel needs them
    path: np.ndarray | None = None        # path: (k, 2) parameter path, for the contour panel
    position: np.ndarray | None = None    # path: (2,) parameters now
    graph: ModelGraph | None = None       # graph: the autograd graph of a training step
    held_at: int | None = None            # drawn as it was at this step (view.at), not now
    edits: tuple[int, ...] = ()           # steps where an edit changed its settings and it went on (✎)
    # what the shown panels' own probes measured (panels/declare.py), by name: a value kept "now" as measured last,
    # one kept "over_time" or "every_step" as (steps (k,), rows (k, n))
    measured: dict = field(default_factory=dict)


@dataclass(frozen=True)
class View:
    version: int
    state: str            # loading | ready | error
    device: str
    step: int
    total: int
    playing: bool
    finished: bool
    speed: int | None
    rate: float           # measured steps/s while playing
    error: str | None
    runs: tuple[RunView, ...]
    surfaces: tuple[Surface, ...] = ()  # one per group of runs that share a loss surface
    verdicts: tuple[Verdict | None, ...] = ()  # each of the lesson's claims (scenario.checks), once judged
    expression: ExpressionResult | None = None  # graph lessons: every node's value and gradient
    held: dict[int, tuple[RunView, ...]] = field(default_factory=dict)  # the runs as they were at a step (view.at)

    def at(self, step: int) -> View:
        """This view with its runs as they were at `step` (each run not there yet, or stopped before it: now)."""
        return replace(self, runs=self.held.get(step, self.runs))


class RemoteView:
    """A runner whose trainer is elsewhere (another process, another machine): its play state and speed are what
    its latest View says."""

    def view(self) -> View:
        raise NotImplementedError

    @property
    def playing(self) -> bool:
        return self.view().playing

    @property
    def speed(self) -> int | None:
        return self.view().speed


class Runner:
    """Trains on a thread of its own; the UI sends it commands and reads its latest View."""

    def __init__(self, scenario: Scenario, *, device: str | None = None, playing: bool = True,
                 speed: int | str | None = 50, run_steps: int | None = None, questions: bool = True,
                 answered: Iterable[int] = ()):
        """`answered`: the steps of questions already answered (in an earlier opening of this experiment)."""
        self.scenario = scenario
        self.requested_device = device
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._stop = False
        self._commands: queue.SimpleQueue[Command] = queue.SimpleQueue()
        self._sent = 0      # commands sent (UI thread) …
        self._applied = 0   # … and applied, their result published (trainer thread)
        # The trainer thread owns everything below once it runs; the UI only reads it.
        self._playing = playing and run_steps is None and scenario.expression is None  # graphs train nothing
        self._speed: int | None = None if speed in (None, "max") else int(speed)
        self._predicted = (self._playing, self._speed)  # what the commands not yet applied will make them
        self._budget = run_steps  # run exactly this many steps at full speed, then pause
        self._single = 0          # single steps asked for and not yet taken
        self.state = "loading"
        self.error: str | None = None
        self.device = device or scenario.meta.device
        self.rate = 0.0
        self.version = 0
        self.expression: ExpressionResult | None = None
        # question beats: playing stops exactly at their step until the UI releases them
        # (a question answered is not asked again, not even after a reset or when the edited experiment reopens)
        self.stops = sorted({b.at for b in scenario.lesson.beats if b.ask} - set(answered)) if questions else []
        self.released: set[int] = set()
        self._waiting_at: int | None = None  # the question step playing stopped at, until released
        self._releasing: int | None = None  # the question the UI answered last (sent as Release)
        self._stepping = False  # the training thread is inside a chunk of steps (not yet published)
        self._new_history()
        self._view: View | None = None

    # ------------------------------------------------------------------ UI thread

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="nntui-trainer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 1.0) -> None:
        """Stop training; waits briefly so torch is not mid-step while the interpreter exits."""
        self._stop = True
        self._wake.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)

    def send(self, command: Command) -> None:
        """Ask the trainer for something: it applies commands in order, at the next step at the latest."""
        if isinstance(command, Reset) and self._stopped_on_error():
            self._start_again()
            return
        self._predicted = predict(self.playing, self.speed, command)
        if isinstance(command, Release):
            self._releasing = command.step
        self._sent += 1
        self._commands.put(command)
        self._wake.set()

    @property
    def playing(self) -> bool:
        return self._predicted[0] if self._pending else self._playing

    @property
    def speed(self) -> int | None:
        return self._predicted[1] if self._pending else self._speed

    @property
    def waiting_at(self) -> int | None:
        """The question step playing stopped at; None once the UI has answered it, even before the trainer has
        applied the Release (the app would ask it again meanwhile)."""
        return answered_question(self._waiting_at, self._releasing, self._pending)

    @property
    def _pending(self) -> bool:
        return self._sent > self._applied and self.state != "error"  # a stopped trainer applies nothing

    @property
    def idle(self) -> bool:
        """Nothing left to do until the user acts (used by tests to wait for a step budget)."""
        return (self.state != "loading" and not self._pending and not self._budget and not self._single
                and not self._stepping and (not self._playing or self._finished))

    def view(self) -> View:
        """The latest snapshot; cheap when nothing changed since the last call."""
        with self._lock:
            v = self._view
            if v is None or v.version != self.version or v.playing != self.playing or v.speed != self.speed:
                v = self._view = self._build_view()
            return v

    def _stopped_on_error(self) -> bool:
        return self.state == "error" and self._thread is not None and not self._thread.is_alive()

    def _start_again(self) -> None:
        """The trainer stopped on an error (its thread is gone): r starts a fresh one from step 0."""
        self._commands, self._applied = queue.SimpleQueue(), self._sent  # what the old thread left is moot
        with self._lock:
            self.state, self.error = "loading", None
            self.released.clear()
            self._waiting_at = None
            self._new_history()
        self.start()
        self._touch()

    # ------------------------------------------------------------------ trainer thread

    @property
    def _finished(self) -> bool:
        return self._engine is not None and self._engine.finished

    def _touch(self) -> None:
        with self._lock:
            self.version += 1
        self._wake.set()

    def _interrupted(self) -> bool:
        """A chunk of steps stops early: quitting, or a command to apply (a pause takes effect at the next step,
        not at the end of a chunk of up to FRAME_SECONDS)."""
        # Offer the GIL to the UI thread between steps: measured at full speed, worst-case
        # key-to-repaint fell from 97 ms to 54 ms with it (median 39 → 34 ms).
        time.sleep(0)
        return self._stop or not self._commands.empty()

    def _new_history(self) -> None:
        self._engine = None
        self.history = History.for_scenario(self.scenario)

    def _main(self) -> None:
        try:
            if self.scenario.expression is not None:
                self._evaluate_expression(self.scenario.expression)
                return
            from .engine import Engine  # imports torch: the slow part of start-up

            engine = Engine(self.scenario, self.requested_device)
            settle_heap()
            self.device = engine.device
            self._publish(engine)
            self.state = "ready"
            self._touch()
            self._loop(engine)
        except NntuiError as exc:
            self._fail(str(exc))
        except Exception as exc:  # never let a trainer crash take the app down
            self._fail(f"training stopped: {type(exc).__name__}: {exc}")

    def _evaluate_expression(self, lesson: ExpressionLesson) -> None:
        """A graph lesson trains nothing: torch evaluates the expression once, forward and backward."""
        from .engine import resolve_device
        from .engine.expression import evaluate

        self.device = resolve_device(self.requested_device or self.scenario.meta.device)
        self.expression = evaluate(lesson.graph, lesson.values, self.device)
        with self._lock:  # its claims are about the values autograd gave: judged now, once
            self.history.verdicts = list(judge_expression(self.scenario, self.expression))
        self.state = "ready"
        self._touch()

    def _fail(self, message: str) -> None:
        self.state, self.error, self._playing = "error", message.splitlines()[0], False
        self._budget, self._single = None, 0  # a stopped trainer owes no steps: r starts clean
        self._touch()

    def _publish(self, engine) -> None:
        frame = engine.frame()
        with self._lock:
            self._engine = engine
            self.history.add(frame)
            self.version += 1

    def _loop(self, engine) -> None:
        pace = Pace()
        while not self._stop:
            while not self._commands.empty():  # every command sent so far, in order, before the next step
                engine = self._apply(self._commands.get(), engine, pace)
                self._applied += 1  # after its result is published: until then `idle` stays false
            n, single = self._steps_due(engine, pace)
            if n:
                self._train(engine, n, single, pace)

    def _apply(self, command: Command, engine, pace: Pace):
        """One command, applied by the thread that owns the training state; returns the engine to go on with."""
        match command:
            case Toggle():
                self._playing = not self._playing
                if self._playing and engine.finished:  # play after the end replays from the start
                    return self._apply(Reset(), engine, pace)
            case Pause():
                self._playing = False
            case StepOnce():
                self._playing = False
                self._single += 1
            case SetSpeed(speed=speed):
                self._speed = speed
                pace.restart()
            case Release(step=step, answered=answered):
                self.released.add(step)
                if answered:
                    self.stops = [s for s in self.stops if s != step]
                self._waiting_at, self._playing = None, True
            case Reset():
                from .engine import Engine

                self.released.clear()  # a replay asks again the questions that were skipped
                self._waiting_at = None
                engine = Engine(self.scenario, self.requested_device)
                with self._lock:
                    self._new_history()
                self._publish(engine)
                self._playing = self._playing or engine.finished
                pace.restart()
            case RestartRun(index=index, scenario=scenario):
                variant = scenario.variants[index]
                engine.restart_run(index, variant)
                with self._lock:
                    self.scenario = scenario
                    self.history.restart(index, variant.label, variant.settings(), scenario.checks)
                    self.history.mark_branch(index, variant)
                self._publish(engine)
            case ContinueRun(index=index, scenario=scenario):
                variant = scenario.variants[index]
                engine.continue_run(index, variant)
                with self._lock:
                    self.scenario = scenario
                    self.history.retune(index, engine.runs[index].step, variant.label, variant.settings(),
                                        scenario.checks)
                self._publish(engine)
            case _:
                assert_never(command)
        self._touch()
        return engine

    def _steps_due(self, engine, pace: Pace) -> tuple[int, bool]:
        """(steps to take now, whether it is a single step); (0, False) after waiting for a while."""
        if self._budget:
            return self._budget, False
        if self._single:
            return 1, True
        if not self._playing or engine.finished:
            pace.idle()
            self.rate = 0.0
            if engine.finished:
                self._playing = False
            self._wait(0.25)
            return 0, False
        if self._speed is None:
            n = pace.chunk()
        else:
            n = pace.due(engine.step, self._speed)
            if n <= 0:  # none due yet (a full-speed chunk always has one)
                self._wait(min(FRAME_SECONDS, 1.0 / self._speed))
                return 0, False
        stop = self._next_stop(engine.step)
        if stop == engine.step:  # a question is due: wait for the UI to release it
            self._playing, self._waiting_at = False, stop
            self._touch()
            return 0, False
        return (n if stop is None else min(n, stop - engine.step)), False

    def _next_stop(self, step: int) -> int | None:
        return next((s for s in self.stops if s >= step and s not in self.released), None)

    def _wait(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()

    def _train(self, engine, n: int, single: bool, pace: Pace) -> None:
        started = time.perf_counter()
        self._stepping = True
        try:
            taken = engine.advance(n, should_stop=self._interrupted)
            pace.measure(time.perf_counter() - started, taken)
            self._publish(engine)
            # counters drop only after publishing, so `idle` never reports a step whose frame is unpublished
            if self._budget:
                self._budget = max(0, self._budget - taken) if not engine.finished else 0
            elif single:
                self._single -= 1
        finally:
            self._stepping = False
        if self._playing:
            self.rate = pace.rate(engine.step)
        if engine.finished:
            self._playing = False

    def _build_view(self) -> View:
        runs = tuple(run_view(h) for h in self.history.runs)
        return View(self.version, self.state, self.device, self.history.step, self.scenario.max_steps,
                    self.playing, self._finished, self.speed, self.rate if self._playing else math.nan,
                    self.error, runs, tuple(self.history.surfaces.values()), tuple(self.history.verdicts),
                    self.expression, {step: tuple(held_view(h, v, step) for h, v in zip(self.history.runs, runs))
                                      for step in self.history.holds})


def run_view(h: RunHistory) -> RunView:
    """A run's history and latest frame, as the panels read them: built here, and only here (a held view is this
    one with another frame's fields and its histories cut at that step)."""
    steps, losses = h.loss.points()
    smooth_steps, smooth_losses = h.smoothed.points()
    val_steps, val_losses = h.val_loss.points()
    train_steps, train_losses = h.train_loss.points()
    lr_steps, lrs = h.lr.points()
    acc_steps, accuracies = h.accuracy.points()  # (each points() call sorts the buckets: once a frame)
    val_acc_steps, val_accuracies = h.val_accuracy.points()
    grad_steps, grads = h.grads.view() if h.grads is not None else (None, None)
    return RunView(label=h.label, settings=h.settings, steps=steps, losses=losses, loss=h.current_loss,
                   accuracy=h.accuracy.last[1] if h.accuracy.last else math.nan,
                   val_accuracy=h.val_accuracy.last[1] if h.val_accuracy.last else math.nan,
                   val_loss=h.val_loss.last[1] if h.val_loss.last else math.nan, lowest_val=h.lowest_val(),
                   acc_steps=acc_steps, accuracies=accuracies, val_acc_steps=val_acc_steps,
                   val_accuracies=val_accuracies, status=h.status, train_steps=train_steps, train_losses=train_losses,
                   smooth_steps=smooth_steps, smooth_losses=smooth_losses,
                   val_steps=val_steps, val_losses=val_losses, lr_steps=lr_steps, lrs=lrs, grad_steps=grad_steps,
                   grads=grads, path=h.path.view()[1] if len(h.path) else None, graph=h.graph,
                   edits=tuple(h.edits), floor=h.floor, baseline=h.baseline, measured=measured_values(h, h.latest),
                   **frame_fields(h.latest))


def frame_fields(frame: RunFrame | None) -> dict[str, Any]:
    """What a frame says of the run at its step, as RunView fields (before the first frame: step 0, nothing)."""
    if frame is None:
        return dict(diverged_at=None, step=0)
    return dict(diverged_at=frame.diverged_at, step=frame.step, lr=frame.lr, rate=_rate(frame), device=frame.device,
                param_names=frame.param_names, param_shapes=frame.param_shapes, grad_norms=frame.grad_norms,
                position=frame.position, stopped_at=frame.stopped_at, best_step=frame.best_step,
                zero_weights=frame.zero_weights, weight_count=frame.weight_count)


def held_view(h: RunHistory, live: RunView, at: int) -> RunView:
    """`live` (the run now) as it was at step `at`, its frame there and its histories up to there: what a panel
    held at that step draws (view.at). The run now where it has not got there (or stopped before)."""
    frame = h.held.get(at)
    if frame is None:
        return live
    grad_steps, grads = live.grad_steps, live.grads
    if grad_steps is not None and grads is not None:
        grad_steps, grads = grad_steps[grad_steps <= at], grads[grad_steps <= at]
    return replace(live, held_at=at, grad_steps=grad_steps, grads=grads,
                   measured=measured_values(h, frame, at), **frame_fields(frame))


def measured_values(h: RunHistory, frame: RunFrame | None, at: int | None = None) -> dict[str, Any]:
    """What the run's panel probes measured, as RunView.measured holds it: a value kept over time or every step as
    its (steps, rows) (up to step `at`: a view held there), one kept now as `frame`'s."""
    measured: dict[str, Any] = {}
    for name, kept in h.over_time.items():
        steps, rows = kept.view() if kept is not None else (np.zeros(0, np.int64), np.zeros((0, 0)))
        measured[name] = (steps, rows) if at is None else (steps[steps <= at], rows[steps <= at])
    if frame is not None:
        measured.update({name: value for name, value in (frame.measured or {}).items() if name not in h.over_time})
    return measured


class Pace:
    """How many steps to take now: as many as fit in a frame at full speed, or as many as are due at a
    set speed; and the steps per second the user actually gets."""

    def __init__(self) -> None:
        self.step_time = 1e-3  # running estimate of seconds per step
        self.paced_from: tuple[float, int] | None = None  # (time, step) where paced playing began
        self.window: deque[tuple[float, int]] = deque()  # (time, step) samples for the measured rate

    def restart(self) -> None:
        self.paced_from = None

    def idle(self) -> None:
        self.paced_from = None
        self.window.clear()

    def chunk(self) -> int:
        """Full speed: the steps that fit in one frame."""
        self.paced_from = None
        return max(1, int(FRAME_SECONDS / self.step_time))

    def due(self, step: int, speed: int) -> int:
        """At `speed` steps/s: the steps due since pacing began (at most a frame's worth); 0: wait."""
        now = time.perf_counter()
        if self.paced_from is None:
            self.paced_from = (now - 1.0 / speed, step)
        due = int((now - self.paced_from[0]) * speed) - (step - self.paced_from[1])
        if due > max(1, LAG_FORGIVEN * speed):  # behind by more than LAG_FORGIVEN (the process was stopped, the
            self.paced_from, due = (now - 1.0 / speed, step), 1  # machine busy): go on from here, no burst
        return min(due, max(1, int(FRAME_SECONDS / self.step_time))) if due > 0 else 0

    def measure(self, seconds: float, taken: int) -> None:
        if taken:
            self.step_time = 0.7 * self.step_time + 0.3 * seconds / taken

    def rate(self, step: int) -> float:
        """Steps over the last second of wall time (waiting, stepping, publishing): what the user gets."""
        now = time.perf_counter()
        self.window.append((now, step))
        while len(self.window) > 2 and now - self.window[0][0] > 1.0:
            self.window.popleft()
        t0, s0 = self.window[0]
        return (step - s0) / (now - t0) if now > t0 else 0.0


def answered_question(waiting_at: int | None, releasing: int | None, pending: bool) -> int | None:
    """`waiting_at` as the UI should see it: a question whose Release is still on its way is not waiting."""
    return None if pending and waiting_at is not None and waiting_at == releasing else waiting_at


def next_speed(speed: int | None, direction: int) -> int | None:
    """The speed one step faster (+1) or slower (-1) than `speed` on the SPEEDS ladder."""
    i = SPEEDS.index(speed) if speed in SPEEDS else 6
    return SPEEDS[min(max(i + direction, 0), len(SPEEDS) - 1)]


_heap_settled = False


def settle_heap() -> None:
    """Exempt what start-up built (torch, textual: ~400k objects) from Python's full collections, once a process.

    A full collection walks every tracked object with the GIL held; measured on the app at full speed,
    each one froze the screen for 60-250 ms, the whole tail of the key-latency figure."""
    global _heap_settled
    if not _heap_settled:
        _heap_settled = True
        gc.collect()
        gc.freeze()


def _rate(frame) -> float:
    """Steps per second of the time this run spent training (not counting the other runs or drawing)."""
    if frame is None or frame.step == 0 or frame.train_seconds <= 0:
        return math.nan
    return frame.step / frame.train_seconds
