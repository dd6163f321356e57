"""The distributions panel: weights, activations or gradients of one run.

One layer: the current 30-bin histogram on top and, below, the distribution
over time as TensorBoard-style bands (min–max, ±1.5σ, ±1σ, ±0.5σ percentiles,
shaded darker to lighter) with the median as a bright line. Both use the
layer's shared range, which only grows, so moments can be compared.

All layers (key a): one row per layer on a common x range, with each layer's
standard deviation and, for activations, the fraction of dead units: how
activations shrink, saturate or die layer by layer (the weight_init and
dead_relu lessons). Keys (when focused): ↑/↓ layer, ←/→ quantity, a layers,
[ / ] run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from ...frames import HIST_BINS, PERCENTILES
from ...ui.draw.axis import Scale, scale
from ...ui.draw.palette import HISTOGRAM_BACKGROUND_RGB, MEDIAN_RGB, NONFINITE_RGB, QUANTITY_RGB, ZERO_RGB, blend
from ...ui.draw.raster import UP_EIGHTHS, border_room, first_fit, fmt_num, fmt_short, tick_line
from ...ui.panel import RUN_BINDINGS, StripPanel, cut_run_name, run_name

QUANTITIES = ("weights", "activations", "gradients")
SHORT = {"weights": "W", "activations": "Acts", "gradients": "Grads"}  # titles on a narrow panel
SUBTITLES = ["↑↓ layer ←→ kind · a all · [ / ]: run", "↑↓ layer ←→ kind · a all", "↑↓ layer ←→ kind", "↑↓ ←→ a [ / ]"]
ZERO_KEYS = ["grey: exactly 0", "grey: =0"]  # the subtitle's first words where a bar holds exact zeros
MARGIN = 8
MIN_BARS = 8  # the narrowest histogram drawn beside a layer's numbers


@dataclass(frozen=True)
class _LayerText:
    """What stands beside each layer's bars in the all-layers view, and the rows each layer gets."""

    rows: int                 # rows a layer gets
    label_w: int              # the text column left of the bars
    cells: list[list[str]]    # per layer, its rows of text left of the bars (bottom-aligned with them)
    stats: list[str]          # per layer, the numbers right of its bars ("" where they are stacked on the left)
    heading: str | None       # a row naming the numbers' columns, on a narrow panel

    def bars(self, width: int) -> int:
        """The columns left for the bars in a panel `width` wide, beside this text."""
        return max(width - self.label_w - max(map(len, self.stats)), 1)

    @classmethod
    def fit(cls, dists, width: int, height: int) -> _LayerText:
        n = len(dists.names)
        labels = [_layer_label(i, name) for i, name in enumerate(dists.names)]
        stds = dists.std if dists.std is not None else np.full(n, np.nan)
        sigma = [fmt_num(float(v)) for v in stds]
        dead = _dead_column(dists)
        stacked = [[label, f"σ {s_}"] + ([f"dead {dead[i]}"] if dead else []) for i, (label, s_) in
                   enumerate(zip(labels, sigma))]
        rows = max((height - 1) // max(n, 1), 1)
        widest = max(len(t) for lines in stacked for t in lines)
        if rows >= len(stacked[0]) and widest + 1 + MIN_BARS <= width:
            return cls(rows, widest + 1, [[""] * (rows - len(lines)) + lines for lines in stacked], [""] * n, None)
        label_w = max(len(label) for label in labels) + 1
        full = [f" σ {s_:<{max(map(len, sigma))}}" + (f"  dead {dead[i]}" if dead else "")
                for i, s_ in enumerate(sigma)]
        if label_w + MIN_BARS + max(map(len, full)) <= width:
            return cls(rows, label_w, [[""] * (rows - 1) + [label] for label in labels], full, None)
        return cls._narrow(labels, stds, dead, width, height)

    @classmethod
    def _narrow(cls, labels: list[str], stds: np.ndarray, dead: list[str] | None, width: int,
                height: int) -> _LayerText:
        """A narrow panel: short numbers in columns, named once in a heading row above them."""
        n = len(labels)
        label_w = max(len(label) for label in labels) + 1
        short = [fmt_short(float(v), 6) for v in stds]
        sw, dw = max(max(map(len, short)), 1), 4
        stats = [f" {s_:>{sw}}" + (f" {dead[i]:>{dw}}" if dead else "") for i, s_ in enumerate(short)]
        heading = f" {'σ':>{sw}}" + (f" {'dead':>{dw}}" if dead else "")
        rows = max((height - 2) // max(n, 1), 1)
        if label_w + MIN_BARS + max(map(len, stats)) > width:  # the layers' kinds go before their bars do
            # ("L1 LeakyReLU" left leaky relu's bars one cell at 80x24; the run's name says the kind)
            labels = [f"L{i + 1}" for i in range(n)]
            label_w = max(map(len, labels)) + 1
        return cls(rows, label_w, [[""] * (rows - 1) + [label] for label in labels], stats, heading)


def _dead_column(dists) -> list[str] | None:
    """Each layer's dead share, where a unit can die (ReLU outputs exactly 0 for every negative input), and beside
    ReLU where a Leaky ReLU's "dead 0%" is the point (a missing line read as unknown, not as none); else None."""
    if dists.dead is None:
        return None
    if not (any("ReLU" in name for name in dists.names) or bool(np.nanmax(dists.dead) > 0)):
        return None
    return [f"{d:.0%}" for d in dists.dead]


def _column_heights(dists, i: int, x_axis: Scale | None, pw: int, bar_rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Layer i's bars on the common axis, in eighths of a row: each bin's centre in the column whose centre is
    nearest it; and the eighths of its exact zeros (drawn grey)."""
    edges = np.linspace(dists.ranges[i, 0], dists.ranges[i, 1], HIST_BINS + 1)
    centers = (edges[:-1] + edges[1:]) / 2
    cols = (np.clip(np.round(x_axis.position(centers)), 0, pw - 1).astype(int) if x_axis is not None else
            np.zeros(len(centers), int))
    column_counts = np.bincount(cols, weights=dists.counts[i], minlength=pw)
    eighths = bar_rows * 8 / max(column_counts.max(), 1)
    heights = np.ceil(column_counts * eighths)
    zeros = np.zeros(pw)
    if (k := _zero_bin(dists, i)) is not None:
        zeros[cols[k]] = np.ceil(_zero_count(dists, i) * eighths)
    return heights, zeros


class HistogramPanel(StripPanel):
    BINDINGS = [
        Binding("up", "layer(-1)", "Layer up", key_display="↑", show=False),
        Binding("down", "layer(1)", "Layer down", key_display="↓", show=False),
        Binding("left", "quantity(-1)", "Quantity", key_display="←", show=False),
        Binding("right", "quantity(1)", "Quantity", key_display="→", show=False),
        Binding("a", "all_layers", "One / all layers", show=False),
        *RUN_BINDINGS,
    ]

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        labels = [v.label for v in scenario.variants]
        side_by_side = tuple(labels.index(label) for label in scenario.view.runs.get("histograms", ()))
        return cls(scenario.view.histogram, scenario.view.all_layers, side_by_side=side_by_side, **kwargs)

    def __init__(self, quantity: str = "weights", all_layers: bool = False, side_by_side: tuple[int, ...] = (),
                 **kwargs):
        super().__init__(**kwargs)
        self.side_by_side = side_by_side  # the runs drawn as small multiples beside this one: they share a range
        self.layer_index = 0
        self.quantity = quantity
        self.all_layers = all_layers
        self._styles: dict[tuple, Style] = {}

    def on_mount(self) -> None:
        self.set_titles(subtitle=SUBTITLES[0])

    def _fit_titles(self, forms: list[str], zeros: bool = False) -> None:
        """The fullest title and key hint that fit the border (never cut mid-word), the hint led by what grey
        means where a bar holds exact zeros."""
        room = border_room(self.outer_size.width)
        keys = [f"{key} · {sub}" for key in ZERO_KEYS for sub in SUBTITLES] + ZERO_KEYS if zeros else SUBTITLES
        self.set_titles(title=first_fit(forms, room), subtitle=first_fit(keys, room))

    def action_all_layers(self) -> None:
        self.all_layers = not self.all_layers
        self.redraw()

    # ------------------------------------------------------------------ keys

    def action_layer(self, delta: int) -> None:
        self.layer_index += delta
        self.redraw()

    def action_quantity(self, delta: int) -> None:
        self.quantity = QUANTITIES[(QUANTITIES.index(self.quantity) + delta) % len(QUANTITIES)]
        self.redraw()

    def state_key(self) -> tuple:
        return (self.run_index, self.layer_index, self.quantity, self.all_layers)

    # ------------------------------------------------------------------ data in, strips out

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        view = self._view
        run = view.runs[self.run_index % len(view.runs)] if view is not None and view.runs else None
        dists = _dists(run).get(self.quantity) if run is not None else None
        if run is None or dists is None or not len(dists.names):
            message = "waiting for the first step…" if run is None or not _dists(run) else f"no {self.quantity} to show"
            self._fit_titles([self.quantity.capitalize()])
            self._strips = [_text(message.center(width), width, base) if i == height // 2 else
                            Strip.blank(width, base) for i in range(height)]
            return
        if self.all_layers:
            self._strips = self._all_layer_strips(view, run, dists, width, height)
        else:
            self._strips = self._layer_strips(view, run, dists, width, height)

    def _all_layer_strips(self, view, run, dists, width: int, height: int) -> list[Strip]:
        """Every layer's histogram, a row band each, with its σ and dead share."""
        n_layers = len(dists.names)
        what, short = self.quantity.capitalize(), SHORT[self.quantity]
        name = run_name(run)
        self._fit_titles([f"{what} · {name} · all {n_layers} layers", f"{what} · {name} · {n_layers} layers",
                          f"{what} · {name}", f"{short} · {name}", name,
                          cut_run_name(run, border_room(self.outer_size.width))],
                         zeros=any(_zero_bin(dists, k) is not None for k in range(n_layers)))
        span = _shared_span(view, self.quantity, None, self._sharing())
        # small multiples share the bars' width too, so one range gets one axis ("0 10" beside "-1 17" read as two
        # ranges: dead_relu's names "L1 ReLU" and "L1 LeakyReLU" left their bars 4 columns apart)
        shared = _shared_dists(view, self.quantity, self._sharing())
        bars = min((_LayerText.fit(d, width, height).bars(width) for d in shared), default=width)
        return [s.adjust_cell_length(width, self.rich_style)
                for s in self._layer_rows(dists, width, height, span, bars)[:height]]

    def _layer_strips(self, view, run, dists, width: int, height: int) -> list[Strip]:
        """One layer: its histogram now over the value axis, and its percentile bands over the run."""
        base = self.rich_style
        n_layers = len(dists.names)
        what, short = self.quantity.capitalize(), SHORT[self.quantity]
        name = run_name(run)
        self.layer_index = min(max(self.layer_index, 0), n_layers - 1)
        i = self.layer_index
        lo, hi = _shared_span(view, self.quantity, i, self._sharing())
        bad = int(dists.nonfinite[i]) if dists.nonfinite is not None else 0
        warn, warn_short = (f" · ⚠ {bad} NaN/Inf", f" ⚠{bad}") if bad else ("", "")
        layer = f"L{i + 1}/{n_layers}"
        zero_bin = _zero_bin(dists, i)
        self._fit_titles([f"{what} · {layer} ({dists.names[i]}) · {name}{warn}", f"{what} · {layer} · {name}{warn}",
                          f"{short} {layer} · {name}{warn_short}", f"{short} {layer} · {run.label}{warn_short}",
                          f"{short} {layer}{warn_short}"], zeros=zero_bin is not None)
        pw = max(width - MARGIN, 1)
        hist_rows = max(2, (height - 2) // 2)
        band_rows = max(1, height - hist_rows - 2)
        rgb = QUANTITY_RGB[self.quantity]
        # the value axis from axis.py: each tick under the column whose centre is its value
        x_axis = scale(lo, hi, pw, anchor="middle", label_width=6, gap=7, most=max(7, pw // 3)) if hi > lo else None
        own_lo, own_hi = (float(v) for v in dists.ranges[i])
        zeros = (zero_bin, _zero_count(dists, i)) if zero_bin is not None else None
        strips = self._histogram(dists.counts[i], own_lo, own_hi, x_axis, hist_rows, pw, rgb, zeros)
        strips.append(tick_line(x_axis, MARGIN, MARGIN + pw, self.rich_style) if x_axis is not None else
                      self._axis(lo, hi, pw))
        steps, pct = run.measured.get(f"{self.quantity}_bands", ((), None))
        if len(steps):  # each row: every layer's percentiles, one after another
            pct = pct.reshape(len(pct), n_layers, len(PERCENTILES))
            strips += self._bands(pct[:, i, :], lo, hi, band_rows, pw, rgb)
            # what the bands are, between the steps where it fits ("no legend: what do white and blue mean?")
            left, right = f"step {steps[0]}", f"step {steps[-1]}"
            room = pw - len(left) - len(right) - 2  # (a space either side)
            key = next((k for k in ("white: median · bands: 0–100 %", "white: median") if len(k) <= room), "")
            strips.append(_text(" " * MARGIN + _spread(left, right, pw, key), width, base + Style(dim=True)))
        return [s.adjust_cell_length(width, base) for s in strips[:height]]

    def _sharing(self) -> tuple[int, ...]:
        """The runs whose range this panel's axis spans: the small multiples side by side, or its own run."""
        return self.side_by_side if self.run_index in self.side_by_side else (self.run_index,)

    def _layer_rows(self, dists, width: int, height: int, span: tuple[float, float], bars: int) -> list[Strip]:
        """Each layer's histogram re-binned onto the range common to all layers, with its σ (and dead %).

        The bars share the panel's height (every layer the same rows, the x axis under them). The numbers are
        never cut: stacked under the layer's name when it has the rows, else in a column right of the bars
        ('σ 0.5682  dead 12%'), else, on a narrow panel, in columns under one heading row ('σ', 'dead')."""
        base = self.rich_style
        side = _LayerText.fit(dists, width, height)
        rows, label_w = side.rows, side.label_w
        bar_rows = rows - 1 if rows >= 3 else rows  # a free row above each layer's tallest bar parts it from the next
        pw = min(side.bars(width), bars)  # (`bars`: the narrowest of the runs drawn side by side)
        lo, hi = span
        strips = []
        if side.heading is not None:
            strips.append(_text(" " * (label_w + pw) + side.heading, width, base + Style(dim=True)))
        x_axis = scale(lo, hi, pw, anchor="middle", label_width=6, gap=7, most=max(7, pw // 3)) if hi > lo else None
        for i in range(len(dists.names)):
            heights, zeros = _column_heights(dists, i, x_axis, pw, bar_rows)
            for r in range(rows):
                strips.append(Strip([Segment(f"{side.cells[i][r]:<{label_w}}", base),
                                     *self._bars(heights, zeros, rows - 1 - r, QUANTITY_RGB[self.quantity]),
                                     Segment(side.stats[i] if r == rows - 1 else "", base)]).simplify())
        strips.append(tick_line(x_axis, label_w, label_w + pw, base + Style(dim=True)) if x_axis is not None else
                      _text(" " * label_w + _range_axis(lo, hi, pw), label_w + pw, base + Style(dim=True)))
        return strips

    def _histogram(self, counts: np.ndarray, lo: float, hi: float, x_axis: Scale | None, rows: int, pw: int,
                   rgb, zeros: tuple[int, float] | None = None) -> list[Strip]:
        """The histogram whose HIST_BINS bins span [lo, hi] (the run's own range), each bin counted in the column
        whose centre is nearest its centre on `x_axis` (the range the runs share: a narrow run is a spike).
        `zeros`: the bin holding 0 and how many of its values are exactly 0, drawn grey at its bar's foot."""
        base = self.rich_style
        if x_axis is None or not hi > lo:  # one value (or one axis value): every column shows its bin as it is
            at = np.minimum((np.arange(pw) * HIST_BINS / pw).astype(int), HIST_BINS - 1)
            shown = counts[at] if x_axis is None else np.where(
                np.arange(pw) == int(np.clip(round(float(x_axis.position(lo))), 0, pw - 1)), counts.sum(), 0)
            zeros = None  # (no column is one bin's alone)
        else:
            edges = np.linspace(lo, hi, HIST_BINS + 1)
            at = np.clip(np.round(x_axis.position((edges[:-1] + edges[1:]) / 2)), 0, pw - 1).astype(int)
            shown = np.bincount(at, weights=counts, minlength=pw)
        peak = max(int(shown.max()), 1)
        heights = shown / peak * rows * 8
        zero_heights = np.zeros(pw)
        if zeros is not None:
            zero_heights[at[zeros[0]]] = zeros[1] / peak * rows * 8
        strips = []
        for r in range(rows):
            label = f"{peak:>{MARGIN - 2}} ┤" if r == 0 else " " * (MARGIN - 1) + "│"
            strips.append(Strip([Segment(label, base), *self._bars(heights, zero_heights, rows - 1 - r, rgb)]).simplify())
        return strips

    def _bars(self, heights: np.ndarray, zeros: np.ndarray, level: int, rgb) -> list[Segment]:
        """Row `level` (0: the bottom) of bars `heights` eighths of a cell tall, the lowest `zeros` eighths of
        each grey: the values that are exactly 0. A cell the two share is split where it can be (a full cell:
        grey below, the bar's colour above), else takes the colour of its larger part."""
        tops = np.clip(np.round(heights) - level * 8, 0, 8).astype(int).tolist()
        colour = self._style(("fg", rgb))
        if not zeros.any():  # (every row of every layer but a ReLU's zero bin: one segment, no cell by cell)
            return [Segment("".join(UP_EIGHTHS[top] for top in tops), colour)]
        greys = np.clip(np.round(np.minimum(zeros, heights)) - level * 8, 0, 8).astype(int).tolist()
        grey = self._style(("fg", ZERO_RGB))
        split = self._style(("bg", ZERO_RGB, rgb))

        def cell(top: int, low: int) -> Segment:
            if low == 0 or (top < 8 and 2 * low < top):
                return Segment(UP_EIGHTHS[top], colour)
            if top < 8 or low == 8:
                return Segment(UP_EIGHTHS[top], grey)
            return Segment(UP_EIGHTHS[low], split)

        return [cell(top, low) for top, low in zip(tops, greys)]

    def _axis(self, lo: float, hi: float, pw: int) -> Strip:
        return _text(" " * MARGIN + _range_axis(lo, hi, pw), MARGIN + pw, self.rich_style)

    def _bands(self, pct: np.ndarray, lo: float, hi: float, rows: int, pw: int, rgb) -> list[Strip]:
        """Percentile bands over time as half-block pixels; level 0 = outside, 4 = inside ±0.5σ, 5 = median."""
        py = 2 * rows
        cols = np.minimum((np.arange(pw) * len(pct) / pw).astype(int), len(pct) - 1)
        p = pct[cols]                                          # (pw, 9)
        y_axis = scale(lo, hi, rows, flip=True, anchor="middle", label_width=MARGIN - 2) if hi > lo else None
        # each pixel's centre value (a cell's two pixels sit a quarter cell either side of its centre)
        values = (y_axis.value_at(np.arange(py) / 2 - 0.25) if y_axis is not None else
                  hi - (np.arange(py) + 0.5) / py * (hi - lo))
        v = values[:, None]
        level = np.zeros((py, pw), int)
        for k in range(4):                                     # (p0,p8), (p1,p7), (p2,p6), (p3,p5)
            level += (v >= p[None, :, k]) & (v <= p[None, :, 8 - k])
        finite = np.isfinite(p[:, 4])
        median = np.where(finite, p[:, 4], lo)
        median_row = np.abs(values[:, None] - median[None, :]).argmin(0)  # the pixel whose centre is nearest
        level[median_row[finite], np.nonzero(finite)[0]] = 5
        level[:, ~np.isfinite(p).all(1)] = -1                  # a frame with NaN/Inf: mark the column
        shades = {lvl: _shade(rgb, lvl) for lvl in range(-1, 6)}  # 7 colors, 49 styles: built once
        styles = {(a, b): self._style(("px", shades[a], shades[b])) for a in shades for b in shades}
        strips = []
        labels = y_axis.labels(MARGIN - 2) if y_axis is not None else {0: fmt_short(hi)}
        for r in range(rows):
            label = labels.get(r, "")
            segments = [Segment(f"{label:>{MARGIN - 2}} ┤" if label else " " * (MARGIN - 1) + "│",
                                self.rich_style)]
            top, bottom = level[2 * r], level[2 * r + 1]
            segments += [Segment("▀", styles[a, b]) for a, b in zip(top.tolist(), bottom.tolist())]
            strips.append(Strip(segments).simplify())
        return strips

    def _style(self, key: tuple) -> Style:
        style = self._styles.get(key)
        if style is None:
            if key[0] == "fg":
                style = Style(color=Color.from_rgb(*key[1]))
            else:
                style = Style(color=Color.from_rgb(*key[1]), bgcolor=Color.from_rgb(*key[2]))
            self._styles[key] = style
        return style


def _zero_bin(dists, layer: int) -> int | None:
    """The histogram bin holding 0 where the layer has exact zeros to draw (activations), else None."""
    if dists.zeros is None or not dists.zeros[layer] > 0:
        return None
    lo, hi = (float(v) for v in dists.ranges[layer])
    if not lo <= 0 <= hi or not hi > lo:
        return None
    return min(int((0 - lo) / (hi - lo) * HIST_BINS), HIST_BINS - 1)  # (torch.histc's binning)


def _zero_count(dists, layer: int) -> float:
    """How many of the layer's histogram values are exactly 0 (its share of all values, of those counted)."""
    total = float(dists.counts[layer].sum())
    return min(float(dists.zeros[layer]) * (total + float(dists.nonfinite[layer] if dists.nonfinite is not None else 0)),
               total)


def _layer_label(i: int, name: str) -> str:
    """'L3 Tanh' for the activation module '5: Tanh', 'L3' for the parameter '4.weight'."""
    return f"L{i + 1}" + (f" {name.split(': ', 1)[1]}" if ": " in name else "")


def _shade(rgb: tuple[int, int, int], level: int) -> tuple[int, int, int]:
    """Band color: darker outside, the quantity's color inside, white-ish on the median."""
    if level < 0:
        return NONFINITE_RGB
    if level == 5:
        return MEDIAN_RGB
    return blend(HISTOGRAM_BACKGROUND_RGB, rgb, (0.0, 0.25, 0.45, 0.7, 1.0)[level])


def _range_axis(lo: float, hi: float, width: int) -> str:
    """The range's ends under the bars (and its middle where it fits), shortened so that both ends fit."""
    left, right = fmt_num(lo), fmt_num(hi)
    if len(left) + len(right) + 1 > width:
        left, right = fmt_short(lo, max((width - 1) // 2, 3)), fmt_short(hi, max((width - 1) // 2, 3))
    return _spread(left, right, width, middle=fmt_num((lo + hi) / 2))


def _spread(left: str, right: str, width: int, middle: str = "") -> str:
    """`left` at the start, `right` at the end, `middle` centred if it fits."""
    line = [" "] * width
    for text, start in ((left, 0), (right, width - len(right)), (middle, (width - len(middle)) // 2)):
        if not text or start < 0:
            continue
        if any(c != " " for c in line[max(start - 1, 0):start + len(text) + 1]):
            continue
        line[start:start + len(text)] = list(text)
    return "".join(line)


def _text(text: str, width: int, style: Style) -> Strip:
    return Strip([Segment(text[:width], style)]).adjust_cell_length(width, style)



def _dists(run) -> dict:
    """The run's distributions now by quantity (its probe's "dists"; empty before the first frame)."""
    return run.measured.get("dists") or {}


def _shared_dists(view, quantity: str, runs: tuple[int, ...]) -> list:
    """The distributions of `quantity` of these runs (those measured, with layers): what small multiples share."""
    return [d for k in runs if k < len(view.runs) and (d := _dists(view.runs[k]).get(quantity)) is not None
            and len(d.names)]


def _shared_span(view, quantity: str, layer: int | None, runs: tuple[int, ...]) -> tuple[float, float]:
    """The value range the histograms of `quantity` of `runs` share (one layer's, or all layers' where `layer` is
    None): side by side, N(0, 0.01²)'s activations drawn on their own ±0.02 looked as wide as Xavier's ±0.5, and
    Leaky ReLU's as narrow as ReLU's; on one range a collapse to 0 is a spike and a saturation two."""
    spans = []
    for dists in _shared_dists(view, quantity, runs):
        if layer is not None and layer >= len(dists.names):
            continue
        ranges = dists.ranges if layer is None else dists.ranges[layer:layer + 1]
        finite = ranges[np.isfinite(ranges).all(1)]
        if len(finite):
            spans.append((float(finite[:, 0].min()), float(finite[:, 1].max())))
    return (min(lo for lo, _ in spans), max(hi for _, hi in spans)) if spans else (0.0, 0.0)
