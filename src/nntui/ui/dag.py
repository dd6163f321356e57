"""Layered drawing of a small DAG on a character canvas: boxes in columns, orthogonal edges.

Inputs are on the left and the output on the right. A node sits one layer
right of its latest input; a leaf sits just left of its first user, so edges
stay short. Within a layer, nodes follow the mean row of their users
(barycenter), which keeps crossings down for the trees and chains of
expressions and small networks.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.style import Style
from rich.text import Text

from .palette import EDGE_STYLE

GAP = 6                # columns between layers (room for an edge's corners and its arrow)


@dataclass
class Box:
    id: int
    inputs: tuple[int, ...]
    lines: list[tuple[str, Style | None]]   # text lines inside the border
    style: Style                            # border and default text style


def layout(boxes: list[Box], widths: dict[int, int], rows: int) -> tuple[dict[int, tuple[int, int, int]], int, int]:
    """(x, y, width) of every box (each `rows` tall including its border), and the canvas size."""
    users: dict[int, list[int]] = {b.id: [] for b in boxes}
    for b in boxes:
        for i in b.inputs:
            users[i].append(b.id)
    rank: dict[int, int] = {}
    for b in boxes:  # boxes are given inputs-first
        if b.inputs:
            rank[b.id] = 1 + max(rank.get(i, 0) for i in b.inputs)
    for b in boxes:
        if not b.inputs:
            rank[b.id] = max(0, min((rank[u] for u in users[b.id]), default=1) - 1)
    layers: dict[int, list[int]] = {}
    for b in boxes:
        layers.setdefault(rank[b.id], []).append(b.id)
    order: dict[int, float] = {}
    for r in sorted(layers, reverse=True):
        layers[r].sort(key=lambda i: (sum(order.get(u, 0) for u in users[i]) / max(len(users[i]), 1), i))
        for k, i in enumerate(layers[r]):
            order[i] = k
    col_width = {r: max(widths[i] for i in ids) for r, ids in layers.items()}
    tallest = max(len(ids) for ids in layers.values())
    positions, x = {}, 0
    for r in sorted(layers):
        ids = layers[r]
        top = (tallest - len(ids)) * (rows + 1) // 2
        for k, i in enumerate(ids):
            positions[i] = (x, top + k * (rows + 1), widths[i])
        x += col_width[r] + GAP
    return positions, x - GAP + 1, tallest * (rows + 1)


def paint(boxes: list[Box], positions: dict[int, tuple[int, int, int]], width: int, height: int,
          rows: int) -> Text:
    grid = [[" "] * width for _ in range(height)]
    styles: list[list[Style | None]] = [[None] * width for _ in range(height)]

    def put(x: int, y: int, text: str, style: Style | None) -> None:
        for i, ch in enumerate(text):
            if 0 <= x + i < width and 0 <= y < height:
                grid[y][x + i] = ch
                styles[y][x + i] = style

    mid = rows // 2
    for b in boxes:  # edges first: boxes are drawn over them
        x, y, _ = positions[b.id]
        for i in b.inputs:
            sx, sy, sw = positions[i]
            _edge(put, sx + sw, sy + mid, x, y + mid)
    for b in boxes:
        x, y, w = positions[b.id]
        put(x, y, "┌" + "─" * (w - 2) + "┐", b.style)
        for r in range(1, rows - 1):
            put(x, y + r, "│" + " " * (w - 2) + "│", b.style)
        put(x, y + rows - 1, "└" + "─" * (w - 2) + "┘", b.style)
        for r, (text, style) in enumerate(b.lines[: rows - 2], start=1):
            put(x + 2, y + r, text[: w - 4], style or b.style)
    out = Text(no_wrap=True, overflow="crop")
    for y in range(height):
        for ch, st in zip(grid[y], styles[y]):
            out.append(ch, st)
        out.append("\n")
    return out


def _edge(put, x0: int, y0: int, x1: int, y1: int) -> None:
    """An orthogonal edge from (x0, y0) (a box's right side) into (x1, y1) (a box's left side)."""
    mid = x1 - 3
    if y0 == y1:
        put(x0, y0, "─" * (x1 - x0 - 1) + "▶", EDGE_STYLE)
        return
    put(x0, y0, "─" * (mid - x0), EDGE_STYLE)
    down = y1 > y0
    put(mid, y0, "┐" if down else "┘", EDGE_STYLE)
    for y in range(min(y0, y1) + 1, max(y0, y1)):
        put(mid, y, "│", EDGE_STYLE)
    put(mid, y1, "└" if down else "┌", EDGE_STYLE)
    put(mid + 1, y1, "─" * (x1 - mid - 2) + "▶", EDGE_STYLE)
