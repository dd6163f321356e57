"""Statuses say what a student sees in the curve, judged on the loss over the whole training split (status.py).

The lesson cases are the ones the old status (the cosine of successive updates, on mini-batch losses) got
wrong: a run that forgot zero_grad() said "converging", sigmoid runs stuck at ln k said "converging",
converged runs said "oscillating"; and runs were compared on the last mini-batch's loss."""

from __future__ import annotations

import math

import pytest

from nntui.engine import Engine
from nntui.record import History
from nntui.scenario import load
from nntui.status import run_status, window

FALLING = [10 * 0.8 ** k for k in range(20)]


@pytest.mark.parametrize(("losses", "extra", "want"), [
    (FALLING, {}, "learning"),
    ([1.0 + 0.001 * math.sin(k) for k in range(20)], {}, "converged"),            # flat where it got to
    ([1e-9 * (1 + (k % 2)) for k in range(20)], {}, "converged"),                 # a billionth of the start
    ([0.693 - 1e-5 * k for k in range(20)], {"baseline": 0.6931}, "stuck"),       # ln 2: learned nothing
    ([0.5] * 20, {"best_other": 0.01}, "stuck"),                                  # flat far above another run
    ([0.5] * 20, {"best_other": 0.1}, "converged"),
    ([0.97 - 1e-4 * k for k in range(20)], {"best_other": 0.92}, "learning"),    # creeping toward another run
    ([0.93 - 1e-4 * k for k in range(20)], {"best_other": 0.92}, "converged"),   # …or already level with it
    ([1.04] * 20, {"floor": 0.007}, "stuck"),                    # alone, flat far above its least squares
    ([1.04] * 20, {}, "converged"),                               # (the same curve where the floor is unknown)
    ([0.0075] * 20, {"floor": 0.007}, "converged"),                # flat at the least-squares loss
    ([1.04 - 1e-4 * k for k in range(20)], {"floor": 0.007}, "learning"),  # creeping toward it
    ([1.0 + 3 * (k % 6 in (3, 4, 5)) for k in range(20)], {}, "oscillating"),     # swings that do not die out
    ([1.0 + 3 * 0.5 ** k * (k % 2) for k in range(20)], {}, "converged"),         # swings died out: flat now
    ([10.0 + k for k in range(20)], {}, "diverging"),                             # only rising
    ([25.0, 30.0, 28.0], {}, "diverging"),                                        # over twice the start (10)
    ([3.0 - 0.3 * k for k in range(8)] + [0.46] * 12, {"best_other": 0.002}, "stuck"),  # collapsed onto a plateau
    ([3.0 - 0.3 * k for k in range(8)] + [0.46] * 12, {"best_other": 0.4}, "converged"),  # …near the others
    ([1.0] * 10 + [1.3, 1.5, 1.2] + [1.0] * 7, {}, "converged"),  # flat, one burst (Adam's): a jolt, not a swing
    ([0.03 * 0.97 ** k for k in range(20)], {"linear": True}, "converged"),  # halving at 0.3% of its start (10)
    ([0.03 * 0.97 ** k for k in range(20)], {}, "learning"),      # …which a log axis shows falling
    ([0.03 * 0.97 ** k for k in range(20)], {"linear": True, "best_other": 0.005}, "learning"),  # …toward a better run
    ([0.2 * 0.99 ** k for k in range(20)], {"linear": True, "best_other": 0.01}, "learning"),  # flat as drawn,
    # 20× above another run, but still falling at its own level: it has stopped nowhere, it is not stuck
    (FALLING, {"frozen": True}, "converged"),                     # its schedule took the lr to 0: it moves no more
    (FALLING, {"frozen": True, "best_other": 0.001}, "stuck"),    # …far above another run
])
def test_each_rule(losses, extra, want):
    assert run_status(losses, step=100, diverged_at=None, first=10.0, **extra) == want


def test_waiting_and_diverged_and_the_window():
    assert run_status([], step=0, diverged_at=None, first=math.nan) == "waiting"
    assert run_status([1.0], step=7, diverged_at=7, first=1.0) == "diverged"
    points = [(s, float(s)) for s in range(0, 200, 10)]
    assert window(points, 200) == [float(s) for s in range(100, 200, 10)]  # the last half of the steps
    assert window(points[:10], 100) == [float(s) for s in range(20, 100, 10)]  # at least 8 points


def train(name: str) -> tuple[History, dict[str, list[str]]]:
    """A lesson trained to the end; each run's status after every 10 steps."""
    sc = load(name)
    engine = Engine(sc, "cpu")
    history = History([v.label for v in sc.variants], [v.settings() for v in sc.variants])
    history.add(engine.frame())
    seen: dict[str, list[str]] = {h.label: [] for h in history.runs}
    while not engine.finished:
        engine.advance(10)
        history.add(engine.frame())
        for h in history.runs:
            seen[h.label].append(h.status)
    return history, seen


def final(history: History) -> dict[str, tuple[str, float]]:
    return {h.label: (h.status, h.current_loss) for h in history.runs}


def test_forgetting_zero_grad_oscillates_and_the_right_loop_converges():
    runs = final(train("autograd_basics")[0])
    assert runs["zero_grad() forgotten"][0] == "oscillating"  # it swings between 0 and 5 for ever
    assert runs["zero_grad() every step"][0] == "converged"


@pytest.mark.parametrize(("lesson", "stuck", "healthy"), [
    ("vanishing_gradients", ["sigmoid"], ["relu + he"]),
    ("weight_init", ["N(0, 0.01²)", "all equal (0.1)"], ["relu + he"]),
])
def test_runs_that_learn_nothing_are_stuck(lesson, stuck, healthy):
    runs = final(train(lesson)[0])
    assert all(runs[label][0] == "stuck" for label in stuck), runs
    assert all(runs[label][0] in ("learning", "converged") for label in healthy), runs


def test_a_run_at_machine_zero_is_converged_not_oscillating():
    runs = final(train("optimizers")[0])
    assert runs["momentum 0.3"] == ("converged", pytest.approx(0, abs=1e-30))


def test_lr_sweep_statuses_and_divergence():
    history, seen = train("lr_sweep")
    wild = seen["lr=0.03"]
    assert wild[0] in ("learning", "diverging") and wild[-1] == "diverged"
    assert set(wild[wild.index("diverging"):wild.index("diverged")]) == {"diverging"}
    for label, statuses in seen.items():
        assert label == "lr=0.03" or "diverging" not in statuses
    # the small learning rates still creep toward the level the others reached (the flat direction, b)
    assert [seen[label][-1] for label in ("lr=0.0005", "lr=0.001", "lr=0.005", "lr=0.025", "lr=0.028")] == [
        "learning", "learning", "converged", "converged", "converged"]


def test_runs_are_compared_on_the_whole_training_split():
    # on its last mini-batch, batch 1 looked best by four orders of magnitude (5.4e-05 against 0.259)
    runs = final(train("batch_size")[0])
    assert runs["full batch"][1] < runs["batch 1"][1]
    # accumulating 4 × 16 is one batch of 64: the same loss, where batch 16 alone looked better
    runs = final(train("grad_accumulation")[0])
    assert runs["4 × 16 accum."][1] == pytest.approx(runs["batch 64"][1], rel=1e-5)
    assert runs["batch 16"][1] > runs["batch 64"][1]


async def test_the_table_shows_the_loss_on_the_whole_training_split():
    from nntui.ui.app import NNTuiApp
    from nntui.ui.draw.raster import fmt_num

    from .conftest import wait_idle

    # (lr_schedules: batches of 4; batch_size's table shows the mean its claims compare instead)
    app = NNTuiApp(load("lr_schedules"), device="cpu", run_steps=40, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        table = app.query_one("VariantsTable")
        for i, run in enumerate(app.runner.view().runs):
            assert run.train_steps[-1] in (39, 40) and run.loss == run.train_losses[-1]  # the split: θ before step 39
            assert table.cell(i, "loss") == fmt_num(run.loss)
        one = app.runner.view().runs[0]
        assert one.label == "constant" and one.losses[-1] != one.loss  # its last mini-batch is not the split


def test_a_run_that_diverges_between_evaluations_books_the_blown_up_loss(tmp_path):
    # batch_norm's "plain, lr 2" on batches of 60 blows up at step 4, between evaluations (every 10): its curve,
    # its ✗ and the table would otherwise end at the loss of step 0
    from nntui.scenario import builtin_dir

    text = (builtin_dir() / "batch_norm.toml").read_text().replace("batch_size = 300", "batch_size = 60")
    text = text.replace("at     = { gradient_flow = 4 }", "")  # (no panel held at step 4: no stop there)
    (tmp_path / "bn.toml").write_text(text)
    engine = Engine(load(str(tmp_path / "bn.toml")), "cpu")
    engine.advance(10)
    wild = engine.frame().runs[1]
    assert wild.diverged_at == 4 and wild.train_steps.tolist() == [0, 4] and wild.train_losses[-1] > 1e6


async def test_at_80_columns_a_label_gives_way_before_a_number_or_a_status():
    # batch_size's labels ("full batch") pushed the status out of an 80-column table: "conve"
    from nntui.ui.app import NNTuiApp

    from .conftest import wait_idle

    app = NNTuiApp(load("batch_size"), device="cpu", run_steps=20, questions=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_idle(app, pilot)
        table = app.query_one("VariantsTable")
        for i, run in enumerate(app.runner.view().runs):
            shown = table.render_line(i + 1).text
            assert shown.rstrip().endswith(run.status) and table.cell(i, "mean loss") in shown, shown


async def test_a_classification_table_shows_accuracy_on_both_splits():
    from nntui.ui.app import NNTuiApp

    from .conftest import wait_idle

    app = NNTuiApp(load("binary_classification"), device="cpu", run_steps=30, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        table, run = app.query_one("VariantsTable"), app.runner.view().runs[0]
        assert table.cell(0, "accuracy") == f"{run.accuracy:.1%}" and table.cell(0, "val acc").endswith("%")


def test_a_linear_fit_knows_the_least_squares_loss_it_can_reach():
    # issue 27: a lone run flat far above what the data allow read "converged"
    import numpy as np

    engine = Engine(load("linear_regression"), "cpu")
    run = engine.runs[0]
    x = np.c_[run.x.double().numpy(), np.ones(len(run.x))]
    y = run.y.double().numpy()
    theta = np.linalg.lstsq(x, y, rcond=None)[0]
    assert run.floor == pytest.approx(float(np.mean((x @ theta - y) ** 2)), rel=1e-9)
    assert engine.frame().runs[0].floor_loss == run.floor
    assert math.isnan(Engine(load("binary_classification"), "cpu").runs[0].floor)  # unknown for an MLP


def test_where_the_loss_is_drawn_above_its_floor_the_status_reads_it_so():
    # lr_sweep: lr 0.005 halved its distance to the best fit (0.02 → 0.011) while its loss moved 1% at its own
    # level: "converged" beside a curve still falling on the chart (issue 27)
    floor = 0.9239
    losses = [floor + 0.022 * 0.5 ** (k / 16) for k in range(16)]
    common = dict(step=300, diverged_at=None, first=299.6, floor=floor)
    assert run_status(losses, **common) == "converged"
    assert run_status(losses, **common, above_floor=True) == "learning"
    flat = [floor + 0.042 - 1e-5 * k for k in range(16)]  # lr 0.0005: flat far above a run at the floor
    assert run_status(flat, **common, best_other=floor + 3e-5, above_floor=True) == "stuck"
    at_floor = [floor + 3e-5 * 0.9 ** k for k in range(16)]  # within a millionth of its start's distance
    assert run_status(at_floor, **common, above_floor=True) == "converged"


def test_a_curve_still_falling_over_the_last_third_of_a_long_run_is_learning():
    # issue 27: hidden_units at step 750 of 1500 read "converged" while its curve fell 20 → 7.5 over the last
    # third of the chart: the window (the last 64 evaluations) had levelled off at 8.3 → 7.6
    window = [8.26 * 0.9985 ** k for k in range(64)]
    common = dict(step=750, diverged_at=None, first=114.8)
    assert run_status(window, **common) == "converged"
    assert run_status(window, **common, earlier=20.1) == "learning"
    assert run_status(window, **common, earlier=window[0]) == "converged"  # flat over the last third too
    # a linear axis from 0 to where it started measures the fall as drawn: 0.16 of 2.39 shows, 0.02 does not
    flat = [0.52 - 0.0005 * k for k in range(16)]
    linear = dict(step=100, diverged_at=None, first=2.39, linear=True)
    assert run_status(flat, **linear, earlier=0.68) == "learning"
    assert run_status(flat, **linear, earlier=0.53) == "converged"
    # grad_accumulation's batch 64 dipped 0.285 → 0.26 at the end of a 0–0.8 axis: a flat line to the eye; and
    # activations' sigmoid, 0.6935 → 0.6899 at ln 2, is flat however small its own fall on a log axis
    assert run_status([0.2601] * 16, step=200, diverged_at=None, first=0.78, linear=True, earlier=0.285) == "converged"
    # dead_relu's lr-2 run, collapsed onto 0.46 beside a run at 0.0016: a 6% creep is flat on that log axis
    collapsed = dict(step=300, diverged_at=None, first=0.5419, earlier=0.49)
    assert run_status([0.4589] * 16, **collapsed) == "learning"  # alone: its own fall is the axis
    assert run_status([0.4589] * 16, **collapsed, best_other=0.0016) == "stuck"
    at_chance = dict(step=300, diverged_at=None, first=0.6952, baseline=0.6931)
    assert run_status([0.6899] * 16, **at_chance, earlier=0.6935) == "stuck"


def test_a_model_at_the_lowest_loss_it_can_reach_is_converged_not_stuck():
    # nonlinear_regression: the straight line at its least-squares loss (74.69) beside 32 units at 1.2 read
    # "stuck", as if training had failed: it is the best a straight line can do
    at_floor = [74.69] * 16
    common = dict(step=500, diverged_at=None, first=139.0, baseline=82.29, best_other=1.2)
    assert run_status(at_floor, **common) == "stuck"  # (floor unknown)
    assert run_status(at_floor, **common, floor=74.69) == "converged"
    assert run_status([90.0] * 16, **common, floor=74.69) == "stuck"  # flat well short of it
