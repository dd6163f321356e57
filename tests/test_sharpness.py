"""λmax by power iteration on Hessian-vector products, against a full Hessian's eigendecomposition; the edge of
stability lesson's sharpness on its 2/lr line."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.func import functional_call

from nntui.panels.sharpness.probe import top_eigenvalue


def test_power_iteration_finds_the_full_hessian_s_top_eigenvalue():
    """A small tanh network (49 numbers), MSE on 30 points: λmax from Hessian-vector products against the largest
    eigenvalue of the whole Hessian, built with torch.autograd.functional.hessian and eigvalsh."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(1, 8), torch.nn.Tanh(), torch.nn.Linear(8, 4), torch.nn.Tanh(),
                                torch.nn.Linear(4, 1)).double()
    x = torch.linspace(-2, 2, 30, dtype=torch.float64).unsqueeze(1)
    y = torch.sin(2 * x)
    params = list(model.parameters())
    value, _ = top_eigenvalue(lambda: ((model(x) - y) ** 2).mean(), params, None, 200)

    names = [n for n, _ in model.named_parameters()]
    shapes = [p.shape for p in params]
    flat = torch.cat([p.detach().reshape(-1) for p in params])

    def loss(theta: torch.Tensor) -> torch.Tensor:
        chunks, start = {}, 0
        for name, shape in zip(names, shapes):
            n = int(np.prod(shape))
            chunks[name] = theta[start:start + n].reshape(shape)
            start += n
        return ((functional_call(model, chunks, (x,)) - y) ** 2).mean()

    eigenvalues = torch.linalg.eigvalsh(torch.autograd.functional.hessian(loss, flat))
    top = eigenvalues[eigenvalues.abs().argmax()]
    assert value == pytest.approx(float(top), rel=1e-6)


def test_the_edge_of_stability_lesson_sits_on_its_limits():
    """Each run of the lesson starts at the same λmax; lr 0.05 and 0.1 end within 5% of their 2/lr."""
    from nntui.engine import Engine
    from nntui.scenario import load

    engine = Engine(load("edge_of_stability").with_steps(400), "cpu")
    engine.advance(400)
    frame = engine.frame()
    first = {r.label: r.measured["sharpness"] for r in frame.runs}  # every estimate since the start
    starts = {label: rows[0, 0] for label, (_, rows) in first.items()}
    assert len(set(np.round(list(starts.values()), 6))) == 1
    for lr in (0.05, 0.1):
        steps, rows = first[f"lr={lr}"]
        assert abs(rows[-1, 0] - 2 / lr) < 0.05 * 2 / lr, (lr, rows[-5:, 0])
