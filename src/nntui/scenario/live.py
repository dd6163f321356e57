"""Which settings a run can take mid-run, keeping its weights, its optimizer's state and its batch order: the
engine's RunState.retune applies them. A live edit (Continue) and a branch (`from = "label@step"`) may change
these; anything else (data, architecture, batch size, length, seed) means another run from step 0."""

from __future__ import annotations

from typing import Any

LIVE_FIELDS = frozenset({
    "train.lr", "train.momentum", "train.nesterov", "train.weight_decay", "train.betas", "train.eps", "train.alpha",
    "train.schedule", "train.gamma", "train.step_size", "train.power", "train.lr_min",
    "train.l1", "train.early_stop", "train.eval_mode", "model.dropout"})
# a branch may also take another optimizer: a new one, its state empty (the weights and batch order go on)
BRANCH_FIELDS = LIVE_FIELDS | {"train.optimizer"}


def changed_fields(before: Any, after: Any) -> list[str]:
    """The "section.field" names whose values differ between two runs (loader Variants)."""
    return [f"{section}.{name}" for section in ("data", "model", "train")
            for name in sorted(_fields(getattr(before, section)) | _fields(getattr(after, section)))
            if _value(before, section, name) != _value(after, section, name)]


def _fields(spec: Any) -> set[str]:
    return set(type(spec).model_fields) if spec is not None else set()


def _value(variant: Any, section: str, name: str) -> Any:
    spec = getattr(variant, section)
    return getattr(spec, name, None) if spec is not None else None
