"""The learning-rate panel: each run's lr at every step, as its optimizer used it, one row of bars per run.

Schedules are taught as shapes (a staircase, a half cosine, a decay, a saw), and seven of them drawn as
lines on one chart were a tangle in which step and cosine could not be told apart. Each run gets its own
strip: bars over the steps on one lr scale (0 to the largest lr), its name in its colour, and its lr now at
the right; the step axis is the loss panel's (the same range as it grows), so a drop in lr reads against what
the loss did at that step.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...panels.loss.widget import x_extent
from ...ui.draw.axis import step_axis, tick_label
from ...ui.draw.palette import variant_rgb
from ...ui.draw.raster import border_room, centered_message, column_bars, first_fit, fmt_num, tick_line, wrap_words
from ...ui.panel import StripPanel

MAX_BAR_ROWS = 4  # a run's strip is at most this many rows tall


class LearningRatePanel(StripPanel):
    def on_mount(self) -> None:
        self.set_titles(title="Learning rate")

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        view, base = self._view, self.rich_style
        empty = (np.zeros(0), np.zeros(0))
        series = [(run.lr_steps, run.lrs) if run.lr_steps is not None and run.lrs is not None else empty
                  for run in view.runs] if view is not None else []
        if view is None or not any(len(steps) for steps, _ in series) or height < 3:
            self._strips = centered_message("waiting for the first step…", width, height, base)
            return
        top = max(float(np.max(lrs)) for steps, lrs in series if len(steps))
        room = border_room(self.outer_size.width)
        self.set_titles(title=first_fit(["Learning rate at each step", "Learning rate", "lr"], room),
                        subtitle=first_fit([f"bar height: lr, 0 to {tick_label(top, 6)} · right: lr now",
                                            f"bars: lr, 0 to {tick_label(top, 6)}", "bars: lr"], room))
        labels = [run.label for run in view.runs]
        label_w = min(max(map(len, labels)) + 1, max(width // 3, 6))
        value_w = 8 if width - label_w >= 8 + 16 else 0  # a narrow panel: the bars, and the table's lr now
        cw = max(width - label_w - value_w, 4)
        x_max = max(x_extent(view.step, view.total), 1)
        x_axis = step_axis(x_max, cw)
        at = x_axis.value_at(np.arange(cw, dtype=float))  # each column's step
        rows = max(1, min(MAX_BAR_ROWS, (height - 1) // len(labels)))
        strips: list[Strip] = []
        for i, (label, (steps, lrs)) in enumerate(zip(labels, series)):
            style = base + Style(color=Color.from_rgb(*variant_rgb(i)))
            bars = _bars(steps, lrs, at, top, rows)
            names = _name_rows(label, label_w, rows)
            lr_now = view.runs[i].lr
            for r, text in enumerate(bars):
                last = r == rows - 1
                now = fmt_num(lr_now) if last and lr_now == lr_now and value_w else ""
                strips.append(Strip([Segment(f"{names[r]:<{label_w}}", style + Style(bold=True)),
                                     Segment(text, style), Segment(f"{now:>{value_w}}" if value_w else "", style)]))
        strips.append(tick_line(x_axis, label_w, label_w + cw, base + Style(dim=True), label_width=5))
        self._strips = [s.crop_extend(0, width, base) for s in strips[:height]]



def _bars(steps: np.ndarray, lrs: np.ndarray, at: np.ndarray, top: float, rows: int) -> list[str]:
    """A run's lr at each column's step (`at`) as bars `rows` high, `top` at full height; a column past the run's
    last step is empty (it has not got there)."""
    if not len(steps):
        column_lr = np.zeros(len(at))
    else:
        column_lr = np.where(np.round(at) <= steps[-1], np.interp(np.round(at), steps, lrs), 0.0)
    # a positive lr is at least an eighth of a row: under it, exponential's 5e-4 left no bar from step 260
    # on, and the run read as stopped (an lr of exactly 0 stays empty: polynomial's and cosine's end)
    eighths = np.round(column_lr / (top or 1.0) * rows * 8)
    return column_bars(np.where(column_lr > 0, np.maximum(eighths, 1), eighths), rows)


def _name_rows(label: str, label_w: int, rows: int) -> list[str]:
    """The run's name on its strip's last rows, wrapped on words ("exponential γ" / "0.01"), as the table's lr
    now; more lines than rows: the name's start, cut ("exponent…"), on the rows it has."""
    names = wrap_words(label, label_w - 1)
    if len(names) > rows:
        names = names[:rows - 1] + [" ".join(names[rows - 1:])]
    names = [""] * (rows - len(names)) + names
    return [name if len(name) < label_w else name[:label_w - 2] + "…" for name in names]
