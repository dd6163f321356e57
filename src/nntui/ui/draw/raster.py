"""The panels' drawing helpers, in one place: number formatting, axes, resampling, messages, and polylines on a
pixel grid.

A half-block panel (contour, boundary) of W×H cells is a (2H)×W pixel grid: each cell is '▀' with the upper
pixel as foreground color and the lower as background; the loss chart uses braille (2×4 dots per cell, braille.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from .axis import Scale, tick_label

MARGIN = 8  # columns for y-axis labels
MAX_PATH_PIXELS = 200_000


UP_EIGHTHS = " ▁▂▃▄▅▆▇█"     # a cell filled from the bottom, in eighths: vertical bars
RIGHT_EIGHTHS = " ▏▎▍▌▋▊▉█"  # … from the left: horizontal bars


def column_bars(eighths: np.ndarray, rows: int) -> list[str]:
    """Vertical bars `rows` tall, one per column, each `eighths` eighths of a cell high: the rows' text, top first."""
    return ["".join(UP_EIGHTHS[c] for c in np.clip(eighths - level * 8, 0, 8).astype(int))
            for level in range(rows - 1, -1, -1)]


def fmt_num(value: float) -> str:
    """Compact, fixed-width-friendly numbers: 0.0005, 1.234, 3.1e+05, NaN."""
    if value != value:
        return "NaN"
    if value in (float("inf"), float("-inf")):
        return "Inf" if value > 0 else "-Inf"
    a = abs(value)
    if a != 0 and (a >= 1e5 or a < 1e-3):
        return f"{value:.2e}"
    return f"{value:.4g}"


def fmt_short(value: float, width: int = MARGIN - 2) -> str:
    """A number in at most `width` characters (an axis label that is never cut): 0.001, 3e-4, 1.5e5, 12.5."""
    if not math.isfinite(value):
        return fmt_num(value)
    text = ""
    for digits in (4, 3, 2, 1):
        # the plain form, or where it does not fit the scientific one: 8.07e-4 in 5 cells is "8e-4", where the
        # plain form cut to "0.000" read as zero (optimizers' end labels)
        for text in (f"{value:.{digits}g}", f"{value:.{digits - 1}e}"):
            if "e" in text:  # 1.5e+05 → 1.5e5, 3e-04 → 3e-4: the exponent's sign and zeros cost columns
                mantissa, exponent = text.split("e")
                text = f"{mantissa}e{int(exponent)}"
            if len(text) <= width:
                return text
    return text[:width]


def shorten(text: str, width: int) -> str:
    """`text` if it fits in `width` cells, else its leading whole words and '…' (never a cut word while a
    word fits): 'Vanishing gradients: sigmoid vs…'."""
    if cell_len(text) <= width:
        return text
    words, kept = text.split(" "), ""
    for word in words:
        candidate = f"{kept} {word}" if kept else word
        if cell_len(candidate.rstrip(":,;·—-") + "…") > width:
            break
        kept = candidate
    while " " in kept and kept.rsplit(" ", 1)[1].lower() in _DANGLING:  # '…ReLU in…' says less than '…ReLU…'
        kept = kept.rsplit(" ", 1)[0]
    if not kept:  # not even one word fits: the characters that do
        return text[:max(width - 1, 0)] + "…" if width > 0 else ""
    return kept.rstrip(" :,;·—-") + "…"


_DANGLING = {"a", "an", "and", "at", "by", "from", "in", "of", "on", "or", "the", "to", "vs", "with", "·"}


def cut_label(text: str, room: int, keep_start: bool = False) -> str:
    """A run's label cut to `room` columns in the middle, so both its start and its end stay ("batch…lr 2"), or
    (`keep_start`: runs told apart by their first words) at the end of its name ("expone…"); what follows the
    name, "(under)" or ": value", stays either way where it fits."""
    if len(text) <= room or room < 2:
        return text[:room]
    cut = next((k for k in (text.find(" (under)"), text.rfind(": ")) if k > 0), len(text))
    if keep_start and room - (len(text) - cut) - 1 >= 3:
        return text[:room - (len(text) - cut) - 1].rstrip() + "…" + text[cut:]
    head = room // 2
    return text[:head].rstrip() + "…" + text[len(text) - (room - 1 - head):].lstrip()


def starts_apart(labels: list[str]) -> bool:
    """No two runs' labels start with the same word: a cut label keeps its start ("expone…", not "exp….01"); where
    two do ("no hidden layer", "no hidden, + x1·x2"), both ends."""
    words = [label.split(" ")[0] for label in labels]
    return len(set(words)) == len(words)


def first_fit(forms: list[str], width: int) -> str:
    """The first of `forms` (fullest first) that fits in `width` cells; else the last, shortened at a word."""
    for form in forms:
        if cell_len(form) <= width:
            return form
    return shorten(forms[-1], width)


def border_room(outer_width: int) -> int:
    """Cells a border title or subtitle can use on a panel `outer_width` wide (Textual keeps a corner and a
    space at each end)."""
    return max(outer_width - 6, 0)


def step_columns(history: np.ndarray, steps: np.ndarray, width: int, extent: int) -> np.ndarray:
    """(frames, k) rows measured at `steps` as `width` columns over steps[0]..extent (the step axis's end, which
    grows in jumps): each column the last frame at or before its end, 0 (drawn blank) where training has not
    reached it. A column keeps its steps until the extent jumps, so a new frame changes the newest columns only:
    resampling the whole history to the width had moved every column every frame, and the terminal got the
    whole strip again (manual_vs_autograd's two gradient-flow panels: 46 of its 57 KB/s)."""
    if width <= 0 or not len(steps):
        return np.zeros((max(width, 0), history.shape[1]))
    first = float(steps[0])
    size = max(extent - first, 1.0) / width
    ends = first + np.arange(1, width + 1) * size
    idx = np.searchsorted(steps, ends, side="right") - 1
    out = history[np.clip(idx, 0, None)].astype(float)
    out[(idx < 0) | (ends - size > steps[-1])] = 0.0
    return out


def scaled_strips(x_axis: Scale, y_axis: Scale, pix, base: Style, cell: Callable[..., Segment]) -> list[Strip]:
    """A half-block plot of x_axis.cells × 2·y_axis.cells pixels (`pix`: rows of pixels, the top row first; an
    array or lists): `cell(row, column, top, bottom)` gives each cell's Segment from its two pixels; the
    ticks of both axes around it, each label on the cell whose centre is its value (the window drawn must
    be scaled_window's)."""
    pw, ph = x_axis.cells, y_axis.cells
    labels = y_axis.labels(MARGIN - 2)
    strips = []
    for r in range(ph):
        top, bottom = list(pix[2 * r]), list(pix[2 * r + 1])
        label = labels.get(r)
        margin = f"{label:>{MARGIN - 2}} ┤" if label else " " * (MARGIN - 1) + "│"
        strips.append(Strip([Segment(margin, base), *(cell(r, c, top[c], bottom[c]) for c in range(pw))],
                            MARGIN + pw).simplify())
    strips.append(tick_line(x_axis, MARGIN, MARGIN + pw, base))
    return strips


def tick_line(x_axis: Scale, pad: int, width: int, style: Style, label_width: int = 6) -> Strip:
    """An x axis's tick labels, each centred on its column (`pad` columns left of the axis's first); a label
    that would touch the one before, or not fit, is left out rather than moved off its column."""
    ticks = [" "] * width
    free_from = 0
    for column, value in x_axis.ticks:
        text = tick_label(value, label_width)
        start = pad + column - (len(text) - 1) // 2
        if start >= free_from and start + len(text) <= width:
            ticks[start:start + len(text)] = list(text)
            free_from = start + len(text) + 1
    return Strip([Segment("".join(ticks), style)], width)


def scaled_window(x_axis: Scale, y_axis: Scale) -> tuple[tuple[float, float], tuple[float, float]]:
    """The data window of a half-block plot over these axes (x: a pixel a cell; y: two pixels a cell, flipped),
    as to_pixels takes it: the values at the first and last pixel centres."""
    return ((x_axis.value_at(0), x_axis.value_at(x_axis.cells - 1)),
            (y_axis.value_at(y_axis.cells - 0.75), y_axis.value_at(-0.25)))


def to_pixels(points: np.ndarray, x_range, y_range, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Data coordinates → pixel coordinates (x right, y down: the top row is y_range[1])."""
    (x0, x1), (y0, y1) = x_range, y_range
    return ((points[:, 0] - x0) / (x1 - x0) * (width - 1), (y1 - points[:, 1]) / (y1 - y0) * (height - 1))


def polyline_pixels(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixels along the polyline through (px, py), vectorized (no loop per pixel)."""
    if len(px) == 1:
        return np.round(px).astype(int), np.round(py).astype(int)
    return segment_pixels(np.stack([px[:-1], py[:-1], px[1:], py[1:]], 1))


def segment_pixels(segments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixels along each segment (x0, y0, x1, y1) of an (n, 4) array, vectorized."""
    if not len(segments):
        return np.zeros(0, int), np.zeros(0, int)
    x0, y0, dx, dy = segments[:, 0], segments[:, 1], segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1]
    lengths = np.minimum(np.maximum(np.abs(dx), np.abs(dy)).astype(int) + 1, 4096)
    if lengths.sum() > MAX_PATH_PIXELS:  # absurdly long paths: sample segments evenly
        lengths = np.maximum(1, (lengths * MAX_PATH_PIXELS / lengths.sum()).astype(int))
    seg = np.repeat(np.arange(len(dx)), lengths)
    offsets = np.arange(len(seg)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    t = offsets / np.repeat(np.maximum(lengths - 1, 1), lengths)
    return np.round(x0[seg] + t * dx[seg]).astype(int), np.round(y0[seg] + t * dy[seg]).astype(int)


ARROWS = "→↗↑↖←↙↓↘"  # by direction, counter-clockwise from east


def clip_path(px: np.ndarray, py: np.ndarray, width: int, height: int) -> tuple[np.ndarray, tuple | None]:
    """The parts of the polyline (px, py) (pixel coordinates, y down) inside a width × height plot, as (n, 4)
    segments, and where it left for good: (x, y, arrow) at the edge if its last point is outside, else None.

    A segment with both ends outside is dropped, even if it would cross the plot: an escaping path that
    jumps from side to side is never painted across the picture. A segment that crosses the edge is cut there."""
    lo_x, hi_x, lo_y, hi_y = -0.5, width - 0.5, -0.5, height - 0.5
    inside = (px >= lo_x) & (px <= hi_x) & (py >= lo_y) & (py <= hi_y)
    a = np.stack([px[:-1], py[:-1]], 1)
    d = np.stack([px[1:], py[1:]], 1) - a
    keep = inside[:-1] | inside[1:]
    a, d, start_in = a[keep], d[keep], inside[:-1][keep]
    # Liang–Barsky: the part t ∈ [t0, t1] of a + t·d inside the box (one end is inside, so it is not empty)
    with np.errstate(divide="ignore", invalid="ignore"):
        t0, t1 = np.zeros(len(a)), np.ones(len(a))
        for k, (lo, hi) in enumerate(((lo_x, hi_x), (lo_y, hi_y))):
            ta, tb = (lo - a[:, k]) / d[:, k], (hi - a[:, k]) / d[:, k]
            moving = d[:, k] != 0
            t0 = np.where(moving, np.maximum(t0, np.minimum(ta, tb)), t0)
            t1 = np.where(moving, np.minimum(t1, np.maximum(ta, tb)), t1)
    t0, t1 = np.clip(t0, 0, 1), np.clip(t1, 0, 1)
    segments = np.hstack([a + t0[:, None] * d, a + t1[:, None] * d])
    exit_ = None
    if len(px) and not inside[-1] and start_in.any():
        last = np.flatnonzero(start_in)[-1]  # the path ends outside: its last segment from inside is the way out
        x, y = segments[last, 2:]
        angle = math.atan2(-d[last, 1], d[last, 0])  # y grows downwards on screen
        exit_ = (min(max(float(x), 0), width - 1), min(max(float(y), 0), height - 1),
                 ARROWS[round(angle / (math.pi / 4)) % 8])
    return segments, exit_


def centered_message(text: str, width: int, height: int, style: Style) -> list[Strip]:
    """`text` in the middle of the panel, wrapped at spaces onto as many rows as it needs (a message cut at the
    edge can cut a number in two: "need 14" for "need 144")."""
    lines = wrap_label(text, max(width, 1))[:max(height, 1)]
    top = (height - len(lines)) // 2
    return [Strip([Segment(lines[i - top].center(width)[:width], style)], width) if 0 <= i - top < len(lines)
            else Strip.blank(width, style) for i in range(height)]


def wrap_label(text: str, width: int) -> list[str]:
    """`text` in lines of at most `width` cells, broken at spaces, else where a capital starts a word
    ('BinaryCrossEntropy' / 'WithLogits'); a word is cut anywhere only when no such break fits."""
    width = max(width, 1)  # a panel hidden behind a zoomed one has no width: one cell a line still ends
    pieces: list[tuple[str, str]] = []  # (text, what joins it to the piece before: ' ' or '')
    for word in text.split(" "):
        sep = " "
        while len(word) > width:
            breaks = [k for k in range(1, width + 1) if word[k].isupper() and word[k - 1].islower()]
            cut = breaks[-1] if breaks else width
            pieces.append((word[:cut], sep))
            word, sep = word[cut:], ""
        pieces.append((word, sep))
    lines: list[str] = []
    for piece, sep in pieces:
        if lines and len(lines[-1]) + len(sep) + len(piece) <= width:
            lines[-1] += sep + piece
        else:
            lines.append(piece)
    return lines


def wrap_words(text: str, room: int, sep: str = " ") -> list[str]:
    """`text` in lines of at most `room` cells broken only between words (or the parts between `sep`: a legend's
    entries); a word longer than `room` stays whole (and is cut in the middle where it is drawn): "exponenti /
    al" says less than "expo…ial"."""
    lines: list[str] = []
    for word in text.split(sep):
        if lines and len(lines[-1]) + len(sep) + len(word) <= room:
            lines[-1] += sep + word
        else:
            lines.append(word)
    return lines
