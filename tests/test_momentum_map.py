"""The (lr, momentum) map: its exact rates and regions against runs iterated step by step, and torch's own SGD."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.panels.momentum_map.rates import DIVERGES, KINDS, RIPPLES, SMOOTH, ZIGZAG, best, best_plain, rate

CURVATURES = (16.0, 1.0)  # the momentum lesson's quadratic: ½(x² + 16·y²)


def iterate(lr: float, beta: float, curvatures: tuple[float, ...], steps: int = 400) -> np.ndarray:
    """The errors of heavy-ball momentum on ½·Σ λ_i·x_i², step by step as torch's SGD takes them."""
    lam = np.array(curvatures)
    x, v = np.ones_like(lam), np.zeros_like(lam)
    errors = [x.copy()]
    for _ in range(steps):
        v = beta * v + lam * x
        x = x - lr * v
        errors.append(x.copy())
    return np.array(errors)


def _moves(e: np.ndarray) -> str:
    """How one direction's error moves over a stretch of steps: its sign flips every step (zig-zag), now and then
    (ripples: a spiral's sign turns every half period), or never (smooth)."""
    signs = np.sign(e[np.abs(e) > 0])
    flips = np.mean(signs[1:] != signs[:-1]) if len(signs) > 1 else 0.0
    return "zig-zag" if flips > 0.95 else "ripples" if flips > 0 else "smooth"


def observed(lr: float, beta: float, curvatures: tuple[float, ...]) -> tuple[float, str]:
    """(rate, kind) read off an iterated run: the slowest direction's shrinking over its last steps; how the path
    moves, from every direction's signs over its first 60 steps (before the fast ones underflow)."""
    errors = iterate(lr, beta, curvatures)
    slowest = int(np.argmax(np.abs(errors[-1])))
    late = errors[200:, slowest]
    rho = (np.abs(late[-1]) / np.abs(late[0])) ** (1 / (len(late) - 1)) if late[0] != 0 else 0.0
    if rho >= 1:
        return rho, "diverges"
    kinds = {_moves(errors[5:60, d]) for d in range(errors.shape[1])}
    return rho, next(k for k in ("ripples", "zig-zag", "smooth") if k in kinds)


@pytest.mark.parametrize("lr", [0.01, 0.05, 0.1, 0.16, 0.2, 0.23])
@pytest.mark.parametrize("beta", [0.0, 0.2, 0.36, 0.6, 0.9])
def test_map_rates_and_regions_match_iterated_runs(lr, beta):
    rho, kind = rate(lr, beta, CURVATURES)
    seen_rho, seen_kind = observed(lr, beta, CURVATURES)
    if KINDS[int(kind)] == "diverges":
        assert seen_kind == "diverges"
        return
    assert seen_rho == pytest.approx(float(rho), rel=0.02)
    # (a direction on a border, a double root, may be read either way)
    on_border = any(abs((1 - lr * lam + beta) ** 2 - 4 * beta) < 1e-6 for lam in CURVATURES)
    if not on_border:
        assert seen_kind == KINDS[int(kind)], (lr, beta)


def test_every_region_appears_on_the_map():
    lrs, betas = np.meshgrid(np.linspace(0.005, 0.3, 60), np.linspace(0, 0.95, 40))
    _, kinds = rate(lrs, betas, CURVATURES)
    assert set(np.unique(kinds)) == {SMOOTH, RIPPLES, ZIGZAG, DIVERGES}


def test_the_best_settings_are_fastest():
    lr, beta, rho = best(CURVATURES)
    assert (lr, beta, rho) == pytest.approx((0.16, 0.36, 0.6))
    lrs, betas = np.meshgrid(np.linspace(0.001, 0.3, 300), np.linspace(0, 0.99, 200))
    rhos, _ = rate(lrs, betas, CURVATURES)
    assert float(rhos.min()) >= rho - 1e-3
    plain_lr, plain_rho = best_plain(CURVATURES)
    assert float(rate(plain_lr, 0.0, CURVATURES)[0]) == pytest.approx(plain_rho) == pytest.approx(15 / 17)


@pytest.mark.parametrize("lr, beta", [(0.16, 0.36), (0.1, 0.9), (0.05, 0.0), (0.12, 0.5)])
def test_map_matches_torch_sgd(lr, beta):
    """torch.optim.SGD on the quadratic shrinks the slowest error at the map's rate."""
    torch = pytest.importorskip("torch")
    theta = torch.tensor([1.0, 1.0], dtype=torch.float64, requires_grad=True)
    lam = torch.tensor(CURVATURES[::-1], dtype=torch.float64)
    optimizer = torch.optim.SGD([theta], lr=lr, momentum=beta)
    norms = []
    for _ in range(300):
        optimizer.zero_grad()
        (0.5 * (lam * theta * theta).sum()).backward()
        optimizer.step()
        norms.append(float(theta.detach().norm()))
    seen = (norms[-1] / norms[199]) ** (1 / 100)
    assert seen == pytest.approx(float(rate(lr, beta, CURVATURES)[0]), rel=0.02)


def test_region_names_lie_inside_their_regions():
    """Read back through the axes: each run's mark sits on the cell whose centre is nearest its (lr, β), the star on
    the fastest point's, and every letter of a region's name on a cell of that region."""
    from nntui.panels.momentum_map.widget import _name_places, _pixels
    from nntui.ui.draw.axis import scale

    x_axis, y_axis = scale(0.0, 0.26, 60, label_width=6, gap=7), scale(0.0, 1.0, 14, flip=True, anchor="middle")
    _, kinds = _pixels(x_axis, y_axis, CURVATURES, 4.5)
    places = _name_places(kinds, {})
    assert {KINDS[k] for k in places} >= {"ripples", "diverges"}  # (the others: where they have room)
    for k, (row, column) in places.items():
        under = kinds[2 * row:2 * row + 2, column:column + len(KINDS[k])]
        assert (under == k).all(), KINDS[k]
        for c in (column, column + len(KINDS[k]) - 1):  # read back through the axes: the region's own (lr, β)
            lr, beta = float(x_axis.value_at(c)), float(y_axis.value_at(row))
            assert rate(lr, beta, CURVATURES)[1] == k


async def test_the_map_marks_each_run_and_enter_restarts_the_chosen_run_at_the_cross():
    from nntui.panels.momentum_map.widget import MomentumMap
    from nntui.scenario import load
    from nntui.ui.app import NNTuiApp

    from .conftest import wait_idle

    app = NNTuiApp(load("momentum"), device="cpu", run_steps=5, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(MomentumMap)
        x_axis, y_axis = panel._axes
        text = [s.text for s in panel._strips]
        for run in app.runner.view().runs:  # each run's mark on the cell nearest its (lr, β)
            lr, beta = run.settings["lr"], run.settings["momentum"]
            row, column = round(float(y_axis.position(beta))), round(float(x_axis.position(lr)))
            assert text[row][8 + column] in "●★✗", (run.label, text[row])
        assert "not on the map" not in "".join(text)  # all four are heavy-ball SGD
        app.set_focus(panel)
        await pilot.press("right_square_bracket", "right_square_bracket")  # momentum 0.36
        await pilot.press("up", "up", "left")
        await pilot.pause()
        lr, beta = panel._cursor_point()
        assert beta > 0.36 and lr < 0.16
        assert any(f"┼ lr {lr:.3g} β {beta:.3g}" in s.text for s in panel._strips)
        await pilot.press("enter")
        await wait_idle(app, pilot)
        run = app.runner.view().runs[2]
        assert (run.settings["lr"], run.settings["momentum"]) == (lr, beta)
        assert run.label == f"β={beta:g} lr={lr:g} ✎" and run.step == 0  # started over there; the others are where they were
        assert [r.step for r in app.runner.view().runs] == [5, 5, 0, 5]
