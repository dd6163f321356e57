"""The validation loss panel: each run's loss on the held-out points, a solid line per run with its end label,
the ▼ at its lowest and the ■ where early stopping ended it.

Beside it the loss panel draws the training loss alone (its title says so). Its y axis spans the validation
losses only: on the training loss's axis (0.001 to 1 in overfitting) a validation loss climbing from 0.08 to 0.13
was one row, and that climb is the lesson. On one chart the validation curves had been dashes a shade lighter
than their training curves, which reviewers could not tell from them.
"""

from __future__ import annotations

from ...runner import View
from ..loss.overlap import Curves
from ..loss.widget import LossPlot


class ValLossPlot(LossPlot):
    NAMES = NAMES_BESIDE_VALIDATION = ("Validation loss", "Val loss")
    SMOOTHS = False  # (~ smooths the training curves; these are drawn as measured)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.above_floor = False  # (the best possible is the training loss's, not the held-out points')

    def _marks_lowest(self) -> bool:
        return self.MARKS_LOWEST

    def _curves(self, view: View) -> list[Curves]:
        """Each run's validation loss as its curve."""
        none = self._finite(None, None)
        return [Curves(self._finite(run.val_steps, run.val_losses), none, none, envelope=False) for run in view.runs]
