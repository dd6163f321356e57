"""One value axis for every chart: each tick sits on the cell whose centre is exactly the value it names.

A chart draws at dot resolution (braille: 4 dots a row, 2 a column) and writes its tick labels on whole
cells. When the labels are put at the row nearest their value, a label can be half a row off, and ticks
meant to be evenly spaced come out 2 : 4 : 2 rows apart; a reader who reads a curve back through them
reads the wrong value. Here the axis is built the other way round: a nice tick spacing s (in the axis's
own units: the value, or log10 of it) and a whole number of cells k between ticks are chosen first, and
the cells follow from them, so every tick value lands on a cell centre and every drawn value, read back
between two ticks, is within half a cell of where the axis says.

A log axis ticks whole decades (or every 2nd, 3rd… decade), doublings (…0.25, 0.5, 1, 2, 4…) where fewer
than three decades are in view, and where even those would crowd (a span under 4×), evenly spaced cells
labelled with their own values.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MIN_GAP = 2  # cells between two ticks: at least one free row (or column) between two labels
THIRD_TICK = 1.25  # a third tick is worth at most 25% more units per cell than two ticks give
LOOSE = 1.5  # a linear axis of nice ticks may span at most this many times the data's range (2.5 left a fit at
# 80x24 on -7.5..8.2 for data in ±3.9, half its width empty; beyond it, the ends are labelled with their own values)

STEPS_LOOSE = 1.15  # a step axis past the last step by more than this share tries labels further apart
COARSER_DECADES = 1.15  # labels every 3rd (5th…) decade rather than every 2nd (3rd…) where that gives the data 15% more cells
# (at 1.25, optimizers' losses 1e-12 … 30 on 13 rows got ticks every 3 decades up to 1e6: a quarter of the chart empty)
DECADES_COST = 1.25  # three decade ticks may cost the data this much resolution against the finest ticks (at 2,
# exploding_gradients' loss at 80x24 got 0.001 / 1 / 1000 on five rows for losses 0.002 … 7: half the chart empty;
# at 1.5 it still ran to 5600, and lr_schedules' 0.003 … 30 on seven rows to 3000)

_NICE = (1.0, 2.0, 2.5, 5.0)
_DECADES = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0)
_DOUBLING = math.log10(2.0)


@dataclass(frozen=True)
class Scale:
    """Values along `cells` cells, value growing with the cell index (a y axis reverses it with `flip`).

    `position(v)` is the continuous cell coordinate of a value: 0 is the first cell's centre, cells - 1 the
    last one's; the axis shows values from position −0.5 to cells − 0.5. `ticks` are (cell, value) pairs
    whose value is exactly at that cell's centre."""

    log: bool
    cells: int
    origin: float            # axis units (value, or log10 of it) at position 0
    per_cell: float          # axis units per cell (> 0)
    ticks: tuple[tuple[int, float], ...]
    flip: bool = False       # cell 0 holds the highest values (a y axis: row 0 is the top)

    def units(self, values: np.ndarray | float) -> np.ndarray:
        v = np.asarray(values, dtype=float)
        if self.log:
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.log10(v)
        return v

    def position(self, values: np.ndarray | float) -> np.ndarray:
        """Continuous cell coordinate of each value (0: the first cell's centre)."""
        p = (self.units(values) - self.origin) / self.per_cell
        return (self.cells - 1) - p if self.flip else p

    def dots(self, values: np.ndarray | float, per_cell: int) -> np.ndarray:
        """Continuous dot coordinate (per_cell dots a cell): a cell's centre is its middle dot boundary, so a
        value exactly on a tick rounds into the tick's cell. A value in view stays on the canvas (the far
        edge, exactly half a cell past the last centre, would round onto the next dot); one out of view stays
        out, for the chart to mark."""
        p = self.position(values)
        d = p * per_cell + (per_cell - 1) / 2
        inside = (p >= -0.5) & (p <= self.cells - 0.5)
        return np.where(inside, np.clip(d, 0, per_cell * self.cells - 1), d)

    def value_at(self, position):
        """The value a cell coordinate stands for (a float, or an array of them)."""
        p = (self.cells - 1) - position if self.flip else position
        u = self.origin + p * self.per_cell
        return 10.0 ** u if self.log else u

    @property
    def lo(self) -> float:
        """The lowest value in view (at the far edge of the lowest cell)."""
        return self.value_at(self.cells - 0.5 if self.flip else -0.5)

    @property
    def hi(self) -> float:
        return self.value_at(-0.5 if self.flip else self.cells - 0.5)

    def labels(self, width: int, fmt: Callable[[float, int], str] | None = None) -> dict[int, str]:
        """Cell → tick label of at most `width` characters (`fmt`: the chart's own form, e.g. a percentage)."""
        return {cell: (fmt or tick_label)(value, width) for cell, value in self.ticks}


def tick_label(value: float, width: int) -> str:
    """The shortest form of a tick's value that reads back as that value (0.00015 is "1.5e-4", not "0.0001"),
    in at most `width` characters; past that, the closest form that fits."""
    forms = []
    for digits in range(1, 8):
        for text in (f"{value:.{digits}g}", _compact(f"{value:.{digits - 1}e}")):
            if "e" in text:
                text = _compact(text)
            forms.append(text)
    exact = [t for t in forms if len(t) <= width and math.isclose(float(t), value, rel_tol=1e-9, abs_tol=1e-300)]
    plain = [t for t in exact if "e" not in t]
    if plain or exact:  # 1000 and 0.001 rather than 1e3 and 1e-3 where they fit
        return min(plain or exact, key=len)
    fitting = [t for t in forms if len(t) <= width]
    return min(fitting, key=lambda t: abs(float(t) - value)) if fitting else forms[0][:width]


def _compact(text: str) -> str:
    """1.5e-04 → 1.5e-4, 3e+05 → 3e5: the exponent's sign and zeros cost columns."""
    if "e" not in text:
        return text
    mantissa, exponent = text.split("e")
    return f"{mantissa}e{int(exponent)}"


@lru_cache(maxsize=512)  # (a chart redrawn with the same range and size asks again: 0.2 ms saved each time)
def scale(lo: float, hi: float, cells: int, *, log: bool = False, flip: bool = False,
          anchor: str = "low", whole: bool = False, label_width: int | None = None, gap: int = MIN_GAP,
          most: int | None = None) -> Scale:
    """The axis over `cells` cells that holds [lo, hi]: ticks on whole cells at least MIN_GAP apart, three of
    them in view where they fit (else two), and of those spacings the one with the most cells per unit.
    `anchor`: the data sit at the "low" end (a loss axis starts at its floor), the "high" one (an accuracy
    axis ends at 100%) or in the "middle" (a plane's coordinates). `whole`: ticks at whole numbers only (steps). `label_width`: only ticks whose
    values can be written exactly in that many characters (tick_label). `gap`: the fewest cells between two
    ticks (an x axis: its labels' width and a space); `most`: the most (default: a quarter of the axis, at
    least 6), so a reader always has a label near."""
    if anchor not in ("low", "high", "middle"):
        raise ValueError(f"anchor is 'low', 'high' or 'middle', not {anchor!r}")
    cells = max(cells, 1)
    widest = max(most if most is not None else max(6, cells // 4), gap)
    three, two = (_scale(lo, hi, cells, log, flip, at_least, anchor, whole, label_width, gap, widest)
                  for at_least in (3, 2))
    # three ticks where they cost at most a quarter of the resolution of two: on a narrow axis, three ticks far
    # apart (0, 10, 20) squeezed the data into two cells
    general = three if three is not None and (two is None or three.per_cell <= THIRD_TICK * two.per_cell) else two
    if log:
        decades = _decades(lo, hi, cells, flip, anchor, whole, label_width, gap, general)
        if decades is not None:
            return decades
    a, b = _ends(lo, hi, log)
    for axis in (general, two):  # three ticks that span too much leave two that may not (regularization's gap
        # on 11 rows: 0.1 / 0.05 / 0 / -0.05 ran past LOOSE, and the ends-only fallback hid 0 where 0.1 / 0 fit)
        if axis is not None and (log or axis.per_cell * cells <= LOOSE * (b - a)):
            return axis
    return _ends_only(a, b, cells, log, flip, label_width)


def _decades(lo: float, hi: float, cells: int, flip: bool, anchor: str, whole: bool, label_width: int | None,
             gap: int, general: Scale | None) -> Scale | None:
    """A log axis ticked at whole decades where the data span two or more (the labels a log axis is read by: 1,
    0.1, 1e-3), unless they would leave the data less than 1/DECADES_COST of the rows the finest ticks give it
    (`general`); over a shorter span doublings (…0.5, 1, 2, 4…) label the rows near the data, and two decades
    only where nothing finer fits. None: not decades."""
    span = math.log10(hi / lo) if hi > lo > 0 else 0.0
    for at_least in (3, 2):
        if at_least == 3 and span < 2:
            continue
        decades = _scale(lo, hi, cells, True, flip, at_least, anchor, whole, label_width, gap, cells, decades=True)
        if decades is not None and (general is None or (at_least == 3 and
                                                        decades.per_cell <= DECADES_COST * general.per_cell)):
            return decades
    return None


def _ends_only(a: float, b: float, cells: int, log: bool, flip: bool, label_width: int | None) -> Scale:
    """Too few cells for two ticks (or two nice ones only far apart: 0 and 10 for data in -1.3..1.3 on 3 rows):
    the ends, labelled with their own values, rounded outward to two significant digits ("-1.3", not "-1.234")."""
    if not log:
        a, b = _outward(a, b)
    # on an x axis the last label is centred on its column: the top end's tick stands far enough in for it to fit
    # (at the last cell, "3.9" had no room and was left out, leaving one label)
    label = tick_label(10.0 ** b if log else b, label_width or 6)
    inset = 0 if flip else min(len(label) // 2, max(cells - 2, 0) // 2)
    last = max(cells - 1 - inset, 1)
    per_cell = (b - a) / last
    ticks = ((0, _clean(10.0 ** a if log else a)),) + (((last, _clean(10.0 ** b if log else b)),) if cells > 1 else ())
    return Scale(log, cells, a, per_cell, tuple(sorted(((cells - 1 - p) if flip else p, v) for p, v in ticks)), flip)


def step_axis(last: int, cells: int) -> Scale:
    """A chart's step axis, from 0 to the `last` step, over `cells` columns: labels a space apart, about a third
    of the width between them, and further apart where that leaves less of the width past the last step
    (lr_schedules at 80x24: 500 steps on an axis running to 620, ticked 0 / 200 / 400 / 600)."""
    gap = len(tick_label(last, 5)) + 1  # (a space between two labels)
    axis = scale(0.0, float(last), cells, whole=True, label_width=5, gap=gap, most=max(gap, cells // 3))
    if axis.hi > STEPS_LOOSE * last:
        wider = scale(0.0, float(last), cells, whole=True, label_width=5, gap=gap, most=max(gap, cells * 2 // 5))
        axis = wider if wider.hi < axis.hi else axis
    return axis


def square(x_range: tuple[float, float], y_range: tuple[float, float], columns: int, rows: int,
           label_width: int, x_label_width: int = 6) -> tuple[Scale, Scale]:
    """An x axis over `columns` cells and a flipped y axis over `rows` cells with square pixels (a cell is one
    pixel wide and two tall, so a y cell spans twice an x cell's data units) that hold both ranges, centred on
    them. x is ticked every s (a nice spacing), k cells apart, and y every s (k/2 cells; k even) or 2s (k
    cells), so every tick sits on the cell whose centre is its value; of the (s, k) that fit, the finest
    resolution wins."""
    (x0, x1), (y0, y1) = x_range, y_range
    smallest = max((x1 - x0) / columns, (y1 - y0) / (2 * rows), 1e-12)  # data units per x cell, at least
    e = math.floor(math.log10(smallest))
    gap = x_label_width + 1
    best: tuple[float, Scale, Scale] | None = None
    for step in (m * 10.0 ** p for p in range(e, e + 4) for m in _NICE):
        for k in range(2 * columns, max(gap, MIN_GAP) - 1, -1):
            per = step / k
            if per < smallest * (1 - 1e-9) or (best is not None and per >= best[0]):
                continue
            xs = _centred((x0, x1), columns, per, step, flip=False)
            # y ticks every step where that is a whole number of cells (k even), else every second step
            ys = _centred((y0, y1), rows, 2 * per, step if k % 2 == 0 else 2 * step, flip=True)
            if xs is None or ys is None or not all(_exact(v, w) for axis, w in ((xs, x_label_width),
                                                                               (ys, label_width))
                                                   for _, v in axis.ticks):
                continue
            best = (per, xs, ys)
            break  # (finer k for this step would not fit either: per only shrinks)
    if best is None:  # nothing nice fits (a tiny panel): each axis on its own
        return (scale(x0, x1, columns, label_width=x_label_width, gap=gap),
                scale(y0, y1, rows, flip=True, label_width=label_width))
    return best[1], best[2]


def _centred(span: tuple[float, float], cells: int, per_cell: float, step: float, flip: bool) -> Scale | None:
    """The axis of `cells` cells, `per_cell` units each, centred on `span` with whole cells on multiples of
    `step`, ticked at those multiples; None where it does not hold the span or has fewer than two ticks."""
    lo, hi = span
    origin = round(((lo + hi) / 2 - (cells - 1) / 2 * per_cell) / per_cell) * per_cell  # a multiple of per_cell
    if origin - per_cell / 2 > lo + 1e-12 * abs(lo) or origin + (cells - 0.5) * per_cell < hi - 1e-12 * abs(hi):
        return None
    ticks = []
    for j in range(math.ceil((origin - per_cell / 2) / step), math.floor((origin + (cells - 0.5) * per_cell) / step) + 1):
        p = round((j * step - origin) / per_cell)
        if 0 <= p <= cells - 1:
            ticks.append(((cells - 1 - p) if flip else p, _clean(j * step)))
    return Scale(False, cells, origin, per_cell, tuple(sorted(ticks)), flip) if len(ticks) >= 2 else None


def _outward(a: float, b: float) -> tuple[float, float]:
    """[a, b] widened to the nearest values of two significant digits (of the larger end's size)."""
    unit = 10.0 ** (math.floor(math.log10(max(abs(a), abs(b), 1e-300))) - 1)
    return _clean(math.floor(a / unit + 1e-9) * unit), _clean(math.ceil(b / unit - 1e-9) * unit)


def _ends(lo: float, hi: float, log: bool) -> tuple[float, float]:
    a, b = (math.log10(lo), math.log10(hi)) if log else (lo, hi)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"an axis needs finite ends (got {lo}, {hi})")
    if b <= a:  # one value: a span around it
        pad = 0.5 if log else max(abs(a), 1.0) * 0.5
        a, b = a - pad, b + pad
    return a, b


def _scale(lo: float, hi: float, cells: int, log: bool, flip: bool, at_least: int, anchor: str,
           whole: bool, label_width: int | None, gap: int, widest: int, decades: bool = False) -> Scale | None:
    a, b = _ends(lo, hi, log)
    best: tuple[float, Scale] | None = None  # (cells per unit, the axis)
    finest: tuple[float, Scale] | None = None  # decades: the finest spacing that fits
    for step, offset in _grids(a, b, cells, log, whole):
        if decades and (offset != 0.0 or step < 1):
            continue
        if decades and finest is not None:  # a coarser spacing only where it gives the data far more cells
            if step > b - a:  # (ticks wider apart than the data span: no finer fill, and 10^u overflows)
                break
            best = None
        fit = _spacing(a, b, step, offset, cells, log, flip, at_least, anchor, label_width, gap, widest, best)
        best = fit or best
        # decades: the finest spacing that fits (a label every decade, or every second one), unless a coarser
        # one gives the data COARSER_DECADES times its cells: 2 decades on 2 rows left 6 of 19 rows empty
        # above losses 1e-12 … 10, where 3 decades on 4 rows fill them
        if decades and best is not None and (finest is None or best[0] > COARSER_DECADES * finest[0]):
            finest = best
    chosen = finest if decades else best
    return chosen[1] if chosen is not None else None


def _spacing(a: float, b: float, step: float, offset: float, cells: int, log: bool, flip: bool, at_least: int,
             anchor: str, label_width: int | None, gap: int, widest: int,
             best: tuple[float, Scale] | None) -> tuple[float, Scale] | None:
    """Ticks `step` apart on as many cells apart as fit (from `widest` down, never under `gap`), where that beats
    `best`: (cells per unit, the axis), or None."""
    for k in range(max(min(cells - 1, widest), 1), 0, -1):
        # (an equal resolution with a coarser spacing wins: as exact, with fewer labels to read)
        if (k < gap and cells > gap) or (best is not None and k / step < best[0] * (1 - 1e-9)):
            return None
        base = _fit(a - offset, b - offset, step, k, cells, at_least, anchor)
        if base is None:
            continue
        axis = _axis(a - offset, step, k, base, offset, cells, log, flip)
        if label_width is not None and not all(_exact(v, label_width) for _, v in axis.ticks):
            continue
        return k / step, axis
    return None


def _grids(a: float, b: float, cells: int, log: bool, whole: bool) -> list[tuple[float, float]]:
    """(tick spacing, a tick's value) in axis units, finest spacing first."""
    span = b - a
    if log:
        grids = [(d, 0.0) for d in _DECADES]
        if span < 3:  # doublings and halvings of the decade nearest the data's middle: …0.25, 0.5, 1, 2, 4…
            middle = (a + b) / 2
            anchor = min(range(math.floor(a), math.ceil(b) + 1), key=lambda d: abs(d - middle))
            grids.insert(0, (_DOUBLING, float(anchor)))
        if span < math.log10(4):  # under 4×: evenly spaced cells labelled with their own values
            grids.insert(0, (span / 3.0 if cells > 8 else span, a))
        return grids
    smallest = span / max(cells, 1)
    e = math.floor(math.log10(smallest)) if smallest > 0 else 0
    steps = [m * 10.0 ** p for p in range(e, e + 3) for m in _NICE if m * 10.0 ** p >= smallest]
    return [(s, 0.0) for s in steps if not whole or (s >= 1 and s == int(s))]


def _axis(a: float, step: float, k: int, base: int, offset: float, cells: int, log: bool, flip: bool) -> Scale:
    """The axis whose tick at or below `a` (relative to `offset`) is at position `base`, k cells a step."""
    per_cell = step / k
    first = math.floor(a / step)
    origin = offset + first * step - base * per_cell
    ticks = []
    for j in range(-(base // k) - 1, (cells - base) // k + 2):
        p = base + j * k
        if 0 <= p <= cells - 1:
            u = offset + (first + j) * step
            ticks.append(((cells - 1 - p) if flip else p, _clean(10.0 ** u if log else u)))
    return Scale(log, cells, origin, per_cell, tuple(sorted(ticks)), flip)


def _exact(value: float, width: int) -> bool:
    return math.isclose(float(tick_label(value, width)), value, rel_tol=1e-6, abs_tol=1e-300)


def _fit(a: float, b: float, step: float, k: int, cells: int, at_least: int, anchor: str) -> int | None:
    """The position of the tick at or below `a` when ticks `step` apart are `k` cells apart and [a, b] must
    lie within positions −0.5 … cells − 0.5 with `at_least` ticks in view (`anchor`: the data as low as they
    go, as high, or in the middle); None: it does not fit."""
    first = math.floor(a / step) * step
    da, db = (a - first) / step * k, (b - first) / step * k
    least, most = math.ceil(-0.5 - da - 1e-9), math.floor(cells - 0.5 - db + 1e-9)
    if least > most:
        return None
    wanted = {"high": [most], "low": [least]}.get(anchor, [(least + most) // 2, least, most])
    for base in wanted:
        visible = sum(1 for j in range(-(base // k) - 1, (cells - base) // k + 2) if 0 <= base + j * k <= cells - 1)
        if visible >= min(at_least, cells):
            return base
    return None


def _clean(value: float) -> float:
    """A tick value without float noise (0.30000000000000004 → 0.3)."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.12g}")
