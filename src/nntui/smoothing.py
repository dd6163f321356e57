"""TensorBoard's smoothing, carried on from one batch of values to the next (no torch, nothing else here).

The history smooths each run's loss as its frames arrive (record.py), and a watched run's log is smoothed as it
is read (runlog.py): both keep a running (weighted sum, total weight) and divide by the weight, so the first
points are not pulled toward 0. NaN and Inf pass through where they happened, and leave the running state as it
was.
"""

from __future__ import annotations

import math

import numpy as np


def carried_ema(values: np.ndarray, state: tuple[float, float], beta: float,
                log: bool = False) -> tuple[np.ndarray, tuple[float, float]]:
    """Each value's debiased EMA (weight `beta` on the past) and the state to carry on from. `log`: of the log of
    the values, a moving geometric mean (a value at or below 0 passes through as it is)."""
    total, weight = state
    out = np.array(values, np.float64)
    for k, value in enumerate(out.tolist()):
        if not math.isfinite(value) or (log and value <= 0):
            continue
        total = beta * total + (1 - beta) * (math.log(value) if log else value)
        weight = beta * weight + (1 - beta)
        out[k] = math.exp(total / weight) if log else total / weight
    return out, (total, weight)
