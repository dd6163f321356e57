"""Layered drawing of a small DAG on a character canvas: boxes in columns, orthogonal edges.

Inputs are on the left and the output on the right. A node sits one layer
right of its latest input; a leaf sits just left of its first user, so edges
stay short. Within a layer, nodes follow the mean row of their users
(barycenter), which keeps crossings down for the trees and chains of
expressions and small networks.

`layout_down` draws the same kind of graph top to bottom for a narrow panel:
no borders, a row of edges between layers, each node over the middle of its
users.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import groupby

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
    return grid_text(grid, styles)


def grid_text(grid: list[list[str]], styles: list[list[Style | None]]) -> Text:
    """A grid of characters as Text, each row's runs of one style one span: a span per character had the
    terminal sent a colour escape (~25 bytes) for every letter of the graph, every frame."""
    out = Text(no_wrap=True, overflow="crop")
    for row, row_styles in zip(grid, styles):
        for style, run in groupby(zip(row, row_styles), key=lambda cell: cell[1]):
            out.append("".join(ch for ch, _ in run), style)
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


# ---------------------------------------------------------------------- top to bottom, for narrow panels

_JOINS = {frozenset("ud"): "│", frozenset("lr"): "─", frozenset("ur"): "└", frozenset("ul"): "┘",
          frozenset("dr"): "┌", frozenset("dl"): "┐", frozenset("ulr"): "┴", frozenset("dlr"): "┬",
          frozenset("udr"): "├", frozenset("udl"): "┤", frozenset("udlr"): "┼", frozenset("u"): "╵",
          frozenset("d"): "╷", frozenset("l"): "─", frozenset("r"): "─"}


def layout_down(nodes: list[Box], width: int) -> tuple[Text, int, int] | None:
    """The DAG drawn top to bottom without borders: each node its lines of text, inputs above their user, one
    row of edges between two layers (a long edge passes the layers between as '│'). None if a layer is wider
    than `width`."""
    layout = _DownLayout(nodes)
    canvas_w = max(layout.row_width(ids) for ids in layout.layers.values())
    if canvas_w > width:
        return None
    layout.place(canvas_w)
    return layout.paint(canvas_w), canvas_w, layout.height


class _DownLayout:
    """A layered (Sugiyama-style) layout, top to bottom: layers, a dummy node wherever an edge skips a layer, each
    layer ordered under its users, then placed."""

    def __init__(self, nodes: list[Box]):
        self.boxes = {b.id: b for b in nodes}
        self.rank = _ranks(nodes)
        self.inputs, self.dummies = self._with_dummies(nodes)
        self.users: dict[int, list[int]] = {n: [] for n in self.rank}
        for n, ins in self.inputs.items():
            for i in ins:
                self.users[i].append(n)
        self.layers: dict[int, list[int]] = {}
        for n in sorted(self.rank):
            self.layers.setdefault(self.rank[n], []).append(n)
        order: dict[int, float] = {}
        for r in sorted(self.layers, reverse=True):  # from the output up: each node under the mean place of its users
            self.layers[r].sort(key=lambda n: (sum(order.get(u, 0) for u in self.users[n])
                                               / max(len(self.users[n]), 1), n))
            for k, n in enumerate(self.layers[r]):
                order[n] = k
        self.size = {n: (1, 1) if n in self.dummies else (max(len(t) for t, _ in self.boxes[n].lines),
                                                           len(self.boxes[n].lines)) for n in self.rank}
        self.pos: dict[int, tuple[int, int]] = {}  # node → (x, y) of its first line
        self.band_top: dict[int, int] = {}
        self.height = 0

    def _with_dummies(self, nodes: list[Box]) -> tuple[dict[int, list[int]], set[int]]:
        """Each node's inputs, a long edge replaced by a chain of dummy nodes (a width of 1), one per layer it
        passes."""
        inputs = {b.id: list(b.inputs) for b in nodes}
        next_id = max(self.boxes) + 1
        dummies: set[int] = set()
        for b in nodes:
            for k, i in enumerate(inputs[b.id]):
                below = i
                for r in range(self.rank[i] + 1, self.rank[b.id]):
                    dummies.add(next_id)
                    self.rank[next_id] = r
                    inputs[next_id] = [below]
                    below, next_id = next_id, next_id + 1
                inputs[b.id][k] = below
        return inputs, dummies

    def row_width(self, ids: list[int]) -> int:
        return sum(self.size[n][0] for n in ids) + 2 * (len(ids) - 1)

    def place(self, canvas_w: int) -> None:
        """Each layer's band (its tallest node, then a row for the edges into the next), and each node over the
        middle of its users, from the output up, pushed back left where a row runs past the edge."""
        y = 0
        for r in sorted(self.layers):
            self.band_top[r] = y
            y += max(self.size[n][1] for n in self.layers[r]) + 1
        self.height = y - 1
        size = self.size
        for r in sorted(self.layers, reverse=True):
            ids = self.layers[r]
            xs: list[int] = []
            for n in ids:
                users = self.users[n]
                want = canvas_w // 2 if not users else round(
                    sum(self.pos[u][0] + (size[u][0] - 1) / 2 for u in users) / len(users) - (size[n][0] - 1) / 2)
                xs.append(max(want, xs[-1] + size[ids[len(xs) - 1]][0] + 2 if xs else 0))
            right = canvas_w
            for k in range(len(ids) - 1, -1, -1):
                xs[k] = min(xs[k], right - size[ids[k]][0])
                right = xs[k] - 2
            for n, x in zip(ids, xs):
                self.pos[n] = (max(x, 0), self.band_top[r])

    def centre(self, n: int) -> int:
        return self.pos[n][0] + (self.size[n][0] - 1) // 2

    def joins(self) -> dict[tuple[int, int], set[str]]:
        """The directions each edge cell joins (u, d, l, r): down from every node to its layer's edge row, along
        that row to each user, and through the layers a long edge passes."""
        joins: dict[tuple[int, int], set[str]] = {}
        last = max(self.layers)
        for n, r in self.rank.items():
            if r != last:
                for y in range(self.pos[n][1] + self.size[n][1], self.band_top[r + 1] - 1):  # under a short node
                    joins.setdefault((self.centre(n), y), set()).update("ud")
        for n, ins in self.inputs.items():
            if ins:
                self._edge_row(joins, n, ins)
        for n in self.dummies:
            r = self.rank[n]
            for y in range(self.pos[n][1], self.band_top[r] + max(self.size[m][1] for m in self.layers[r])):
                joins.setdefault((self.pos[n][0], y), set()).update("ud")
        return joins

    def _edge_row(self, joins: dict[tuple[int, int], set[str]], n: int, ins: list[int]) -> None:
        """The edges into `n` along the row above its layer: up to each input, down into `n`, joined across."""
        edge_row = self.band_top[self.rank[n]] - 1
        xs = [self.centre(i) for i in ins]
        xt = self.centre(n)
        for i_x in xs:
            joins.setdefault((i_x, edge_row), set()).add("u")
        joins.setdefault((xt, edge_row), set()).add("d")
        lo, hi = min(xs + [xt]), max(xs + [xt])
        for x in range(lo, hi + 1):
            cell = joins.setdefault((x, edge_row), set())
            if x > lo:
                cell.add("l")
            if x < hi:
                cell.add("r")

    def paint(self, canvas_w: int) -> Text:
        grid = [[" "] * canvas_w for _ in range(self.height)]
        styles: list[list[Style | None]] = [[None] * canvas_w for _ in range(self.height)]
        for (x, y), dirs in self.joins().items():
            if 0 <= y < self.height and 0 <= x < canvas_w:
                grid[y][x] = _JOINS[frozenset(dirs)]
                styles[y][x] = EDGE_STYLE
        for n in self.rank:
            if n in self.dummies:
                continue
            x, y0 = self.pos[n]
            for k, (text, style) in enumerate(self.boxes[n].lines):
                for j, ch in enumerate(text):
                    grid[y0 + k][x + j] = ch
                    styles[y0 + k][x + j] = style or self.boxes[n].style
        return grid_text(grid, styles)


def _ranks(nodes: list[Box]) -> dict[int, int]:
    """Each node's layer, counted up from the output (its longest path there): every node sits just above its
    first consumer's layer, so a weight and its transpose wait beside the operation that uses them."""
    users: dict[int, list[int]] = {b.id: [] for b in nodes}
    for b in nodes:
        for i in b.inputs:
            users[i].append(b.id)
    depth: dict[int, int] = {}
    for b in reversed(nodes):  # nodes are given inputs-first: users come later
        depth[b.id] = 1 + max((depth[u] for u in users[b.id]), default=-1)
    top = max(depth.values())
    return {n: top - d for n, d in depth.items()}
