"""The gap panel: each run's generalization gap, validation loss − training loss, at every validation step.

It is the loss panel's chart with the difference of its two curves: the same steps and colours, so beside
the loss it lines up step for step. A gap that grows while the training loss falls is a run learning its
training points' noise; one that stays near 0 generalizes. Its axis is linear and holds 0: a gap is a
difference, and a validation loss below the training loss gives a negative one.
"""

from __future__ import annotations

from collections.abc import Collection

import numpy as np

from ...runner import View
from ..loss.widget import Curves, LossPlot


class GapPanel(LossPlot):
    MARKS_LOWEST = False
    GUESS_LINE = False  # (a difference of losses: no guess's loss on this axis)
    KEY_HINT = ""

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls(**kwargs)

    def on_mount(self) -> None:
        self.set_titles(title=self._title(), subtitle="validation − training loss")

    def set_scale(self, *, log_y: bool | None = None, smooth: bool | None = None) -> None:
        """The loss panel's log and smoothing keys leave it as it is (a gap can be negative: a linear axis)."""

    def _title(self) -> str:
        return "Gap: validation − training loss"

    def _legend(self, held_out: bool, noise: bool, marks: Collection[str]) -> list[tuple[str, str]]:
        return [("each run's val − train at each validation step", "val − train")]

    def _curves(self, view: View) -> list[Curves]:
        none = self._finite(None, None)
        return [Curves(self._finite(*_gap(run)), none, none, envelope=False) for run in view.runs]


def _gap(run) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(steps, validation − training loss) at each step where both were measured."""
    if run.val_steps is None or run.val_losses is None or run.train_steps is None or run.train_losses is None:
        return None, None
    common, at_val, at_train = np.intersect1d(run.val_steps, run.train_steps, return_indices=True)
    return common, run.val_losses[at_val] - run.train_losses[at_train]
