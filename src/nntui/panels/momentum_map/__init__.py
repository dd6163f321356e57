"""The momentum map: how fast heavy-ball momentum converges at every (lr, β) on an exact quadratic, with each
run marked where it is (rates.py has the arithmetic; it comes from the Hessian's eigenvalues the engine finds)."""

from __future__ import annotations

from ..declare import PanelSpec, Variant


def _problem(variants: tuple[Variant, ...]) -> str | None:
    v = variants[0]
    quadratic = (v.model.kind == "surface" and v.model.surface == "quadratic") or (
        v.model.kind == "linear" and v.parameter_count == 2 and v.train.loss == "mse")
    if not quadratic:
        return ("the momentum map's rates are exact on a quadratic loss of two parameters (surface = 'quadratic', "
                "or a linear model of one feature with loss = 'mse'); remove 'momentum_map'")
    noisy = next((w.label for w in variants if w.step_noise is not None), None)
    if noisy is not None:
        return (f"the momentum map's rates are for full-batch steps; run '{noisy}' takes noisy ones "
                f"(set batch_size = 'full', or remove 'momentum_map')")
    return None


# the Hessian's eigenvalues come with the contour panel's surface: the engine finds them from the path's surface
PANEL = PanelSpec("panels.momentum_map.widget:MomentumMap", frozenset({"path"}), check=_problem)
