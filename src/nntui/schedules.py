"""Learning-rate schedules as plain functions of the step (no torch).

The engine hands `lr_factor` to torch's LambdaLR; tests and the lesson text
use the same formulas, so what the learner reads is what the optimizer gets.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .scenario.spec import TrainSpec


def _cyclic(t: TrainSpec, step: int, total: int) -> float:
    """A triangle wave: lr_min → lr in step_size steps, back down in as many."""
    phase = (step / t.step_size) % 2
    return t.lr_min + (t.lr - t.lr_min) * (phase if phase <= 1 else 2 - phase)


SCHEDULES: dict[str, Callable[[TrainSpec, int, int], float]] = {
    "constant": lambda t, step, total: t.lr,
    "step": lambda t, step, total: t.lr * t.gamma ** (step // t.step_size),
    "exponential": lambda t, step, total: t.lr * math.exp(-t.gamma * step),
    "inverse": lambda t, step, total: t.lr / (1 + t.gamma * step),
    "polynomial": lambda t, step, total: t.lr * max(0.0, 1 - step / total) ** t.power,
    "cosine": lambda t, step, total: t.lr_min + (t.lr - t.lr_min) * (1 + math.cos(math.pi * min(step, total) / total)) / 2,
    "cyclic": _cyclic,
}


def learning_rate(train: TrainSpec, t: int, total: int) -> float:
    """The learning rate of step t (0-based) of a `total`-step run."""
    return SCHEDULES[train.schedule](train, t, total)


def lr_factor(train: TrainSpec, total: int):
    """The multiplier of the base lr at each step, as torch.optim.lr_scheduler.LambdaLR wants it."""
    return lambda t: learning_rate(train, t, total) / train.lr
