"""Lines on a braille canvas, and a chart of any set of them: the drawing every line chart shares.

The loss panel (and those built on it: accuracy, gap) draws its runs with `line_dots` / `envelope_dots`; a panel
with its own series (one line per layer, say) draws them whole with `line_chart`: a y axis that ticks each
label at its value's row, a line per series in its colour, an optional dotted guide, and the step axis.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from .axis import Scale, scale
from .braille import BrailleCanvas, dot_cells
from .raster import MARGIN, polyline_pixels, tick_line


@dataclass(frozen=True, eq=False)
class Line:
    """One series of a line chart: its values at steps, in its colour."""

    steps: np.ndarray
    values: np.ndarray
    rgb: tuple[int, int, int]


def _columns(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, ...]:
    """Points grouped by dot column (steps ascending): each column's mean x, mean y, min y and max y."""
    col = np.round(px).astype(int)
    starts = np.concatenate(([0], np.flatnonzero(np.diff(col)) + 1))
    counts = np.diff(np.append(starts, len(col)))
    return (np.add.reduceat(px, starts) / counts, np.add.reduceat(py, starts) / counts,
            np.minimum.reduceat(py, starts), np.maximum.reduceat(py, starts))


def line_dots(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A thin line through each column's mean (noise averages out instead of filling the column), each dot once
    in order along it (so a dash pattern can be laid on it)."""
    mx, my, _, _ = _columns(px, py)
    # from the first point to the last one itself, not to its column's mean: the curve ends where the run is
    mx, my = np.concatenate(([px[0]], mx, [px[-1]])), np.concatenate(([py[0]], my, [py[-1]]))
    xs, ys = polyline_pixels(np.round(mx), np.round(my))  # whole dots: no gap where a step is 1.5 dots
    new = np.ones(len(xs), bool)  # segments share their ends: count each dot once, so dashes keep their length
    new[1:] = (np.diff(xs) != 0) | (np.diff(ys) != 0)
    return xs[new], ys[new]


def envelope_dots(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each dot column's min–max span, joined by the line through the means (a faint band of noise)."""
    mx, _, low, high = _columns(px, py)
    low, high = np.round(low).astype(int), np.round(high).astype(int)
    lengths = high - low + 1
    span_x = np.repeat(np.round(mx).astype(int), lengths)
    span_y = np.repeat(low, lengths) + np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    xs, ys = line_dots(px, py)
    return np.concatenate((span_x, xs)), np.concatenate((span_y, ys))


HIDDEN_SHARE = 0.25  # a line that shows in fewer of its cells than this, under the lines drawn after it, is hidden


@dataclass(frozen=True)
class Chart:
    strips: list[Strip]     # the chart's rows, then the step axis's row
    hidden: tuple[int, ...]  # the lines drawn (almost) wholly under later ones: the chart must say so


def line_chart(lines: Sequence[Line], x_axis: Scale, rows: int, base: Style, *, log: bool = True,
               guide: float | None = None) -> Chart:
    """`rows` rows of the lines over `x_axis` (its MARGIN-wide y ticks on the left, each on its value's row), then
    the step axis's row; none where no line has a value to draw. On a log axis the values that are not positive
    are left out; `guide`: a value drawn as a dotted row behind the lines, always in view (a reference the lines
    are read against, which a legend explains)."""
    shown = [np.isfinite(line.values) & ((line.values > 0) if log else True) for line in lines]
    values = np.concatenate([line.values[ok] for line, ok in zip(lines, shown)] or [np.zeros(0)])
    if not len(values):
        return Chart([], ())
    y_axis = scale(*_y_span(values, guide, log), rows, log=log, flip=True, label_width=MARGIN - 2)
    canvas = BrailleCanvas(x_axis.cells, rows)
    if guide is not None:
        xs = np.arange(0, 2 * x_axis.cells)
        xs = xs[(xs // 2) % 2 == 0]  # every other cell's dots
        canvas.paint(xs, np.full(len(xs), int(round(float(y_axis.dots(guide, 4))))), len(lines))
    covered: list[np.ndarray] = []  # each line's cells
    for i, (line, ok) in enumerate(zip(lines, shown)):
        dots = line_dots(x_axis.dots(line.steps[ok], 2), y_axis.dots(line.values[ok], 4)) if ok.any() else None
        if dots is not None:
            canvas.paint(*dots, i)
        covered.append(dot_cells(*dots, x_axis.cells, rows) if dots is not None else np.zeros(0, np.int64))
    styles = [base + Style(color=Color.from_rgb(*line.rgb)) for line in lines] + [base + Style(dim=True)]
    labels = y_axis.labels(MARGIN - 2)
    strips = []
    for r, cells in enumerate(canvas.rows(styles, base)):
        label = labels.get(r)
        margin = f"{label:>{MARGIN - 2}} ┤" if label else " " * (MARGIN - 1) + "│"
        strips.append(Strip([Segment(margin, base), *cells], MARGIN + x_axis.cells))
    strips.append(tick_line(x_axis, MARGIN, MARGIN + x_axis.cells, base + Style(dim=True), label_width=5))
    return Chart(strips, _hidden(covered))


def _y_span(values: np.ndarray, guide: float | None, log: bool) -> tuple[float, float]:
    """The value range the y axis holds: the values and the guide; on a log axis at least a decade (so the ticks
    say something), on a linear one at least a unit."""
    lo, hi = float(values.min()), float(values.max())
    if guide is not None:
        lo, hi = min(lo, guide), max(hi, guide)
    if log and hi / lo < 10:
        mid = math.sqrt(lo * hi)
        return mid / math.sqrt(10), mid * math.sqrt(10)
    if not log and hi <= lo:
        return lo - 0.5, hi + 0.5
    return lo, hi


def _hidden(covered: list[np.ndarray]) -> tuple[int, ...]:
    """The lines (by index) of which less than HIDDEN_SHARE of the cells show: the lines drawn after cover them."""
    return tuple(i for i, own in enumerate(covered) if len(own) and np.isin(
        own, np.concatenate([np.zeros(0, np.int64), *covered[i + 1:]]), invert=True).mean() < HIDDEN_SHARE)
