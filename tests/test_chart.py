"""The shared line chart (ui/draw/chart.py): each value drawn on the row its tick says, and a line under others said."""

from __future__ import annotations

import numpy as np
from rich.style import Style

from nntui.ui.draw.axis import step_axis
from nntui.ui.draw.chart import Line, line_chart
from nntui.ui.draw.raster import MARGIN


def rows_of(strips) -> list[str]:
    return ["".join(seg.text for seg in strip) for strip in strips]


def test_each_flat_line_is_drawn_on_its_values_row_and_a_line_under_another_is_named():
    steps = np.arange(0, 101, 10, dtype=float)
    lines = [Line(steps, np.full(len(steps), value), (200, 200, 200)) for value in (1.0, 100.0, 100.0, 0.01)]
    chart = line_chart(lines, step_axis(100, 40), 9, Style())
    *plot, ticks = rows_of(chart.strips)
    for value in (0.01, 1.0, 100.0):  # every value is a tick here: its label and its line share a row
        row = next(r for r in plot if r[:MARGIN - 2].strip() == f"{value:g}")
        assert row[MARGIN:].strip(" ") and set(row[MARGIN:].strip()) - {" "} <= {chr(c) for c in range(0x2800, 0x2900)}
    assert chart.hidden == (1,)  # the first 100-line lies wholly under the second
    assert ticks.strip().startswith("0") and ticks.rstrip().endswith("100")


def test_values_a_log_chart_cannot_draw_leave_no_chart():
    nothing = Line(np.arange(3.0), np.array([0.0, -1.0, np.nan]), (1, 2, 3))
    assert line_chart([nothing], step_axis(3, 20), 5, Style()).strips == []


def test_a_guide_is_always_in_view():
    far = Line(np.arange(5.0), np.full(5, 0.3), (1, 2, 3))
    plot = rows_of(line_chart([far], step_axis(5, 20), 6, Style(), guide=1e-3).strips)[:-1]
    assert any(row[:MARGIN - 2].strip() == "0.001" for row in plot)
