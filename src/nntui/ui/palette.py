"""Colors shared by every panel: one color per variant, readable on a projector.

Okabe–Ito (colour-blind safe) first, then light pastels. Hex colors degrade
cleanly to 256 colors; under NO_COLOR the labels still carry the meaning.
"""

from __future__ import annotations

import math

VARIANT_COLORS = (
    "#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#D55E00", "#B39DDB", "#999999",
    "#8DD3C7", "#FB8072", "#80B1D3", "#FDB462", "#B3DE69", "#FCCDE5", "#BC80BD", "#CCEBC5",
)

STATUS_STYLES = {
    "waiting": "dim",
    "converging": "bold #00C060",
    "oscillating": "bold #F0B000",
    "diverging": "bold #FF8040",
    "diverged": "bold #FF4040",
}


def variant_color(i: int) -> str:
    return VARIANT_COLORS[i % len(VARIANT_COLORS)]


def variant_rgb(i: int) -> tuple[int, int, int]:
    h = variant_color(i).lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def fmt_num(value: float) -> str:
    """Compact, fixed-width-friendly numbers: 0.0005, 1.234, 3.1e+05, NaN."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Inf" if value > 0 else "-Inf"
    a = abs(value)
    if a != 0 and (a >= 1e5 or a < 1e-3):
        return f"{value:.2e}"
    return f"{value:.4g}"


def fmt_tick(value: float, span: float) -> str:
    """An axis label with as many decimals as the axis span needs: 3 significant digits of the span."""
    if not math.isfinite(value) or not math.isfinite(span) or span <= 0 or abs(value) >= 1e5:
        return fmt_num(value)
    decimals = max(0, 2 - math.floor(math.log10(span)))
    if decimals > 6:
        return fmt_num(value)
    text = f"{value:.{decimals}f}"
    return "0" if float(text) == 0 else text
