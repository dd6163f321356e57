"""The loss panel: one curve per variant (validation loss dashed), log or linear, a ✗ where a run diverged.

A line-API chart drawn with quadrant blocks (2×2 pixels per cell: ▘▝▖▗▀▄▌▐▚▞▛▜▙▟█),
thick enough to read on a projector. We draw it ourselves rather than with
plotext: building a plotext chart cost 15–23 ms at 100x30, this costs a few ms.
Strips are rebuilt only when the data, the size or the scale change.
"""

from __future__ import annotations

import math

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ..runner import View
from .palette import variant_rgb
from .panel import StripPanel
from .raster import MARGIN, centered_message, fmt_num, polyline_pixels

# quadrant characters indexed by a 4-bit mask: 1 = upper left, 2 = upper right, 4 = lower left, 8 = lower right
QUADRANTS = " ▘▝▀▖▌▞▛▗▚▐▜▄▙▟█"
FLOOR = 1e-12  # log scale: losses of exactly zero are drawn at this floor

Series = tuple[np.ndarray, np.ndarray]  # (steps, values)


class LossPlot(StripPanel):
    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls(log_y=scenario.view.log_y, smooth=scenario.view.smoothing > 0, **kwargs)

    def __init__(self, log_y: bool = False, smooth: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.log_y = log_y
        self.smooth = smooth
        self._styles: dict[int, Style] = {}

    def on_mount(self) -> None:
        self.set_titles(title="Loss", subtitle="l: log/linear")

    def state_key(self) -> tuple:
        return (self.log_y, self.smooth)

    def set_scale(self, *, log_y: bool | None = None, smooth: bool | None = None) -> None:
        """The app's log / smoothing switches (keys l and ~), handed down."""
        if log_y is not None:
            self.log_y = log_y
        if smooth is not None:
            self.smooth = smooth
        self.show()

    def show(self, view: View | None = None) -> None:
        self.set_titles(title=self._title())
        super().show(view)

    def _title(self) -> str:
        notes = [n for n, on in (("log scale", self.log_y), ("smoothed", self.smooth)) if on]
        return f"Loss ({', '.join(notes)})" if notes else "Loss"

    def _subtitle(self, held_out: list) -> str:
        # the legend first: a narrow panel cuts the key hint (the footer has it), not what the dashes mean
        return "╌ validation · l: log/linear" if any(len(s) for s, _ in held_out) else "l: log/linear"

    def _curves(self, view: View) -> tuple[list[Series], list[Series]]:
        """(each run's curve, each run's held-out curve) as (steps, values), finite points only."""
        series = [self._finite(*((run.smooth_steps, run.smooth_losses) if self.smooth and run.smooth_steps is not None
                                 else (run.steps, run.losses))) for run in view.runs]
        return series, [self._finite(run.val_steps, run.val_losses) for run in view.runs]

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        view, base = self._view, self.rich_style
        if view is None or view.state == "loading" or width <= MARGIN + 4 or height < 3:
            self._strips = centered_message("loading PyTorch…" if view is None or view.state == "loading" else "",
                                            width, height, base)
            return
        pw, ph = width - MARGIN, height - 1
        series, held_out = self._curves(view)
        if not any(len(s) for s, _ in series):
            self._strips = centered_message("waiting for the first step…", width, height, base)
            return
        self.set_titles(subtitle=self._subtitle(held_out))
        x_max = x_extent(view.step, view.total)
        lo, hi = self._y_range(view, series + held_out)
        to_y = (lambda v: np.log10(v)) if self.log_y else (lambda v: v)
        y_lo, y_hi = to_y(lo), to_y(hi)
        mask = np.zeros((ph, pw), np.uint8)
        color = np.full((ph, pw), -1, np.int16)
        faint = np.zeros((ph, pw), bool)  # cells only the validation curves reach: drawn dim
        markers: dict[tuple[int, int], int] = {}

        def draw(i: int, steps: np.ndarray, losses: np.ndarray, dashed: bool) -> np.ndarray:
            """Set the curve's pixels in the run's colour; returns its y in pixels."""
            steps, losses = _clip_above(steps, losses, hi)
            px = steps / max(x_max, 1) * (2 * pw - 1)
            py = (y_hi - to_y(losses)) / max(y_hi - y_lo, 1e-300) * (2 * ph - 1)
            xs, ys = polyline_pixels(px, py)
            keep = (xs >= 0) & (xs < 2 * pw) & (ys >= 0) & (ys < 2 * ph)
            if dashed:  # 4 pixels on, 4 off along the curve (2 cells): the held-out loss reads as a dashed line
                keep &= np.arange(len(xs)) // 4 % 2 == 0
            xs, ys = xs[keep], ys[keep]
            np.bitwise_or.at(mask, (ys // 2, xs // 2), (1 << ((ys % 2) * 2 + xs % 2)).astype(np.uint8))
            color[ys // 2, xs // 2] = i
            faint[ys // 2, xs // 2] = dashed
            return py

        for i in reversed(range(len(series))):  # the first variants end up on top
            if len(held_out[i][0]):
                draw(i, *held_out[i], dashed=True)
            if not len(series[i][0]):
                continue
            py = draw(i, *series[i], dashed=False)
            run = view.runs[i]
            if run.diverged_at is not None:  # ✗ at the step where it diverged (on the top edge if clipped)
                cx = int(min(run.diverged_at / max(x_max, 1) * (pw - 1), pw - 1))
                cy = int(max(min(py[-1] // 2, ph - 1), 0))
                markers[(cy, cx)] = i
        self._strips = self._to_strips(mask, color, faint, markers, lo, hi, x_max, pw, ph)

    def _finite(self, steps: np.ndarray | None, values: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        """A series' finite points as floats (floored at FLOOR on a log axis); empty where there is none."""
        if steps is None or values is None:
            return np.zeros(0), np.zeros(0)
        ok = np.isfinite(values)
        return steps[ok].astype(float), np.maximum(values[ok], FLOOR) if self.log_y else values[ok]

    def _y_range(self, view: View, series) -> tuple[float, float]:
        values = np.concatenate([v for _, v in series if len(v)])
        lo, hi = float(values.min()), float(values.max())
        # The range snaps outward to round values, so it changes (and the whole chart is redrawn, and resent
        # to the terminal) only when a curve crosses one, not on every frame.
        if self.log_y:
            lo, hi = max(lo, FLOOR), max(hi, FLOOR)
            if hi / lo < 10:  # less than a decade: widen so the ticks say something
                mid = math.sqrt(lo * hi)
                lo, hi = mid / math.sqrt(10), mid * math.sqrt(10)
            # over many decades (a run diverging) the ends snap to whole decades: they then move about once a
            # second rather than every frame, and a quarter decade more or less is invisible at that scale
            per_decade = 1 if math.log10(hi / lo) > 3 else 4
            return (10 ** (math.floor(per_decade * math.log10(lo)) / per_decade),
                    10 ** (math.ceil(per_decade * math.log10(hi)) / per_decade))
        if any(r.diverged_at is not None for r in view.runs):
            # linear scale: keep converging runs readable; diverged ones leave through the top edge
            hi = min(hi, 2 * max(float(v[0]) for _, v in series if len(v)))
        lo = min(lo, 0.0) if lo >= 0 else -_nice_ceil(-lo)
        hi = _nice_ceil(hi) if hi > 0 else hi
        return lo, hi if hi > lo else lo + 1.0

    def _to_strips(self, mask, color, faint, markers, lo, hi, x_max, pw, ph) -> list[Strip]:
        base = self.rich_style
        labels = _y_labels(lo, hi, ph, self.log_y)
        strips = []
        for r in range(ph):
            label = labels.get(r)
            segments = [Segment(f"{label[:MARGIN - 2]:>{MARGIN - 2}} ┤" if label else " " * (MARGIN - 1) + "│", base)]
            for c in range(pw):
                if (r, c) in markers:
                    segments.append(Segment("✗", self._style(markers[(r, c)], bold=True)))
                elif mask[r, c]:
                    segments.append(Segment(QUADRANTS[mask[r, c]], self._style(int(color[r, c]), dim=bool(faint[r, c]))))
                else:
                    segments.append(Segment(" ", base))
            strips.append(Strip(segments, MARGIN + pw).simplify())
        ticks = [" "] * pw
        free_from = 0
        for frac in (0.0, 0.25, 0.5, 0.75, 1.0):
            text = str(int(round(frac * x_max)))
            start = min(max(int(frac * (pw - 1)) - len(text) // 2, 0), pw - len(text))
            if start >= free_from:
                ticks[start:start + len(text)] = list(text)
                free_from = start + len(text) + 2
        strips.append(Strip([Segment(" " * MARGIN + "".join(ticks), base + Style(dim=True))], MARGIN + pw))
        return strips

    def _style(self, run: int, bold: bool = False, dim: bool = False) -> Style:
        key = run * 4 + bold * 2 + dim
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = Style(color=Color.from_rgb(*variant_rgb(run)), bold=bold, dim=dim)
        return style


def _y_labels(lo: float, hi: float, rows: int, log: bool) -> dict[int, str]:
    """Row → label: powers of ten on a log axis (when they fit), else the top, middle and bottom values."""
    labels: dict[int, str] = {}
    if log:
        first, last = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
        decades = range(first, last + 1)
        if 2 <= len(decades) <= rows:
            span = math.log10(hi) - math.log10(lo)
            for d in decades:
                row = round((math.log10(hi) - d) / span * (rows - 1))
                labels[row] = f"{10.0 ** d:g}" if -3 <= d <= 3 else f"1e{d}"
            return labels
        mid = math.sqrt(lo * hi)
    else:
        mid = (lo + hi) / 2
    for row, value in ((0, hi), ((rows - 1) // 2, mid), (rows - 1, lo)):
        labels[row] = fmt_num(value)
    return labels


def x_extent(step: int, total: int) -> int:
    """Right end of the step axis: it grows with training in 1-2-5 jumps (so the first,
    most interesting steps are not squeezed into a corner) and stops at the run's length."""
    want = max(10, step * 1.15)
    magnitude = 10 ** math.floor(math.log10(want))
    nice = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= want)
    return max(1, min(total, int(nice)))


def _clip_above(steps: np.ndarray, values: np.ndarray, top: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series where it first exceeds `top`, ending exactly on the top edge."""
    above = np.nonzero(values > top)[0]
    if not len(above):
        return steps, values
    k = above[0]
    return np.append(steps[:k], steps[k]), np.append(values[:k], top)


def _nice_ceil(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k that is ≥ value (value > 0)."""
    if not math.isfinite(value) or value <= 0:
        return value
    scale = 10 ** math.floor(math.log10(value))
    return next(m * scale for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * scale >= value * (1 - 1e-12))
