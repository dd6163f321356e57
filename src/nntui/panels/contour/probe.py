"""The contour panel's measurement: for a model of two numbers, the step its optimizer's state points along now,
and the effective learning rate of each of the two, read from the torch optimizer's own state at the frame."""

from __future__ import annotations

import math

import numpy as np
import torch

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
        if not self.pairs:
            return {"optimizer_step": NONE, "effective_lr": NONE}
        optimizer = self.run.optimizer
        group = optimizer.param_groups[0]
        lr, eps = float(group["lr"]), float(group.get("eps", 0.0))
        states = [optimizer.state.get(p, {}) for p in self.params]
        grads = [p.grad for p in self.params]
        kind = type(optimizer).__name__
        if kind in ("Adam", "AdamW") and all("exp_avg_sq" in s for s in states):
            beta1, beta2 = group["betas"]
            t = float(states[0]["step"])
            roots = _flat([(s["exp_avg_sq"] / (1 - beta2 ** t)).sqrt() + eps for s in states])
            direction = _flat([s["exp_avg"] / (1 - beta1 ** t) for s in states]) / roots
        elif kind == "RMSprop" and all("square_avg" in s for s in states) and not group.get("momentum") \
                and all(g is not None for g in grads):
            roots = _flat([s["square_avg"].sqrt() + eps for s in states])
            direction = _flat(grads) / roots
        elif kind == "Adagrad" and all("sum" in s for s in states) and all(g is not None for g in grads):
            roots = _flat([s["sum"].sqrt() + eps for s in states])
            direction = _flat(grads) / roots
        elif kind == "SGD" and group.get("momentum") and not group.get("nesterov") \
                and all(s.get("momentum_buffer") is not None for s in states):
            return {"optimizer_step": -lr * _flat([s["momentum_buffer"] for s in states]), "effective_lr": NONE}
        else:  # plain SGD keeps nothing; other optimizers' steps are not this simple
            return {"optimizer_step": NONE, "effective_lr": NONE}
        return {"optimizer_step": -lr * direction, "effective_lr": lr / roots}


def _flat(tensors) -> np.ndarray:
    return torch.cat([t.detach().reshape(-1).double() for t in tensors]).cpu().numpy()
