"""Every panel a scenario can show, declared once. No torch and no Textual here.

A declaration says what the panel needs and where it lives:

- `widget`: its Textual class as "module:Class" under nntui (only the UI imports it);
- `probe` and `measures`: the panel's own measurement (`panels/histograms/probe.py`;
  declare.py says how); the contour, curvature, graph and lr panels name what the
  engine itself records instead (`probes`: the path, the graph, each step's lr).
  The engine measures only what the shown panels and the claims need;
- `training`: it draws a training run (a graph lesson has none);
- `frame`: it frames the plots (the table under them, the text beside them)
  instead of taking a cell of the plot grid;
- `per_run`: it draws one run at a time ([ and ] switch), so a scenario can
  show it once per run side by side (`view.runs`: small multiples);
- `check`: what makes a scenario unable to show it, as a one-line fix.

The scenario loader checks a scenario's panels here, the engine switches its
probes on from here, the app builds its widgets from here, and spec.py's
`panels` field admits exactly these keys (`PanelName`). docs/extending.md
walks through adding one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal, TypeAlias

from . import (
    accuracy,
    activation,
    boundary,
    code,
    confusion,
    contour,
    conv_step,
    curvature,
    feature_maps,
    filters,
    gap,
    gradient_flow,
    graph,
    histograms,
    lesson,
    loss,
    lr,
    momentum_map,
    neurons,
    optimizer_state,
    sharpness,
    speed,
    val_loss,
    variants,
    weight_norms,
)
from .declare import Measured, PanelSpec, Probe

PANELS: dict[str, PanelSpec] = {
    "loss": loss.PANEL,
    "lr": lr.PANEL,
    "contour": contour.PANEL,
    "curvature": curvature.PANEL,
    "sharpness": sharpness.PANEL,
    "momentum_map": momentum_map.PANEL,
    "accuracy": accuracy.PANEL,
    "gradient_flow": gradient_flow.PANEL,
    "histograms": histograms.PANEL,
    "boundary": boundary.PANEL,
    "neurons": neurons.PANEL,
    "confusion": confusion.PANEL,
    "filters": filters.PANEL,
    "feature_maps": feature_maps.PANEL,
    "conv_step": conv_step.PANEL,
    "graph": graph.PANEL,
    "code": code.PANEL,
    "activation": activation.PANEL,
    "gap": gap.PANEL,
    "val_loss": val_loss.PANEL,
    "speed": speed.PANEL,
    "weight_norms": weight_norms.PANEL,
    "optimizer_state": optimizer_state.PANEL,
    "variants": variants.PANEL,
    "lesson": lesson.PANEL,
}


def panel(name: str) -> PanelSpec:
    """The declaration of `name`; a name without one is a bug, never a panel silently left out."""
    try:
        return PANELS[name]
    except KeyError:
        raise KeyError(f"no panel '{name}' in panels.PANELS") from None


def probes_for(names: Iterable[str]) -> frozenset[Probe]:
    """What the engine itself records for these panels (declare.Probe)."""
    return frozenset().union(*(panel(name).probes for name in names))


def panel_probes(names: Iterable[str]) -> tuple[str, ...]:
    """The probes ("module:Class" under nntui) the engine builds for each run to show these panels, each once."""
    return tuple(dict.fromkeys(p for name in names if (p := panel(name).probe) is not None))


def own_optimizers(names: Iterable[str]) -> bool:
    """Whether a panel among these reads each run's own torch optimizer (its runs cannot be batched)."""
    return any(panel(name).own_optimizer for name in names)


def measured(names: Iterable[str]) -> tuple[Measured, ...]:
    """What those probes add to each frame, and how the record keeps each."""
    return tuple(m for name in dict.fromkeys(names) for m in panel(name).measures)


def multiples_problem(name: str, labels: list[str], shown: list[str], runs: list[str]) -> str | None:
    """What is wrong with `view.runs.<name> = labels` (a panel drawn once per listed run), or None."""
    if name not in shown:
        return f"'{name}' is not in view.panels; add it there, or remove it from view.runs"
    if not panel(name).per_run:
        per_run = ", ".join(n for n, p in PANELS.items() if p.per_run)
        return f"the {name} panel draws every run at once; view.runs takes panels that show one run: {per_run}"
    unknown = next((label for label in labels if label not in runs), None)
    if unknown is not None:
        return f"no run is labelled '{unknown}'; the runs are: {', '.join(runs)}"
    if len(set(labels)) != len(labels):
        return f"a run is listed twice for '{name}'"
    return None


def moment_problem(name: str, step: int, shown: list[str], max_steps: int) -> str | None:
    """What is wrong with `view.at.<name> = step` (a panel held at one step), or None."""
    if name not in shown:
        return f"'{name}' is not in view.panels; add it there, or remove it from view.at"
    if not panel(name).holds:
        return (f"the {name} panel cannot be held at a step; view.at takes: "
                f"{', '.join(n for n, p in PANELS.items() if p.holds)}")
    if step > max_steps:
        return f"step {step} is after the last step ({max_steps}); lower it"
    return None


def plot_rows(count: int, wide: Iterable[int] = ()) -> list[list[int]]:
    """The plots' indices row by row: two side by side in order; a wide plot (view.wide) takes a row of its own,
    and so does the first of an odd count where none is wide (the author's first choice); a plot left alone
    in its row takes the whole row."""
    wide = set(wide)
    alone = wide | ({0} if count % 2 == 1 and count > 1 and not wide else set())
    rows: list[list[int]] = []
    for i in range(count):
        if i in alone or not rows or len(rows[-1]) == 2 or rows[-1][0] in alone:
            rows.append([i])
        else:
            rows[-1].append(i)
    return rows


if TYPE_CHECKING:
    PanelName: TypeAlias = str
else:  # the names a scenario may write in `panels`: this registry's keys, nothing else (the schema lists them)
    PanelName = Literal[tuple(PANELS)]
DEFAULT_PANELS: tuple[PanelName, ...] = ("loss", "variants", "lesson")  # a training scenario that names none
GRAPH_LESSON_PANELS: tuple[PanelName, ...] = ("graph", "lesson")         # an expression scenario that names none
