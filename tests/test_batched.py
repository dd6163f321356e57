"""Batched variants (one vmapped computation per group of SGD runs) give the numbers of running them one by one."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.engine import Engine
from nntui.scenario import load, load_text

from .conftest import MINIMAL


def trajectories(engine: Engine, steps: int, chunk: int = 25) -> tuple[list, list]:
    losses: list[list[float]] = [[] for _ in engine.runs]
    while not engine.finished and engine.step < steps:
        engine.advance(chunk)
        for i, f in enumerate(engine.frame().runs):
            losses[i] += f.losses.tolist()
    return losses, engine.final_parameters()


# dead_relu's lr 2 run is chaotic: any change in the order of float additions (a different BLAS, thread count
# or this batching) grows from 1e-7 to order 1 within ~50 steps, so it is compared over its first 30 steps
@pytest.mark.parametrize("name, steps", [("lr_sweep", 300), ("batch_size", 200), ("dead_relu", 30)])
def test_batched_runs_equal_one_by_one(name, steps):
    sc = load(name).with_steps(steps)
    batched = Engine(sc, "cpu")
    alone = Engine(sc, "cpu", batched=False)
    assert batched.batches and not alone.batches
    got, got_params = trajectories(batched, steps)
    want, want_params = trajectories(alone, steps)
    assert [r.diverged_at for r in batched.runs] == [r.diverged_at for r in alone.runs]
    assert all(r.train_seconds > 0 for r in batched.runs)  # each run is charged the batch's time (steps/s)
    for g, w in zip(got, want):
        # float32 rounding differs (one bmm instead of K mm); a diverging run amplifies it ×1.03 a step
        assert len(g) == len(w) and g == pytest.approx(w, rel=1e-4, abs=1e-6)
    for gp, wp in zip(got_params, want_params):
        for key in wp:
            assert np.ravel(gp[key]) == pytest.approx(np.ravel(wp[key]), rel=1e-4, abs=1e-5)


def test_momentum_nesterov_and_weight_decay_match_torch_sgd(tmp_path):
    text = MINIMAL.replace("steps = 5", "steps = 80") + (
        '[[variant]]\nlabel = "plain"\n'
        '[[variant]]\nlabel = "momentum"\ntrain = { momentum = 0.9 }\n'
        '[[variant]]\nlabel = "nesterov"\ntrain = { momentum = 0.5, nesterov = true, weight_decay = 0.01 }\n')
    sc = load_text(text, source="m.toml", base_dir=tmp_path)
    got, _ = trajectories(Engine(sc, "cpu"), 80, chunk=7)
    want, _ = trajectories(Engine(sc, "cpu", batched=False), 80, chunk=7)
    for g, w in zip(got, want):
        assert g == pytest.approx(w, rel=1e-5, abs=1e-7)


def test_only_plain_sgd_runs_on_the_same_batches_are_grouped():
    assert len(Engine(load("lr_sweep"), "cpu").batches[0].runs) == 6
    assert not Engine(load("optimizers"), "cpu").batches  # surfaces, Adam, RMSProp: each on its own
    sizes = Engine(load("batch_size"), "cpu").batches  # different batch sizes: different batches
    assert sorted(len(b.runs) for b in sizes) == [2]  # batch 8 at lr 0.05 and at lr 0.025
