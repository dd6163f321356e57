"""The accuracy panel: each run's fraction classified right, on the training split (solid) and the validation
split (dashed), over the same steps and in the same colours as the loss beside it.

Loss and accuracy tell different stories: a model can grow more confident on the points it gets right (the
loss falls) while classifying no more of them right, or lose confidence on unseen points (the validation loss
climbs) while still getting most of them right. Its axis is a percentage from a round floor to 100%: a run
at chance sits visibly low, one at 100% on the top edge.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from ...runner import View
from ..loss.widget import Curves, LossPlot, validation_entry


class AccuracyPanel(LossPlot):
    MARKS_LOWEST = False
    GUESS_LINE = False  # (an accuracy axis)
    Y_ANCHOR = "high"  # 100% on the top row
    KEY_HINT = ""

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls(**kwargs)

    def on_mount(self) -> None:
        self.set_titles(title=self._title(), subtitle="")

    def set_scale(self, *, log_y: bool | None = None, smooth: bool | None = None) -> None:
        """The loss panel's log and smoothing keys leave it as it is (a fraction right reads on a linear axis)."""

    def _title(self) -> str:
        return "Accuracy"

    _held_out_only = False  # no run has a training accuracy (a watched script may give only its validation's)

    def _legend(self, held_out: bool, noise: bool, marks: Collection[str]) -> list[tuple[str, str]]:
        if self._held_out_only:
            return [("━ validation split", "━ val")]
        if not held_out:
            return [("━ training split", "━ train")]
        return [("━ training", "━ train"), validation_entry(marks)]

    def _curves(self, view: View) -> list[Curves]:
        none = self._finite(None, None)
        trained = [self._finite(run.acc_steps, run.accuracies) for run in view.runs]
        held = [self._finite(run.val_acc_steps, run.val_accuracies) for run in view.runs]
        self._held_out_only = not any(len(t[0]) for t in trained) and any(len(h[0]) for h in held)
        if self._held_out_only:  # the validation accuracy is the curve, drawn solid
            return [Curves(h, none, none, envelope=False) for h in held]
        return [Curves(t, none, h, envelope=False) for t, h in zip(trained, held)]

    def _y_range(self, view: View, curves: list[Curves]) -> tuple[float, float]:
        """From the lowest accuracy shown, rounded down to a tenth, to 100%."""
        low = min((float(v.min()) for c in curves for _, v in (c.main, c.held_out) if len(v)), default=0.0)
        return min(math.floor(low * 10) / 10, 0.9), 1.0

    @staticmethod
    def _tick_label(value: float, width: int) -> str:
        return f"{100 * value:.4g}%"[:width]
