"""The weight-norms panel's widget: for one run, each layer's ‖W‖ over the steps, and under it how much of its
weights each update changed (‖ΔW‖/‖W‖, every step), with the 1e-3 rule of thumb dotted across."""

from __future__ import annotations

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...ui.draw.axis import step_axis
from ...ui.draw.chart import Line, line_chart
from ...ui.draw.palette import ramp
from ...ui.draw.raster import MARGIN, border_room, centered_message, first_fit
from ...ui.panel import RUN_BINDINGS, StripPanel, cut_run_name
from ..loss.widget import x_extent

MIN_BOTH = 7  # rows of charts that hold both (two rows of ‖W‖ at least, four of the updates); fewer: the updates
HEALTHY_RATIO = 1e-3  # an update that changes a layer by about a thousandth of its size: the usual healthy rate
# input layer blue → output red, through cyan, green, yellow and orange: eight layers, eight colours told apart
LAYER_RAMP = ((90, 140, 255), (60, 200, 230), (80, 210, 110), (230, 220, 60), (250, 150, 50), (240, 70, 80))


def layer_span(layers: tuple[int, ...]) -> str:
    """0-based layer indices as names: (1, 2, 3, 5) → 'L2–L4, L6'."""
    parts, start = [], None
    for k, layer in enumerate(layers):
        start = layer if start is None else start
        if k + 1 == len(layers) or layers[k + 1] != layer + 1:
            parts.append(f"L{start + 1}" if start == layer else f"L{start + 1}–L{layer + 1}")
            start = None
    return ", ".join(parts)


def layer_rgb(k: int, n: int) -> tuple[int, int, int]:
    """Layer k of n in a ramp from the input (blue) to the output (orange): depth reads as colour."""
    return ramp(LAYER_RAMP, k / (n - 1) if n > 1 else 0.0)


class WeightNormsPanel(StripPanel):
    BINDINGS = RUN_BINDINGS

    def _rebuild(self) -> None:
        width, height, base = self.size.width, self.size.height, self.rich_style
        run = self.shown_run()
        norms = run.measured.get("weight_norms") if run is not None else None
        ratios = run.measured.get("update_ratios") if run is not None else None
        both = height - 4 >= MIN_BOTH  # room for ‖W‖ and the updates; else the updates alone
        self._set_titles(run, both)
        if run is None or norms is None or ratios is None or not len(norms[0]) or height < 7 or width < MARGIN + 8:
            self._strips = centered_message("waiting for the first step…" if height >= 7 else "too small", width,
                                            height, base)
            return
        (steps, norm_rows), (ratio_steps, ratio_rows) = norms, ratios  # ‖W‖ a row a frame, the shares a row a step
        layers = norm_rows.shape[1]
        colours = [layer_rgb(k, layers) for k in range(layers)]
        view = self._view
        assert view is not None
        x_axis = step_axis(max(x_extent(view.step, view.total), 1), width - MARGIN)
        dim = base + Style(dim=True)
        # the rows: a heading and a chart for each quantity, the step axis once (under the lower chart), the legend;
        # the updates get the larger share (they are the noisier, and the lesson's evidence). Under MIN_BOTH rows of
        # charts, the updates alone: two charts of two rows each said nothing
        chart_rows = height - 4
        upper = chart_rows * 2 // 5 if both else 0
        lower = chart_rows - upper + (0 if upper else 1)
        bottom = line_chart([Line(ratio_steps, ratio_rows[:, k], colours[k]) for k in range(layers)], x_axis, lower,
                            base, guide=HEALTHY_RATIO)
        strips = []
        if upper:
            top = line_chart([Line(steps, norm_rows[:, k], colours[k]) for k in range(layers)], x_axis, upper, base)
            strips += [self._heading(["‖W‖ of each layer's weights (log)", "‖W‖ of each layer (log)", "‖W‖ (log)",
                                      "‖W‖"], top.hidden, width, dim), *top.strips[:-1]]
        # (which of its lines lie under others: starred in the legend, the heading keeps saying what they are)
        strips += [self._heading(["‖ΔW‖/‖W‖: the share of W one update changes (log)",
                                  "‖ΔW‖/‖W‖: share of W one update changes", "‖ΔW‖/‖W‖: share one update changes",
                                  "‖ΔW‖/‖W‖ per update", "‖ΔW‖/‖W‖"], (), width, dim, starred=bool(bottom.hidden)),
                   *(bottom.strips or [Strip.blank(width, base)] * (lower + 1)),
                   self._legend(colours, bottom.hidden, width, base, dim)]
        self._strips = [s.crop_extend(0, width, base) for s in strips[:height]]

    def _set_titles(self, run, both: bool) -> None:
        """Named after the updates, the telling chart ("Weight norms" read as the flat ‖W‖ lines above them)."""
        room = border_room(self.outer_size.width)
        name = cut_run_name(run, max(room - 12, 8)) if run is not None else ""
        guide, short = f"┄ {HEALTHY_RATIO:g}: a healthy update", f"┄ {HEALTHY_RATIO:g}: healthy"
        titles = ([f"Weight updates and norms · {name}", f"Updates, ‖W‖ · {name}"] if both else
                  [f"Weight updates · {name}", f"‖ΔW‖/‖W‖ · {name}"])
        self.set_titles(title=first_fit([*titles, name], room),
                        subtitle=first_fit([f"{guide} · [ / ]: other run", f"{short} · [ / ]: other run",
                                            f"{short} · [ / ]: run", guide, short], room))

    @staticmethod
    def _heading(forms: list[str], hidden: tuple[int, ...], width: int, style: Style, starred: bool = False) -> Strip:
        """A chart's heading, and the layers whose lines lie under others' ("L2–L7 under others"); `starred`: the
        legend stars them, and the heading says what the star means (at 80x24 the legend had no room to)."""
        under = f"{layer_span(hidden)} under others" if hidden else ""
        texts = [f"{f} · {under}" for f in forms] + forms if under else forms
        if starred:
            texts = [t for f in forms for t in (f"{f} · *: under others", f"{f} *: under")] + forms
        return Strip([Segment(first_fit(texts, width), style)])

    @staticmethod
    def _legend(colours: list[tuple[int, int, int]], hidden: tuple[int, ...], width: int, base: Style,
                dim: Style) -> Strip:
        """'input L1 L2* … L8 output', each layer's name in its colour, a star on a layer whose update line lies
        under others' (the heading above says so); where that is too wide, 'L1 2* 3 … 8' (every layer kept: the
        last one had been cut at 80x24)."""
        n = len(colours)
        stars = ["*" if k in hidden else "" for k in range(n)]
        names = [f"L{k + 1}{stars[k]}" for k in range(n)]
        if len(" ".join(names)) > width:
            names = [f"L1{stars[0]}"] + [f"{k + 1}{stars[k]}" for k in range(1, n)]
        ends = len(" ".join(names)) + len("input  output") <= width
        segments = [Segment("input " if ends else "", dim)]
        for k, (label, rgb) in enumerate(zip(names, colours)):
            segments.append(Segment(("" if k == 0 else " ") + label, base + Style(color=Color.from_rgb(*rgb), bold=True)))
        segments.append(Segment(" output" if ends else "", dim))
        return Strip(segments)
