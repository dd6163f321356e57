"""The activation panel: every run's activation function by its slope f′(z), one row each on one z axis.

A unit passes its input z through f, and backpropagation multiplies the gradient reaching it by f′(z): where
the slope is near 0 the function is flat (saturated), and the gradient through it all but stops. Each run's
row draws f′ over z from −4 to 4 as bars on one scale (0 to the largest slope shown), in the run's colour,
and writes its slope at 0 (left | right where f has a kink there: ReLU's 0 | 1), so where each activation
saturates and how much gradient it passes at 0 compare at a glance. The numbers are PyTorch's own
definitions (nn.LeakyReLU's slope 0.01, nn.SELU's constants, nn.GELU's exact erf form), written here in
numpy so the UI never imports torch (tests/test_activation_panel.py checks them against torch's autograd).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...ui.draw.axis import scale
from ...ui.draw.palette import variant_rgb
from ...ui.draw.raster import border_room, centered_message, column_bars, first_fit, fmt_short, tick_line
from ...ui.panel import StripPanel

Z = 4.0  # z from −Z to Z: both of sigmoid's and tanh's flat ends, and ReLU's kink in the middle
SELU_SCALE, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772
LEAKY_SLOPE = 0.01  # nn.LeakyReLU's default, as the engine builds it
MAX_BAR_ROWS = 3  # a run's row of bars is at most this tall


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


# each activation's slope f′(z), by the scenario's names for them (catalog.ACTIVATIONS: the same keys)
SLOPES: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "relu": lambda z: (z > 0).astype(float),
    "leaky_relu": lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE),
    "sigmoid": lambda z: _sigmoid(z) * (1 - _sigmoid(z)),
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "elu": lambda z: np.where(z > 0, 1.0, np.exp(np.minimum(z, 0))),
    "selu": lambda z: SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0))),
    "silu": lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z))),
    "gelu": lambda z: (0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))
                       + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)),
    "identity": lambda z: np.ones_like(z),
}


class ActivationPanel(StripPanel):
    def on_mount(self) -> None:
        self.set_titles(title="Slope f′(z) of each activation")

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        view, base = self._view, self.rich_style
        if view is None or not view.runs or height < 3:
            self._strips = centered_message("", width, height, base)
            return
        names = [str(run.settings.get("activation", "")) for run in view.runs]
        missing = [n for n in names if n not in SLOPES]
        if missing:  # the panel's check (panels/activation) lets only MLPs through, and every activation has a slope here
            raise KeyError(f"no slope for activation '{missing[0]}'")
        room = border_room(self.outer_size.width)
        self.set_titles(title=first_fit(["Slope f′(z) of each activation, z from −4 to 4", "Slope f′(z) of each "
                                         "activation", "Slope f′(z)"], room),
                        subtitle=first_fit(["bar height: f′(z) · number: f′(0), left|right of a kink",
                                            "height: f′(z) · f′(0), a|b: left|right of kink",
                                            "f′(0); a|b: left|right of kink", "bar height: f′(z) · number: f′(0)",
                                            "number: f′(0)"], room))
        labels = [run.label for run in view.runs]
        at_zero = [_at_zero(SLOPES[n]) for n in names]
        label_w = max(map(len, labels)) + 1
        value_w = max(map(len, at_zero)) + 1
        bar_w = max(width - label_w - value_w, 4)
        z_axis = scale(-Z, Z, bar_w, anchor="middle", label_width=2, gap=4, most=max(4, bar_w // 4))
        z = z_axis.value_at(np.arange(bar_w, dtype=float))  # each column's centre
        inside = np.abs(z) <= Z * (1 + 1e-9)  # the axis's nice ends reach past ±Z: no bars there ("z from −4 to 4")
        slopes = [np.where(inside, np.maximum(SLOPES[n](z), 0.0), 0.0) for n in names]  # (SiLU dips to −0.1: 0)
        top = max(float(s.max()) for s in slopes) or 1.0
        bar_rows = max(1, min(MAX_BAR_ROWS, (height - 1) // len(labels)))
        strips: list[Strip] = []
        for i, (label, slope, value) in enumerate(zip(labels, slopes, at_zero)):
            style = base + Style(color=Color.from_rgb(*variant_rgb(i)))
            for level, bars in zip(range(bar_rows - 1, -1, -1), column_bars(np.round(slope / top * bar_rows * 8), bar_rows)):
                last = level == 0
                strips.append(Strip([Segment(f"{label if last else '':<{label_w}}", style + Style(bold=True)),
                                     Segment(bars, style), Segment(f"{value if last else '':>{value_w}}", style)]))
        strips.append(tick_line(z_axis, label_w, label_w + bar_w, base + Style(dim=True), label_width=2))
        self._strips = [s.crop_extend(0, width, base) for s in strips[:height]]


def _at_zero(slope: Callable[[np.ndarray], np.ndarray]) -> str:
    """f′(0), or "left|right" where f has a kink at 0 (ReLU: 0|1)."""
    left, right = (float(v) for v in slope(np.array([-1e-9, 1e-9])))
    if math.isclose(left, right, rel_tol=1e-6, abs_tol=1e-9):
        return fmt_short(right, 5)
    return f"{left:.2g}|{right:.2g}"  # (two digits: the bars need the width)
