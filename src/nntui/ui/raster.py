"""Shared pieces of the half-block panels (contour, boundary): axes and polylines on a pixel grid.

A panel of W×H cells is a (2H)×W pixel grid: each cell is '▀' with the upper
pixel as foreground color and the lower as background.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from .palette import fmt_tick

MARGIN = 8  # columns for y-axis labels
MAX_PATH_PIXELS = 200_000


def y_label(row: int, rows: int, y0: float, y1: float, base: Style) -> Segment:
    """The left margin of one cell row: a value at the top, middle and bottom rows, else the axis line."""
    labels = {0: y1, rows - 1: y0, (rows - 1) // 2: (y0 + y1) / 2}
    if row in labels:
        text = fmt_tick(labels[row], y1 - y0)[:MARGIN - 2]
        return Segment(f"{text:>{MARGIN - 2}} ┤", base)
    return Segment(" " * (MARGIN - 1) + "│", base)


def x_ticks(x0: float, x1: float, width: int, base: Style) -> Strip:
    """Values at the left, middle and right under the plot; a label that would touch its neighbour is skipped."""
    ticks = [" "] * width
    free_from = 0
    for frac in (0.0, 0.5, 1.0):
        text = fmt_tick(x0 + frac * (x1 - x0), x1 - x0)
        start = min(max(int(frac * (width - 1)) - len(text) // 2, 0), width - len(text))
        if start >= free_from:
            ticks[start:start + len(text)] = list(text)
            free_from = start + len(text) + 1
    return Strip([Segment(" " * MARGIN + "".join(ticks), base)], MARGIN + width)


def to_pixels(points: np.ndarray, x_range, y_range, width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """Data coordinates → pixel coordinates (x right, y down: the top row is y_range[1])."""
    (x0, x1), (y0, y1) = x_range, y_range
    return ((points[:, 0] - x0) / (x1 - x0) * (width - 1), (y1 - points[:, 1]) / (y1 - y0) * (height - 1))


def polyline_pixels(px: np.ndarray, py: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Integer pixels along the polyline through (px, py), vectorized (no loop per pixel)."""
    if len(px) == 1:
        return np.round(px).astype(int), np.round(py).astype(int)
    dx, dy = np.diff(px), np.diff(py)
    lengths = np.minimum(np.maximum(np.abs(dx), np.abs(dy)).astype(int) + 1, 4096)
    if lengths.sum() > MAX_PATH_PIXELS:  # absurdly long paths: sample segments evenly
        lengths = np.maximum(1, (lengths * MAX_PATH_PIXELS / lengths.sum()).astype(int))
    seg = np.repeat(np.arange(len(dx)), lengths)
    offsets = np.arange(len(seg)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    t = offsets / np.repeat(np.maximum(lengths - 1, 1), lengths)
    return np.round(px[seg] + t * dx[seg]).astype(int), np.round(py[seg] + t * dy[seg]).astype(int)


def centered_message(text: str, width: int, height: int, style: Style) -> list[Strip]:
    return [Strip([Segment(text.center(width)[:width], style)], width) if i == height // 2
            else Strip.blank(width, style) for i in range(height)]
