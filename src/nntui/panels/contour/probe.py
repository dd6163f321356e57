"""The contour panel's measurement: for a model of two numbers, the step its optimizer's state points along now,
and the effective learning rate of each of the two, read from the torch optimizer's own state at the frame."""

from __future__ import annotations

import math

import numpy as np
import torch

from ..optimizer_state.probe import effective_root, step_direction

NONE = np.full(2, math.nan)


class OptimizerNow:
    """Nothing a step: the state is read when a frame is taken (what the last update left)."""

    def __init__(self, run) -> None:
        self.run = run
        self.params = run.params
        self.pairs = sum(p.numel() for p in self.params) == 2  # an exact surface: two numbers, one point

    def before_update(self) -> None:
        """(Nothing to keep: the frame reads what the last update left.)"""

    @torch.no_grad()
    def measure(self) -> dict:
        optimizer = self.run.optimizer
        group, kind = optimizer.param_groups[0], type(optimizer).__name__
        states = [optimizer.state.get(p, {}) for p in self.params]
        if not self.pairs or not all(states):  # plain SGD keeps nothing (no line), and nothing before a first step
            return {"optimizer_step": NONE, "effective_lr": NONE}
        directions = [step_direction(kind, s, group, p.grad) for s, p in zip(states, self.params)]
        roots = [effective_root(s, group) for s in states]
        lr = float(group["lr"])
        return {"optimizer_step": NONE if any(d is None for d in directions) else -lr * _flat(directions),
                "effective_lr": NONE if any(r is None for r in roots) else lr / _flat(roots)}


def _flat(tensors) -> np.ndarray:
    return torch.cat([t.detach().reshape(-1).double() for t in tensors]).cpu().numpy()
