"""Learning-rate schedules as plain functions of the step (no torch).

Each schedule's formula is written once, in catalog.SCHEDULES: this module
compiles it, the engine hands `lr_factor` to torch's LambdaLR, `export-code`
prints the same text, and tests and the lesson text use the same functions,
so what the learner reads is what the optimizer gets.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .catalog import SCHEDULES as FORMULAS
from .catalog import entry
from .scenario.spec import TrainSpec

_NAMES = {"math": math, "min": min, "max": max, "__builtins__": {}}


def _compile(formula: str, parameters: tuple[str, ...]) -> Callable[..., float]:
    # the formula is catalog text written by us (never a scenario's): compiled once, at import
    return eval(f"lambda t, lr, total, {', '.join(parameters) or '_=None'}: {formula}", _NAMES)  # noqa: S307


SCHEDULES: dict[str, Callable[..., float]] = {name: _compile(s.formula, s.parameters) for name, s in FORMULAS.items()}


def learning_rate(train: TrainSpec, t: int, total: int) -> float:
    """The learning rate of step t (0-based) of a `total`-step run."""
    parameters = entry(FORMULAS, train.schedule, "schedule").parameters
    return SCHEDULES[train.schedule](t, train.lr, total, *(getattr(train, p) for p in parameters))


def lr_factor(train: TrainSpec, total: int) -> Callable[[int], float]:
    """The multiplier of the base lr at each step, as torch.optim.lr_scheduler.LambdaLR wants it."""
    return lambda t: learning_rate(train, t, total) / train.lr
