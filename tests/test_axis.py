"""Every drawn value sits where its axis says: read back through the printed ticks, within half a cell.

The axis (ui/draw/axis.py) alone over thousands of random ranges and sizes, then the loss and accuracy charts as
a reader sees them: random runs (log and linear, tiny and huge spans, negative values where an axis allows
them) at sizes down to 20x8, each value read back through the tick labels the chart printed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nntui.ui.draw.axis import MIN_GAP, scale, square
from nntui.ui.draw.raster import MARGIN

from .test_loss_panel import OnePlot, is_dots, run


def random_range(rng: np.random.Generator, log: bool) -> tuple[float, float]:
    if log:
        lo = 10.0 ** rng.uniform(-12, 4)
        return lo, lo * 10.0 ** rng.choice([rng.uniform(1e-4, 0.05), rng.uniform(0.05, 1), rng.uniform(1, 16)])
    lo = rng.choice([0.0, rng.uniform(-100, 100), -(10.0 ** rng.uniform(-6, 3))])
    return lo, lo + 10.0 ** rng.uniform(-6, 4)


def test_every_tick_is_at_its_cell_and_every_value_in_view(cells_range=(3, 80)):
    rng = np.random.default_rng(27)
    for _ in range(3000):
        log = bool(rng.integers(2))
        lo, hi = random_range(rng, log)
        cells = int(rng.integers(*cells_range))
        axis = scale(lo, hi, cells, log=log, flip=bool(rng.integers(2)), anchor=str(rng.choice(["low", "high"])))
        assert len(axis.ticks) >= min(2, cells - 1), (lo, hi, cells, axis)
        rows = [cell for cell, _ in axis.ticks]
        assert all(b - a >= MIN_GAP for a, b in zip(rows, rows[1:])) or cells <= MIN_GAP
        for cell, value in axis.ticks:  # each tick's value is at its cell's centre
            assert 0 <= cell < cells and float(axis.position(value)) == pytest.approx(cell, abs=1e-6)
        ends = axis.position(np.array([lo, hi]))
        assert ends.min() >= -0.5 - 1e-6 and ends.max() <= cells - 0.5 + 1e-6, (lo, hi, cells, ends)


def read_back(labels: dict[int, float], log: bool):
    """The row a value is at, as a reader finds it between the first and last printed ticks."""
    (r1, v1), (r2, v2) = min(labels.items()), max(labels.items())
    t = math.log10 if log else (lambda v: v)

    def row(value: float) -> float:
        return r1 + (t(value) - t(v1)) * (r2 - r1) / (t(v2) - t(v1))

    return row


def parse(label: str) -> float:
    return float(label.rstrip("%")) / (100 if label.endswith("%") else 1)


def test_square_axes_hold_both_ranges_with_square_pixels_and_ticks_on_their_cells():
    rng = np.random.default_rng(3)
    fallbacks = 0
    for _ in range(500):
        columns, rows = int(rng.integers(20, 120)), int(rng.integers(6, 40))
        x0, y0 = rng.normal(0, 10, 2)
        x1, y1 = x0 + 10 ** rng.uniform(-2, 3), y0 + 10 ** rng.uniform(-2, 3)
        xs, ys = square((x0, x1), (y0, y1), columns, rows, MARGIN - 2)
        assert xs.lo <= x0 and xs.hi >= x1 and ys.lo <= y0 and ys.hi >= y1
        for axis in (xs, ys):
            assert all(abs(axis.position(v) - c) < 1e-6 for c, v in axis.ticks)
        # a cell is 1 × 2 pixels: square pixels, but for the few sizes where no nice spacing fits both
        fallbacks += abs(ys.per_cell - 2 * xs.per_cell) > 1e-9 * ys.per_cell
    assert fallbacks <= 10


async def test_every_drawn_value_reads_back_within_half_a_cell_through_the_printed_ticks():
    """Random single runs drawn at random sizes: the y labels, read as a reader reads them, put each value's
    row within half a row of the cell where the curve draws it (the curve's end, and every column of a flat
    run), and the step labels put its end within half a column of where it ends."""
    from nntui.panels.loss.widget import LossPlot
    from nntui.runner import View

    rng = np.random.default_rng(2027)
    plot = LossPlot()
    async with OnePlot(plot).run_test(size=(120, 40)) as pilot:
        for case in range(120):
            width, height = int(rng.integers(20, 121)), int(rng.integers(8, 41))
            log = bool(rng.integers(2))
            lo, hi = random_range(rng, log)
            if not log:
                lo, hi = abs(lo), abs(lo) + (hi - lo)  # a loss: not negative
            steps = int(rng.integers(2, 400))
            flat = bool(rng.integers(3) == 0)
            values = np.full(steps, hi) if flat else np.exp(rng.uniform(math.log(max(lo, 1e-300)), math.log(hi),
                                                                         steps)) if log else rng.uniform(lo, hi,
                                                                                                         steps)
            values[0], values[-1] = (hi, values[-1]) if not flat else (hi, hi)
            await pilot.resize_terminal(width, height)
            await pilot.pause()
            plot.log_y = log
            view = View(version=case, state="ready", device="cpu", step=steps - 1, total=steps - 1, playing=False,
                        finished=True, speed=None, rate=0.0, error=None, runs=(run("a", values),))
            plot.show(view)
            await pilot.pause()
            text = ["".join(seg.text for seg in strip) for strip in plot._strips]
            if not text or "┤" not in "".join(line[MARGIN - 1:MARGIN] for line in text):
                continue  # too small to draw a chart
            labels = {r: parse(line[:MARGIN - 2]) for r, line in enumerate(text[:-1]) if line[MARGIN - 1] == "┤"}
            assert len(labels) >= 2, text
            row_of = read_back(labels, log)
            chart = [line[MARGIN:] for line in text[:-1]]
            dots = [(r, c) for r, line in enumerate(chart) for c, ch in enumerate(line) if is_dots(ch)]
            columns = {c for _, c in dots}
            last = max(columns)
            where = (f"case {case}: {width}x{height} log={log} range {lo:.3g}..{hi:.3g} last {values[-1]:.4g} "
                     f"reads at row {row_of(values[-1]):.2f}, column {last}\n" + "\n".join(text))
            # the end: the last column's dots include the row the last value reads back to
            assert any(abs(r - row_of(values[-1])) <= 0.5 + 1e-6 for r, c in dots if c == last), where
            if flat:  # every column of a flat run, the same row
                assert {r for r, _ in dots} == {round(row_of(hi))}, where
            # the step axis: the end column within half a column of the last step, read through its labels
            ticks = [(c - MARGIN, int(tok)) for c, tok in _tokens(text[-1])]
            if len(ticks) >= 2:
                (c1, s1), (c2, s2) = ticks[0], ticks[-1]
                expected = c1 + (steps - 1 - s1) * (c2 - c1) / (s2 - s1)
                assert abs(last - expected) <= 0.5 + 1e-6, where


def _tokens(line: str) -> list[tuple[int, str]]:
    """Each number in the step axis line, at the column its label is centred on."""
    out, start = [], None
    for i, ch in enumerate(line + " "):
        if ch.isdigit() and start is None:
            start = i
        elif not ch.isdigit() and start is not None:
            out.append((start + (i - start - 1) // 2, line[start:i]))
            start = None
    return out


@pytest.mark.parametrize("cells", [2, 3, 4, 7])
def test_a_tiny_axis_holds_its_data_closely_with_ticks_on_their_cells_either_way_up(cells):
    # (3 rows of a decision panel at 80x24 got ticks 0 and 10 for points in -1.26..1.27, squeezed onto one row;
    # and the fallback's ticks were upside down on a flipped axis)
    for flip in (False, True):
        axis = scale(-1.26, 1.27, cells, flip=flip, anchor="middle", label_width=6)
        assert axis.hi - axis.lo <= 2.5 * 2.53 + 1e-9
        assert all(abs(float(axis.position(v)) - c) < 1e-6 for c, v in axis.ticks)


def test_a_narrow_x_axis_spans_its_data_and_writes_both_ends():
    # a fit at 80x24 put data in ±3.9 on −7.5..8.2 (half its width empty); labelled by its own ends, the axis
    # holds the data, and its top tick stands in far enough for its label to fit under it
    from rich.style import Style

    from nntui.ui.draw.raster import tick_line

    axis = scale(-3.85, 3.85, 20, anchor="middle", label_width=6, gap=7, most=7)
    assert axis.lo <= -3.85 and axis.hi >= 3.85 and axis.hi - axis.lo <= 1.5 * 7.7
    text = "".join(seg.text for seg in tick_line(axis, 8, 28, Style(), label_width=6))
    assert [float(t) for t in text.split()] == [v for _, v in axis.ticks] == [-3.9, 3.9]
    for cell, value in axis.ticks:  # each label centred on its own cell, reading back as its value
        assert abs(axis.value_at(cell) - value) < 1e-9


def test_a_long_log_axis_labels_fewer_decades_rather_than_leave_its_top_empty():
    # optimizers at 120x40: losses 1e-12 … 10 on 19 rows got a label every 2nd decade, 1 decade a row, and the
    # axis ran to 3e6 (six empty rows); every 3rd decade on 4 rows fills them
    axis = scale(1e-12, 10, 19, log=True, flip=True)
    assert axis.hi < 100 and [v for _, v in axis.ticks][:2] == [1.0, 0.001]
    assert [v for _, v in scale(1e-9, 1, 20, log=True, flip=True).ticks][:3] == [1.0, 0.1, 0.01]  # (fits: each)
    # optimizers at 120x40 now: losses 1e-12 … 30 on 13 rows ran to 1e6 (a quarter of the chart empty)
    assert scale(1e-12, 30, 13, log=True, flip=True).hi < 1e4


def test_a_linear_axis_whose_three_ticks_span_too_much_keeps_two_nice_ones():
    # regularization's gap on 11 rows: -0.06 … 0.12 was labelled only at its ends, 0 nowhere
    axis = scale(-0.06, 0.12, 11, flip=True, label_width=6)
    assert 0.0 in [v for _, v in axis.ticks] and axis.lo <= -0.06 and axis.hi >= 0.12
