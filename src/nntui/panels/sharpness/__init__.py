"""The sharpness panel: each run's top Hessian eigenvalue λmax over the steps, beside its stability limit 2/lr.

Along the Hessian's steepest direction a gradient step multiplies the error by 1 − lr·λmax: it grows once
λmax > 2/lr. On a quadratic λmax is fixed; on a network it changes as the weights do. Trained by plain gradient
descent, a network's λmax typically rises until it reaches 2/lr and then stays there, the loss still falling,
unevenly: the edge of stability (Cohen et al., 2021). The probe estimates λmax by power iteration on
Hessian-vector products of the whole training split's loss, every few steps, in the trainer (off the UI).
"""

from __future__ import annotations

from ..declare import Measured, PanelSpec, Variant

MOST_PARAMETERS = 50_000  # each estimate is a few dozen double-backward passes over the whole training split


def _problem(variants: tuple[Variant, ...]) -> str | None:
    big = next((v for v in variants if v.parameter_count * len(v.dataset.x_train) > 200 * MOST_PARAMETERS), None)
    if big is None:
        return None
    return (f"the sharpness panel's λmax costs dozens of passes over the training split every few steps; run "
            f"'{big.label}' has {big.parameter_count:,} parameters × {len(big.dataset.x_train):,} samples (at most "
            f"{200 * MOST_PARAMETERS:,}: fewer samples or a smaller model, or remove 'sharpness')")


PANEL = PanelSpec("panels.sharpness.widget:SharpnessPanel", check=_problem,
                  probe="panels.sharpness.probe:Sharpness",
                  measures=(Measured("sharpness", "every_step"),))  # (step, λmax) every EVERY steps
