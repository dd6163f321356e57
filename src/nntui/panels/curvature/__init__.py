"""The curvature panel: the loss along the Hessian's top eigenvector through the minimum, with each run's iterates
on it."""

from __future__ import annotations

from ..declare import PanelSpec, Variant


def _problem(variants: tuple[Variant, ...]) -> str | None:
    count = variants[0].parameter_count
    if count == 2:
        return None
    return (f"the curvature panel draws the loss along the Hessian's steepest direction of an exact 2-parameter "
            f"surface; this model has {count} parameters (remove 'curvature', or fit ŷ = w·x + b to one feature)")


PANEL = PanelSpec("panels.curvature.widget:CurvaturePanel", frozenset({"path"}), check=_problem)
