"""Learning-rate schedules as plain functions of the step (no torch).

The engine hands `lr_factor` to torch's LambdaLR; tests and the lesson text
use the same formulas, so what the learner reads is what the optimizer gets.
"""

from __future__ import annotations

import math

from .scenario.spec import TrainSpec


def learning_rate(train: TrainSpec, t: int, total: int) -> float:
    """The learning rate of step t (0-based) of a `total`-step run."""
    lr, g = train.lr, train.gamma
    kind = train.schedule
    if kind == "step":
        return lr * g ** (t // train.step_size)
    if kind == "exponential":
        return lr * math.exp(-g * t)
    if kind == "inverse":
        return lr / (1 + g * t)
    if kind == "polynomial":
        return lr * max(0.0, 1 - t / total) ** train.power
    if kind == "cosine":
        return train.lr_min + (lr - train.lr_min) * (1 + math.cos(math.pi * min(t, total) / total)) / 2
    if kind == "cyclic":  # a triangle wave: lr_min → lr in step_size steps, back down in as many
        phase = (t / train.step_size) % 2
        return train.lr_min + (lr - train.lr_min) * (phase if phase <= 1 else 2 - phase)
    return lr


def lr_factor(train: TrainSpec, total: int):
    """The multiplier of the base lr at each step, as torch.optim.lr_scheduler.LambdaLR wants it."""
    return lambda t: learning_rate(train, t, total) / train.lr
