"""The contour panel's measurement: for a model of two numbers, the step its optimizer's state points along now,
and the effective learning rate of each of the two, read from the torch optimizer's own state at the frame."""

from __future__ import annotations

import math
from collections.abc import Callable

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
        optimizer = self.run.optimizer
        read = READERS.get(type(optimizer).__name__)
        if not self.pairs or read is None:
            return {"optimizer_step": NONE, "effective_lr": NONE}
        group = optimizer.param_groups[0]
        states = [optimizer.state.get(p, {}) for p in self.params]
        grads = [p.grad for p in self.params]
        found = read(states, grads, group)
        if found is None:  # no state yet (before the first step), or a variant of the rule this does not follow
            return {"optimizer_step": NONE, "effective_lr": NONE}
        direction, roots = found
        lr = float(group["lr"])
        return {"optimizer_step": -lr * direction, "effective_lr": NONE if roots is None else lr / roots}


Found = tuple[np.ndarray, np.ndarray | None] | None  # (the step ÷ −lr, √v̂ + ε where the optimizer keeps it)


def _adam(states, grads, group) -> Found:
    """lr·m̂/(√v̂+ε), m̂ and v̂ the bias-corrected exp_avg and exp_avg_sq."""
    if not all("exp_avg_sq" in s for s in states):
        return None
    beta1, beta2 = group["betas"]
    t = float(states[0]["step"])
    roots = _flat([(s["exp_avg_sq"] / (1 - beta2 ** t)).sqrt() + group["eps"] for s in states])
    return _flat([s["exp_avg"] / (1 - beta1 ** t) for s in states]) / roots, roots


def _scaled(key: str):
    """RMSProp (square_avg) and Adagrad (sum): lr·g/(√s+ε), g the gradient of the step just taken."""
    def read(states, grads, group) -> Found:
        if group.get("momentum") or not all(key in s for s in states) or any(g is None for g in grads):
            return None
        roots = _flat([s[key].sqrt() + group["eps"] for s in states])
        return _flat(grads) / roots, roots

    return read


def _momentum(states, grads, group) -> Found:
    """lr·v, v the momentum_buffer (heavy ball; Nesterov's step is another)."""
    if not group.get("momentum") or group.get("nesterov") or any(s.get("momentum_buffer") is None for s in states):
        return None
    return _flat([s["momentum_buffer"] for s in states]), None


# the torch optimizers whose step this reads, by class; plain SGD keeps nothing (no momentum_buffer: none drawn)
READERS: dict[str, Callable[..., Found]] = {"Adam": _adam, "AdamW": _adam, "RMSprop": _scaled("square_avg"),
                                            "Adagrad": _scaled("sum"), "SGD": _momentum}


def _flat(tensors) -> np.ndarray:
    return torch.cat([t.detach().reshape(-1).double() for t in tensors]).cpu().numpy()
