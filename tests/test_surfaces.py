"""Analytic loss surfaces as a model kind: the functions, optimizers on them, and their exact contour."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from nntui.engine import Engine
from nntui.engine.build import SURFACES
from nntui.errors import ScenarioError
from nntui.scenario import load
from nntui.scenario.loader import load_path
from nntui.ui.app import NNTuiApp

from .conftest import wait_idle

VALLEY = "tests/data/valley.toml"


@pytest.mark.parametrize("kind, minimum", [("quadratic", (0, 0)), ("rosenbrock", (1, 1)), ("himmelblau", (3, 2))])
def test_surfaces_vanish_at_their_minimum(kind, minimum):
    x, y = (torch.tensor(float(v), requires_grad=True) for v in minimum)
    value = SURFACES[kind](x, y, 10.0)
    value.backward()
    assert float(value.detach()) == pytest.approx(0, abs=1e-9) and float(x.grad) == 0 and float(y.grad) == 0


def test_saddle_is_a_saddle():
    hessian = torch.autograd.functional.hessian(lambda v: SURFACES["saddle"](v[0], v[1], 0), torch.zeros(2))
    eig = torch.linalg.eigvalsh(hessian)
    assert eig[0] < 0 < eig[1]


def steps_to(engine: Engine, index: int, threshold: float, limit: int = 2000) -> int:
    run = engine.runs[index]
    for _ in range(limit):
        engine.advance(1)
        if run.loss_log and run.loss_log[-1][1] < threshold:
            return run.step
    return limit


def test_momentum_reaches_the_minimum_of_the_ill_conditioned_valley_sooner():
    sc = load(VALLEY).with_steps(2000)
    sgd, momentum = steps_to(Engine(sc, "cpu"), 0, 1e-4), steps_to(Engine(sc, "cpu"), 1, 1e-4)
    assert momentum < sgd / 2, (sgd, momentum)


def test_contour_of_a_surface_is_the_function():
    engine = Engine(load(VALLEY), "cpu")
    engine.advance(20)
    s = engine.frame().surface
    assert (s.x_name, s.y_name) == ("x", "y")
    xs, ys = np.linspace(*s.x_range, s.z.shape[1]), np.linspace(*s.y_range, s.z.shape[0])
    for i, j in ((3, 5), (30, 50), (60, 90)):
        assert s.z[i, j] == pytest.approx(0.5 * (xs[j] ** 2 + 25 * ys[i] ** 2), rel=1e-5)


def test_surface_scenarios_need_no_data_but_a_surface(write_scenario):
    head = '[scenario]\ntitle = "s"\n[model]\nkind = "surface"\n'
    with pytest.raises(ScenarioError, match="needs `surface`"):
        load_path(write_scenario(head))
    sc = load_path(write_scenario(head + 'surface = "rosenbrock"\n'))
    assert sc.variants[0].dataset.n_train == 1
    with pytest.raises(ScenarioError, match="boundary"):
        load_path(write_scenario(head + 'surface = "saddle"\n[view]\npanels = ["boundary"]\n'))


def test_valley_snapshot(snap_compare):
    app = NNTuiApp(load(VALLEY), device="cpu", run_steps=40)
    assert snap_compare(app, terminal_size=(120, 40), run_before=lambda pilot: wait_idle(pilot.app, pilot))


GRID_MEMORY = """
import numpy as np, torch
from nntui.engine import surface
def peak():
    return int(dict(line.split(":", 1) for line in open("/proc/self/status"))["VmHWM"].split()[0]) // 1024
model, x = torch.nn.Linear(1, 1), torch.randn(40_000, 1)
y = 2 * x
before = peak()
grid = surface.loss_grid(model, torch.nn.MSELoss(), x, y, np.linspace(-1, 3, 96), np.linspace(-1, 1, 64))
print(peak() - before, float(grid.min()))
"""


def test_the_exact_surface_of_40000_samples_stays_small():
    # the grid is evaluated in chunks sized to the data, into one tensor: was a 1.9 GB peak (2.3 GB process)
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", GRID_MEMORY], capture_output=True, text=True, timeout=120,
                          check=True)
    grown_mb, lowest = proc.stdout.split()
    assert int(grown_mb) < 250 and float(lowest) < 0.05, proc.stdout


def test_chunked_surfaces_equal_one_call():
    from nntui.engine import surface

    model, x = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1)), torch.randn(500, 2)
    y = torch.randn(500, 1)
    points = torch.randn(300, sum(p.numel() for p in model.parameters()))
    batched = torch.func.vmap(surface.loss_of_flat(model, torch.nn.MSELoss(), x, y))
    with torch.no_grad():
        assert torch.allclose(surface._in_chunks(batched, points, 7), batched(points), atol=1e-6)
    assert surface.points_per_call(model, x, 10_000) * len(x) * (2 + 8 + 1) <= surface.WORK_PER_CALL


@pytest.mark.parametrize("model, n, most", [('kind = "linear"', 1_000_000, 10_716),
                                            ('kind = "mlp"\nlayers = [64, 64]', 200_000, 5_008)])
def test_a_surface_too_big_to_compute_is_refused_at_load(model, n, most, write_scenario):
    # n = 1,000,000: an exact surface took no step in 6 minutes, a slice's trainer reached 8.2 GB (issue 30)
    from nntui.engine import surface
    from nntui.panels.contour import EXACT_POINTS, MAX_SURFACE_WORK

    text = ('[scenario]\ntitle = "big"\n[data]\nkind = "linear"\nstop = 1.0\nn = {n}\n[model]\n{model}\n'
            '[train]\nlr = 0.1\nsteps = 2\n[view]\npanels = ["contour", "loss"]\n')
    with pytest.raises(ScenarioError, match=rf"view.panels: the contour panel .* at most {most:,} samples"):
        load_path(write_scenario(text.format(n=n, model=model)))
    assert load_path(write_scenario(text.format(n=most, model=model), name="fits.toml"))  # the most it takes
    xs, ys = surface.equal_scale_grid(((0.0, 1.0), (0.0, 0.01)))  # the widest grid: the bound is the truth
    assert len(xs) * len(ys) <= EXACT_POINTS and MAX_SURFACE_WORK == 1e9
