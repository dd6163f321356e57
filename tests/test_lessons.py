"""Each built-in lesson, run through the engine: the fact it teaches holds, numerically."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from nntui.engine import Engine
from nntui.engine.device import available
from nntui.scenario import list_builtin, load
from nntui.ui.app import NNTuiApp

from .conftest import wait_idle


def run_frames(engine: Engine, chunk: int = 10) -> list:
    frames = [engine.frame()]
    while not engine.finished:
        engine.advance(chunk)
        frames.append(engine.frame())
    return frames


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


LESSON_SNAPSHOTS = [
    ("gd_contours", 20), ("vanishing_gradients", 30), ("optimizers", 25), ("binary_classification", 80),
    ("autograd_basics", 2), ("manual_vs_autograd", 50), ("linear_regression", 40), ("nonlinear_regression", 300),
    ("batch_size", 100), ("input_normalization", 15), ("multiclass", 60), ("activations", 150),
    ("exploding_gradients", 1), ("weight_init", 1), ("dead_relu", 40), ("batch_norm", 20), ("lr_schedules", 200),
    ("grad_accumulation", 40), ("devices", 3), ("overfitting", 700), ("regularization", 700),
    ("early_stopping", 600), ("data_size", 700), ("features_vs_depth", 150), ("hidden_units", 600),
    ("conv_filters", 150), ("pooling_receptive_field", 150), ("conv_vs_mlp", 200), ("lenet_digits", 300),
    ("momentum", 50), ("edge_of_stability", 300),
]


@pytest.mark.parametrize("name, steps", LESSON_SNAPSHOTS)
def test_lesson_snapshots(snap_compare, monkeypatch, name, steps):
    ticks = iter(range(10**9))  # a fake clock: each reading is 5 ms later, so every run shows 200 steps/s
    monkeypatch.setattr("nntui.engine.run.clock", lambda: next(ticks) * 0.005)
    app = NNTuiApp(load(name), device="cpu", run_steps=steps)
    assert snap_compare(app, terminal_size=(120, 40), run_before=lambda pilot: wait_idle(pilot.app, pilot))


def test_every_builtin_lesson_has_a_snapshot():
    assert {name for name, _ in LESSON_SNAPSHOTS} | {"lr_sweep", "computation_graph", "mlp_graph", "backprop_order"} == {
        info.name for info in list_builtin()}


# ---------------------------------------------------------------------------- helpers


def full_loss(run) -> float:
    """The loss of a run's model on its whole training split (not one mini-batch)."""
    with torch.no_grad():
        return float(run.loss_fn(run.model(run.x), run.y))


def least_squares(ds) -> tuple[np.ndarray, float]:
    """Closed-form least squares with an intercept column; returns (coefficients, best mean squared error)."""
    design = np.hstack([ds.x_train.astype(np.float64), np.ones((ds.n_train, 1))])
    coef = np.linalg.lstsq(design, ds.y_train[:, 0].astype(np.float64), rcond=None)[0]
    return coef, float(np.mean((design @ coef - ds.y_train[:, 0]) ** 2))


def accuracy(run, x, y) -> float:
    with torch.no_grad():
        out = run.model(x)
    pred = out.argmax(1) if out.shape[1] > 1 else (out[:, 0] > 0).long()
    return float((pred == (y if y.dim() == 1 else y[:, 0].long())).float().mean())


def weight_layers(frame) -> list[int]:
    return [i for i, shape in enumerate(frame.param_shapes) if len(shape) == 2]


# ---------------------------------------------------------------------------- autograd


def test_autograd_basics_gradient_is_minus_9_33_and_forgetting_zero_grad_adds_them_up():
    engine = Engine(load("autograd_basics"), "cpu")
    fresh, forgotten = engine.runs
    engine.advance(1)
    assert float(fresh.params[0].grad) == pytest.approx(-28 / 3, abs=1e-4)  # 2/3·(−1 − 4 − 9)
    assert float(forgotten.params[0].grad) == pytest.approx(-28 / 3, abs=1e-4)
    engine.advance(1)
    w1 = 1 + 0.02 * 28 / 3  # after one SGD step
    g1 = 2 / 3 * (w1 - 2) * 14  # ∂L/∂w at w1: Σ xᵢ² = 14
    assert float(fresh.params[0].grad) == pytest.approx(g1, abs=1e-4)
    assert float(forgotten.params[0].grad) == pytest.approx(-28 / 3 + g1, abs=1e-4)  # the old one is still there
    # backward twice at the same w, no zero_grad in between: exactly double
    model, x, y = fresh.model, fresh.x, fresh.y
    g_now = 2 / 3 * (fresh.params[0].item() - 2) * 14
    model.zero_grad()
    for _ in range(2):
        fresh.loss_fn(model(x), y).backward()
    assert float(fresh.params[0].grad) == pytest.approx(2 * g_now, abs=1e-4)
    engine.advance(58)
    assert fresh.params[0].item() == pytest.approx(2.0, abs=1e-3) and abs(forgotten.params[0].item() - 2) > 0.05


# ---------------------------------------------------------------------------- regression


# ---------------------------------------------------------------------------- gradient descent


def test_batch_size_smaller_batches_bounce_more_and_halving_lr_acts_like_a_bigger_batch():
    sc = load("batch_size")
    engine = Engine(sc, "cpu")
    _, best = least_squares(sc.variants[0].dataset)
    excess = {r.label: [] for r in engine.runs}
    while not engine.finished:
        engine.advance(1)
        if engine.step > 300:  # after the descent: how far above the minimum does each run stay?
            for r in engine.runs:
                excess[r.label].append(full_loss(r) - best)
    mean = {label: float(np.mean(v)) for label, v in excess.items()}
    full, b32, b8, b1, b8_half = mean.values()
    assert full < 1e-6 < b32 < b8 < b1, mean
    assert b32 < b8_half < b8, mean  # lr ÷ 2 at batch 8 sits between batch 8 and batch 32


def test_input_normalization_rounds_the_contours():
    sc = load("input_normalization")
    conditions = []
    for v in sc.variants:
        x = v.dataset.x_train.astype(np.float64)
        eig = np.linalg.eigvalsh(2 * x.T @ x / len(x))
        conditions.append(eig[-1] / eig[0])
    raw, standardized = conditions
    assert raw > 50 and standardized < 2, conditions
    engine = Engine(sc, "cpu")
    best = [least_squares(v.dataset)[1] for v in sc.variants]  # (the intercept column is ~0 here)
    reached: dict[int, int] = {}
    while not engine.finished:
        engine.advance(1)
        for i, r in enumerate(engine.runs):
            if i not in reached and full_loss(r) < best[i] * 1.05:
                reached[i] = engine.step
    assert reached[1] * 10 < reached.get(0, 10_000), reached
    assert len(engine.frame().surfaces) == 2  # one surface per run: different inputs, different losses


# ---------------------------------------------------------------------------- classification


def test_activations_slopes_and_flat_regions():
    from nntui.engine.build import activation

    def slope(name: str, z: float) -> float:
        t = torch.tensor(z, requires_grad=True)
        activation(name)(t).backward()
        return float(t.grad)

    assert slope("sigmoid", 0.0) == pytest.approx(0.25)
    assert slope("tanh", 0.0) == pytest.approx(1.0)
    assert slope("relu", -1.0) == 0.0 and slope("relu", 1.0) == 1.0
    assert slope("leaky_relu", -1.0) == pytest.approx(0.01)
    assert slope("elu", -1.0) == pytest.approx(math.exp(-1))
    assert slope("silu", 0.0) == pytest.approx(0.5)
    assert slope("sigmoid", 10.0) < 1e-4 and slope("tanh", -10.0) < 1e-8  # saturated: flat
    engine = Engine(load("activations"), "cpu")
    engine.advance(200)
    losses = {r.label: full_loss(r) for r in engine.runs}
    assert losses["sigmoid"] > 0.6 > 0.15 > max(losses[a] for a in ("tanh", "relu", "leaky_relu", "selu")), losses


# ---------------------------------------------------------------------------- deep networks


def test_exploding_gradients_grow_toward_the_input():
    engine = Engine(load("exploding_gradients"), "cpu")
    engine.advance(1)
    large, xavier = engine.frame().runs
    g = large.grad_norms[weight_layers(large)]
    assert (np.diff(g[1:]) < 0).all(), g  # from L2 to L8 each layer's gradient is smaller than the one before
    assert g[0] > 10 * g[-1], g
    x = xavier.grad_norms[weight_layers(xavier)]
    assert x.max() < 3 * x.min(), x


def test_weight_init_activation_std_decays_saturates_or_stays():
    engine = Engine(load("weight_init"), "cpu")
    runs = {r.label: r.measured["dists"]["activations"].std for r in engine.frame().runs}
    tiny, large, xavier = runs["N(0, 0.01²)"], runs["N(0, 1)"], runs["xavier"]
    assert (tiny[1:] < 0.2 * tiny[:-1]).all() and tiny[-1] < 1e-6, tiny  # collapses layer by layer
    assert (large[1:] > 0.85).all(), large  # saturated at ±1
    assert xavier.max() < 1.5 * xavier.min(), xavier  # a steady band
    engine.advance(100)
    equal = next(r for r in engine.runs if r.label.startswith("all equal"))
    hidden = [p for p in equal.params if p.dim() == 2][1:-1]  # between hidden layers
    assert all((w - w[0]).abs().max().item() == 0 for w in hidden)  # every unit still the same: symmetry never broke
    # and it learns no more than a one-unit-wide net: near ln 3 ≈ 1.0986 (it stalls at about 1.01 on some
    # CPUs by step 100, still at 1.09 on others), where the other inits head for 0
    assert full_loss(equal) > 0.9 * math.log(3)


def test_dead_relu_fraction_rises_and_stays():
    engine = Engine(load("dead_relu"), "cpu")
    dead = []
    while not engine.finished:
        engine.advance(10)
        dead.append([r.measured["dists"]["activations"].dead.max() for r in engine.frame().runs])
    dead = np.array(dead)[3:]  # from step 40 on
    slow, fast, leaky = dead.T
    assert fast.min() >= 0.4 and slow.max() <= 0.2 and leaky.max() == 0, dead


def test_batch_norm_trains_where_the_plain_net_diverges():
    engine = Engine(load("batch_norm"), "cpu")
    run_frames(engine, chunk=50)
    slow, plain, normed = engine.runs
    assert plain.diverged_at is not None and plain.diverged_at < 20
    assert normed.diverged_at is None and normed.step == 400
    normed.model.eval()
    assert accuracy(normed, normed.x, normed.y) > 0.9


# ---------------------------------------------------------------------------- optimizers


def test_lr_schedules_follow_their_formulas_and_decay_beats_constant():
    sc = load("lr_schedules")
    engine = Engine(sc, "cpu")
    lr0, total = 0.08, 500
    formulas = {
        "constant": lambda t: lr0,
        "step": lambda t: lr0 * 0.3 ** (t // 150),
        "exponential": lambda t: lr0 * math.exp(-0.01 * t),
        "inverse": lambda t: lr0 / (1 + 0.05 * t),
        "polynomial": lambda t: lr0 * (1 - t / total) ** 2,
        "cosine": lambda t: lr0 * (1 + math.cos(math.pi * t / total)) / 2,
        "cyclic": lambda t: 0.005 + (lr0 - 0.005) * (1 - abs((t / 125) % 2 - 1)),
    }
    _, best = least_squares(sc.variants[0].dataset)
    tail = {r.label: [] for r in engine.runs}
    while not engine.finished:
        for r in engine.runs:
            assert r.optimizer.param_groups[0]["lr"] == pytest.approx(formulas[r.label](r.step), abs=1e-12), r.label
        engine.advance(1)
        if engine.step > total - 50:
            for r in engine.runs:
                tail[r.label].append(full_loss(r) - best)
    constant = np.mean(tail["constant"])
    for label in ("step", "exponential", "inverse", "polynomial", "cosine"):
        assert np.mean(tail[label]) < constant / 3, (label, np.mean(tail[label]), constant)


def test_grad_accumulation_update_equals_the_big_batch_update():
    engine = Engine(load("grad_accumulation"), "cpu")
    big, accumulated, small = engine.runs
    assert (big.batch_size, accumulated.batch_size * accumulated.accumulate) == (64, 64)
    worst = 0.0
    while not engine.finished:
        engine.advance(1)
        worst = max(worst, *((p - q).abs().max().item() for p, q in zip(big.params, accumulated.params)))
    assert worst < 1e-5, worst
    assert max((p - q).abs().max().item() for p, q in zip(big.params, small.params)) > 1e-2


# ---------------------------------------------------------------------------- hardware


def test_devices_reports_each_runs_device_and_rate():
    engine = Engine(load("devices").with_steps(5))
    cpu, best = engine.runs
    assert cpu.device == "cpu"
    assert best.device == next(d for d in ("cuda", "mps", "cpu") if available(d))
    run_frames(engine, chunk=5)
    frames = engine.frame().runs
    assert all(f.train_seconds > 0 for f in frames)
    if best.device == "cpu":  # same device, same seed: the same numbers
        assert cpu.loss_log == best.loss_log or [v for _, v, _ in cpu.loss_log] == [v for _, v, _ in best.loss_log]
    forced = Engine(load("devices").with_steps(1), "cpu")  # --device cpu overrides the variants' own
    assert {r.device for r in forced.runs} == {"cpu"}


def test_steps_per_second_leave_out_the_whole_split_evaluations(monkeypatch):
    ticks = iter(range(10**6))  # a clock that moves one second each time it is read
    monkeypatch.setattr("nntui.engine.run.clock", lambda: float(next(ticks)))
    run = Engine(load("devices").with_steps(2), "cpu").runs[0]
    run.train_step()  # step 1: no evaluation due (every 5 steps, and the last)
    assert run.train_seconds == 1 and run.eval_seconds == 0
    run.train_step()  # step 2, the last: the whole split is evaluated inside the step, and timed apart
    assert run.eval_seconds == 1 and run.train_seconds == 1 + 2
