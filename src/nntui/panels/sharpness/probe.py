"""The sharpness panel's measurement: λmax, the top eigenvalue of the Hessian of the whole training split's loss,
by power iteration on Hessian-vector products (double backward), every EVERY steps, just before the update."""

from __future__ import annotations

import math

import numpy as np
import torch

EVERY = 10        # steps between estimates
FIRST_ITERS = 40  # power iterations from a random start …
ITERS = 8         # … and from the last estimate's eigenvector (it moves little in EVERY steps)


def top_eigenvalue(loss_of, params: list[torch.Tensor], start: list[torch.Tensor] | None,
                   iterations: int) -> tuple[float, list[torch.Tensor]]:
    """(λmax, its eigenvector) of the Hessian of `loss_of()` in `params`, by power iteration from `start` (None:
    a fixed random vector). The largest eigenvalue in size: at a sharp minimum of a loss, the largest one."""
    grads = torch.autograd.grad(loss_of(), params, create_graph=True)
    if start is None:
        generator = torch.Generator().manual_seed(0)
        start = [torch.randn(p.shape, generator=generator).to(p.device, p.dtype) for p in params]
    vector, value = start, math.nan
    for _ in range(iterations):
        norm = torch.sqrt(torch.stack([(v * v).sum() for v in vector]).sum())
        vector = [v / norm for v in vector]
        product = torch.autograd.grad(grads, params, vector, retain_graph=True)
        value = float(torch.stack([(h * v).sum() for h, v in zip(product, vector)]).sum())
        vector = [h.detach() for h in product]
    return value, vector


class Sharpness:
    def __init__(self, run) -> None:
        self.run = run
        self.vector: list[torch.Tensor] | None = None
        self.steps: list[int] = []
        self.values: list[float] = []

    def before_update(self) -> None:
        if self.run.step % EVERY:
            return
        run, model = self.run, self.run.model
        training = model.training
        model.eval()  # (dropout's masks would make every product another Hessian's)
        try:
            value, self.vector = top_eigenvalue(lambda: run.loss_fn(model(run.x), run.y), run.params, self.vector,
                                                FIRST_ITERS if self.vector is None else ITERS)
        finally:
            model.train(training)
        self.steps.append(run.step)
        self.values.append(value)

    def measure(self) -> dict:
        steps, rows = np.asarray(self.steps, np.int64), np.asarray(self.values, np.float64).reshape(-1, 1)
        self.steps, self.values = [], []
        return {"sharpness": (steps, rows)}
