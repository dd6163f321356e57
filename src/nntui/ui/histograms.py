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

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from ..frames import HIST_BINS
from .palette import HISTOGRAM_BACKGROUND_RGB, MEDIAN_RGB, NONFINITE_RGB, QUANTITY_RGB, blend
from .panel import RUN_BINDINGS, StripPanel, run_name
from .raster import fmt_num

QUANTITIES = ("weights", "activations", "gradients")
MARGIN = 8
EIGHTHS = " ▁▂▃▄▅▆▇█"


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
        return cls(scenario.view.histogram, scenario.view.all_layers, **kwargs)

    def __init__(self, quantity: str = "weights", all_layers: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.layer_index = 0
        self.quantity = quantity
        self.all_layers = all_layers
        self._styles: dict[tuple, Style] = {}

    def on_mount(self) -> None:
        self.set_titles(subtitle="↑↓ layer ←→ kind · a all · [ ] run")

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
        dists = run.dists.get(self.quantity) if run is not None and run.dists else None
        if run is None or dists is None or not len(dists.names):
            message = "waiting for the first step…" if run is None or not run.dists else f"no {self.quantity} to show"
            self.set_titles(title=f"{self.quantity.capitalize()}")
            self._strips = [_text(message.center(width), width, base) if i == height // 2 else
                            Strip.blank(width, base) for i in range(height)]
            return
        n_layers = len(dists.names)
        if self.all_layers:
            self.set_titles(title=f"{self.quantity.capitalize()} · {run_name(run)} · all {n_layers} layers")
            self._strips = [s.adjust_cell_length(width, base) for s in self._layer_rows(dists, width, height)[:height]]
            return
        self.layer_index = min(max(self.layer_index, 0), n_layers - 1)
        i = self.layer_index
        lo, hi = dists.ranges[i]
        bad = int(dists.nonfinite[i]) if dists.nonfinite is not None else 0
        self.set_titles(title=(f"{self.quantity.capitalize()} · L{i + 1}/{n_layers} ({dists.names[i]}) · {run_name(run)}"
                             + (f" · ⚠ {bad} NaN/Inf" if bad else "")))
        pw = max(width - MARGIN, 1)
        hist_rows = max(2, (height - 2) // 2)
        band_rows = max(1, height - hist_rows - 2)
        rgb = QUANTITY_RGB[self.quantity]
        strips = self._histogram(dists.counts[i], hist_rows, pw, rgb)
        strips.append(self._axis(lo, hi, pw))
        steps_and_rows = (run.bands or {}).get(self.quantity)
        if steps_and_rows is not None and len(steps_and_rows[0]):
            steps, pct = steps_and_rows
            strips += self._bands(pct[:, i, :], lo, hi, band_rows, pw, rgb)
            strips.append(_text(" " * MARGIN + _spread(f"step {steps[0]}", f"step {steps[-1]}", pw), width,
                                base + Style(dim=True)))
        self._strips = [s.adjust_cell_length(width, base) for s in strips[:height]]

    def _layer_rows(self, dists, width: int, height: int) -> list[Strip]:
        """Each layer's histogram re-binned onto the range common to all layers, then its σ (and dead %)."""
        base = self.rich_style
        labels = [_layer_label(i, n) for i, n in enumerate(dists.names)]
        label_w = min(max(len(label) for label in labels) + 1, 16)
        # the dead column only where a unit can die: ReLU outputs exactly 0 for every negative input
        show_dead = dists.dead is not None and (any("ReLU" in n and "Leaky" not in n for n in dists.names)
                                                or bool(np.nanmax(dists.dead) > 0))
        stds = dists.std if dists.std is not None else np.full(len(labels), np.nan)
        stats = [f" σ {fmt_num(float(v))}" for v in stds]
        if show_dead:
            stats = [f"{text:<{max(map(len, stats))}}  dead {dead:.0%}" for text, dead in zip(stats, dists.dead)]
        stats_w = max(map(len, stats))
        pw = max(width - label_w - stats_w, 4)
        rows = min(max((height - 1) // max(len(labels), 1), 1), 3)  # taller bars when there is room
        ranges = dists.ranges
        lo, hi = float(ranges[:, 0].min()), float(ranges[:, 1].max())
        style = self._style(("fg", QUANTITY_RGB[self.quantity]))
        strips = []
        for i, label in enumerate(labels):
            # each bin's centre, mapped to a column of the common range
            edges = np.linspace(ranges[i, 0], ranges[i, 1], HIST_BINS + 1)
            centers = (edges[:-1] + edges[1:]) / 2
            cols = np.clip(((centers - lo) / max(hi - lo, 1e-300) * pw).astype(int), 0, pw - 1)
            column_counts = np.bincount(cols, weights=dists.counts[i], minlength=pw)
            heights = np.ceil(column_counts / max(column_counts.max(), 1) * rows * 8)
            for r in range(rows):
                cells = np.clip(heights - (rows - 1 - r) * 8, 0, 8).astype(int)
                head = label if r == rows - 1 else ""
                strips.append(Strip([Segment(f"{head[:label_w - 1]:<{label_w}}", base),
                                     Segment("".join(EIGHTHS[c] for c in cells), style),
                                     Segment(stats[i] if r == rows - 1 else "", base)]))
        strips.append(_text(" " * label_w + _spread(fmt_num(lo), fmt_num(hi), pw, middle=fmt_num((lo + hi) / 2)),
                            label_w + pw, base + Style(dim=True)))
        return strips

    def _histogram(self, counts: np.ndarray, rows: int, pw: int, rgb) -> list[Strip]:
        base = self.rich_style
        peak = max(int(counts.max()), 1)
        cols = np.minimum((np.arange(pw) * HIST_BINS / pw).astype(int), HIST_BINS - 1)  # bin under each column
        heights = counts[cols] / peak * rows * 8
        style = self._style(("fg", rgb))
        strips = []
        for r in range(rows):
            level_from_bottom = rows - 1 - r
            cells = np.clip(heights - level_from_bottom * 8, 0, 8).round().astype(int)
            label = f"{peak:>{MARGIN - 2}} ┤" if r == 0 else " " * (MARGIN - 1) + "│"
            strips.append(Strip([Segment(label, base), Segment("".join(EIGHTHS[c] for c in cells), style)]))
        return strips

    def _axis(self, lo: float, hi: float, pw: int) -> Strip:
        text = _spread(fmt_num(lo), fmt_num(hi), pw, middle=fmt_num((lo + hi) / 2))
        return _text(" " * MARGIN + text, MARGIN + pw, self.rich_style)

    def _bands(self, pct: np.ndarray, lo: float, hi: float, rows: int, pw: int, rgb) -> list[Strip]:
        """Percentile bands over time as half-block pixels; level 0 = outside, 4 = inside ±0.5σ, 5 = median."""
        py = 2 * rows
        cols = np.minimum((np.arange(pw) * len(pct) / pw).astype(int), len(pct) - 1)
        p = pct[cols]                                          # (pw, 9)
        values = hi - (np.arange(py) + 0.5) / py * (hi - lo)   # pixel centers, top row = hi
        v = values[:, None]
        level = np.zeros((py, pw), int)
        for k in range(4):                                     # (p0,p8), (p1,p7), (p2,p6), (p3,p5)
            level += (v >= p[None, :, k]) & (v <= p[None, :, 8 - k])
        finite = np.isfinite(p[:, 4])
        median = np.where(finite, p[:, 4], lo)
        median_row = np.clip(((hi - median) / max(hi - lo, 1e-300) * py).astype(int), 0, py - 1)
        level[median_row[finite], np.nonzero(finite)[0]] = 5
        level[:, ~np.isfinite(p).all(1)] = -1                  # a frame with NaN/Inf: mark the column
        shades = {lvl: _shade(rgb, lvl) for lvl in range(-1, 6)}  # 7 colors, 49 styles: built once
        styles = {(a, b): self._style(("px", shades[a], shades[b])) for a in shades for b in shades}
        strips = []
        for r in range(rows):
            label = fmt_num(hi) if r == 0 else fmt_num(lo) if r == rows - 1 else ""
            segments = [Segment(f"{label[:MARGIN - 2]:>{MARGIN - 2}} ┤" if label else " " * (MARGIN - 1) + "│",
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

