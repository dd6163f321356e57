"""How a panel is declared: what it draws with, what the engine measures for it, and what the history keeps.

A panel in a folder of its own (`panels/weight_norms/`) declares itself with a `PanelSpec` in its
`__init__.py`, beside its probe (`probe.py`, the engine's side: torch) and its widget (`widget.py`, the UI's
side: Textual); the registry (`panels/__init__.py`) names it with one line. The engine builds each shown
panel's probe for every run and puts what it measures into the run's frames under the names its `Measured`
entries declare; the record keeps each as declared and the runner hands it to the panels in
`RunView.measured`. Nothing else is written by hand for a new measurement.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args


class Variant(Protocol):
    """What a panel's check reads of a run (scenario.loader's Variant): declared here, so the loader, which
    checks a scenario's panels against the registry, is not imported back by it."""

    @property
    def label(self) -> str: ...

    @property
    def dataset(self) -> Any: ...

    @property
    def model(self) -> Any: ...

    @property
    def train(self) -> Any: ...

    @property
    def step_noise(self) -> str | None: ...

    @property
    def parameter_count(self) -> int: ...

    @property
    def dense_widths(self) -> list[int]: ...

    @property
    def conv_blocks(self) -> tuple: ...


# What the engine itself records for a panel, switched on by name (engine/run.py): the parameter path (the
# engine frames its loss surfaces around it), the autograd graph (traced once, before the first step) and each
# step's lr (it rides with that step's loss, kept min/max-bucketed like the loss so a schedule's peaks stay).
Probe = Literal["path", "graph", "lr"]
PROBES: tuple[Probe, ...] = get_args(Probe)

class PanelProbe(Protocol):
    """A panel's own measurement of one run, built by the engine as `Probe(run)` (engine.run.RunState: its `model`,
    `params`, `names`, `optimizer`, training inputs `x`, `device`) for each run while the panel is shown."""

    def before_update(self) -> None:
        """Called just before each update of the run's parameters (after its backward pass)."""

    def measure(self) -> dict[str, Any]:
        """At each frame: numpy values under the names the panel's `measures` declare."""
        ...


Kept = Literal["now", "over_time", "every_step"]


@dataclass(frozen=True)
class Measured:
    """One value a panel's probe adds to each frame of a run, and how the record keeps it:

    - "now": the latest frame's value (a panel held at a step, view.at, gets that step's);
    - "over_time": a 1-D row a frame (one number per layer, say), kept bounded (record.Thinned) and handed
      to the panel as (steps (k,), rows (k, n));
    - "every_step": a row for every step since the last frame, measured as (steps (k,), rows (k, n)) and kept
      and handed over the same way. Frames come as they come (every step at a slow speed, a few a run at full
      speed, where the engine stops only where claims are judged): a value that moves from step to step is
      kept every step, or its chart changes with the speed it was trained at.
    """

    name: str
    kept: Kept


@dataclass(frozen=True)
class PanelSpec:
    widget: str                                   # "module:Class" under nntui (ui.loss:LossPlot)
    probes: frozenset[Probe] = frozenset()        # measured by the engine for this panel (the built-in probes)
    training: bool = True                         # draws training runs (not a graph lesson's)
    frame: bool = False                           # the table under the plots or the text beside them
    per_run: bool = False                         # shows one run: it can be drawn once per run (view.runs)
    holds: bool = False                           # draws a run's state at one step: it can be held there (view.at)
    check: Callable[[tuple[Variant, ...]], str | None] | None = None  # a problem showing it, or None
    probe: str | None = None                      # "module:Class" under nntui: the engine's side, built per run
    measures: tuple[Measured, ...] = ()           # what that probe adds to each frame
    own_optimizer: bool = False                   # its probe reads each run's torch optimizer state: a run whose
    #                                               optimizer keeps some trains alone, never batched

    def __post_init__(self) -> None:
        if (self.probe is None) != (not self.measures):
            raise ValueError(f"{self.widget}: a probe declares what it measures, and a measurement needs a probe")
        kinds = get_args(Kept)
        for m in self.measures:
            if m.kept not in kinds:
                raise ValueError(f"{self.widget}: '{m.name}' is kept {m.kept!r}; the record keeps {kinds}")


def located(path: str) -> tuple[str, str]:
    """'panels.loss.widget:LossPlot' → ('nntui.panels.loss.widget', 'LossPlot'): where a declared widget or
    probe lives."""
    module, _, name = path.partition(":")
    return f"nntui.{module}", name
