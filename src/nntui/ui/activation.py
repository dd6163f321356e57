"""The activation panel: the shown run's activation function f(z) and its slope f′(z), on one pair of axes.

A unit passes its input z through f, and backpropagation multiplies the gradient reaching it by f′(z): where
the slope is near 0 the function is flat (saturated), and the gradient through it all but stops. The panel
draws f in the run's colour and f′ in grey, and writes each curve's name at its right end; the numbers are
PyTorch's own definitions (nn.LeakyReLU's slope 0.01, nn.SELU's constants, nn.GELU's exact erf form), written
here in numpy so the UI never imports torch (tests/test_activation_panel.py checks them against torch).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from .axis import scale
from .braille import BrailleCanvas
from .loss import line_dots
from .palette import variant_rgb
from .panel import RUN_BINDINGS, StripPanel, run_name
from .raster import MARGIN, border_room, centered_message, first_fit, tick_line

Z = 4.0  # z from −Z to Z: both of sigmoid's and tanh's flat ends, and ReLU's kink in the middle
SLOPE_RGB = (200, 200, 200)
SELU_SCALE, SELU_ALPHA = 1.0507009873554805, 1.6732632423543772
LEAKY_SLOPE = 0.01  # nn.LeakyReLU's default, as the engine builds it


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-z))


def _gelu_cdf(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1 + np.vectorize(math.erf)(z / math.sqrt(2)))


# each activation's f and f′, by the scenario's names for them (catalog.ACTIVATIONS: the same keys)
CURVES: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(float)),
    "leaky_relu": (lambda z: np.where(z > 0, z, LEAKY_SLOPE * z), lambda z: np.where(z > 0, 1.0, LEAKY_SLOPE)),
    "sigmoid": (_sigmoid, lambda z: _sigmoid(z) * (1 - _sigmoid(z))),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
    "elu": (lambda z: np.where(z > 0, z, np.expm1(np.minimum(z, 0))), lambda z: np.where(z > 0, 1.0, np.exp(z))),
    "selu": (lambda z: SELU_SCALE * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0))),
             lambda z: SELU_SCALE * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(z))),
    "silu": (lambda z: z * _sigmoid(z), lambda z: _sigmoid(z) * (1 + z * (1 - _sigmoid(z)))),
    "gelu": (lambda z: z * _gelu_cdf(z), lambda z: _gelu_cdf(z) + z * np.exp(-z * z / 2) / math.sqrt(2 * math.pi)),
    "identity": (lambda z: z, lambda z: np.ones_like(z)),
}
FUNCTION, SLOPE = 0, 1  # the canvas's two styles


class ActivationPanel(StripPanel):
    BINDINGS = RUN_BINDINGS

    def on_mount(self) -> None:
        self.set_titles(title="Activation", subtitle="[ / ]: run")

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        run = self.shown_run()
        if run is None or width <= MARGIN + 8 or height < 4:
            self._strips = centered_message("", width, height, base)
            return
        name = str(run.settings.get("activation", ""))
        if name not in CURVES:  # the panel's check (panels.py) lets only MLPs with a known activation through
            raise KeyError(f"no curve for activation '{name}'")
        room = border_room(self.outer_size.width)
        self.set_titles(title=first_fit([f"Activation · {run_name(run)}: f(z) and its slope f′(z)",
                                         f"Activation · {run_name(run)}", run_name(run)], room),
                        subtitle=first_fit(["━ f(z) · grey: slope f′(z) · [ / ]: run", "━ f · grey: f′ · [ / ]: run",
                                            "grey: slope f′"], room))
        f, slope = CURVES[name]
        pw, ph = width - MARGIN, height - 1
        label_w = 4  # "f′" and "f" written right of each curve's end
        cw = max(pw - label_w, 4)
        z = np.linspace(-Z, Z, 4 * cw + 1)
        values, slopes = f(z), slope(z)
        lo, hi = float(min(values.min(), slopes.min(), 0.0)), float(max(values.max(), slopes.max()))
        x_axis = scale(-Z, Z, cw, anchor="middle", label_width=4, gap=5, most=max(5, cw // 4))
        y_axis = scale(lo, hi, ph, flip=True, anchor="middle", label_width=MARGIN - 2)
        canvas = BrailleCanvas(pw, ph)
        ends = {}
        for kind, ys in ((SLOPE, slopes), (FUNCTION, values)):  # f on top where they cross
            px, py = x_axis.dots(z, 2), y_axis.dots(ys, 4)
            canvas.paint(*line_dots(px, py), kind)
            ends[kind] = int(min(max(py[-1], 0), 4 * ph - 1)) // 4
        rows = {ends[FUNCTION]: "f"}
        rows[ends[SLOPE] + (ends[SLOPE] == ends[FUNCTION])] = "f′"  # one row below f's where both end on one
        for row, text in rows.items():
            if row < ph:
                canvas.put(row, cw + 1, text, SLOPE if text == "f′" else FUNCTION)
        styles = [base + Style(color=Color.from_rgb(*variant_rgb(self.run_index)), bold=True),
                  base + Style(color=Color.from_rgb(*SLOPE_RGB))]
        labels = y_axis.labels(MARGIN - 2, None)
        strips = []
        for r, cells in enumerate(canvas.rows(styles, base)):
            label = labels.get(r)
            margin = f"{label:>{MARGIN - 2}} ┤" if label else " " * (MARGIN - 1) + "│"
            strips.append(Strip([Segment(margin, base), *cells], MARGIN + pw))
        strips.append(tick_line(x_axis, MARGIN, MARGIN + pw, base + Style(dim=True), label_width=4))
        self._strips = strips
