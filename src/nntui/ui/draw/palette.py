"""Every fixed color of the app, named once: one color per variant, readable on a projector, and the
colors of the graphs, the code panel, the header and the panels drawn cell by cell.

Variants: Okabe–Ito (colour-blind safe) first, then light pastels. Hex colors degrade
cleanly to 256 colors; under NO_COLOR the labels still carry the meaning.
The layout and the theme-following colors ($primary, $accent, …) are in nntui.tcss.
"""

from __future__ import annotations

from rich.style import Style

VARIANT_COLORS = (  # (the 6th is redder than Okabe–Ito's vermillion #D55E00: beside the 2nd's orange, lr_sweep's
    # lr 0.001 and 0.03 read as one colour to three rounds of reviewers)
    "#56B4E9", "#E69F00", "#009E73", "#F0E442", "#CC79A7", "#E8453C", "#B39DDB", "#999999",
    "#8DD3C7", "#FB8072", "#80B1D3", "#FDB462", "#B3DE69", "#FCCDE5", "#BC80BD", "#CCEBC5",
)

STATUS_STYLES = {  # status.py's statuses: good news green, trouble amber to red, "stuck" grey as its curve
    "waiting": "dim",
    "learning": "bold #56B4E9",
    "converged": "bold #00C060",
    "stuck": "bold #A0A0A0",
    "oscillating": "bold #F0B000",
    "noisy": "bold #D8C878",  # a paler amber: the samples' jitter, not a step too large
    "overfitting": "bold #CC79A7",
    "stopped": "bold #009E73",
    "diverging": "bold #FF8040",
    "diverged": "bold #FF4040",
}

CLAIM_STYLES = {"waiting": "dim", "passed": "bold #00C060", "failed": "bold #FF4040"}  # a lesson's claims

# The header's run state (ui/header.py).
DONE_STYLE = "bold green"
PAUSED_STYLE = "bold yellow"
ERROR_STYLE = "bold red"

# Names in lists: a lesson's name on the home screen and in `nntui list` (bold there), a key in the help.
NAME_STYLE = "cyan"
LIST_NAME_STYLE = "bold cyan"
KEY_STYLE = "bold cyan"

# The code panel: the lines of the phase being walked, with an arrow in the gutter.
MARK_STYLE = "bold yellow"
HIGHLIGHT_STYLE = "bold on #5f5f00"

# Computation graphs (panels/graph/expression.py: an expression; panels/graph/widget.py: a model's autograd graph; ui/draw/dag.py).
VAR_STYLE = Style(color="#56B4E9", bold=True)     # a variable; a parameter leaf of a model
OP_STYLE = Style(color="#DDDDDD")                 # an operation
CONST_STYLE = Style(color="#999999")              # a constant; a parameter whose gradient is not known yet
EDGE_STYLE = Style(color="#777777")               # edges, and the branches of the model graph's tree
CURRENT_STYLE = Style(color="#F0B000", bold=True)  # the node being computed
LOSS_STYLE = Style(color="#F0B000", bold=True)    # the model graph's loss
VALUE_STYLE = Style(color="#FFFFFF", bold=True)
GRAD_STYLE = Style(color="#E69F00", bold=True)

# Panels drawn cell by cell, as RGB.
NONFINITE_RGB = (255, 0, 200)  # NaN/Inf in the boundary, gradient-flow and histogram panels: a color no scale uses
# the gradient-flow scale, log10 of a norm → color: vanishing (deep purple) → healthy (green) → exploding (red)
NORM_SCALE = [(-8, (40, 20, 70)), (-6, (60, 50, 150)), (-4, (40, 110, 190)), (-2, (30, 170, 150)),
              (0, (120, 200, 60)), (1, (240, 180, 40)), (2, (230, 50, 40))]
BOUNDARY_BACKGROUND_RGB = (22, 24, 30)  # the decision-boundary panel's background, which regions fade into
POINT_RGB = (170, 170, 170)             # regression data in the boundary panel: the training points …
HELD_OUT_POINT_RGB = (95, 95, 95)       # … and the held-out ones, darker
QUANTITY_RGB = {"weights": (86, 180, 233), "activations": (0, 190, 140), "gradients": (230, 159, 0)}  # histograms
HISTOGRAM_BACKGROUND_RGB = (24, 24, 32)  # histogram bands fade into it
MEDIAN_RGB = (240, 240, 240)             # a histogram's median
ZERO_RGB = (150, 150, 150)               # a histogram bar's exact zeros (a ReLU's silent outputs): no signal, grey
# the loss surface (contour panel): a perceptual ramp, viridis's stops (dark purple: low loss, the valley
# floor → teal → yellow: high), dimmed so the runs' bright colors stand out; lightness only grows along it
SURFACE_RAMP = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))
SURFACE_DIM = 0.62
SURFACE_LABEL_RGB = (235, 235, 235)  # a contour level's value, written beside its line
CURVE_RGB = (150, 150, 160)          # the curvature panel's parabola
# NaN/Inf loss on the surface: a color no band uses (its own dark crimson, not NONFINITE_RGB's magenta)
SURFACE_NONFINITE_RGB = (110, 20, 60)
START_RGB = (255, 255, 255)  # where the runs start on the surface


def variant_color(i: int) -> str:
    return VARIANT_COLORS[i % len(VARIANT_COLORS)]


def variant_rgb(i: int) -> tuple[int, int, int]:
    h = variant_color(i).lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def ramp(stops: tuple[tuple[int, int, int], ...], t: float) -> tuple[int, int, int]:
    """The color a fraction t ∈ [0, 1] along a ramp of evenly spaced stops."""
    x = min(max(t, 0.0), 1.0) * (len(stops) - 1)
    i = min(int(x), len(stops) - 2)
    return blend(stops[i], stops[i + 1], x - i)


def blend(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    """The color a fraction t of the way from a to b, each channel truncated to a whole number."""
    return int(a[0] + (b[0] - a[0]) * t), int(a[1] + (b[1] - a[1]) * t), int(a[2] + (b[2] - a[2]) * t)


def class_rgb(k: int) -> tuple[int, int, int]:
    """Class k's colour wherever classes are drawn (regions, points, the confusion grid): the k-th run colour."""
    return variant_rgb(k)


LOG_LO, LOG_HI = -8.0, 2.0  # the gradient norms' colour scale: 1e-8 … 1e2 (gradient flow, the model graph)


def scale_rgb(log_norm: float) -> tuple[int, int, int]:
    """Colour of a log10 norm on the shared scale, vanishing (deep purple) → healthy (green) → exploding (red),
    clamped at both ends."""
    v = min(max(log_norm, LOG_LO), LOG_HI)
    for (a, ca), (b, cb) in zip(NORM_SCALE, NORM_SCALE[1:]):
        if v <= b:
            return blend(ca, cb, (v - a) / (b - a))
    return NORM_SCALE[-1][1]
