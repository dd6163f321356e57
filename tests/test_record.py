"""The record: bounded histories that keep spikes and divergence; JSON without NaN."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from nntui.frames import Frame, RunFrame
from nntui.record import SERIES_CAPACITY, History, Series, dumps


def test_series_is_exact_while_small():
    s = Series(capacity=100)
    s.extend(np.arange(50), np.arange(50) * 2.0)
    steps, values = s.points()
    assert steps.tolist() == list(range(50)) and values.tolist() == [2.0 * i for i in range(50)]


def test_series_stays_bounded_and_keeps_extremes():
    s = Series(capacity=256)
    steps = np.arange(1_000_000)
    values = np.sin(steps / 1000.0)
    values[777_777] = 50.0      # a spike
    values[999_998] = math.nan  # divergence at the end
    for start in range(0, len(steps), 10_000):
        s.extend(steps[start:start + 10_000], values[start:start + 10_000])
    pts, vals = s.points()
    assert len(s) <= 256 and len(pts) <= 512
    assert 777_777 in pts.tolist() and 50.0 in vals.tolist()
    assert np.isnan(vals).any()
    assert np.all(np.diff(pts) > 0)
    assert s.last == (999_999, values[-1])


def test_json_writes_non_finite_as_null():
    text = dumps({"a": [1.0, None]})
    assert json.loads(text) == {"a": [1.0, None]}


def frame(step: int, steps: np.ndarray, val_steps: np.ndarray) -> RunFrame:
    """What the engine sends for one run: every new training loss, a validation loss every eval_every steps."""
    return RunFrame(label="run", step=step, loss_steps=steps, losses=1.0 / (1.0 + steps), lrs=np.full(len(steps), 0.1),
                    val_steps=val_steps, val_losses=2.0 / (1.0 + val_steps), diverged_at=None, finished=False,
                    param_names=("w",), param_shapes=((1,),), grad_norms=np.ones(1))


@pytest.mark.parametrize("eval_every", [1, 2, 10, 7])
def test_history_past_the_size_where_each_series_halves(eval_every):
    # validation losses come every eval_every steps: their bucket ids are not consecutive, and with
    # eval_every 10 the first halving merged nothing, so step 20,490 wrote past the end (IndexError)
    history = History(["run"], [{}])
    total = SERIES_CAPACITY * eval_every * 2 + 3 * eval_every  # through the first and second halvings
    for start in range(0, total, 50):  # one frame per 50 steps, as at full speed
        steps = np.arange(start, min(start + 50, total))
        step = int(steps[-1]) + 1
        history.add(Frame(step, (frame(step, steps, steps[steps % eval_every == 0]),)))
    run = history.runs[0]
    for series in (run.loss, run.val_loss, run.smoothed):
        points, values = series.points()
        assert len(series) <= SERIES_CAPACITY and np.all(np.diff(points) > 0)
        assert points[0] == 0 and values[0] == values.max()  # the first (largest) loss is kept
    last_val = (total - 1) // eval_every * eval_every
    assert run.val_loss.last == (last_val, 2.0 / (1.0 + last_val))
    assert run.val_loss.points()[0][-1] == last_val


def test_a_series_fed_in_chunks_equals_one_fed_point_by_point():
    # extend() takes a bucket's worth of points at a time: the same buckets, minima, maxima and NaNs as one
    # point at a time, across halvings, whatever the chunk size
    rng = np.random.default_rng(1)
    steps = np.cumsum(rng.integers(1, 4, 3000))
    values = rng.normal(size=3000)
    values[rng.integers(0, 3000, 40)] = np.nan
    values[rng.integers(0, 3000, 10)] = np.inf
    one = Series(capacity=64)
    for s, v in zip(steps, values):
        one.extend(np.array([s]), np.array([v]))  # one point at a time: the bucket rule applied point by point
    for chunk in (7, 50, 3000):
        many = Series(capacity=64)
        for k in range(0, 3000, chunk):
            many.extend(steps[k:k + chunk], values[k:k + chunk])
        assert many.width == one.width > 1 and repr(many.last) == repr(one.last)
        for a, b in zip(many.points(), one.points()):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("capacity", [8, 64, 2048])
def test_a_series_value_at_a_step_is_the_last_point_at_or_before_it(capacity):
    # the status asks for the loss two thirds of the steps ago every frame: found by bucket, without sorting
    # every point, and the same as reading the drawn points
    rng = np.random.default_rng(capacity)
    steps, values = np.cumsum(rng.integers(1, 4, 3000)), rng.normal(size=3000)
    series = Series(capacity)
    for a in range(0, 3000, 37):
        series.extend(steps[a:a + 37], values[a:a + 37])
    drawn_steps, drawn_values = series.points()
    for step in [*rng.uniform(-5, steps[-1] + 5, 300), *drawn_steps[:50].astype(float)]:
        k = int(np.searchsorted(drawn_steps, step, side="right")) - 1
        want = float(drawn_values[k]) if k >= 0 else math.nan
        got = series.value_at(step)
        assert got == want or math.isnan(got) and math.isnan(want), (step, got, want)
