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

import numpy as np

MIN_GAP = 2  # cells between two ticks: at least one free row (or column) between two labels

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
        value exactly on a tick rounds into the tick's cell."""
        return self.position(values) * per_cell + (per_cell - 1) / 2

    def value_at(self, position: float) -> float:
        """The value a cell coordinate stands for."""
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

    def labels(self, width: int, fmt: Callable[[float, int], str]) -> dict[int, str]:
        """Cell → tick label of at most `width` characters."""
        return {cell: fmt(value, width) for cell, value in self.ticks}


def scale(lo: float, hi: float, cells: int, *, log: bool = False, flip: bool = False) -> Scale:
    """The axis over `cells` cells that holds [lo, hi]: ticks on whole cells at least MIN_GAP apart, three of
    them in view where they fit (else two), and of those spacings the one with the most cells per unit.
    The data sit at the low end (a loss axis starts at its floor)."""
    for at_least in (3, 2):
        found = _scale(lo, hi, cells, log, flip, at_least)
        if found is not None:
            return found
    a, b = _ends(lo, hi, log)
    per_cell = (b - a) / max(cells - 1, 1)  # too few cells for two ticks: the ends, labelled with their values
    return Scale(log, cells, a, per_cell, _own_ticks(a, per_cell, cells, log, 0, max(cells - 1, 1)), flip)


def _ends(lo: float, hi: float, log: bool) -> tuple[float, float]:
    a, b = (math.log10(lo), math.log10(hi)) if log else (lo, hi)
    if not (math.isfinite(a) and math.isfinite(b)):
        raise ValueError(f"an axis needs finite ends (got {lo}, {hi})")
    if b <= a:  # one value: a span around it
        pad = 0.5 if log else max(abs(a), 1.0) * 0.5
        a, b = a - pad, b + pad
    return a, b


def _scale(lo: float, hi: float, cells: int, log: bool, flip: bool, at_least: int) -> Scale | None:
    a, b = _ends(lo, hi, log)
    cells = max(cells, 1)
    best: tuple[float, float, int, int] | None = None  # (cells per unit, -step, k, base)
    for step in _steps(b - a, cells, log):
        for k in range(max(cells - 1, 1), 0, -1):
            if (k < MIN_GAP and cells > MIN_GAP) or (best is not None and k / step <= best[0]):
                break
            base = _fit(a, b, step, k, cells, at_least)
            if base is not None:
                if best is None or k / step > best[0]:
                    best = (k / step, -step, k, base)
                break
    if best is None:
        return None
    _, neg_step, k, base = best
    step = -neg_step
    per_cell = step / k
    first = math.floor(a / step)  # the tick at or below the data (in steps), at position `base`
    origin = first * step - base * per_cell
    ticks = []
    for j in range(-(base // k) - 1, (cells - base) // k + 2):
        p = base + j * k
        if 0 <= p <= cells - 1:
            u = (first + j) * step
            ticks.append(((cells - 1 - p) if flip else p, _clean(10.0 ** u if log else u)))
    return Scale(log, cells, origin, per_cell, tuple(sorted(ticks)), flip)


def _steps(span: float, cells: int, log: bool) -> list[float]:
    """Tick spacings worth trying (axis units), finest first."""
    if log:
        steps = [d for d in _DECADES]
        if span < 3:
            steps.insert(0, _DOUBLING)
        if span < math.log10(4):  # under 4×: evenly spaced cells labelled with their own values
            steps.insert(0, _own_step(span, cells))
        return steps
    smallest = span / max(cells, 1)
    e = math.floor(math.log10(smallest)) if smallest > 0 else 0
    return [m * 10.0 ** p for p in range(e, e + 3) for m in _NICE if m * 10.0 ** p >= smallest]


def _own_step(span: float, cells: int) -> float:
    """A spacing for a short log span: about four ticks' worth, not a round value (labels say their own)."""
    return span / 3.0 if cells > 8 else span


def _fit(a: float, b: float, step: float, k: int, cells: int, at_least: int) -> int | None:
    """The position of the tick at or below `a` when ticks `step` apart are `k` cells apart and [a, b] must
    lie within positions −0.5 … cells − 0.5 with `at_least` ticks in view; None: it does not fit."""
    first = math.floor(a / step) * step
    da, db = (a - first) / step * k, (b - first) / step * k
    low, high = math.ceil(-0.5 - da - 1e-9), math.floor(cells - 0.5 - db + 1e-9)
    if low > high:
        return None
    base = low  # the data at the low end: a loss axis keeps its floor at the bottom
    visible = sum(1 for j in range(-(base // k) - 1, (cells - base) // k + 2) if 0 <= base + j * k <= cells - 1)
    return base if visible >= min(at_least, cells) else None


def _own_ticks(origin: float, per_cell: float, cells: int, log: bool, first: int,
               every: int) -> tuple[tuple[int, float], ...]:
    return tuple((p, 10.0 ** (origin + p * per_cell) if log else origin + p * per_cell)
                 for p in range(first, cells, every))


def _clean(value: float) -> float:
    """A tick value without float noise (0.30000000000000004 → 0.3)."""
    if value == 0 or not math.isfinite(value):
        return value
    return float(f"{value:.12g}")
