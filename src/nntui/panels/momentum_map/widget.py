"""The momentum map: every (lr, β) of heavy-ball momentum coloured by how fast it converges on this quadratic.

Each half-block pixel is one (lr, β): its colour is the steps the error takes to shrink 10× (rates.py, exact
from the Hessian's eigenvalues), bright where it is fast, dark where it crawls, red where it diverges. Thin
light lines part the regions where the slowest direction moves smoothly, in ripples or in a zig-zag (their
names are written inside them). Each run of plain SGD sits at its own (lr, β) as a dot in its colour; the
fastest point (Polyak's) is a star. With the panel focused, a cross moves with the arrow keys and Enter
restarts the chosen run ([ ]) there: the map's promise is tested by a real run.
"""

from __future__ import annotations

import math

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from ...runner import RunView, View
from ...ui.draw.axis import Scale, scale
from ...ui.draw.palette import blend, ramp, variant_rgb
from ...ui.draw.raster import MARGIN, border_room, centered_message, first_fit, scaled_strips, scaled_window
from ...ui.panel import RUN_BINDINGS, EditRun, StripPanel
from .rates import DIVERGES, KINDS, best, rate, stable_lr, steps_per_tenth

SLOWEST = 1000            # steps per 10×: the darkest colour (and anything slower)
LEVELS = 24               # shades of the speed ramp (fewer styles, the same picture)
# pale cyan where fast, deep blue where slow: not the contour's viridis, whose yellow means a high loss
FAST_TO_SLOW = ((215, 248, 255), (110, 205, 230), (40, 140, 190), (30, 75, 140), (20, 30, 70))
DIVERGE_RGB = (150, 30, 40)
EDGE_DIM = 0.45              # the lines between regions: the colour under them, this much darker
MARK_RGB = (255, 255, 255)   # the fastest point's star; the cursor's cell
CURSOR_INK = (0, 0, 0)       # the cursor's cross (or the mark under it) on its white cell
PIN_RGB = (16, 16, 16)       # under a run's dot and the star: a run's sky blue was lost on the map's pale cyan


class MomentumMap(StripPanel):
    BINDINGS = [
        *RUN_BINDINGS,
        Binding("left", "move(-1, 0)", "Move ┼", key_display="←→↑↓", show=False),
        Binding("right", "move(1, 0)", "Move ┼", show=False),
        Binding("up", "move(0, -1)", "Move ┼", show=False),
        Binding("down", "move(0, 1)", "Move ┼", show=False),
        Binding("enter", "run_here", "Restart the run at ┼", key_display="enter", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.cursor: tuple[int, int] | None = None  # (column, row) of ┼ on the plot; None: on the chosen run
        self._axes: tuple[Scale, Scale] | None = None  # as drawn last: the cursor's cell stands for values through them
        self._styles: dict[tuple, Style] = {}
        self._picture: tuple | None = None  # (what it was drawn for, pixel colours, regions, region names' places)

    def on_mount(self) -> None:
        self.set_titles(title="Momentum map")

    def state_key(self) -> tuple:
        return (*super().state_key(), self.cursor, self.has_focus)

    def on_focus(self) -> None:
        self.redraw()

    def on_blur(self) -> None:
        self.redraw()

    # ------------------------------------------------------------------ keys

    def action_move(self, dx: int, dy: int) -> None:
        if self._axes is None:
            return
        x_axis, y_axis = self._axes
        column, row = self.cursor or self._home()
        self.cursor = (min(max(column + dx, 0), x_axis.cells - 1), min(max(row + dy, 0), y_axis.cells - 1))
        self.redraw()

    def action_run(self, delta: int) -> None:
        self.cursor = None  # back on the newly chosen run
        super().action_run(delta)

    def action_run_here(self) -> None:
        point = self._cursor_point() if self.cursor is not None else None
        run = self.shown_run()
        if point is None or run is None:
            return
        lr, beta = point
        # (named after its new place: edited_label would keep a "β=0.36 lr=0.16" label's β, now a lie)
        changes: dict = {"train.lr": lr, "train.momentum": beta, "variant.label": f"β={beta:g} lr={lr:g} ✎"}
        if run.settings.get("optimizer") != "sgd":
            changes["train.optimizer"] = "sgd"
        self.post_message(EditRun(self.run_index, changes))
        self.cursor = None

    def _home(self) -> tuple[int, int]:
        """The cell of the chosen run's (lr, β), or of the fastest point if it is not heavy-ball SGD."""
        assert self._axes is not None
        x_axis, y_axis = self._axes
        run = self.shown_run()
        point = _point(run) if run is not None else None
        if point is None:
            point = self._fastest[:2]
        return (min(max(round(float(x_axis.position(point[0]))), 0), x_axis.cells - 1),
                min(max(round(float(y_axis.position(point[1]))), 0), y_axis.cells - 1))

    def _cursor_point(self) -> tuple[float, float] | None:
        """(lr, β) at the cursor's cell, to three significant digits (what Enter gives the run)."""
        if self._axes is None:
            return None
        x_axis, y_axis = self._axes
        column, row = self.cursor or self._home()
        lr, beta = float(x_axis.value_at(column)), float(y_axis.value_at(row))
        if lr <= 0 or not 0 <= beta < 1:
            return None
        return float(f"{lr:.3g}"), round(beta, 3)

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        view = self._view
        surface = next((s for s in view.surfaces if s.curvatures is not None), None) if view is not None else None
        if view is None or surface is None or surface.curvatures is None:
            message = ("loading PyTorch…" if view is None or view.state == "loading" else
                       "waiting for the first step…" if not (view.surfaces) else "no minimum found on this surface")
            self._strips = centered_message(message, width, height, self.rich_style)
            return
        curvatures = surface.curvatures
        self._fastest = best(curvatures)
        legend = 4 if height >= 15 else 3 if height >= 12 else 2 if height >= 8 else 1
        pw, ph = width - MARGIN, height - 1 - legend
        if pw < 12 or ph < 3:
            self._strips = centered_message("too small for the map", width, height, self.rich_style)
            return
        widest = stable_lr(1.0, curvatures[0])  # at β → 1 every lr up to 4/λmax is stable: past it all diverges
        runs = [p[0] for r in view.runs if (p := _point(r)) is not None]
        x_axis = scale(0.0, min(max([1.05 * widest, *(1.05 * lr for lr in runs)]), 2 * widest), pw, label_width=6,
                       gap=7, most=max(7, pw // 3))
        y_axis = scale(0.0, 1.0, ph, flip=True, label_width=MARGIN - 2, anchor="middle")
        self._axes = (x_axis, y_axis)
        marks, shared, off_map = self._marks(view, x_axis, y_axis, curvatures)
        colors, kinds, places = self._picture_for(x_axis, y_axis, curvatures, marks)
        marks.update(_region_names(places, colors))
        # a region on the map too thin for its name is named in the legend (plain SGD's zig-zag band, at the bottom)
        unnamed = [KINDS[k] for k in sorted(set(np.unique(kinds).tolist()) - {-1} - set(places))]
        strips = scaled_strips(x_axis, y_axis, colors, self.rich_style, self._cell_with(marks))
        # the axes' names where the tick line has room, left of its first label: β up, lr across
        strips[-1] = Strip.join([Strip([Segment("β↑ lr→ ", self.rich_style)]), strips[-1].crop(7)])
        room = border_room(self.outer_size.width)
        lams = f"λ {_num(curvatures[0])}, {_num(curvatures[1])}"
        self.set_titles(title=first_fit([f"Momentum map: each (lr, β)'s speed, exact from the Hessian's {lams}",
                                         f"Momentum map · exact from the Hessian's {lams}",
                                         f"Momentum map · from the Hessian ({lams})",
                                         f"Momentum map · exact from {lams}", "Momentum map", "(lr, β)"], room),
                        subtitle=first_fit(self._subtitles(view), room))
        shown = {char for char, _, _ in marks.values()}
        self._strips = strips + self._legend(width, legend, curvatures, shown, shared, off_map, unnamed)

    def _picture_for(self, x_axis: Scale, y_axis: Scale, curvatures, marks: dict) -> tuple[list[list], np.ndarray, dict]:
        """(pixel colours, regions, region names' places), worked out again only when the curvatures, the axes or
        where the marks are change: not every frame (they took 7 ms of the UI's time a frame)."""
        key = (tuple(curvatures), x_axis, y_axis, tuple(sorted(marks)))
        if self._picture is None or self._picture[0] != key:
            colors, kinds = _pixels(x_axis, y_axis, curvatures, float(steps_per_tenth(self._fastest[2])))
            self._picture = (key, colors, kinds, _name_places(kinds, marks))
        return self._picture[1:]

    def _marks(self, view: View, x_axis: Scale, y_axis: Scale, curvatures) -> tuple[dict, list[str], list[str]]:
        """{(row, column): (char, fg, bg)} for the runs (each named beside its dot where there is room), the fastest
        point and the cursor, each on the colour of its own (lr, β); the labels of runs that share a cell with
        another; the labels of runs the map cannot place (not heavy-ball SGD)."""
        fastest = float(steps_per_tenth(self._fastest[2]))

        def under(lr: float, beta: float) -> tuple[int, int, int]:
            rho, kind = rate(lr, beta, curvatures)
            return DIVERGE_RGB if int(kind) == DIVERGES else _speed_rgb(float(steps_per_tenth(rho)), fastest)

        marks: dict[tuple[int, int], tuple[str, tuple[int, int, int], tuple[int, int, int] | None]] = {}
        lr, beta, _ = self._fastest
        star = (round(float(y_axis.position(beta))), round(float(x_axis.position(lr))))
        marks[star] = ("★", MARK_RGB, PIN_RGB)
        shared: list[str] = []
        off_map: list[str] = []
        owner: dict[tuple[int, int], str] = {}
        placed: list[tuple[int, int, str]] = []
        for i, run in enumerate(view.runs):
            point = _point(run)
            if point is None:
                off_map.append(run.label)
                continue
            row = min(max(round(float(y_axis.position(point[1]))), 0), y_axis.cells - 1)
            column = round(float(x_axis.position(point[0])))
            char = "✗" if run.diverged_at is not None else "★" if (row, column) == star else "●"
            if column > x_axis.cells - 1:
                column, char = x_axis.cells - 1, "→"  # past the map's right edge (far into divergence)
            if (row, column) in owner:
                shared += [owner[(row, column)], run.label]
            owner[(row, column)] = run.label
            marks[(row, column)] = (char, variant_rgb(i), PIN_RGB)
            placed.append((row, column, run.label))
        for row, column, label in placed:  # each dot named beside it, in its colour, where the words fit
            _name_beside(marks, row, column, label, x_axis.cells, under,
                         lambda lr, beta: int(rate(lr, beta, curvatures)[1]), x_axis, y_axis)
        if self.has_focus and self.cursor is not None:  # (a white cell: what is under it stays readable)
            column, row = self.cursor
            char, fg, _ = marks.get((row, column), ("┼", CURSOR_INK, None))
            marks[(row, column)] = (char, CURSOR_INK if fg == MARK_RGB else fg, MARK_RGB)
        return marks, list(dict.fromkeys(shared)), off_map

    def _subtitles(self, view: View) -> list[str]:
        run = self.shown_run()
        name = run.label if run is not None else "the run"
        if not self.has_focus:
            return ["regions: how the path moves · tab here to try a point", "regions: how the path moves",
                    "tab: try a point", ""]
        if self.cursor is None:
            return [f"←→↑↓ pick a point · enter: restart {name} there", "←→↑↓: pick a point", ""]
        return [f"enter: restart {name} at ┼ · [ ] other run", f"enter: restart {name} at ┼", "enter: restart at ┼", ""]

    def _legend(self, width: int, rows: int, curvatures, shown: set[str], shared: list[str],
                off_map: list[str], unnamed: list[str]) -> list[Strip]:
        """The speed scale, what the marks are, and what the map leaves out, in the fullest forms that fit."""
        base = self.rich_style
        lines = self._colour_key(width, two_lines=rows >= 4)
        cursor, marks = self._mark_texts(width, curvatures, shown)
        notes = [*([f"also {', '.join(unnamed)}: too thin to name"] if unnamed else []),
                 *([f"one cell holds {', '.join(shared)}"] if shared else []),
                 *([f"not heavy-ball SGD, not on the map: {', '.join(off_map)}"] if off_map else [])]
        room = rows - len(lines)
        if room == 1:  # one line for all: the marks (short where they must be), then what the map leaves out
            texts = [_fit_first([" · ".join(marks[:2] + notes), " · ".join(marks[:2]), marks[0] if cursor else
                                 marks[-1]], width)]
        else:
            # (the notes before the full marks: "smooth and zig-zag: regions too thin to name" was cut off at 80x24)
            # (then the notes alone: each dot has its name beside it, a region too thin for its name has none)
            texts = [marks[0], _fit_first([" · ".join([marks[1], *notes]), " · ".join([marks[3], *notes]),
                                           *([" · ".join(notes)] if notes else []), marks[1]], width)]
        lines += [[Segment(_fit(text, width), base)] for text in texts[:max(room, 0)]]
        return [Strip(line).adjust_cell_length(width, base) for line in lines]

    def _colour_key(self, width: int, two_lines: bool) -> list[list[Segment]]:
        """The colours' key: steps to get 10× closer, from the fastest point's (brightest) to SLOWEST, and red;
        on two lines (the words, then the bar between its ends) where there is room."""
        base = self.rich_style
        fastest = float(steps_per_tenth(self._fastest[2]))
        low = _num(fastest)

        def bar(cells: int) -> list[Segment]:
            return [Segment("█", self._style(("fg", _speed_rgb(fastest * (SLOWEST / fastest) ** (k / (cells - 1)),
                                                                 fastest)))) for k in range(cells)]

        diverge = Segment("█", self._style(("fg", DIVERGE_RGB)))
        if two_lines:
            words = _fit_first(["colour: steps to get 10× closer to the minimum (log scale)",
                                "colour: steps to 10× closer to the minimum (log)",
                                "colour: steps to 10× closer (log)"], width)
            cells = max(4, min(24, width - len(f"{low}  {SLOWEST}  diverges") - 2))
            return [[Segment(words, base)], [Segment(f"{low} ", base), *bar(cells), Segment(f" {SLOWEST}  ", base),
                                             diverge, Segment(" diverges", base)]]
        # (what shrinks: the distance to the minimum; the loss, its square, falls 10× in half as many steps)
        forms = [(f"steps to get 10× closer to the minimum: {low} ", f" {SLOWEST} · ", " diverges"),
                 (f"steps per 10× closer: {low} ", f" {SLOWEST} ", " diverges"),
                 (f"steps/10× closer {low} ", f" {SLOWEST} ", " diverges"),
                 (f"steps/10× {low} ", f" {SLOWEST} ", " diverges"), (f"{low} ", f" {SLOWEST} steps ", "")]
        before, after, last = next((f for f in forms if sum(map(len, f)) + 1 + 6 <= width), forms[-1])
        cells = max(4, min(16, width - sum(map(len, (before, after, last))) - 1))  # the words first, then the bar
        return [[Segment(before, base), *bar(cells), Segment(after, base), diverge, Segment(last, base)]]

    def _mark_texts(self, width: int, curvatures, shown: set[str]) -> tuple[bool, list[str]]:
        """(whether the cursor is out, [the first line, the second, the briefest, the second in brief]): the
        cursor's reading where it is out (it answers the key just pressed), else the fastest point; then the
        marks."""
        lr, beta, rho = self._fastest
        best_text = _fit_first([f"★ fastest: lr {_num(lr)} β {_num(beta)}, 10× closer every {_num(steps_per_tenth(rho))} steps",
                                f"★ fastest lr {_num(lr)} β {_num(beta)}: 10× in {_num(steps_per_tenth(rho))} steps",
                                f"★ fastest lr {_num(lr)} β {_num(beta)}", "★ fastest"], width)
        kinds = [("●", "● a run", "●run"), ("✗", "✗ diverged", "✗"), ("→", "→ off the map", "→off")]
        present = [(full, brief) for char, full, brief in kinds if char in shown]
        runs = _fit_first([" · ".join([*(f for f, _ in present), "dark line: a region's edge"]),
                           " · ".join([*(f for f, _ in present), "dark line: edge"]),
                           " ".join([*(b for _, b in present), "dark: edge"])], width)
        brief = " ".join(["★ fastest", *(b for _, b in present)])
        runs_brief = " ".join(b for _, b in present)
        point = self._cursor_point() if self.has_focus and self.cursor is not None else None
        if point is None:
            return False, [best_text, runs, brief, runs_brief]
        rho_here, kind = rate(point[0], point[1], curvatures)
        here, steps = f"┼ lr {_num(point[0])} β {_num(point[1])}", _num(steps_per_tenth(rho_here))
        reading = _fit_first([f"{here}: diverges"] if int(kind) == DIVERGES else
                             [f"{here}: 10× closer every {steps} steps, {KINDS[int(kind)]}",
                              f"{here}: 10× in {steps} steps, {KINDS[int(kind)]}", f"{here}: 10×/{steps} steps"], width)
        return True, [reading, brief, brief, brief]

    def _cell_with(self, marks: dict):
        def cell(r: int, c: int, top, bottom) -> Segment:
            mark = marks.get((r, c))
            if mark is not None:
                char, fg, bg = mark
                under = bg or _mix(top, bottom)
                return Segment(char, self._style(("mark", fg, under)))
            return self._cell(top, bottom)

        return cell

    def _cell(self, top, bottom) -> Segment:
        if top is None and bottom is None:
            return Segment(" ")
        if bottom is None:
            return Segment("▀", self._style(("fg", top)))
        if top is None:
            return Segment("▄", self._style(("fg", bottom)))
        if top == bottom:
            return Segment("█", self._style(("fg", top)))
        return Segment("▀", self._style(("pair", top, bottom)))

    def _style(self, key: tuple) -> Style:
        style = self._styles.get(key)
        if style is None:
            if key[0] == "fg":
                style = Style(color=Color.from_rgb(*key[1]))
            elif key[0] == "pair":
                style = Style(color=Color.from_rgb(*key[1]), bgcolor=Color.from_rgb(*key[2]))
            else:  # a mark or a region's name on the map: its colour over the cell's
                under = key[2]
                style = Style(color=Color.from_rgb(*key[1]), bold=True,
                              bgcolor=Color.from_rgb(*under) if under is not None else None)
            self._styles[key] = style
        return style


def _point(run: RunView) -> tuple[float, float] | None:
    """(lr, β) of a run of heavy-ball SGD (lr as it is now: a schedule moves it), or None for other optimizers."""
    settings = run.settings
    if settings.get("optimizer") != "sgd" or settings.get("nesterov"):
        return None
    lr = run.lr if math.isfinite(run.lr) else settings.get("lr", math.nan)
    return float(lr), float(settings.get("momentum") or 0.0)


def _pixels(x_axis: Scale, y_axis: Scale, curvatures, fastest: float) -> tuple[list[list], np.ndarray]:
    """Each pixel's colour (None: off the map, lr ≤ 0 or β ≥ 1), top row first, and its region (-1: off)."""
    (x0, x1), (y0, y1) = scaled_window(x_axis, y_axis)
    lrs = np.linspace(x0, x1, x_axis.cells)
    betas = np.linspace(y1, y0, 2 * y_axis.cells)
    half_pixel = (y1 - y0) / (2 * y_axis.cells - 1) / 2
    lr_grid, beta_grid = np.meshgrid(lrs, np.clip(betas, 0.0, 1.0))
    on_map = (lr_grid > 0) & (betas[:, None] >= -half_pixel) & (betas[:, None] < 1)
    rho, kinds = rate(lr_grid, beta_grid, curvatures)
    kinds = np.where(on_map, kinds, -1)
    steps = steps_per_tenth(rho)
    edge = np.zeros_like(on_map)
    # (only between regions that converge: red against blue is its own edge, and dark cells there read as glitches)
    converging = (kinds >= 0) & (kinds != DIVERGES)
    edge[:, :-1] |= (kinds[:, :-1] != kinds[:, 1:]) & converging[:, 1:] & converging[:, :-1]
    edge[:-1, :] |= (kinds[:-1, :] != kinds[1:, :]) & converging[1:, :] & converging[:-1, :]
    colors: list[list] = []
    for i in range(kinds.shape[0]):
        row = []
        for j in range(kinds.shape[1]):
            k = kinds[i, j]
            color = DIVERGE_RGB if k == DIVERGES else _speed_rgb(float(steps[i, j]), fastest)
            row.append(None if k < 0 else blend(color, (0, 0, 0), EDGE_DIM) if edge[i, j] else color)
        colors.append(row)
    return colors, kinds


def _speed_rgb(steps: float, fastest: float) -> tuple[int, int, int]:
    """The colour of a point whose error shrinks 10× every `steps` steps, on a log scale from the map's fastest
    point (brightest) to SLOWEST (quantized to LEVELS shades)."""
    low = math.log10(max(fastest, 1e-9))
    t = (math.log10(max(steps, fastest, 1e-9)) - low) / max(math.log10(SLOWEST) - low, 1e-9)
    return ramp(FAST_TO_SLOW, round(min(t, 1.0) * (LEVELS - 1)) / (LEVELS - 1))


def _region_names(places: dict[int, tuple[int, int]], colors: list[list]) -> dict:
    """Each region's name written where _name_places put it; {(row, column): (char, fg, bg)}."""
    out: dict = {}
    for k, (r, c) in places.items():
        unders = [_mix(colors[2 * r][c + d], colors[2 * r + 1][c + d]) for d in range(len(KINDS[k]))]
        ink = _ink(tuple(sum(u[i] for u in unders) // len(unders) for i in range(3)))  # one ink for the word
        for d, char in enumerate(KINDS[k]):
            out[(r, c + d)] = (char, ink, unders[d])
    return out


def _name_places(kinds: np.ndarray, taken: dict) -> dict[int, tuple[int, int]]:
    """Region → the (row, column) its name starts at: on a row where the whole word and a cell either side have
    that region under them (both pixels of each cell), clear of the marks in `taken`, as near its middle as fits.
    A region too small for its name is left out."""
    rows, columns = kinds.shape[0] // 2, kinds.shape[1]
    cell_kind = np.where(kinds[0:2 * rows:2] == kinds[1:2 * rows:2], kinds[0:2 * rows:2], -1)
    places: dict[int, tuple[int, int]] = {}
    used: set[tuple[int, int]] = set()
    for k, name in enumerate(KINDS):
        cells = np.argwhere(cell_kind == k)
        if not len(cells):
            continue
        middle = cells.mean(0)
        for margin in (1, 0):  # a cell of the region either side where it has them; else the word alone
            best_at, best_distance = None, math.inf
            n = len(name) + 2 * margin
            for r in range(rows):
                for c in range(columns - n + 1):
                    if not (cell_kind[r, c:c + n] == k).all() or any((r, c + d) in taken or (r, c + d) in used
                                                                      for d in range(n)):
                        continue
                    distance = (2 * (r - middle[0])) ** 2 + (c + n / 2 - middle[1]) ** 2
                    if distance < best_distance:
                        best_at, best_distance = (r, c + margin), distance
            if best_at is not None:
                places[k] = best_at
                used.update((best_at[0], best_at[1] + d) for d in range(len(name)))
                break
    return places


def _name_beside(marks: dict, row: int, column: int, label: str, columns: int, under, kind_of, x_axis: Scale,
                 y_axis: Scale) -> None:
    """Write a run's label on the map beside its dot (right, left, else centred on the row above or below),
    each letter on the colour of its own cell's point, black or white as reads best; nothing where the words
    would cover another mark or leave the map. A place inside the dot's own region first, then one on its side
    of the line between converging and diverging, then any."""
    centred = min(max(column - len(label) // 2, 0), columns - len(label))
    own = kind_of(max(float(x_axis.value_at(column)), 1e-12), max(float(y_axis.value_at(row)), 0.0))
    places = ((row, column + 1, f" {label}"), (row, column - len(label) - 1, f"{label} "),
              (row - 1, centred, label), (row + 1, centred, label))
    def fits(points, rule: int) -> bool:
        kinds = [kind_of(*p) for p in points]
        if rule == 0:
            return all(k == own for k in kinds)
        if rule == 1:  # (the fastest run's name written into the red read as "diverges β=0.36 lr=0.16")
            return all((k == DIVERGES) == (own == DIVERGES) for k in kinds)
        return True

    for rule in (0, 1, 2):
        for r, start, text in places:
            cells = range(start, start + len(text))
            beta = float(y_axis.value_at(r))
            if (start < 0 or start + len(text) > columns or not -1e-9 <= beta < 1  # (the bottom row's 0: -1e-17)
                    or any((r, c) in marks for c in cells)):
                continue
            points = [(max(float(x_axis.value_at(c)), 1e-12), max(beta, 0.0)) for c in cells]
            if not fits(points, rule):
                continue
            unders = [under(*p) for p in points]
            ink = _ink(tuple(sum(u[i] for u in unders) // len(unders) for i in range(3)))  # (a run's colour on
            for c, char, bg in zip(cells, text, unders):  # the map's pale cyan was unreadable: the dot keeps it)
                marks[(r, c)] = (char, ink, bg)
            return


def _mix(top, bottom):
    if top is None:
        return bottom
    if bottom is None:
        return top
    return blend(top, bottom, 0.5)


def _ink(under) -> tuple[int, int, int]:
    """Black on a light cell, white on a dark one."""
    if under is None:
        return (255, 255, 255)
    r, g, b = under
    return (0, 0, 0) if 0.299 * r + 0.587 * g + 0.114 * b > 140 else (255, 255, 255)


def _num(value) -> str:
    """Three significant digits: 0.118, 4.51, 27.6."""
    return f"{float(value):.3g}"


def _fit_first(forms: list[str], width: int) -> str:
    return next((f for f in forms if len(f) <= width), forms[-1])


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(width - 1, 0)] + "…"
