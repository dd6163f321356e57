"""The activation panel: each run's activation by its slope f′(z): where it is flat, the gradient through it stops."""

from __future__ import annotations

from ..declare import PanelSpec, Variant


def _problem(variants: tuple[Variant, ...]) -> str | None:
    linear = next((v for v in variants if v.model.kind != "mlp" or not v.model.layers), None)
    if linear is None:
        return None
    return (f"the activation panel draws a hidden layer's activation function; '{linear.label}' has no hidden "
            "layer (model.kind = \"mlp\" with model.layers), or remove 'activation'")


PANEL = PanelSpec("panels.activation.widget:ActivationPanel", check=_problem)
