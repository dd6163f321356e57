"""The speed panel: each run's training steps per second as a bar on one axis from 0, with the device it
trains on and the time a step takes, and each run's speed as a multiple of the first run's.

Steps per second count only the time a run spends in its own training steps (runner._rate), so runs that
take turns on one machine are compared fairly. Where every run is on the CPU the panel says so: the devices
lesson's point (a GPU's speed-up) cannot be shown on a machine without one, and two equal bars must not
read as a GPU that did nothing.
"""

from __future__ import annotations

import math

from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...ui.draw.axis import Scale, scale
from ...ui.draw.palette import variant_rgb
from ...ui.draw.raster import RIGHT_EIGHTHS, border_room, centered_message, first_fit, tick_line, wrap_label
from ...ui.panel import StripPanel

GPUS = ("cuda", "mps")


class SpeedPanel(StripPanel):
    def on_mount(self) -> None:
        self.set_titles(title="Training speed")

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        view, base = self._view, self.rich_style
        rates = [run.rate for run in view.runs] if view is not None else []
        if view is None or not any(math.isfinite(r) and r > 0 for r in rates):
            self._strips = centered_message("waiting for the first steps…", width, height, base)
            return
        room = border_room(self.outer_size.width)
        self.set_titles(title=first_fit(["Training speed · steps per second", "Training speed", "Speed"], room),
                        subtitle=first_fit(["each run's own training time", "own time only"], room))
        names = [run.label for run in view.runs]
        heads = _heads(view)
        head_w = max(map(len, heads)) + 1
        value_w = max(len(_rate_text(r)) for r in rates) + 1
        inline = width - head_w - value_w >= max(12, width // 3)  # else each bar gets a row of its own
        pad = head_w if inline else 0
        bar_w = max(width - pad - value_w if inline else width - 1, 4)
        axis = _rate_axis(max(r for r in rates if math.isfinite(r)), bar_w)
        rows = [row for i, (head, rate) in enumerate(zip(heads, rates))
                for row in _run_rows(i, head, rate, rates[0], names[0], axis, bar_w, value_w, pad, width, base)]
        rows.append(tick_line(axis, pad, width, base + Style(dim=True)))  # (the last label may reach past the bars)
        note = _note([run.device for run in view.runs])
        if note:  # under a blank row
            lines = wrap_label(note, max(width - 1, 10))
            rows += [Strip.blank(width, base), *(Strip([Segment(line, base)]) for line in lines)]
        top_pad = max((height - len(rows)) // 2, 0)  # the bars in the middle of a tall panel
        strips = [Strip.blank(width, base)] * top_pad + rows
        self._strips = [s.crop_extend(0, width, base) for s in strips[:height]]


def _heads(view) -> list[str]:
    """Each run's name, padded to the longest, and the device it trains on."""
    width = max(len(run.label) for run in view.runs)
    return [f"{run.label:<{width}} on {run.device or '?'}" for run in view.runs]


def _run_rows(i: int, head: str, rate: float, first: float, first_name: str, axis: Scale, bar_w: int, value_w: int,
              pad: int, width: int, base: Style) -> list[Strip]:
    """A run's bar, its rate and the time a step takes: the name and bar on one row where `pad` leaves room
    for the name (inline), else the name over the bar."""
    style = base + Style(color=Color.from_rgb(*variant_rgb(i)), bold=True)
    bar = Segment(_bar(float(axis.position(rate)) + 0.5 if math.isfinite(rate) else 0.0, bar_w), style)
    value = Segment(f"{_rate_text(rate):>{value_w}}", style)
    if pad:
        rows = [Strip([Segment(f"{head:<{pad}}", style), bar, value])]
    else:
        rows = [Strip([Segment(f"{head:<{max(width - value_w, 0)}}", style), value]), Strip([bar])]
    detail = _detail(rate, first, first_name, i)
    if pad + len(detail) > width:  # a narrow panel: the time a step, without the ratio
        detail = detail.split(" · ")[0]
    return [*rows, Strip([Segment(" " * pad + detail, base + Style(dim=True))])]


def _rate_axis(top: float, cells: int) -> Scale:
    """The bars' axis, with a label at or past the longest bar (`top`), so each bar is read between two (devices:
    bars to 50/s under "0 20 40"), and one between where a layout has it ("0 15" alone read as two ends, not a
    scale)."""
    def axis_to(hi: float) -> Scale:
        return scale(0.0, hi, cells, anchor="low", label_width=6, gap=7, most=max(7, cells // 3))

    first = axis = axis_to(top)
    past = []
    for _ in range(3):
        if len(axis.ticks) < 2:
            break
        if axis.ticks[-1][1] >= top:
            past.append(axis)
        step = axis.ticks[1][1] - axis.ticks[0][1]
        axis = axis_to((math.floor(top / step) + 1) * step)
    return next((a for a in past if len(a.ticks) >= 3), past[0] if past else first)


def _detail(rate: float, first: float, first_name: str, i: int) -> str:
    """The time a step takes, and (after the first run) the speed as a multiple of the first run's."""
    if not (math.isfinite(rate) and rate > 0):
        return "no step yet"
    detail = f"{1000 / rate:.3g} ms a step"
    if i and math.isfinite(first) and first > 0:
        detail += f" · {rate / first:.3g}× {first_name}"
    return detail


def _rate_text(rate: float) -> str:
    return f"{rate:.3g}/s" if math.isfinite(rate) else "–"


def _bar(length: float, width: int) -> str:
    """A bar `length` cells long (in eighths of a cell), padded to `width`."""
    eighths = max(int(round(min(max(length, 0.0), width) * 8)), 1)
    full, part = divmod(eighths, 8)
    return ("█" * full + (RIGHT_EIGHTHS[part] if part else "")).ljust(width)


def _note(devices: list[str]) -> str:
    """What the devices mean for the comparison: a machine with no GPU cannot show a GPU's speed-up."""
    if any(d in GPUS for d in devices):
        return ""
    return ("Every run trains on the CPU: no CUDA or MPS device was found (or this torch was built without "
            "one), so \"auto\" chose the CPU too. Both do the same work: the bars differ only by timing noise "
            "(other programs on this machine).")
