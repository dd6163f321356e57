"""The confusion panel's count: each true class against each predicted one, at each frame."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from ...engine.build import eval_mode
from ...engine.run import predictions, true_classes


class Confusion:
    """Counts the validation split (the training split where none is held out) with the model in eval mode."""

    def __init__(self, run) -> None:
        self.run = run
        self.classes = max(run.variant.dataset.n_classes, 2)

    def before_update(self) -> None:
        pass

    @torch.no_grad()
    def measure(self) -> dict[str, Any]:
        run = self.run
        held_out = len(run.x_val) > 0
        x, y = (run.x_val, run.y_val) if held_out else (run.x, run.y)
        with eval_mode(run.model):
            counts = confusion_matrix(run.model(x), y, self.classes)
        return {"confusion": counts, "confusion_split": "validation" if held_out else "training"}


def confusion_matrix(out: torch.Tensor, y: torch.Tensor, classes: int) -> np.ndarray:
    """(classes, classes) counts: row = the true class, column = the predicted one."""
    counts = torch.bincount(true_classes(y) * classes + predictions(out), minlength=classes * classes)
    return counts.reshape(classes, classes).cpu().numpy().astype(np.int64)
