"""The gradient-flow panel: each layer's weight-gradient norm, now (bars) and over time (a heat strip).

One shared log scale from 1e-8 to 1e2 for every layer and every moment, so a
vanishing gradient (dark, short bar near the input) or an exploding one (red,
long bar) is obvious at a glance. `[` and `]` switch between runs.
"""

from __future__ import annotations

import math

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ..runner import RunView
from .palette import NONFINITE_RGB, NORM_SCALE, blend
from .panel import RUN_BINDINGS, StripPanel, run_name
from .raster import resample_columns

LOG_LO, LOG_HI = -8.0, 2.0   # the color scale: 1e-8 … 1e2
NAME_WIDTH = 10
BAR_WIDTH = 12
VALUE_WIDTH = 9
_ANCHORS = NORM_SCALE  # vanishing (deep purple) → healthy (green) → exploding (red)
EIGHTHS = " ▏▎▍▌▋▊▉█"


def scale_rgb(log_norm: float) -> tuple[int, int, int]:
    """Color of a log10 norm on the shared scale (clamped at both ends)."""
    v = min(max(log_norm, LOG_LO), LOG_HI)
    for (a, ca), (b, cb) in zip(_ANCHORS, _ANCHORS[1:]):
        if v <= b:
            t = (v - a) / (b - a)
            return blend(ca, cb, t)
    return _ANCHORS[-1][1]


def weight_layers(run: RunView) -> list[int]:
    """Indices of the weight matrices (2-D and up), input first: one row per layer."""
    return [i for i, shape in enumerate(run.param_shapes) if len(shape) >= 2]


class GradientFlowPanel(StripPanel):
    BINDINGS = RUN_BINDINGS

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._styles: dict[tuple, Style] = {}

    def on_mount(self) -> None:
        self.set_titles(subtitle="[ ] run · ‖∇W‖, log scale")

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        view = self._view
        if view is None or not view.runs:
            self._strips = []
            return
        self.run_index %= len(view.runs)
        run = view.runs[self.run_index]
        self.set_titles(title=f"Gradient flow · {run_name(run)}")
        layers = weight_layers(run)
        if run.grads is None or not len(run.grads) or not layers:
            self._strips = [Strip([Segment("waiting for the first step…".center(width)[:width], base)], width)
                            if i == height // 2 else Strip.blank(width, base) for i in range(height)]
            return
        strip_width = max(0, width - NAME_WIDTH - BAR_WIDTH - VALUE_WIDTH - 3)
        rows_for_layers = max(1, height - 2)  # two rows: the time axis and the color scale
        names = [run.param_names[i] for i in layers]
        now = run.grads[-1, layers]
        history = resample_columns(run.grads[:, layers], strip_width)
        strips = []
        for r in range(min(len(names), rows_for_layers)):
            segments = [Segment(f"{_layer_label(r, len(names)):<{NAME_WIDTH}} ", base)]
            segments += self._bar(now[r])
            segments.append(Segment(f"{_fmt(now[r]):>{VALUE_WIDTH}} ", base))
            segments += [self._cell(v) for v in history[:, r]]
            strips.append(Strip(segments).adjust_cell_length(width, base).simplify())
        if len(names) > rows_for_layers:
            more = f"… {len(names) - rows_for_layers + 1} more layers (maximize with m)"
            strips[-1] = Strip([Segment(more, base)]).adjust_cell_length(width, base)
        while len(strips) < height - 2:
            strips.append(Strip.blank(width, base))
        pad = " " * (NAME_WIDTH + BAR_WIDTH + VALUE_WIDTH + 2)
        assert run.grad_steps is not None  # the runner sends the norms' steps with them
        first, last = int(run.grad_steps[0]), int(run.grad_steps[-1])
        axis = f"step {first}".ljust(max(strip_width - len(str(last)) - 6, 0)) + f"step {last}"
        strips.append(Strip([Segment(pad + axis[:strip_width], base + Style(dim=True))]).adjust_cell_length(width, base))
        strips.append(self._legend(width))
        self._strips = strips[:height]

    def _bar(self, norm: float) -> list[Segment]:
        if not math.isfinite(norm):
            return [Segment(" NaN/Inf ".center(BAR_WIDTH), self._style(("fg", NONFINITE_RGB)))]
        if norm <= 0:
            return [Segment(" " * BAR_WIDTH)]
        log = math.log10(norm)
        eighths = round((min(max(log, LOG_LO), LOG_HI) - LOG_LO) / (LOG_HI - LOG_LO) * BAR_WIDTH * 8)
        full, part = divmod(max(eighths, 1), 8)
        text = "█" * full + (EIGHTHS[part] if part else "")
        return [Segment(text.ljust(BAR_WIDTH), self._style(("fg", scale_rgb(log))))]

    def _cell(self, norm: float) -> Segment:
        if not math.isfinite(norm):
            return Segment("×", self._style(("fg", NONFINITE_RGB)))
        if norm <= 0:
            return Segment(" ")
        return Segment(" ", self._style(("bg", scale_rgb(math.log10(norm)))))

    def _legend(self, width: int) -> Strip:
        dim = self.rich_style + Style(dim=True)
        segments = [Segment("1e-8 ", dim)]
        for k in range(int(LOG_LO), int(LOG_HI) + 1):
            segments.append(Segment("  ", self._style(("bg", scale_rgb(k)))))
        segments.append(Segment(" 1e2  vanishing → exploding", dim))
        return Strip(segments).adjust_cell_length(width, self.rich_style)

    def _style(self, key: tuple) -> Style:
        style = self._styles.get(key)
        if style is None:
            kind, rgb = key
            color = Color.from_rgb(*rgb)
            style = Style(color=color, bold=True) if kind == "fg" else Style(bgcolor=color)
            self._styles[key] = style
        return style


def _layer_label(index: int, count: int) -> str:
    """'L1 (in)', 'L2', …, 'L7 (out)': layers counted from the input, as in the lessons."""
    if count > 1 and index == 0:
        return "L1 (in)"
    if count > 1 and index == count - 1:
        return f"L{count} (out)"
    return f"L{index + 1}"


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "NaN" if value != value else "Inf"
    return f"{value:.1e}"

