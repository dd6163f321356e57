"""The neurons panel: one run's network drawn as columns of units (inputs, each hidden layer, the output),
each unit a small picture of its output over the data's plane, the links between layers drawn by weight.

2-D data: a unit is a heatmap over (x1, x2) with the boundary panel's shading, the class-1 colour where it is
positive and the class-0 colour where it is negative, stronger the larger (each unit scaled to its own
largest |value|, so every unit's shape shows; a classifier's one logit output is drawn as the probability it
gives, faint where it is unsure, with the training points • on it in their class's colour). 1-D data: a unit is its curve over x. A link is a braille line
in the colour of its weight's sign, bright for the strongest weights of a layer and dim for the rest; a wide
layer keeps its units with the largest outgoing weights and says how many it leaves out. A ReLU unit that is 0
on every training input is dead: ✗. Arrow keys focus a unit: its incoming weights and bias are listed
under the network. `[` / `]` switch runs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from ...frames import Neurons
from ...scenario.data import Dataset
from ...ui.draw.braille import BrailleCanvas
from ...ui.draw.palette import BOUNDARY_BACKGROUND_RGB, blend, class_rgb
from ...ui.draw.raster import border_room, centered_message, first_fit, fmt_short, polyline_pixels
from ...ui.panel import RUN_BINDINGS, StripPanel, run_name

MAX_BOX_ROWS = 5  # a unit's picture is at most this many rows tall (few units: large pictures) …
MIN_BOX_ROWS = 2  # … and a heatmap at least this many where the panel has 8: fewer units, not unreadable ones
ZOOM_ROWS = 6     # the focused unit's enlarged picture, in rows
MAX_NAME = 8      # cells of an input's name (a formula of data.inputs is cut)
SHADES = 4        # levels of |value| per sign: few colours, small terminal output
EVERY_LINK = 12   # between two columns with at most this many links all are drawn (a sum shows all its terms) …
LINKS_PER_UNIT = 2  # … between bigger ones, a unit's strongest incoming links, those above LINK_FLOOR of the layer's
LINK_FLOOR = 0.25
CURVE_RGB = (225, 225, 225)  # a unit's curve over x (its sign changes along x: no sign colour)
STRONG = 0.6      # links at or above this share of the layer's largest |w| are bright
POSITIVE, NEGATIVE = class_rgb(1), class_rgb(0)  # the boundary panel's class colours: > 0 is class 1


def input_name(formula: str) -> str:
    """An input's formula (data.inputs) as the lessons write it: x1·x2, x1² (x1*x2 beside the text's x1·x2 read as
    two different things)."""
    for power, sign in (("**2", "²"), ("**3", "³")):
        formula = formula.replace(power, sign)
    return formula.replace("*", "·")


@dataclass(frozen=True)
class _Placement:
    """Where each column's pictures go: about 3/5 of the width to the pictures, the rest to the links (at most
    three pictures wide: a long link reads as a flat line); what is left centres the network."""

    box_w: int
    gap: int
    left: int
    aspect: int                       # a heatmap twice as wide as tall (in pixels): 4; a curve wider: 8
    heights: list[int]                # each column's picture height
    tops: list[list[int]]             # each column's pictures' top rows

    def x(self, k: int) -> int:
        return self.left + k * (self.box_w + self.gap)

    @classmethod
    def fit(cls, n: Neurons, shown: list[list[int]], width: int, body: int, label: int) -> _Placement:
        columns = len(n.grids)
        most = max(len(s) for s in shown)
        box_h = max(1, min(MAX_BOX_ROWS, (body - (most - 1)) // most if 2 * most - 1 <= body else 1))
        aspect = 4 if n.grids[0].ndim == 3 else 8
        room = width - label
        box_w = max(3, min(aspect * box_h, int(0.6 * room / columns)))
        gap = min(max(3, (room - box_w * columns) // max(columns - 1, 1)), 3 * box_w) if columns > 1 else 0
        box_w = min(box_w, max(3, (room - gap * (columns - 1)) // columns))
        left = label + max(0, (room - box_w * columns - gap * (columns - 1)) // 2)
        # a curve (1-D data) of a column of one or two units takes the height it has: the output's parts show
        # and a heatmap of a column of one or two units (the output) as tall as it is wide, where it has the rows:
        # a picture squeezed to the rows of a wide layer's (one, at 80x24) read as one colour over the whole plane
        heights = [max(box_h, min(2 * MAX_BOX_ROWS, (body - len(s) + 1) // len(s))) if aspect == 8 and len(s) <= 2
                   else max(box_h, min(box_w // 2, (body - len(s) + 1) // len(s))) if len(s) <= 2 else box_h
                   for s in shown]
        tops = [NeuronsPanel._tops(len(s), h, body) for s, h in zip(shown, heights)]
        return cls(box_w, gap, left, aspect, heights, tops)


class NeuronsPanel(StripPanel):
    MIN_INTERVAL = 0.5  # (two redraws a second while training plays: the regions drift, a shade a frame)
    PAINTS_BACKGROUND = True  # every style it draws with carries a background: no second pass
    BINDINGS = [*RUN_BINDINGS,
                Binding("left", "focus_unit(-1, 0)", "Layer ←", show=False),
                Binding("right", "focus_unit(1, 0)", "Layer →", show=False),
                Binding("up", "focus_unit(0, -1)", "Unit ↑", show=False),
                Binding("down", "focus_unit(0, 1)", "Unit ↓", show=False)]

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls([v.dataset for v in scenario.variants], **kwargs)  # the points drawn on a classifier's output

    def __init__(self, datasets: list[Dataset] | None = None, **kwargs):
        super().__init__(**kwargs)
        self.datasets = datasets or []  # per run (numpy, no torch)
        self._dotted = False
        self.focused: tuple[int, int] | None = None  # (column, position among its shown units)
        self._styles: dict[tuple, Style] = {}
        self._palette = [BOUNDARY_BACKGROUND_RGB, *(self._shade(1, level) for level in range(SHADES)),
                         *(self._shade(-1, level) for level in range(SHADES)), (255, 0, 255)]  # NaN/Inf: magenta

    def on_mount(self) -> None:
        self.set_titles(title="Neurons", subtitle="←→↑↓ a unit · [ / ]: run")

    def state_key(self) -> tuple:
        return (self.run_index, self.focused)

    def action_focus_unit(self, column: int, unit: int) -> None:
        if self.focused is None:
            self.focused = (1, 0)  # the first hidden unit
        else:
            self.focused = (self.focused[0] + column, self.focused[1] + unit)
        self.redraw()

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        run = self.shown_run()
        n = run.measured.get("neurons") if run is not None else None
        if run is None or n is None or width < 20 or height < 6:
            self._strips = centered_message("waiting for the first step…", width, height, self.rich_style)
            return
        self._dotted = False  # (set where _draw puts the training points on the output's picture)
        self._strips = self._draw(n, width, height)
        room = border_room(self.outer_size.width)
        # 1-D data: the output's picture is its curve (white) over its terms (grey), which the legend must say
        parts = ("grey: each unit × its weight · white: their sum", "grey: terms · white: sum") if (
            n.grids[0].ndim == 2) else ()
        # 2-D classes: the training points on the output's picture, in their class's colour
        dots = ["• data: its class's colour", "• data"] if self._dotted else ["", ""]
        forms = [" · ".join(filter(None, ["each unit's output over the data · links: + orange, − blue", *parts[:1],
                                          dots[0], "←→↑↓ a unit · [ / ]: run"]))]
        if parts:
            forms += [f"links: + orange, − blue · {parts[0]}", f"+ orange · − blue · {parts[1]}"]
        forms += [" · ".join(filter(None, ["+ orange · − blue", dots[1], "←→↑↓ a unit"])),
                  " · ".join(filter(None, ["+ orange · − blue", dots[1]])), "+ orange · − blue"]
        self.set_titles(title=first_fit([f"Neurons · {run_name(run)}", run_name(run)], room),
                        subtitle=first_fit(forms, room))

    def _draw(self, n: Neurons, width: int, height: int) -> list[Strip]:
        base = self.rich_style
        # the focused unit: its picture enlarged beside its bias and weights, where the panel has the rows
        zoom = min(ZOOM_ROWS, height // 3)
        detail = 0 if self.focused is None else zoom if height - 1 - zoom >= 6 else 2
        body = height - 1 - detail  # the column captions, and the focused unit's weights
        columns = len(n.grids)
        shown = [self._shown(n, k, body) for k in range(columns)]
        label = min(max(len(input_name(name)) for name in n.inputs), MAX_NAME) + 1  # the inputs' names, left of them
        if width - label < 3 * columns + 3 * (columns - 1):  # a picture and a link need 3 columns each, at the least
            return centered_message(f"{columns - 2} hidden layers need {label + 6 * columns - 3} columns to draw "
                                    f"(the panel has {width}): widen the terminal", width, height, base)
        at = _Placement.fit(n, shown, width, body, label)
        if self.focused is not None:  # keep the focus on a shown unit
            col = min(max(self.focused[0], 0), columns - 1)
            self.focused = (col, min(max(self.focused[1], 0), len(shown[col]) - 1))
        cells: list[list[Segment | None]] = [[None] * width for _ in range(body)]
        for k in range(columns):
            self._paint_column(cells, n, k, shown, at, body)
            if k + 1 < columns:
                self._links(cells, n, k, shown, at.tops, at.x(k) + at.box_w, at.gap, at.heights, base)
        strips = [_strip(row, Segment(" ", base)) for row in cells]
        line = [" "] * width
        for k in range(columns):
            x0 = at.x(k)
            text = self._caption(n, k, len(shown[k]), min(at.box_w + at.gap - 1, width - x0))
            line[x0:x0 + len(text)] = list(text)
        strips.append(Strip([Segment("".join(line)[:width], base + Style(dim=True))]))
        if self.focused is not None:
            strips += self._detail(n, shown, width, detail, base)
        return [strip.adjust_cell_length(width, base) for strip in strips[:height]]

    def _paint_column(self, cells: list[list[Segment | None]], n: Neurons, k: int, shown: list[list[int]],
                      at: _Placement, body: int) -> None:
        """Column k's pictures, with an input's name left of it, ✗ on a dead unit, ▶ at the focused one, and the
        training points on the output's heatmap."""
        mark = self.rich_style + Style(color="#ffffff", bold=True)
        x0, box_w, height = at.x(k), at.box_w, at.heights[k]
        last = len(n.grids) - 1
        for pos, unit in enumerate(shown[k]):
            top = at.tops[k][pos]
            for r, row in enumerate(self._picture(n, k, unit, box_w, height)):
                for c, seg in enumerate(row):
                    if top + r < body:
                        cells[top + r][x0 + c] = seg
            mid = top + height // 2
            if k == 0:  # the input's name left of its picture
                name = input_name(n.inputs[unit])[:MAX_NAME]
                for c, ch in enumerate(name):
                    cells[mid][x0 - 1 - len(name) + c] = Segment(ch, mark)
            if 0 < k < last and unit < len(n.dead[k - 1]) and n.dead[k - 1][unit]:
                cells[mid][x0 + box_w // 2] = Segment("✗", self._style((255, 64, 64), bgs(cells[mid][x0 + box_w // 2]),
                                                                       bold=True))
            if self.focused == (k, pos) and x0 >= 1:
                cells[mid][x0 - 1] = Segment("▶", mark)
            if k == last and at.aspect == 4:
                self._points(cells, n, x0, top, box_w, height, body)

    def _shown(self, n: Neurons, k: int, body: int) -> list[int]:
        """The units of column k that fit (pictures of MIN_BOX_ROWS rows): a hidden layer too tall for the panel
        keeps those with the largest outgoing |w| (in their own order), the caption says how many of how many."""
        count = len(n.grids[k])
        if n.grids[0].ndim == 2:  # curves read in one row, and stacked with no row between them
            fit = max(1, body)
        else:
            least = MIN_BOX_ROWS if body >= 8 else 1
            fit = max(1, (body + 1) // (least + 1))
        if count <= fit or k == 0 or k == len(n.grids) - 1:
            return list(range(min(count, fit)))
        strength = np.abs(n.weights[k]).sum(0)  # outgoing: column k+1's weights from each unit of k
        return sorted(np.argsort(-strength, kind="stable")[:fit].tolist())

    @staticmethod
    def _tops(count: int, box_h: int, body: int) -> list[int]:
        """The first row of each of `count` boxes, centred in the body with one row between them."""
        gap = 1 if count * (box_h + 1) - 1 <= body else 0  # (curves stack without one where rows are short)
        used = count * box_h + (count - 1) * gap
        start = max(0, (body - used) // 2)
        return [start + i * (box_h + gap) for i in range(count)]

    def _picture(self, n: Neurons, k: int, unit: int, box_w: int, box_h: int) -> list[list[Segment]]:
        grid = np.asarray(n.grids[k][unit], np.float64)
        scale = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 0.0
        if n.probability and k == len(n.grids) - 1:  # a logit: as the probability it gives, 2σ(z) − 1, on a fixed
            # scale (its own largest |z| drew a perceptron stuck at loss 0.69 as sure of itself as a solved one)
            grid, scale = np.tanh(grid / 2), 1.0
        if grid.ndim == 2:  # a heatmap: two pixels a cell (▀: top in the foreground colour)
            ny, nx = grid.shape
            rows = np.minimum(((np.arange(2 * box_h) + 0.5) / (2 * box_h) * ny).astype(int), ny - 1)[::-1]
            cols = np.minimum(((np.arange(box_w) + 0.5) / box_w * nx).astype(int), nx - 1)
            values = grid[np.ix_(rows, cols)] / (scale or 1.0)
            level = np.minimum((np.abs(np.nan_to_num(values)) * SHADES).astype(int), SHADES - 1)
            index = np.where(values > 0, 1 + level, np.where(values < 0, 1 + SHADES + level, 0))
            index = np.where(np.isfinite(values), index, 1 + 2 * SHADES).tolist()
            palette = self._palette
            return [[Segment("▀", self._style(palette[top], palette[bottom])) for top, bottom in zip(up, down)]
                    for up, down in zip(index[0::2], index[1::2])]
        # a curve over x, top to bottom over its own range; the output of one hidden layer also shows its parts,
        # each unit's output times its weight (dim), which add up, with the bias, to it
        canvas = BrailleCanvas(box_w, box_h)
        parts = n.weights[-1][0][:, None] * n.grids[1] if k == len(n.grids) - 1 == 2 else np.zeros((0, len(grid)))
        every = np.concatenate([parts, grid[None, :]])
        finite = every[np.isfinite(every)]
        lo, hi = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 1.0)
        xs = np.linspace(0, 2 * box_w - 1, len(grid))
        for style, curve in [*((0, p) for p in parts), (1, grid)]:
            ys = (hi - curve) / (hi - lo or 1.0) * (4 * box_h - 1)
            ok = np.isfinite(ys)
            if ok.any():
                px, py = polyline_pixels(xs[ok], ys[ok])
                canvas.paint(px, py, style)
        styles = [self._style((110, 110, 110), BOUNDARY_BACKGROUND_RGB), self._style(CURVE_RGB, BOUNDARY_BACKGROUND_RGB)]
        back = self._style(None, BOUNDARY_BACKGROUND_RGB)
        return [[Segment(ch, seg.style) for seg in row for ch in seg.text] for row in canvas.rows(styles, back)]

    def _points(self, cells, n: Neurons, x0: int, top: int, box_w: int, box_h: int, body: int) -> None:
        """A classifier's training points on its output's picture, • in the colour of their class (small: the
        picture shows around it): a point on the other class's colour is one the model gets wrong."""
        ds = self._dataset()
        if ds is None or box_h < 2:  # (a picture one row tall puts XOR's upper and lower quadrants in one cell)
            return
        (ax, bx), (ay, by) = n.x_range, n.y_range
        xy = ds.plane("train")
        cols = np.floor((xy[:, 0] - ax) / (bx - ax) * box_w).astype(int)
        rows = np.floor((by - xy[:, 1]) / (by - ay) * box_h).astype(int)
        labels = (ds.y_train[:, 0] if ds.y_train.ndim == 2 else ds.y_train).astype(int)
        inside = (cols >= 0) & (cols < box_w) & (rows >= 0) & (rows < box_h)
        votes = np.zeros((box_h, box_w, max(ds.n_classes, 2)), int)
        np.add.at(votes, (rows[inside], cols[inside], labels[inside]), 1)
        for r, c in zip(*np.nonzero(votes.sum(2))):  # a cell's mark: the class most of its points are
            if top + r < body:
                under = cells[top + r][x0 + c]
                cells[top + r][x0 + c] = Segment("•", self._style(class_rgb(int(votes[r, c].argmax())), bgs(under)))
                self._dotted = True

    def _dataset(self) -> Dataset | None:
        """The shown run's data where its points are drawn (classes over a plane), else None."""
        run = self.shown_run()
        ds = self.datasets[self.run_index] if run is not None and self.run_index < len(self.datasets) else None
        return ds if ds is not None and ds.task != "regression" and len(ds.y_train) else None

    def _links(self, cells, n: Neurons, k: int, shown: list[list[int]], tops: list[list[int]], x0: int, gap: int,
               heights: list[int], base: Style) -> None:
        """Column k's units to column k+1's, in the `gap` cells from x0: each shown unit's strongest links."""
        w = n.weights[k]
        body = len(cells)
        top = float(np.abs(w).max()) or 1.0
        canvas = BrailleCanvas(gap, body)
        styles: list[tuple[bool, bool]] = []
        dots: dict[tuple[bool, bool], list[tuple[np.ndarray, np.ndarray]]] = {}  # painted once per style
        for b_pos, b in enumerate(shown[k + 1]):
            strongest = np.argsort(-np.abs(w[b]), kind="stable")
            drawn = 0
            for a in strongest.tolist():
                thin = len(shown[k]) * len(shown[k + 1]) > EVERY_LINK
                if a not in shown[k] or thin and (abs(w[b, a]) < LINK_FLOOR * top or drawn >= LINKS_PER_UNIT):
                    continue
                drawn += 1
                ya = 4 * (tops[k][shown[k].index(a)] + heights[k] // 2) + 2
                yb = 4 * (tops[k + 1][b_pos] + heights[k + 1] // 2) + 2
                px, py = polyline_pixels(np.array([0.0, 2 * gap - 1.0]), np.array([float(ya), float(yb)]))
                key = (bool(w[b, a] > 0), bool(abs(w[b, a]) >= STRONG * top))
                dots.setdefault(key, []).append((px, py))
        for key, lines in sorted(dots.items(), key=lambda item: item[0][1]):  # the strong links on top
            styles.append(key)
            canvas.paint(np.concatenate([x for x, _ in lines]), np.concatenate([y for _, y in lines]), len(styles) - 1)
        rich = [Style(color=Color.from_rgb(*(POSITIVE if positive else NEGATIVE)), dim=not strong, bold=strong)
                for positive, strong in styles]
        for r, row in enumerate(canvas.rows([base + s for s in rich], base)):
            c = x0
            for seg in row:
                for ch in seg.text:
                    if c < len(cells[r]) and ch != " ":
                        cells[r][c] = Segment(ch, seg.style)
                    c += 1

    def _caption(self, n: Neurons, k: int, shown: int, room: int) -> str:
        """The column's name, and how many of its units are drawn where not all are, in `room` cells."""
        count = len(n.grids[k])
        last = k == len(n.grids) - 1
        full, short = ("inputs", "in") if k == 0 else ("output", "out") if last else (f"layer {k}", f"L{k}")
        more = f": {shown} of {count}" if shown < count else ""
        sure = ["output · dark: unsure", "out · dark: unsure"] if last and n.probability else []
        return first_fit([*sure, full + more, short + more, short], room)

    def _detail(self, n: Neurons, shown: list[list[int]], width: int, rows: int, base: Style) -> list[Strip]:
        """The focused unit in `rows` rows: its picture enlarged (where there are more than 2), beside its layer,
        bias and incoming weights (largest |w| first, wrapped)."""
        assert self.focused is not None
        k, pos = self.focused
        unit = shown[k][pos]
        lines = self._detail_text(n, k, unit)
        if rows <= 2:
            return [Strip([Segment(line[:width], base + Style(bold=i == 0))]) for i, line in enumerate(lines[:rows])]
        pic_w = min((4 if n.grids[0].ndim == 3 else 8) * rows, width // 2)
        picture = self._picture(n, k, unit, pic_w, rows)
        room = width - pic_w - 2
        text = [lines[0][:room], *_wrap(lines[1], room)][:rows]
        return [_strip([*row, Segment("  ", base), Segment(text[r] if r < len(text) else "",
                                                            base + Style(bold=r == 0))], Segment(" ", base))
                for r, row in enumerate(picture)]

    def _detail_text(self, n: Neurons, k: int, unit: int) -> list[str]:
        """[the unit's name, bias and state; its incoming weights]."""
        if k == 0:
            return [f"input {n.inputs[unit]}", "its value over the data's plane: what the first layer weighs"]
        name = "output" if k == len(n.grids) - 1 else f"layer {k} unit {unit + 1}"
        bias = n.biases[k - 1]
        dead = k < len(n.grids) - 1 and bool(n.dead[k - 1][unit])
        head = f"{name} · bias {fmt_short(float(bias[unit])) if bias is not None else 'none'}" + (
            " · dead: 0 on every training input" if dead else "")
        sources = n.inputs if k == 1 else tuple(f"u{a + 1}" for a in range(n.weights[k - 1].shape[1]))
        row = n.weights[k - 1][unit]
        order = np.argsort(-np.abs(row), kind="stable")
        return [head, "in: " + ", ".join(f"{sources[a]} {row[a]:+.2f}" for a in order.tolist())]

    @staticmethod
    def _shade(sign: int, level: int) -> tuple[int, int, int]:
        """The colour of |value| at `level` (0 … SHADES-1) of its unit's largest, by sign."""
        return blend(BOUNDARY_BACKGROUND_RGB, POSITIVE if sign > 0 else NEGATIVE, 0.08 + 0.6 * (level + 1) / SHADES)

    def _style(self, fg: tuple | None, bg: tuple | None, bold: bool = False) -> Style:
        key = (fg, bg, bold)
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = Style(color=Color.from_rgb(*fg) if fg else None,
                                              bgcolor=Color.from_rgb(*bg) if bg else None, bold=bold)
        return style


def bgs(seg: Segment | None) -> tuple[int, int, int] | None:
    """The background colour under a cell, as (r, g, b)."""
    color = seg.style.bgcolor if seg is not None and seg.style is not None else None
    return color.get_truecolor() if color is not None else None


def _strip(row: list[Segment | None], blank: Segment) -> Strip:
    """A row of cells as a strip, one segment per run of cells in one style (cached styles are shared objects)."""
    segments: list[Segment] = []
    text: list[str] = []
    style = None
    for seg in row:
        seg = seg or blank
        if seg.style is not style and text:
            segments.append(Segment("".join(text), style))
            text = []
        style = seg.style
        text.append(seg.text)
    if text:
        segments.append(Segment("".join(text), style))
    return Strip(segments)


def _wrap(text: str, room: int) -> list[str]:
    """`text` in lines of at most `room` cells, broken after commas."""
    lines: list[str] = []
    for part in text.split(", "):
        if lines and len(lines[-1]) + 2 + len(part) <= room:
            lines[-1] += ", " + part
        else:
            lines.append(part[:room])
    return lines
