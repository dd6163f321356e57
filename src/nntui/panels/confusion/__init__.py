"""The confusion panel: which classes a run mistakes for which, on the validation split (the training split
where none is held out). This folder is the whole panel: the declaration here, the count (probe.py, the
engine's side) and the grid (widget.py)."""

from __future__ import annotations

from ..declare import Measured, PanelSpec, Variant

MAX_CLASSES = 12  # a grid of more classes has no room for its counts


def _problem(variants: tuple[Variant, ...]) -> str | None:
    ds = variants[0].dataset
    if ds.task == "regression":
        return "the confusion panel counts classes; this data is regression (remove 'confusion')"
    if max(ds.n_classes, 2) > MAX_CLASSES:
        return (f"the confusion panel draws up to {MAX_CLASSES} classes; this data has {ds.n_classes} "
                "(remove 'confusion')")
    return None


PANEL = PanelSpec(
    "panels.confusion.widget:ConfusionPanel", per_run=True, holds=True, check=_problem,
    probe="panels.confusion.probe:Confusion",
    measures=(Measured("confusion", "now"),         # (k, k) counts: row = the true class, column = the predicted
              Measured("confusion_split", "now")),  # the split counted: "validation", or "training" where none
)
