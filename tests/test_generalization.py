"""Generalization: L1, dropout, early stopping and accuracy, each against a hand-written reference."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch

from nntui.engine import Engine
from nntui.engine.run import accuracy
from nntui.errors import ScenarioError
from nntui.record import History
from nntui.scenario.loader import load_path

LINE = """
[scenario]
title = "t"
seed = 2
[data]
kind = "plane"
n = 24
weights = [1.5, -0.02, 0.8]
noise = 0.1
{data}
[model]
kind = "{kind}"
{model}
[train]
optimizer = "{optimizer}"
lr = {lr}
steps = {steps}
{train}
"""


def scenario(write_scenario, *, kind="linear", model="", train="", data="", steps=40, optimizer="sgd", lr=0.1):
    return load_path(write_scenario(LINE.format(kind=kind, model=model, train=train, data=data, steps=steps,
                                                optimizer=optimizer, lr=lr)))


def train_all(engine: Engine, history: History | None = None, chunk: int = 7) -> History:
    history = history or History.for_scenario(engine.scenario)
    history.add(engine.frame())
    while not engine.finished:
        engine.advance(chunk)
        history.add(engine.frame())
    return history


def test_l1_matches_a_hand_written_proximal_sgd(write_scenario):
    """SGD on MSE + λ·Σ|w| (weights, not the bias): the subgradient λ·sign(w); at w = 0 the least-norm one; a
    weight carried across zero is 0. Written out in numpy, step by step."""
    lam = 0.05
    sc = scenario(write_scenario, train=f"l1 = {lam}", steps=60)
    engine = Engine(sc, "cpu")
    run = engine.runs[0]
    w = run.model.weight.detach().double().numpy().copy()[0]
    b = float(run.model.bias.detach()[0])
    x, y = sc.variants[0].dataset.x_train.astype(np.float64), sc.variants[0].dataset.y_train[:, 0].astype(np.float64)
    zeros_seen = []
    for _ in range(60):
        err = x @ w + b - y
        g = 2 * x.T @ err / len(y)
        gb = 2 * err.mean()
        at_zero = w == 0
        g = np.where(at_zero, np.where(np.abs(g) <= lam, 0.0, g - lam * np.sign(g)), g + lam * np.sign(w))
        new = w - 0.1 * g
        new[(np.sign(new) * np.sign(w) < 0) | (at_zero & (g == 0))] = 0.0
        w, b = new, b - 0.1 * gb
        zeros_seen.append(int((w == 0).sum()))
    train_all(engine)
    got = engine.final_parameters()[0]
    assert got["weight"][0] == pytest.approx(w.tolist(), abs=1e-5)
    assert got["bias"][0] == pytest.approx(b, abs=1e-5)
    # the small true weight (−0.02) is pulled to exactly 0 and held there
    assert zeros_seen[-1] == 1 and got["weight"][0][1] == 0.0
    assert engine.frame().runs[0].zero_weights == 1


def test_l1_penalty_shapes_the_gradient_not_the_loss_shown(write_scenario):
    """The curves compare the data's loss: an L1 run's first loss equals the same run's without L1."""
    plain = Engine(scenario(write_scenario, steps=3), "cpu")
    l1 = Engine(scenario(write_scenario, train="l1 = 0.5", steps=3), "cpu")
    plain.advance(1)
    l1.advance(1)
    assert l1.runs[0].loss_log[0][1] == plain.runs[0].loss_log[0][1]


def test_dropout_scales_survivors_in_training_and_is_identity_in_eval(write_scenario):
    sc = scenario(write_scenario, kind="mlp", model="layers = [400]\ndropout = 0.25", data="validation = 0.25")
    engine = Engine(sc, "cpu")
    model = engine.runs[0].model
    drop = next(m for m in model if isinstance(m, torch.nn.Dropout))
    assert drop.p == 0.25
    x = torch.ones(8, 400)
    model.train()
    out = drop(x)
    assert set(torch.unique(out).tolist()) <= {0.0, float(torch.tensor(1 / 0.75))}  # dropped, or scaled by 1/(1−p)
    assert 0.15 < float((out == 0).float().mean()) < 0.35
    model.eval()
    assert torch.equal(drop(x), x)
    model.train()
    # the whole-split losses are measured in eval mode: exactly the deterministic network's loss
    run = engine.runs[0]
    with torch.no_grad():
        model.eval()
        want_val = float(torch.nn.functional.mse_loss(model(run.x_val), run.y_val))
        model.train()
    assert run.val_log[0] == (0, want_val)


def test_forgetting_eval_mode_measures_with_dropout_on(write_scenario):
    """train.eval_mode = false (the bug): the validation loss differs from the eval-mode one."""
    good = Engine(scenario(write_scenario, kind="mlp", model="layers = [64]\ndropout = 0.5",
                           data="validation = 0.25"), "cpu")
    bad = Engine(scenario(write_scenario, kind="mlp", model="layers = [64]\ndropout = 0.5", data="validation = 0.25",
                          train="eval_mode = false"), "cpu")
    assert good.runs[0].val_log[0][1] != bad.runs[0].val_log[0][1]


def test_dropout_runs_are_deterministic_and_independent(write_scenario):
    text = dict(kind="mlp", model="layers = [32]\ndropout = 0.3", data="validation = 0.25", steps=30)
    first = train_all(Engine(scenario(write_scenario, **text), "cpu"))
    again = train_all(Engine(scenario(write_scenario, **text), "cpu"), chunk=5)  # other frame cadence
    assert np.array_equal(first.runs[0].loss.points()[1], again.runs[0].loss.points()[1])


def test_early_stopping_matches_the_checkpoint_loop(write_scenario):
    """Patience counted in steps, checked at each evaluation; the best weights come back."""
    text = dict(kind="mlp", model="layers = [64, 64]\nactivation = \"tanh\"", data="validation = 0.5", steps=600,
                optimizer="adam", lr=0.02)
    sc = scenario(write_scenario, **text, train="eval_every = 5")
    free = train_all(Engine(sc, "cpu"))
    steps, vals = free.runs[0].val_loss.points()
    patience = 60
    best, best_step, stop = math.inf, None, None
    for s, v in zip(steps.tolist(), vals.tolist()):  # the course notes' loop, over the evaluations
        if v < best:
            best, best_step = v, s
        elif s - best_step >= patience:
            stop = s
            break
    assert stop is not None and stop < 600  # (the data overfit: the test needs a stop)
    stopping = scenario(write_scenario, **text, train=f"eval_every = 5\nearly_stop = {{ patience = {patience} }}")
    engine = Engine(stopping, "cpu")
    history = train_all(engine)
    frame = engine.frame().runs[0]
    assert (frame.stopped_at, frame.best_step, frame.step) == (stop, best_step, stop)
    assert history.runs[0].val_loss.last == (stop, pytest.approx(best, rel=1e-6))  # the restored weights
    assert history.runs[0].status == "stopped"
    record = history.to_record(scenario="s", title="t", device="cpu", seed=2)
    assert (record["runs"][0]["stopped_at"], record["runs"][0]["best_step"]) == (stop, best_step)


def test_early_stopping_whose_patience_never_runs_out_ends_with_the_best_weights(write_scenario):
    # patience 1000 on a 600-step run: the record said best_step 285 and kept the weights of step 600
    # (validation 0.1549 against 0.0879); best_step is now always the step whose weights it kept (issue 30)
    text = dict(kind="mlp", model="layers = [64, 64]\nactivation = \"tanh\"", data="validation = 0.5", steps=600,
                optimizer="adam", lr=0.02)
    free = train_all(Engine(scenario(write_scenario, **text, train="eval_every = 5"), "cpu"))
    steps, vals = free.runs[0].val_loss.points()
    best = int(np.argmin(vals))
    assert steps[best] < 600 and vals[-1] > vals[best]  # (it overfits: the end is worse than the best)
    engine = Engine(scenario(write_scenario, **text, train="eval_every = 5\nearly_stop = { patience = 1000 }"), "cpu")
    history = train_all(engine)
    frame = engine.frame().runs[0]
    assert (frame.stopped_at, frame.best_step, frame.step) == (None, steps[best], 600)
    assert history.runs[0].val_loss.last == (600, pytest.approx(vals[best], rel=1e-6))  # the best step's weights
    assert history.runs[0].status == "stopped"  # (its curve jumps back at the end: not "oscillating")
    run = engine.runs[0]
    with torch.no_grad():
        run.model.eval()
        assert float(run.loss_fn(run.model(run.x_val), run.y_val)) == pytest.approx(vals[best], rel=1e-6)


def test_early_stopping_needs_a_validation_split(write_scenario):
    with pytest.raises(ScenarioError, match="train.early_stop.*set data.validation"):
        scenario(write_scenario, train="early_stop = { patience = 10 }")


def test_accuracy_by_hand():
    logits = torch.tensor([[2.0], [-1.0], [0.5], [-0.1]])
    assert accuracy(logits, torch.tensor([[1.0], [0.0], [0.0], [0.0]])) == 0.75
    scores = torch.tensor([[0.1, 2.0, 0.3], [3.0, 0.0, 0.0], [0.0, 0.0, 1.0]])
    assert accuracy(scores, torch.tensor([1, 0, 0])) == pytest.approx(2 / 3)


MOONS = """
[scenario]
title = "Accuracy beside the loss"
seed = 3
[data]
kind = "moons"
n = 120
noise = 0.3
validation = 0.5
[model]
kind = "mlp"
layers = [32, 32]
[train]
loss = "bce_with_logits"
optimizer = "adam"
lr = 0.03
steps = 300
[[variant]]
label = "trained on"
[[variant]]
label = "patience 40"
train = { early_stop = { patience = 40 } }
[[variant]]
label = "L1 0.003"
train = { l1 = 0.003 }
[view]
panels = ["loss", "accuracy", "variants"]
"""


def test_accuracy_panel_and_generalization_columns_snapshot(snap_compare, write_scenario):
    """The accuracy panel beside the loss (solid training, dashed validation, ■ where a run stopped early), and
    the table's val loss, gap, accuracy and zero-weight columns."""
    from nntui.ui.app import NNTuiApp

    from .conftest import wait_idle

    app = NNTuiApp(load_path(write_scenario(MOONS)), device="cpu", run_steps=300)
    assert snap_compare(app, terminal_size=(120, 30), run_before=lambda pilot: wait_idle(pilot.app, pilot))


def test_a_lone_overfitting_run_is_called_so(write_scenario):
    from nntui.status import overfitting, rising_since_lowest

    assert overfitting(0.13, 0.08, 0.001, 0.04)        # validation 60% above its lowest, training lower than then
    assert not overfitting(0.09, 0.08, 0.001, 0.04)    # a wobble of the held-out loss
    assert overfitting(0.09, 0.08, 0.001, 0.04, rising=True)  # …the same 12% after a steady climb
    assert rising_since_lowest([0.079, 0.080, 0.081, 0.082, 0.085, 0.084, 0.086, 0.09])
    assert not rising_since_lowest([0.079, 0.09, 0.08, 0.085, 0.081, 0.09]) and not rising_since_lowest([0.08, 0.09])
    assert not overfitting(0.13, 0.08, 0.05, 0.04)     # both rising: not memorizing (diverging or noise)


@pytest.mark.parametrize("batched", [True, False])
def test_a_run_continued_with_its_own_settings_trains_as_if_never_edited(write_scenario, batched):
    """Continue leaves the weights, the momentum and the batch order alone: a batched run released mid-way
    trains on to the same numbers as a run never touched."""
    text = dict(kind="mlp", model="layers = [8]", train="momentum = 0.9\nbatch_size = 6", steps=40)
    sc = load_path(write_scenario(LINE.format(**{"optimizer": "sgd", "lr": 0.05, "data": "", **text}) +
                                  '[[variant]]\nlabel = "a"\n[[variant]]\nlabel = "b"\ntrain = { lr = 0.02 }\n'))
    plain = Engine(sc, "cpu", batched=batched)
    edited = Engine(sc, "cpu", batched=batched)
    assert (len(edited.batches) == 1) == batched
    for engine in (plain, edited):
        engine.advance(15)
    edited.continue_run(1, sc.variants[1])
    for engine in (plain, edited):
        engine.advance(25)
    for a, b in zip(plain.runs, edited.runs):
        # (a batched run and a lone one agree to float rounding: test_batched.py)
        assert [v for _, v, _ in a.loss_log] == pytest.approx([v for _, v, _ in b.loss_log], rel=1e-5)


def test_a_continued_run_takes_the_new_lr_and_schedule_at_its_step(write_scenario):
    sc = scenario(write_scenario, steps=100)
    engine = Engine(sc, "cpu")
    engine.advance(40)
    from nntui.scenario.edit import with_variant

    edited = with_variant(sc, 0, {"train.lr": 0.3, "train.schedule": "cosine"}).variants[0]
    engine.continue_run(0, edited)
    run = engine.runs[0]
    want = 0.3 * (1 + math.cos(math.pi * 40 / 100)) / 2  # the cosine schedule as if followed from step 0
    assert run.optimizer.param_groups[0]["lr"] == pytest.approx(want)
    engine.advance(1)
    assert run.loss_log[-1][2] == pytest.approx(want)  # the step it takes uses it
    assert run.step == 41


def test_headless_record_and_csv_carry_accuracy_and_early_stopping(write_scenario, tmp_path):
    import csv
    import io
    import json

    from nntui.headless import run_headless

    sc = load_path(write_scenario(MOONS))
    out, table = tmp_path / "r.json", tmp_path / "r.csv"
    quiet = io.StringIO()  # (the default streams are the ones bound when headless.py was first imported)
    assert run_headless(sc, device="cpu", out=out, csv=table, stdout=quiet, stderr=quiet) == 0
    runs = {r["label"]: r for r in json.loads(out.read_text())["runs"]}
    stopped = runs["patience 40"]
    assert stopped["stopped_at"] is not None and stopped["best_step"] < stopped["stopped_at"]
    assert stopped["steps_done"] == stopped["stopped_at"] and runs["trained on"]["stopped_at"] is None
    assert runs["L1 0.003"]["zero_weights"] > 0 == runs["trained on"]["zero_weights"]
    rows = [r for r in csv.DictReader(table.open(encoding="utf-8")) if r["variant"] == "trained on"]
    measured = {int(r["step"]): float(r["accuracy"]) for r in rows if r["split"] == "validation"}
    record = runs["trained on"]
    assert measured == dict(zip(record["accuracy_steps"], record["val_accuracy"]))
    assert all(r["accuracy"] == "" for r in rows if r["split"] == "batch")


# ---------------------------------------------------------------------------- computed inputs (data.inputs)

XOR = """
[scenario]
title = "t"
seed = 2
[data]
kind = "xor"
n = 40
validation = 0.25
inputs = {inputs}
standardize = true
[model]
kind = "linear"
[train]
loss = "bce_with_logits"
steps = 3
"""


def test_a_formula_that_overflows_past_the_data_draws_without_a_warning(write_scenario):
    # the plotted plane reaches past the data: exp(60·x1) is finite on the data, not at the plane's edge
    import warnings

    ds = load_path(write_scenario(XOR.format(inputs='["x1", "exp(60*x1)"]'))).variants[0].dataset
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # was: numpy's overflow RuntimeWarning printed over the app (issue 30)
        x = ds.inputs_of(np.array([[10.0, 0.0], [0.0, 0.0]]))  # e^600: finite, past float32
    assert np.isinf(x[0, 1]) and np.isfinite(x[1]).all()


def test_computed_inputs_are_the_formulas_of_the_features_and_plots_keep_the_plane(write_scenario):
    from nntui.panels.boundary.probe import BoundaryProbe

    ds = load_path(write_scenario(XOR.format(inputs='["x1", "x1*x2", "sin(x2)"]'))).variants[0].dataset
    plane = ds.plane("train")
    assert plane.shape[1] == 2 and ds.x_train.shape[1] == 3 and ds.feature_names == ("x1", "x1*x2", "sin(x2)")
    raw = np.stack([plane[:, 0], plane[:, 0] * plane[:, 1], np.sin(plane[:, 1])], 1)
    want = (raw - np.asarray(ds.stats["mean"])) / np.asarray(ds.stats["std"])  # then standardized
    assert ds.x_train == pytest.approx(want.astype(np.float32), abs=1e-5)
    assert np.allclose(ds.inputs_of(plane), ds.x_train, atol=1e-5)
    model = torch.nn.Linear(3, 1)
    probe = BoundaryProbe(model, ds, "cpu")  # its grid lies in the plane; the model gets the formulas of it
    assert probe.inputs.shape[1] == 3 and ds.drawable


@pytest.mark.parametrize("inputs, message", [
    ('["x1", "z"]', "data.inputs.1: 'z' uses 'z', which is not a feature of this data; its features are x1, x2"),
    ('["log(x1 - 5)"]', "data.inputs.0: 'log(x1 - 5)' is nan at sample"),
    ('["x1", "x1"]', "an input is listed twice"),
    ('["x1 +"]', "data.inputs"),
])
def test_bad_inputs_are_one_line_errors(write_scenario, inputs, message):
    with pytest.raises(ScenarioError, match=re.escape(message)):
        load_path(write_scenario(XOR.format(inputs=inputs)))


@pytest.mark.parametrize("inputs, right", [('["x1", "x2"]', False), ('["x1**2", "x2**2"]', True)])
def test_a_perceptron_on_circles_needs_the_squares(write_scenario, inputs, right):
    """Circles: no line separates them; given x1² and x2², a perceptron's boundary is a circle."""
    text = (XOR.replace('kind = "xor"\nn = 40', 'kind = "circles"\nn = 200').replace("steps = 3", "steps = 300")
            .replace('[train]', '[train]\noptimizer = "adam"\nlr = 0.1').format(inputs=inputs))
    engine = Engine(load_path(write_scenario(text)), "cpu")
    history = train_all(engine, chunk=100)
    assert (history.runs[0].val_accuracy.last[1] > 0.95) == right


def test_the_gap_column_reads_equal_runs_as_zero_not_minus_zero():
    from nntui.panels.variants.widget import _gap

    assert _gap(-3.67e-05) == "0.000" and _gap(0.129) == "+0.129" and _gap(-0.002) == "-0.002"
