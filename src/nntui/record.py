"""The record: bounded histories of every run, built from Frames, and the JSON export.

No torch here. A Series keeps at most `capacity` points however long the run:
when full, neighbouring buckets merge (keeping each bucket's min and max), so
spikes and divergence stay visible in a million-step run.
"""

from __future__ import annotations

import json
import math
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .claims import Check, Verdict, due, evaluate
from .frames import Frame, ModelGraph, RunFrame, Surface
from .panels import measured
from .panels.declare import Measured
from .smoothing import carried_ema
from .status import FROZEN, last_half, rising_since_lowest, run_status, window

SERIES_CAPACITY = 2048  # buckets per series; each bucket keeps its min and max point
VAL_RECENT = 5          # validation points whose median is the held-out level a status reads
RECENT = 64             # full-data losses kept unthinned: the window a run's status is judged on
GRAD_CAPACITY = 512     # frames of per-layer statistics kept for the gradient-flow and histogram panels
RECORD_VERSION = 4  # 2: train_steps/train_loss, the loss compared (final_loss) on the whole split; 3: accuracy, checks;
# 4: stopped_at, best_step (early stopping), zero_weights and weight_count


class Series:
    """A decimating (step, value) series: bucket width doubles whenever capacity is reached."""

    def __init__(self, capacity: int = SERIES_CAPACITY):
        self.capacity = capacity
        self.width = 1  # steps per bucket
        self.n = 0
        self.ids = np.zeros(capacity + 1, np.int64)  # bucket index = step // width
        self.lo = np.zeros((capacity + 1, 2))        # (step, value) of each bucket's minimum
        self.hi = np.zeros((capacity + 1, 2))        # (step, value) of each bucket's maximum
        self.last: tuple[int, float] | None = None

    def __len__(self) -> int:
        return self.n

    def extend(self, steps: np.ndarray, values: np.ndarray) -> None:
        if len(steps) == 0:
            return
        self.last = (int(steps[-1]), float(values[-1]))
        points = np.stack([np.asarray(steps, np.float64), np.asarray(values, np.float64)], 1)
        # a frame's points in a few numpy calls rather than a Python call per point; near a halving, a bucket at
        # a time (the buckets widen in between)
        while len(points):
            buckets = points[:, 0].astype(np.int64) // self.width
            starts = _starts(buckets)
            if self.n + len(starts) > self.capacity and len(starts) > 1:
                head, points = points[:starts[1]], points[starts[1]:]
                self._append(buckets[:starts[1]], head, head, starts[:1])
            else:
                self._append(buckets, points, points, starts)
                points = points[:0]
            while self.n > self.capacity:  # points further apart than a bucket (validation every k steps)
                self._halve()              # merge nothing until the buckets are as wide as their spacing

    def _append(self, buckets: np.ndarray, lows: np.ndarray, highs: np.ndarray, starts: np.ndarray) -> None:
        """Candidates grouped by bucket (`starts`: where each group begins) become buckets; the first group
        merges into the last bucket when it is the same one."""
        lo, hi = _extremes(lows, highs, starts)
        ids, n = buckets[starts], self.n
        if n and self.ids[n - 1] == ids[0]:
            lo[0], hi[0] = _extremes(np.stack([self.lo[n - 1], lo[0]]), np.stack([self.hi[n - 1], hi[0]]),
                                     np.zeros(1, np.int64))
            n -= 1
        k = len(ids)
        self.ids[n:n + k], self.lo[n:n + k], self.hi[n:n + k] = ids, lo, hi
        self.n = n + k

    def _halve(self) -> None:
        """Merge neighbouring buckets: half as many, twice as wide."""
        self.width *= 2
        ids, lo, hi = self.ids[: self.n] // 2, self.lo[: self.n].copy(), self.hi[: self.n].copy()
        self.n = 0
        self._append(ids, lo, hi, _starts(ids))

    def value_at(self, step: float) -> float:
        """The value recorded last at or before `step` (NaN before any): a binary search over the buckets, which
        are in step order, without building every point (the status asks each frame)."""
        n = self.n
        k = int(np.searchsorted(self.ids[:n], int(step // self.width), side="right")) - 1
        if k < 0:
            return math.nan
        (lo_step, lo_value), (hi_step, hi_value) = self.lo[k], self.hi[k]
        candidates = [(s, v) for s, v in ((lo_step, lo_value), (hi_step, hi_value)) if s <= step]
        if not candidates:  # the bucket's points are all after `step`: the previous bucket's last
            if k == 0:
                return math.nan
            (lo_step, lo_value), (hi_step, hi_value) = self.lo[k - 1], self.hi[k - 1]
            candidates = [(lo_step, lo_value), (hi_step, hi_value)]
        return float(max(candidates, key=lambda point: point[0])[1])

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(steps, values) in step order: every point while width is 1, else each bucket's min and max."""
        if not self.n:
            return np.zeros(0, np.int64), np.zeros(0)
        both = np.concatenate([self.lo[: self.n], self.hi[: self.n]])
        both = both[np.argsort(both[:, 0], kind="stable")]
        keep = np.ones(len(both), bool)
        keep[1:] = both[1:, 0] != both[:-1, 0]  # the same point twice when a bucket holds one value
        both = both[keep]
        return both[:, 0].astype(np.int64), both[:, 1]


class Thinned:
    """A bounded series of vectors (a 2-D path, per-layer norms): when full, every other row is dropped
    and from then on only every `stride`-th incoming row is kept, so it spans the whole run evenly."""

    def __init__(self, dim: int, capacity: int = SERIES_CAPACITY):
        self.capacity = capacity
        self.stride = 1
        self.seen = 0
        self.steps = np.zeros(capacity + 1, np.int64)
        self.rows = np.zeros((capacity + 1, dim))
        self.n = 0

    def __len__(self) -> int:
        return self.n

    def extend(self, steps: np.ndarray, rows: np.ndarray) -> None:
        for step, row in zip(np.atleast_1d(steps).tolist(), np.atleast_2d(rows)):
            if self.seen % self.stride == 0:
                self.steps[self.n], self.rows[self.n] = step, row
                self.n += 1
                if self.n > self.capacity:
                    kept = (self.n + 1) // 2
                    self.steps[:kept], self.rows[:kept] = self.steps[: self.n: 2].copy(), self.rows[: self.n: 2].copy()
                    self.n, self.stride = kept, self.stride * 2
            self.seen += 1

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        return self.steps[: self.n].copy(), self.rows[: self.n].copy()


def _starts(buckets: np.ndarray) -> np.ndarray:
    """Where each run of equal (ascending) bucket ids begins."""
    return np.concatenate(([0], np.flatnonzero(buckets[1:] != buckets[:-1]) + 1))


def _extremes(lows: np.ndarray, highs: np.ndarray, starts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per group of rows (`starts`), the (step, value) with the smallest value among `lows` and the largest
    among `highs`, the earliest on ties, NaN counting as larger than anything: divergence is never decimated
    away."""
    if len(starts) == len(lows):  # a group a row: nothing to choose
        return lows.copy(), highs.copy()
    group = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(lows))))
    picked = []
    for points, sign in ((lows, 1.0), (highs, -1.0)):
        nan = np.isnan(points[:, 1])
        # sorted within each group by (NaN last for the minimum, first for the maximum; value; step)
        order = np.lexsort((points[:, 0], sign * np.where(nan, 0.0, points[:, 1]), nan if sign > 0 else ~nan, group))
        picked.append(points[order[np.concatenate(([True], group[order][1:] != group[order][:-1]))]])
    return picked[0], picked[1]


@dataclass
class RunHistory:
    label: str
    settings: dict[str, Any]
    loss: Series = field(default_factory=Series)  # each step's loss on its mini-batch
    train_loss: Series = field(default_factory=Series)  # the loss on the whole training split: the one compared
    recent: deque[tuple[int, float]] = field(default_factory=lambda: deque(maxlen=RECENT))  # its last points
    val_loss: Series = field(default_factory=Series)
    accuracy: Series = field(default_factory=Series)      # classification: on the whole training split …
    val_accuracy: Series = field(default_factory=Series)  # … and on the validation split
    grad_gaps: dict[str, float] = field(default_factory=dict)  # claims: largest gradient difference to another run
    lr: Series = field(default_factory=Series)  # the learning rate of each step (schedules move it)
    smoothed: Series = field(default_factory=Series)  # the loss's debiased EMA, as TensorBoard smooths it
    ema: tuple[float, float] = (0.0, 0.0)  # running (weighted sum, total weight) of the EMA
    path: Thinned = field(default_factory=lambda: Thinned(2))
    grads: Thinned | None = None  # per-parameter gradient norms, one row per frame
    graph: ModelGraph | None = None  # the autograd graph's structure (sent once)
    # a panel probe's values kept over time (Measured): a row per frame, by name (None until the first row)
    over_time: dict[str, Thinned | None] = field(default_factory=dict)
    latest: RunFrame | None = None
    held: dict[int, RunFrame] = field(default_factory=dict)  # the frames at steps a panel is held at (view.at)
    edits: list[int] = field(default_factory=list)  # steps where an edit changed its settings and it went on
    first_loss: float = math.nan  # the training split's loss before the first update
    baseline: float = math.nan    # the loss of the best constant prediction (a run that learned nothing)
    floor: float = math.nan       # the lowest loss the model can reach, where known (least squares)
    top_lr: float = 0.0           # the largest lr it has used (a schedule that ends at 0 freezes it)

    @property
    def diverged_at(self) -> int | None:
        return self.latest.diverged_at if self.latest is not None else None

    @property
    def current_loss(self) -> float:
        """The loss on the whole training split now: the run's loss wherever runs are compared."""
        return self.train_loss.last[1] if self.train_loss.last else math.nan

    status: str = "waiting"        # what a student would say of its curve (status.py), updated with each frame

    def judge(self, best_other: float, level: float | None = None, linear: bool = False,
              above_floor: bool = False) -> None:
        """Decide the status on the recent full-data losses; `best_other`: the lowest loss of the other live runs,
        compared with this run's `level` (status.run_status)."""
        step = self.latest.step if self.latest else 0
        points = list(self.recent)
        self.status = run_status(window(points, step), step=step,
                                 diverged_at=self.latest.diverged_at if self.latest else None,
                                 first=self.first_loss, baseline=self.baseline, floor=self.floor,
                                 best_other=best_other,
                                 held_out=self.held_out(),
                                 stopped=self.latest is not None and (self.latest.stopped_at is not None
                                                                      or _best_restored(self.latest)),
                                 level=level, frozen=self.latest is not None and self.top_lr > 0
                                 and self.latest.lr <= FROZEN * self.top_lr, linear=linear, above_floor=above_floor,
                                 earlier=self.train_loss.value_at(step * 2 / 3),
                                 recent=len(last_half(points, step)),
                                 sampled=self.settings.get("step_noise") == "batch")


    def lowest_val(self) -> tuple[int, float] | None:
        """(step, value) of the lowest finite validation loss so far (the first, on ties); None before one."""
        return _lowest(*self.val_loss.points())

    def held_out(self) -> tuple[float, float, float, float, bool] | None:
        """(validation loss now, its lowest, training loss now, training loss at that lowest's step, whether the
        validation loss has climbed steadily since) or None."""
        val_steps, val_values = self.val_loss.points()  # (sorted once a frame: the status reads it every frame)
        low = _lowest(val_steps, val_values)
        if low is None or self.val_loss.last is None:
            return None
        steps, values = self.train_loss.points()
        k = int(np.searchsorted(steps, low[0], side="right")) - 1
        if k < 0:
            return None
        since = val_values[val_steps >= low[0]].tolist()
        # its level now and at its lowest: medians of VAL_RECENT points, not single points (a dropout run's
        # held-out loss bounces 20% around a level that does not climb: one low or high point is noise)
        level, lowest = _level_now_and_lowest(val_values)
        return level, lowest, self.current_loss, float(values[k]), rising_since_lowest(since)


def _level_now_and_lowest(values: np.ndarray) -> tuple[float, float]:
    """The median of the last VAL_RECENT values and the lowest such median over the series (the last value and
    the lowest, while there are fewer, or where one is not finite)."""
    finite = values[np.isfinite(values)]
    if len(finite) < VAL_RECENT or len(finite) < len(values):
        return float(values[-1]), float(finite.min()) if len(finite) else math.nan
    medians = np.median(np.lib.stride_tricks.sliding_window_view(finite, VAL_RECENT), axis=1)
    return float(medians[-1]), float(medians.min())


def _lowest(steps: np.ndarray, values: np.ndarray) -> tuple[int, float] | None:
    """(step, value) of the lowest finite value (the first, on ties); None where there is none."""
    finite = np.isfinite(values)
    if not finite.any():
        return None
    k = int(np.argmin(np.where(finite, values, np.inf)))
    return int(steps[k]), float(values[k])


class History:
    """Everything recorded so far for one scenario run."""

    def __init__(self, labels: list[str], settings: list[dict[str, Any]], smoothing: float = 0.9,
                 checks: tuple[Check, ...] = (), holds: frozenset[int] = frozenset(), linear: bool = False,
                 above_floor: bool = False, measures: tuple[Measured, ...] = ()):
        self.per_frame = tuple(m.name for m in measures if m.kept == "over_time")  # kept as rows, a row a frame …
        self.per_step = tuple(m.name for m in measures if m.kept == "every_step")  # … or a row a step
        self.runs = [self._new_run(label, s) for label, s in zip(labels, settings)]
        self.linear = linear  # the loss is shown on a linear axis: a creep beside the fall made is flat
        self.above_floor = above_floor  # it is shown less its floor (view.above_floor): judged as drawn
        self.checks = checks
        self.holds = holds  # steps whose frames are kept: panels held there draw them all run long
        self.verdicts: list[Verdict | None] = [None] * len(checks)  # each claim's, once training reaches it
        self.smoothing = smoothing
        self.step = 0
        self.frames = 0
        self.surfaces: dict[int, Surface] = {}  # the latest surface of each group, by its first member

    def add_run(self, label: str, settings: dict[str, Any]) -> None:
        """One more run, from its first frame on (a watched script that starts another: logview.py)."""
        self.runs.append(self._new_run(label, settings))

    @classmethod
    def for_scenario(cls, scenario) -> History:
        """An empty history of the scenario's runs, which judges its claims."""
        history = cls([v.label for v in scenario.variants], [v.settings() for v in scenario.variants],
                      scenario.view.smoothing or 0.9, scenario.checks, frozenset(scenario.view.at.values()),
                      linear=not scenario.view.log_y, above_floor=scenario.view.above_floor,
                      measures=measured(scenario.view.panels))
        for index, variant in enumerate(scenario.variants):
            history.mark_branch(index, variant)
        return history

    def mark_branch(self, index: int, variant) -> None:
        """A branch (from = "label@step") takes its own settings at its step: marked there, as an edit is (✎)."""
        if variant.branch is not None:
            self.runs[index].edits.append(variant.branch[1])

    def add(self, frame: Frame) -> None:
        for k, rf in enumerate(frame.runs):
            self.add_run_frame(k, rf)
        self.judge_runs()
        for surface in frame.surfaces:
            self.surfaces[surface.members[0]] = surface
        self.step = frame.step
        self.frames += 1
        self._judge_claims()

    def add_run_frame(self, index: int, rf: RunFrame) -> None:
        """One run's frame (a watched run's log brings each run's on its own: logview.py); judge_runs after."""
        hist = self.runs[index]
        self._add_losses(hist, rf)
        if rf.grad_gaps is not None:
            hist.grad_gaps = rf.grad_gaps
        if rf.path is not None:
            assert rf.path_steps is not None  # the engine sends a path with its steps
            hist.path.extend(rf.path_steps, rf.path)
        if rf.graph is not None:
            hist.graph = rf.graph
        if rf.step > 0 and (hist.latest is None or rf.step > hist.latest.step):  # one row per new step
            self._add_rows(hist, rf)
        self._add_every_step(hist, rf)
        hist.latest = rf
        if math.isfinite(rf.lr):
            hist.top_lr = max(hist.top_lr, rf.lr)
        if rf.step in self.holds:  # (the engine stops at these steps, so a frame of each arrives)
            hist.held.setdefault(rf.step, rf)

    def judge_runs(self) -> None:
        """Each run's status, beside the others: runs are compared on what generalizes where every run has a
        validation split, else on the training loss."""
        held = all(h.val_loss.last is not None for h in self.runs)
        levels = [h.val_loss.last[1] if held and h.val_loss.last is not None else h.current_loss for h in self.runs]
        live = [v if h.latest is not None and h.latest.diverged_at is None else math.nan
                for h, v in zip(self.runs, levels)]
        for i, hist in enumerate(self.runs):
            hist.judge(min((v for k, v in enumerate(live) if k != i and v == v), default=math.nan), levels[i],
                       self.linear, self.above_floor)

    def _add_losses(self, hist: RunHistory, rf: RunFrame) -> None:
        """Every loss, lr and accuracy since the last frame."""
        hist.loss.extend(rf.loss_steps, rf.losses)
        hist.val_loss.extend(rf.val_steps, rf.val_losses)
        if rf.lrs is not None:
            hist.lr.extend(rf.loss_steps, rf.lrs)
        if len(rf.losses):
            hist.smoothed.extend(rf.loss_steps, self._smooth(hist, rf.losses))
        if rf.train_steps is not None and rf.train_losses is not None and len(rf.train_steps):
            if math.isnan(hist.first_loss):
                hist.first_loss = float(rf.train_losses[0])
            hist.train_loss.extend(rf.train_steps, rf.train_losses)
            hist.recent.extend(zip(rf.train_steps.tolist(), rf.train_losses.tolist()))
        hist.baseline, hist.floor = rf.baseline_loss, rf.floor_loss
        if rf.acc_steps is not None and len(rf.acc_steps):
            assert rf.accuracies is not None and rf.val_accuracies is not None  # (sent together)
            for series, values in ((hist.accuracy, rf.accuracies), (hist.val_accuracy, rf.val_accuracies)):
                given = ~np.isnan(values)  # (a watched script may give one and not the other)
                if given.any():
                    series.extend(rf.acc_steps[given], values[given])

    def _add_rows(self, hist: RunHistory, rf: RunFrame) -> None:
        """A new step's row of each per-layer history: gradient norms, a panel probe's values."""
        step = np.array([rf.step])
        if hist.grads is None:
            hist.grads = Thinned(len(rf.grad_norms), capacity=GRAD_CAPACITY)
        hist.grads.extend(step, rf.grad_norms[None, :])
        for name in self.per_frame:
            row = (rf.measured or {}).get(name)
            if row is None:  # not measured at this frame (a watched loop probes less often than it logs)
                continue
            rows = hist.over_time[name] or Thinned(row.size, capacity=GRAD_CAPACITY)
            rows.extend(step, row.reshape(1, -1))
            hist.over_time[name] = rows

    def _add_every_step(self, hist: RunHistory, rf: RunFrame) -> None:
        """The rows a panel probe measured at every step since the last frame (Measured "every_step")."""
        for name in self.per_step:
            steps, rows = (rf.measured or {}).get(name, ((), None))
            if len(steps):
                kept = hist.over_time[name] or Thinned(rows.shape[1], capacity=SERIES_CAPACITY)
                kept.extend(steps, rows)
                hist.over_time[name] = kept

    def _new_run(self, label: str, settings: dict[str, Any]) -> RunHistory:
        return RunHistory(label, settings, over_time=dict.fromkeys(self.per_frame + self.per_step))

    def _judge_claims(self) -> None:
        """Judge each claim once, at the first frame where its runs have reached its step (the engine stops
        there) or, for a claim about the end, have all finished."""
        by_label = {h.label: h for h in self.runs}
        for k, check in enumerate(self.checks):
            if self.verdicts[k] is not None:
                continue
            if any(label not in by_label for label in check.claim.runs):  # (renamed by an edit: wait for its name)
                continue
            runs = [by_label[label] for label in check.claim.runs]
            if due(check.at, runs):
                step = min(r.latest.step for r in runs if r.latest is not None)
                # a claim about step `at` is judged on that step's numbers or fails saying what was missing:
                # waiting would judge it on a later step's
                waiting = check.at is None and not all(r.latest is not None and r.latest.finished for r in runs)
                self.verdicts[k] = evaluate(check.claim, by_label, step, wait=waiting)

    def restart(self, index: int, label: str, settings: dict[str, Any], checks: tuple[Check, ...] | None = None) -> None:
        """Run `index` starts over (an edit): its history is new, the others keep theirs. `checks`: the edited
        scenario's claims (they follow the run's new label); a claim about the run is judged again."""
        self.runs[index] = self._new_run(label, settings)
        if checks is not None:
            self.checks = checks
        for k, check in enumerate(self.checks):
            if label in check.claim.runs:
                self.verdicts[k] = None

    def retune(self, index: int, step: int, label: str, settings: dict[str, Any],
               checks: tuple[Check, ...] | None = None) -> None:
        """Run `index` goes on with edited settings from `step`: its history stays, under its new label and
        settings, with the step marked. Its claims follow the new label; those already judged stay judged."""
        run = self.runs[index]
        run.label, run.settings = label, settings
        run.edits.append(step)
        if checks is not None:
            self.checks = checks

    def _smooth(self, hist: RunHistory, losses: np.ndarray) -> np.ndarray:
        """The run's loss smoothed as it arrives (smoothing.py); NaN/Inf pass through."""
        out, hist.ema = carried_ema(losses, hist.ema, self.smoothing)
        return out

    def to_record(self, *, scenario: str, title: str, device: str, seed: int,
                  parameters: list[dict[str, list]] | None = None, complete: bool = True,
                  neurons: bool = False) -> dict[str, Any]:
        """The JSON record; `neurons`: with every unit's picture at the end (headless --neurons)."""
        runs = [_run_record(h, parameters[i] if parameters else None, neurons) for i, h in enumerate(self.runs)]
        checks = [{"say": c.say, "that": c.claim.text, "at": c.at,
                   "passed": None if v is None else v.passed, "measured": None if v is None else v.shown,
                   "step": None if v is None else v.step} for c, v in zip(self.checks, self.verdicts)]
        return {"nntui_record": RECORD_VERSION, "scenario": scenario, "title": title, "device": device,
                "seed": seed, "complete": complete, "runs": runs, "checks": checks}


def _numbers(values) -> list:
    return [json_number(v) for v in values]


def _run_record(h: RunHistory, parameters: dict[str, list] | None, neurons: bool) -> dict[str, Any]:
    """One run in the JSON record: its losses (as decimated in the history), accuracies, end state and status."""
    steps, losses = h.loss.points()
    vsteps, vlosses = h.val_loss.points()
    tsteps, tlosses = h.train_loss.points()
    latest = h.latest
    end = {name: getattr(latest, name) if latest else None
           for name in ("diverged_at", "stopped_at", "best_step", "zero_weights", "weight_count")}
    classified = len(h.accuracy) > 0
    record = {
        "label": h.label,
        "settings": h.settings,
        "steps_done": latest.step if latest else 0,
        "steps": steps.tolist(),
        "loss": _numbers(losses),
        "decimation": h.loss.width,
        "train_steps": tsteps.tolist(),
        "train_loss": _numbers(tlosses),
        "accuracy": _numbers(h.accuracy.points()[1]) if classified else None,
        "val_accuracy": _numbers(h.val_accuracy.points()[1]) if len(h.val_accuracy) else None,
        "accuracy_steps": h.accuracy.points()[0].tolist() if classified else None,
        "val_steps": vsteps.tolist(),
        "val_loss": _numbers(vlosses),
        "final_loss": json_number(h.current_loss),
        **end,
        "status": h.status,
        "edited_at": list(h.edits),
        "parameters": _clean(parameters) if parameters else None,
    }
    shapes = dict(zip(latest.param_names, latest.param_shapes)) if latest else {}
    kernels = [w for name, w in (parameters or {}).items() if len(shapes.get(name, ())) == 4]
    if kernels:  # a cnn's filters by block, as the filters panel draws them: (out channels, in channels, k, k)
        record["filters"] = {f"conv{k + 1}": _clean(w) for k, w in enumerate(kernels)}
    if neurons:
        record["neurons"] = _neurons((latest.measured or {}).get("neurons") if latest is not None else None)
    return record


def _neurons(n) -> dict[str, Any] | None:
    """Each unit's picture over the data's plane (to 4 decimals), the weights and which units are dead."""
    if n is None:
        return None
    rounded = [_clean(np.round(g.astype(np.float64), 4).tolist()) for g in n.grids]
    return {"inputs": list(n.inputs), "x_range": list(n.x_range), "y_range": list(n.y_range),
            "columns": rounded, "weights": [_clean(w.astype(np.float64).tolist()) for w in n.weights],
            "biases": [None if b is None else _clean(b.astype(np.float64).tolist()) for b in n.biases],
            "dead": [d.tolist() for d in n.dead]}


def json_number(v: float) -> float | None:
    """JSON has no NaN/Inf: they are written as null."""
    return float(v) if math.isfinite(v) else None


def _clean(value: Any) -> Any:
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, float):
        return json_number(value)
    return value


def dumps(record: dict[str, Any]) -> str:
    return json.dumps(record, indent=1, allow_nan=False)


def _best_restored(frame: RunFrame) -> bool:
    """The run ended with early stopping's best weights put back though patience never ran out: its curve
    jumps back up at the end, which is the restore, not an oscillation."""
    return (frame.finished and frame.diverged_at is None and frame.best_step is not None
            and frame.best_step < frame.step)
