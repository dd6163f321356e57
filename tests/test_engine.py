"""Engine numerics: least squares, divergence, determinism, the lr_sweep lesson, devices."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch

from nntui import catalog
from nntui.commands import Reset, StepOnce, Toggle
from nntui.engine import Engine
from nntui.errors import DeviceError
from nntui.runner import Runner
from nntui.scenario import load
from nntui.scenario.loader import load_path

from .conftest import MINIMAL


def run_to_end(engine: Engine) -> list:
    frames = [engine.frame()]
    while not engine.finished:
        engine.advance(64)
        frames.append(engine.frame())
    return frames


def losses_of(frames, i: int) -> np.ndarray:
    return np.concatenate([f.runs[i].losses for f in frames])


def test_linear_model_reaches_least_squares(write_scenario):
    text = MINIMAL.replace("slope = 2.0", "slope = 2.0\nintercept = -1.0\nnoise = 0.3").replace("steps = 5", "steps = 3000")
    sc = load_path(write_scenario(text))
    engine = Engine(sc, "cpu")
    run_to_end(engine)
    ds = sc.variants[0].dataset
    design = np.hstack([ds.x_train.astype(np.float64), np.ones((ds.n_train, 1))])
    (w, b), *_ = np.linalg.lstsq(design, ds.y_train[:, 0].astype(np.float64), rcond=None)
    params = engine.final_parameters()[0]
    assert params["weight"][0][0] == pytest.approx(w, abs=1e-3)
    assert params["bias"][0] == pytest.approx(b, abs=1e-3)


def test_lr_sweep_largest_lr_diverges_all_others_converge():
    sc = load("lr_sweep")
    engine = Engine(sc, "cpu")
    frames = run_to_end(engine)
    last = frames[-1].runs
    assert max(v.train.lr for v in sc.variants) == sc.variants[-1].train.lr == 0.03
    assert last[-1].diverged_at is not None and last[-1].finished
    # the stability limit is 2/λmax(H); H = 2·E[(x,1)(x,1)ᵀ]
    x = sc.variants[0].dataset.x_train[:, 0].astype(np.float64)
    hessian = 2 * np.array([[np.mean(x * x), np.mean(x)], [np.mean(x), 1.0]])
    limit = 2 / np.linalg.eigvalsh(hessian).max()
    assert 0.028 < limit < 0.03 and limit == pytest.approx(0.0298, abs=5e-5)
    ds = sc.variants[0].dataset
    design = np.hstack([ds.x_train.astype(np.float64), np.ones((ds.n_train, 1))])
    resid = np.linalg.lstsq(design, ds.y_train[:, 0], rcond=None)[1][0] / ds.n_train
    for run, variant in zip(last[:-1], sc.variants[:-1]):
        assert run.diverged_at is None and run.step == 300
        losses = losses_of(frames, sc.variants.index(variant))
        assert np.isfinite(losses).all() and losses[-1] < 0.05 * losses[0]
        assert losses[-1] < 1.1 * resid  # close to the least-squares optimum


def test_divergence_on_nan_stops_only_that_run(write_scenario):
    text = MINIMAL.replace("steps = 5", "steps = 200") + "[sweep]\nlr = [0.1, 50.0]\n"
    engine = Engine(load_path(write_scenario(text)), "cpu")
    frames = run_to_end(engine)
    good, bad = frames[-1].runs
    assert good.diverged_at is None and good.step == 200
    assert bad.diverged_at is not None and bad.step == bad.diverged_at < 200
    weights = engine.final_parameters()[1]
    assert all(np.isfinite(w).all() for w in weights.values()), "parameters stay those that produced the last loss"


def test_variants_share_initial_weights_and_are_deterministic():
    sc = load("lr_sweep")
    a, b = Engine(sc, "cpu"), Engine(sc, "cpu")
    fa, fb = run_to_end(a), run_to_end(b)
    for i in range(len(sc.variants)):
        assert np.array_equal(losses_of(fa, i), losses_of(fb, i))
    first = {float(f) for f in (losses_of(fa, i)[0] for i in range(len(sc.variants)))}
    assert len(first) == 1, "same data + same initial weights → same first loss"


def test_minibatch_classification_mlp_learns(write_scenario):
    text = """
    [scenario]
    title = "circles"
    seed = 3
    [data]
    kind = "circles"
    n = 200
    noise = 0.05
    validation = 0.25
    [model]
    kind = "mlp"
    layers = [16, 16]
    activation = "relu"
    init = "he"
    [train]
    loss = "bce_with_logits"
    optimizer = "adam"
    lr = 0.05
    batch_size = 32
    epochs = 40
    eval_every = 5
    """
    sc = load_path(write_scenario(text))
    engine = Engine(sc, "cpu")
    frames = run_to_end(engine)
    losses = losses_of(frames, 0)
    assert losses[-20:].mean() < 0.15 < losses[0]
    val = np.concatenate([f.runs[0].val_losses for f in frames])
    assert len(val) > 10 and val[-1] < 0.2
    last = frames[-1].runs[0]
    assert last.param_names == ("0.weight", "0.bias", "2.weight", "2.bias", "4.weight", "4.bias")
    assert last.param_shapes == ((16, 2), (16,), (16, 16), (16,), (1, 16), (1,))
    assert np.isfinite(last.grad_norms).all()


def test_multiclass_blobs_with_cross_entropy(write_scenario):
    text = """
    [scenario]
    title = "blobs"
    [data]
    kind = "blobs"
    n = 200
    centers = [[-1, -1], [1, 1], [-1, 1], [1, -1]]
    [model]
    kind = "mlp"
    layers = [8]
    [train]
    loss = "cross_entropy"
    optimizer = "sgd"
    momentum = 0.9
    nesterov = true
    lr = 0.1
    steps = 200
    """
    engine = Engine(load_path(write_scenario(text)), "cpu")
    frames = run_to_end(engine)
    assert losses_of(frames, 0)[-1] < 0.1


@pytest.mark.parametrize("optimizer", catalog.OPTIMIZERS)  # every catalog entry, not a hand list (adamw had been missing)
def test_every_optimizer_trains(write_scenario, optimizer):
    text = MINIMAL.replace("lr = 0.1", f'lr = 0.05\noptimizer = "{optimizer}"').replace("steps = 5", "steps = 100")
    engine = Engine(load_path(write_scenario(text)), "cpu")
    frames = run_to_end(engine)
    losses = losses_of(frames, 0)
    assert losses[-1] < losses[0]


@pytest.mark.parametrize("init, check", [
    ("zeros", lambda w: np.all(w == 0)),
    ("normal", lambda w: 0.005 < w.std() < 0.02),
    ("xavier", lambda w: 0.1 < w.std() < 0.25),   # √(2/(64+64)) = 0.125
    ("he", lambda w: 0.13 < w.std() < 0.22),       # √(2/64) = 0.177
])
def test_weight_inits(write_scenario, init, check):
    text = MINIMAL.replace('[model]\nkind = "linear"', f'[model]\nkind = "mlp"\nlayers = [64, 64]\ninit = "{init}"')
    engine = Engine(load_path(write_scenario(text)), "cpu")
    w = np.array(engine.final_parameters()[0]["2.weight"])
    assert check(w)


def test_missing_gpu_is_a_clear_error():
    for kind, present in (("cuda", torch.cuda.is_available()), ("mps", torch.backends.mps.is_available())):
        if present:
            continue
        with pytest.raises(DeviceError) as info:
            Engine(load("lr_sweep"), kind)
        message = str(info.value)
        assert "\n" not in message and kind in message and "--device cpu" in message


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_cuda_matches_cpu():
    sc = load("lr_sweep")
    cpu, gpu = run_to_end(Engine(sc, "cpu")), run_to_end(Engine(sc, "cuda"))
    assert np.allclose(losses_of(cpu, 2), losses_of(gpu, 2), rtol=1e-3)


def test_auto_device_resolves():
    engine = Engine(load("lr_sweep"))
    assert engine.device in ("cpu", "cuda", "mps")


def test_after_a_trainer_error_reset_starts_it_again(monkeypatch):
    real = Engine.advance

    def broken(self, *args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(Engine, "advance", broken)
    runner = Runner(load("lr_sweep"), device="cpu", playing=False, questions=False)
    runner.start()
    runner.send(StepOnce())

    def wait(predicate):
        deadline = time.monotonic() + 30
        while not predicate():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.02)

    wait(lambda: runner.view().state == "error")
    assert "boom" in runner.view().error
    monkeypatch.setattr(Engine, "advance", real)
    runner.send(Reset())  # r: a fresh trainer
    wait(lambda: runner.view().state == "ready")
    runner.send(StepOnce())
    wait(lambda: runner.view().step >= 1 and runner.idle)
    # exactly the one step asked for: the step the failed trainer owed must not be taken too (it was, and under
    # load both landed between two polls of `step == 1`: CI timed out)
    assert runner.view().step == 1 and runner.view().error is None
    runner.stop()


def test_a_pause_mid_chunk_stops_at_the_next_step_and_idle_means_no_more_steps():
    # at full speed a chunk of steps runs for up to 50 ms; pausing used to let it finish while `idle`
    # already said there was nothing left, so a test (or a view) saw the step count move after idle
    runner = Runner(load("lr_sweep").with_steps(10_000_000), device="cpu", speed="max", questions=False)
    runner.start()
    try:
        deadline = time.monotonic() + 30
        while runner.view().step < 200:
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.01)
        for _ in range(5):
            runner.send(Toggle())  # pause, mid-chunk
            while not runner.idle:
                time.sleep(0.001)
            paused_at = runner.view().step
            time.sleep(0.1)
            assert runner.view().step == paused_at and not runner.view().playing
            runner.send(Toggle())  # play on
            time.sleep(0.03)
    finally:
        runner.stop()
