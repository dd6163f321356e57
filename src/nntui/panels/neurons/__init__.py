"""The neurons panel: the network itself, each unit's output over the data's plane, the links between layers by
weight."""

from __future__ import annotations

from ..declare import Measured, PanelSpec, Variant

MAX_NEURONS = 256  # hidden units the neurons panel measures per run (each a grid of points per frame)


def _problem(variants: tuple[Variant, ...]) -> str | None:
    v = variants[0]
    if not v.dataset.drawable or v.model.kind == "surface":
        return (f"the neurons panel draws each unit over 2-D classification or 1-D regression data; this data is "
                f"{v.dataset.task} with {v.dataset.plane('train').shape[1]} feature(s) (remove 'neurons')")
    units = max(sum(x.model.layers) if x.model.kind == "mlp" else 0 for x in variants)
    if units > MAX_NEURONS:
        return f"the neurons panel draws up to {MAX_NEURONS} hidden units; a run has {units} (remove 'neurons')"
    return None


PANEL = PanelSpec("panels.neurons.widget:NeuronsPanel", per_run=True, holds=True, check=_problem,
                  probe="panels.neurons.probe:Units",
                  measures=(Measured("neurons", "now"),))  # frames.Neurons: every unit over the plane now
