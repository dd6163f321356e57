"""The edit form: change one run's settings, add a copy of it, or remove it, without leaving the app.

Every change goes through the scenario loader, so a bad value gets the same
one-line message a bad file would, shown in the form. The app decides what
an accepted edit restarts (see NNTuiApp.apply_edit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ... import catalog
from ...errors import NntuiError
from ...scenario import Scenario
from ...scenario.edit import live_problem, with_branch, with_copy, with_variant, without


@dataclass(frozen=True)
class Edit:
    """What the form produced: the new scenario, and which run changed ("change": it restarts; "continue": it goes
    on), or "add" / "remove"."""

    kind: str
    scenario: Scenario
    index: int


def _text(value: Any) -> str:
    return "" if value is None else (f"{value:g}" if isinstance(value, float) else str(value))


class EditScreen(ModalScreen[Edit | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, scenario: Scenario, index: int, edit_run: Callable[[int], None], ended: str | None = None,
                 step: int = 0, branching: bool = False):
        """`edit_run` opens the form for another run (the app's edit action), when the run picker changes;
        `ended`: why the run cannot go on (it diverged, stopped or finished), which refuses Continue; `step`: where
        the run is, where a branch leaves it; `branching`: opened to branch (b), the Branch button focused."""
        super().__init__()
        self.scenario = scenario
        self.index = index
        self.edit_run = edit_run
        self.ended = ended
        self.step = step
        self.branching = branching

    def compose(self) -> ComposeResult:
        v = self.scenario.variants[self.index]
        t, m = v.train, v.model
        surface = m.kind == "surface"
        with Vertical():
            yield Static("[b]Edit a run[/b] · Apply restarts it from the same initial weights; Continue keeps its "
                         "weights and goes on from here (lr, momentum, L2, L1, dropout, patience); Branch keeps it "
                         f"as it is and adds a run that is it up to step {self.step}, then takes these settings "
                         "(and may take another optimizer)", id="head")
            with VerticalScroll(id="fields"), Grid():  # scrolls where the screen is short (80x24)
                yield Label("run")
                yield Select([(x.label, i) for i, x in enumerate(self.scenario.variants)], value=self.index,
                             allow_blank=False, id="run")
                yield Label("lr")
                yield Input(_text(t.lr), id="train-lr")
                yield Label("batch size")
                yield Input(_text(t.batch_size), placeholder="a number, or full", id="train-batch_size")
                yield Label("optimizer")
                yield Select([(o, o) for o in catalog.OPTIMIZERS], value=t.optimizer, allow_blank=False,
                             id="train-optimizer")
                yield Label("momentum")
                yield Input(_text(t.momentum), id="train-momentum")
                yield Label("L2 decay")
                yield Input(_text(t.weight_decay), id="train-weight_decay", disabled=surface)
                yield Label("L1")
                yield Input(_text(t.l1), id="train-l1", disabled=surface)
                yield Label("dropout")
                yield Input(_text(m.dropout), id="model-dropout", disabled=m.kind not in ("mlp", "cnn") or not m.layers)
                yield Label("patience")
                yield Input(_text(t.early_stop.patience if t.early_stop else None),
                            placeholder="early stop: steps, or off" if len(v.dataset.x_val) else "(no validation split)",
                            id="train-early_stop", disabled=not len(v.dataset.x_val))
                yield Label("activation")
                yield Select([(a, a) for a in catalog.ACTIVATIONS], value=m.activation, allow_blank=False,
                             id="model-activation", disabled=surface or m.kind == "linear")
                yield Label("init")
                yield Select([(i, i) for i in catalog.INITS], value=m.init, allow_blank=False, id="model-init",
                             disabled=surface)
                yield Label("seed")
                yield Input(_text(t.seed), placeholder=f"the scenario's ({self.scenario.meta.seed})", id="train-seed")
                yield Label("steps")
                yield Input(_text(v.steps), id="train-steps")
            yield Static("", id="error")
            with Horizontal():
                yield Button("Apply", variant="primary", id="apply")
                yield Button("Continue", variant="success", id="continue")
                yield Button(f"Branch at {self.step}", id="branch", disabled=not self._can_branch())
                yield Button("Add a copy", id="add")
                yield Button("Remove", variant="error", id="remove", disabled=len(self.scenario.variants) < 2)
                yield Button("Cancel", id="cancel")

    def _can_branch(self) -> bool:
        v = self.scenario.variants[self.index]
        return v.branch is None and 0 < self.step < v.steps

    def on_mount(self) -> None:
        if self.branching and self._can_branch():
            self.query_one("#branch", Button).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.select.id == "run" and event.value != self.index:
            self.dismiss(None)
            self.app.call_later(self.edit_run, event.value)  # the form again, for that run

    def on_button_pressed(self, event: Button.Pressed) -> None:
        kind = event.button.id
        if kind == "cancel":
            self.dismiss(None)
            return
        try:
            if kind in ("apply", "continue"):
                changes = self._changes()
                if not changes:
                    self.dismiss(None)
                    return
                edited = with_variant(self.scenario, self.index, changes)
                if kind == "continue":
                    problem = (f"{self.ended}: there is nothing to go on from (press Apply to restart the run with "
                               "these settings)" if self.ended else
                               live_problem(self.scenario.variants[self.index], edited.variants[self.index]))
                    if problem:
                        self.query_one("#error", Static).update(problem)
                        return
                result = Edit("change" if kind == "apply" else "continue", edited, self.index)
            elif kind == "branch":
                result = Edit("add", with_branch(self.scenario, self.index, self.step, self._changes(),
                                                 self._branch_label()), len(self.scenario.variants))
            elif kind == "add":
                label = f"{self.scenario.variants[self.index].label.removesuffix(' ✎')} (copy) ✎"
                result = Edit("add", with_copy(self.scenario, self.index, label), len(self.scenario.variants))
            else:
                result = Edit("remove", without(self.scenario, self.index), self.index)
        except (NntuiError, ValueError) as exc:
            self.query_one("#error", Static).update(str(exc).splitlines()[0])
            return
        self.dismiss(result)

    def _branch_label(self) -> str:
        """"sgd @40 ✎": the run it leaves and where (as `from` says it: label@step; numbered where that is
        taken), marked as an edit."""
        taken = {v.label for v in self.scenario.variants}
        base = f"{self.scenario.variants[self.index].label.removesuffix(' ✎')} @{self.step}"
        label, k = f"{base} ✎", 2
        while label in taken:
            label, k = f"{base} ({k}) ✎", k + 1
        return label

    def _changes(self) -> dict[str, Any]:
        """The fields that differ from the run's current settings, typed as the scenario format wants them."""
        v = self.scenario.variants[self.index]
        current: dict[str, Any] = {"train.lr": v.train.lr, "train.batch_size": v.train.batch_size,
                   "train.optimizer": v.train.optimizer, "train.momentum": v.train.momentum,
                   "train.weight_decay": v.train.weight_decay, "train.l1": v.train.l1, "model.dropout": v.model.dropout,
                   "train.early_stop": v.train.early_stop.model_dump() if v.train.early_stop else None,
                   "model.activation": v.model.activation, "model.init": v.model.init,
                   "train.seed": v.train.seed, "train.steps": v.steps}
        changes: dict[str, Any] = {}
        for key, old in current.items():
            widget = self.query_one("#" + key.replace(".", "-"))
            if widget.disabled:
                continue
            if isinstance(widget, Select):
                value = widget.value
            else:
                assert isinstance(widget, Input)  # compose makes every other field an Input
                value = _parse(widget.value.strip(), key)
                if key == "train.early_stop" and value is not None:  # the patience, or off
                    value = None if value == "off" else {**(old or {}), "patience": value}
                    if value == old:
                        continue
                    changes[key] = value
                    continue
            if value is not None and value != old:
                changes[key] = value
        return changes

    def action_cancel(self) -> None:
        self.dismiss(None)


def _parse(text: str, key: str) -> Any:
    """Numbers as numbers; `full` for the batch size; blank: unchanged. Bad text is left to the loader to name."""
    if not text:
        return None
    if key == "train.batch_size" and text == "full":
        return text
    try:
        if key == "model.dropout" and "," in text:  # one rate per hidden layer
            return [float(part) for part in text.strip("[]").split(",")]
        return int(text) if key in ("train.batch_size", "train.seed", "train.steps", "train.early_stop") else float(text)
    except ValueError:
        return text  # the loader's message names the field and what it expects
