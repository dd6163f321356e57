"""The boundary panel: a run's decision regions over 2-D data (a fit curve over 1-D), with the data's points. This
folder is the whole panel: the declaration here, the prediction over the plane (probe.py, the engine's side) and
the picture (widget.py)."""

from __future__ import annotations

from ..declare import Measured, PanelSpec, Variant


def _problem(variants: tuple[Variant, ...]) -> str | None:
    ds = variants[0].dataset
    if ds.drawable and variants[0].model.kind != "surface":
        return None
    return (f"the boundary panel draws 2-D classification or 1-D regression; this data is {ds.task} with "
            f"{ds.n_features} feature(s) (remove 'boundary' or change the data)")


PANEL = PanelSpec("panels.boundary.widget:BoundaryPanel", per_run=True, holds=True, check=_problem,
                  probe="panels.boundary.probe:Regions",
                  measures=(Measured("boundary", "now"),))  # frames.Boundary: the prediction over the plane
