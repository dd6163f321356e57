"""The sharpness panel's widget: every run's λmax over the steps (its colour, log scale) and its stability limit
2/lr (the same colour, darker), one chart: the edge of stability is where a run's line meets its own limit."""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...runner import View
from ...ui.draw.axis import step_axis
from ...ui.draw.chart import Line, line_chart
from ...ui.draw.palette import blend, variant_rgb
from ...ui.draw.raster import MARGIN, border_room, centered_message, first_fit
from ...ui.panel import StripPanel, cut_run_name
from ..loss.widget import x_extent

LIMIT_DIM = 0.55  # a run's 2/lr line: its colour this much toward black


class SharpnessPanel(StripPanel):
    def on_mount(self) -> None:
        self.set_titles(title="Sharpness: λmax, the Hessian's top eigenvalue")

    def _rebuild(self) -> None:
        width, height, base = self.size.width, self.size.height, self.rich_style
        view = self._view
        room = border_room(self.outer_size.width)
        self.set_titles(title=first_fit(["Sharpness: λmax, the Hessian's top eigenvalue", "Sharpness λmax",
                                         "λmax"], room),
                        subtitle=first_fit(["bright: λmax · darker: its run's 2/lr, where steps overshoot",
                                            "bright: λmax · darker: 2/lr", "darker: 2/lr"], room))
        series = _series(view) if view is not None else []
        if view is None or not series or height < 5 or width < MARGIN + 8:
            self._strips = centered_message("waiting for the first estimate…" if height >= 5 else "too small",
                                            width, height, base)
            return
        x_axis = step_axis(max(x_extent(view.step, view.total), 1), width - MARGIN)
        end = float(max(view.step, 1))
        # the limits first, every λmax over them: a run at its edge lies on its own limit's line, and drawn under
        # it, lr 0.05's λmax vanished exactly where the lesson points at it
        lines = [Line(np.array([0.0, end]), np.full(2, 2 / lr), blend(variant_rgb(i), (0, 0, 0), LIMIT_DIM))
                 for i, _, _, lr in series if np.isfinite(lr) and lr > 0]
        lines += [Line(steps, values, variant_rgb(i)) for i, steps, values, _ in series]
        legend = self._legend(view, series, width)
        chart = line_chart(lines, x_axis, height - 1 - len(legend), base)
        self._strips = [s.crop_extend(0, width, base) for s in [*chart.strips, *legend]]

    def _legend(self, view: View, series, width: int) -> list[Strip]:
        """Each run's name in its colour with its λmax now against its 2/lr ('lr=0.05 40.4/40'), on as many
        rows as they need (never cut: the last entry had lost its numbers at 120x40)."""
        rows: list[list[Segment]] = [[]]
        used = 0
        for i, _, values, lr in series:
            now = f" {values[-1]:.3g}/{2 / lr:.3g}" if len(values) and np.isfinite(lr) and lr > 0 else ""
            text = cut_run_name(view.runs[i], 16) + now
            if used and used + 2 + len(text) > width:
                rows.append([])
                used = 0
            rows[-1].append(Segment(("  " if used else "") + text, Style(color=Color.from_rgb(*variant_rgb(i)),
                                                                        bold=True)))
            used += (2 if used else 0) + len(text)
        return [Strip(row) for row in rows]


def _series(view: View) -> list[tuple[int, np.ndarray, np.ndarray, float]]:
    """(run, steps, λmax, lr now) of every run with an estimate."""
    out = []
    for i, run in enumerate(view.runs):
        measured = run.measured.get("sharpness")
        if measured is None or not len(measured[0]):
            continue
        steps, rows = measured
        out.append((i, steps, rows[:, 0], run.lr))
    return out
