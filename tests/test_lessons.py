"""Each built-in lesson, run through the engine: the fact it teaches holds, numerically."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.engine import Engine
from nntui.scenario import load
from nntui.ui.app import NNTuiApp

from .conftest import wait_idle


def run_frames(engine: Engine, chunk: int = 10) -> list:
    frames = [engine.frame()]
    while not engine.finished:
        engine.advance(chunk)
        frames.append(engine.frame())
    return frames


def test_gd_contours_ends_at_the_least_squares_solution():
    sc = load("gd_contours")
    engine = Engine(sc, "cpu")
    run_frames(engine)
    ds = sc.variants[0].dataset
    design = np.hstack([ds.x_train.astype(np.float64), np.ones((ds.n_train, 1))])
    w, b = np.linalg.lstsq(design, ds.y_train[:, 0], rcond=None)[0]
    params = engine.final_parameters()[0]
    assert params["weight"][0][0] == pytest.approx(w, abs=1e-4) and params["bias"][0] == pytest.approx(b, abs=1e-4)


def test_vanishing_gradients_sigmoid_fades_relu_keeps_them():
    engine = Engine(load("vanishing_gradients"), "cpu")
    engine.advance(1)
    sigmoid, relu = engine.frame().runs
    layers = [i for i, shape in enumerate(sigmoid.param_shapes) if len(shape) == 2]
    assert len(layers) == 10
    s, r = sigmoid.grad_norms[layers], relu.grad_norms[layers]
    assert s[0] < 1e-3 * s[-1], f"sigmoid L1/L10 = {s[0] / s[-1]:.2e}"
    assert r.max() < 10 * r.min(), f"relu spread {r.max() / r.min():.1f}x"
    engine.advance(149)
    sigmoid, relu = engine.frame().runs
    assert sigmoid.losses[-1] > 1.3 and relu.losses[-1] < 0.1  # sigmoid never leaves ln 4 ≈ 1.386


def test_optimizers_momentum_beats_sgd_in_the_valley():
    sc = load("optimizers").with_steps(1000)

    def steps_to(index: int, threshold: float = 1e-4) -> int:
        engine = Engine(sc, "cpu")
        run = engine.runs[index]
        while run.active:
            engine.advance(1)
            if run.loss_log[-1][1] < threshold:
                return run.step
        return 1000

    sgd, momentum, rmsprop, adam = (steps_to(i) for i in range(4))
    assert momentum < sgd / 2, (sgd, momentum)
    assert max(sgd, momentum, rmsprop, adam) < 1000  # all of them get there


def test_binary_classification_loss_below_0_1_within_20_epochs():
    sc = load("binary_classification")
    engine = Engine(sc, "cpu")
    frames = run_frames(engine, chunk=8)
    losses = np.concatenate([f.runs[0].losses for f in frames])
    per_epoch = len(losses) // 20
    assert sc.variants[0].steps == 20 * per_epoch
    assert losses[:per_epoch].mean() > 0.5 and losses[-per_epoch:].mean() < 0.1


@pytest.mark.parametrize("name, steps", [("gd_contours", 20), ("vanishing_gradients", 30), ("optimizers", 25),
                                         ("binary_classification", 80)])
def test_lesson_snapshots(snap_compare, name, steps):
    app = NNTuiApp(load(name), device="cpu", run_steps=steps)
    assert snap_compare(app, terminal_size=(120, 40), run_before=lambda pilot: wait_idle(pilot.app, pilot))
