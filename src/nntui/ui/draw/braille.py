"""A braille canvas: 2×4 dots per cell (U+2800 + dot bits), so a curve is a thin line, not a column of blocks.

Layers are painted back to front; a cell shows only the dots of the last layer that reached it (a curve over
a faint trace is not thickened by it), in that layer's style. Text (labels, ✗) goes on top. Everything is
whole-array numpy: a layer costs the same for 30 points as for 30,000.
"""

from __future__ import annotations

import numpy as np
from rich.segment import Segment
from rich.style import Style

# the bit of each dot, indexed [row within the cell (0..3), column within the cell (0..1)]
DOT_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]], np.uint16)
BLANK = -1  # no style: the panel's own


def dot_cells(xs: np.ndarray, ys: np.ndarray, width: int, height: int) -> np.ndarray:
    """The cells (row × width + column) that dots fall in on a canvas of `width` × `height` cells, each once (the
    dots off it dropped): what a curve covers, to tell whether another is drawn over it."""
    return np.unique(dot_cells_in_order(xs, ys, width, height))


def dot_cells_in_order(xs: np.ndarray, ys: np.ndarray, width: int, height: int) -> np.ndarray:
    """Those cells in the order the dots first reach them (a path's: where it ends is last)."""
    seen = (xs >= 0) & (xs < 2 * width) & (ys >= 0) & (ys < 4 * height)
    cells = (ys[seen] // 4) * width + xs[seen] // 2
    _, first = np.unique(cells, return_index=True)
    return cells[np.sort(first)]


class BrailleCanvas:
    def __init__(self, width: int, height: int):
        """`width` × `height` cells: (2 × width) × (4 × height) dots, y down."""
        self.width, self.height = width, height
        self.bits = np.zeros((height, width), np.uint8)
        self.style = np.full((height, width), BLANK, np.int16)
        self.text: dict[tuple[int, int], tuple[str, int]] = {}  # (row, column) → (character, style id)

    def paint(self, xs: np.ndarray, ys: np.ndarray, style: int) -> None:
        """One layer: dots at (xs, ys) (dot coordinates; those off the canvas are dropped) in `style`."""
        keep = (xs >= 0) & (xs < 2 * self.width) & (ys >= 0) & (ys < 4 * self.height)
        if not keep.any():
            return
        xs, ys = xs[keep], ys[keep]
        cell, bit = (ys // 4) * self.width + xs // 2, DOT_BITS[ys % 4, xs % 2]
        cells = np.zeros(self.height * self.width, np.uint8)
        for b in np.unique(bit).tolist():  # OR one bit at a time: repeated cells then write the same value
            cells[cell[bit == b]] |= b
        hit = cells.reshape(self.height, self.width) > 0
        self.bits[hit] = cells.reshape(self.height, self.width)[hit]
        self.style[hit] = style

    def clear(self, xs: np.ndarray, ys: np.ndarray, around: int = 0) -> None:
        """Empty the cells these dots fall in, and `around` cells left and right of them (a dashed line's gaps
        then show nothing rather than what was under them)."""
        keep = (xs >= 0) & (xs < 2 * self.width) & (ys >= 0) & (ys < 4 * self.height)
        rows, cols = ys[keep] // 4, xs[keep] // 2
        for shift in range(-around, around + 1):
            self.bits[rows, np.clip(cols + shift, 0, self.width - 1)] = 0
            self.style[rows, np.clip(cols + shift, 0, self.width - 1)] = BLANK

    def put(self, row: int, column: int, text: str, style: int) -> None:
        """Text on top of the dots, cut at the right edge."""
        for k, char in enumerate(text[:max(0, self.width - column)]):
            self.text[(row, column + k)] = (char, style)

    def rows(self, styles: list[Style], base: Style) -> list[list[Segment]]:
        """Each row as segments, one per run of cells in one style."""
        codes = np.where(self.bits > 0, 0x2800 + self.bits.astype(np.uint32), 32).astype("<u4")
        style = self.style.copy()
        for (r, c), (char, sid) in self.text.items():
            codes[r, c], style[r, c] = ord(char), sid
        out = []
        for r in range(self.height):
            line = codes[r].tobytes().decode("utf-32-le")
            cuts = [0, *(np.flatnonzero(np.diff(style[r])) + 1).tolist(), self.width]
            out.append([Segment(line[a:b], base if style[r, a] == BLANK else styles[style[r, a]])
                        for a, b in zip(cuts, cuts[1:])])
        return out

