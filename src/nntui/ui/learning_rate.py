"""The learning-rate panel: each run's lr at every step, as its optimizer used it (schedules move it).

It is the loss panel's chart with other data: the same step range and
colours, so beside the loss it lines up step for step, and a drop in lr can
be read against what the loss did at that step. Its axis is always linear:
schedules are written, and taught, as shapes in lr itself (a triangle, a
half cosine, steps), and a log axis stretched the last steps of a schedule
that ends at 0 over six decades.
"""

from __future__ import annotations

from collections.abc import Collection

from ..runner import View
from .loss import Curves, LossPlot


class LearningRatePanel(LossPlot):
    MARKS_LOWEST = False
    KEY_HINT = ""

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls(**kwargs)

    def on_mount(self) -> None:
        self.set_titles(title=self._title(), subtitle="each step's lr")

    def set_scale(self, *, log_y: bool | None = None, smooth: bool | None = None) -> None:
        """The loss panel's log and smoothing keys leave it as it is (the lr is exact, and linear reads best)."""

    def _title(self) -> str:
        return "Learning rate"

    def _legend(self, held_out: bool, noise: bool, marks: Collection[str]) -> list[tuple[str, str]]:
        return [("each step's lr", "each step's lr")]

    def _curves(self, view: View) -> list[Curves]:
        none = self._finite(None, None)
        return [Curves(self._finite(run.lr_steps, run.lrs), none, none, envelope=False) for run in view.runs]
