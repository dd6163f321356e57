"""The contour panel: the loss surface as a banded heatmap, its contour levels labelled, each run's path across it.

Drawn with half blocks: every cell is '▀' with the upper pixel as foreground
and the lower as background, so a W×H panel shows W×2H pixels. Colors come
from a small fixed palette (16 bands of a perceptual ramp, their contour
lines, path colors), whose Styles are built once: that keeps a redraw near
10 ms and the terminal output small over SSH. Strips are rebuilt only when the
data or the size change.

An exact surface is a true picture: a terminal cell is about twice as tall as
wide, so its two pixels are square, and the window gets the same data units
per pixel on both axes, fitted around the surface's focus (the start, the
minimum and the paths) whatever the panel's shape; angles and shapes on it are
the real ones. Paths are thin braille lines (2×4 dots a cell) through each
recorded step, over the surface's colour: a zig-zag reads as a zig-zag, where
half-block pixels had drawn every path as a bar of blocks; a path that leaves
the window stops at the edge with an arrow the way it went.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection

import numpy as np
from rich.color import Color, ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...frames import Surface
from ...runner import View
from ...ui.draw.axis import Scale, scale, square
from ...ui.draw.braille import BrailleCanvas, dot_cells, dot_cells_in_order
from ...ui.draw.palette import (
    START_RGB,
    SURFACE_DIM,
    SURFACE_LABEL_RGB,
    SURFACE_NONFINITE_RGB,
    SURFACE_RAMP,
    blend,
    ramp,
    variant_rgb,
)
from ...ui.draw.raster import (
    ARROWS,
    MARGIN,
    border_room,
    centered_message,
    clip_path,
    first_fit,
    scaled_strips,
    scaled_window,
    segment_pixels,
    shorten,
    to_pixels,
)
from ...ui.panel import RUN_BINDINGS, StripPanel

BANDS = 16
BAND_RGB = [blend((0, 0, 0), ramp(SURFACE_RAMP, i / (BANDS - 1)), SURFACE_DIM) for i in range(BANDS)]
LINE_RGB = [blend(rgb, (255, 255, 255), 0.3) for rgb in BAND_RGB]  # contour lines: lighter than their band
# palette indices: the bands, their lines, non-finite
RUNS_FROM = 2 * BANDS + 1
HIDDEN_SHARE = 0.25  # a path showing in under a quarter of its cells is "under others" (RMSProp under SGD, 11%)
TAIL_CELLS = 3  # … or in under a quarter of its last quarter (at least this many cells): it seems to stop short
UNDER_MARK = "*"  # after a run's name in the legend: its path lies under others' (the border says so)
STEP_APART = 5  # a step this many dots long or more is marked where it lands (shorter ones would merge)
STEP_STYLE = 1000  # canvas styles from here: run i's step now (STEP_STYLE + i), apart from its path's (i)
STEP_DOTS = 8        # a step's direction is drawn this long (four cells across)
STEP_SHARE = 1e-3    # … where the step is at least this share of the picture (one at its minimum points nowhere)
HEADS = "▶◥▲◤◀◣▼◢"  # a step's head, by direction counter-clockwise from east (not the → of a run off the plot)
STEP_MEANING = {  # what a head's line is, in full and in brief, by the optimizer of the runs drawing one
    "sgd": ("▶ which way its velocity lr·v goes", "▶velocity"),
    "adam": ("▶ which way its step lr·m̂/(√v̂+ε) goes", "▶its step"),
    "adamw": ("▶ which way its step lr·m̂/(√v̂+ε) goes", "▶its step"),
    "rmsprop": ("▶ which way its step lr·g/(√s+ε) goes", "▶its step"),
    "adagrad": ("▶ which way its step lr·g/(√Σg²+ε) goes", "▶its step"),
    "": ("▶ which way each run's optimizer state steps now", "▶its step"),
}
Window = tuple[tuple[float, float], tuple[float, float]]


def surface_for(view: View | None, run_index: int) -> Surface | None:
    """The surface of a run's group (every run of that group has its path on it)."""
    if view is None or not view.surfaces:
        return None
    index = run_index % max(len(view.runs), 1)
    return next((s for s in view.surfaces if index in s.members), view.surfaces[0])


def surface_axes(s: Surface, pw: int, ph: int) -> tuple[Scale, Scale]:
    """The plot's axes (pw columns, ph rows; axis.py): for an exact surface square pixels (the same data units
    a pixel on both axes), holding its focus; a slice fills the panel (its axes are not lengths)."""
    if s.focus is None:
        return (scale(*s.x_range, pw, anchor="middle", label_width=6, gap=7, most=max(7, pw // 3)),
                scale(*s.y_range, ph, flip=True, anchor="middle", label_width=MARGIN - 2))
    return square(*s.focus, pw, ph, label_width=MARGIN - 2)


def axis_name(name: str) -> str:
    """A parameter's name as the lessons write it: 'weight[0]' is w₁ (one weight tensor's entries, counted from 1:
    at 120x40 'x: weight[0]  y: weight[1]' had no room beside the run's name, and the axes went unnamed)."""
    match = re.fullmatch(r"(\w)\w*\[(\d+)\]", name)
    if match is None:
        return name
    return match[1].lower() + str(int(match[2]) + 1).translate(_SUBSCRIPTS)


_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def level_text(value: float) -> str:
    """A contour level's value, short enough to write beside its line: 0.93, 4.2, 57, 310, 2e+04."""
    a = abs(value)
    if a >= 1e4 or 0 < a < 1e-2:
        return f"{value:.0e}"
    return f"{value:.0f}" if a >= 10 else f"{value:.1f}" if a >= 1 else f"{value:.2f}"


def _member_paths(view: View, s: Surface) -> dict[int, np.ndarray]:
    """Each member run's path on this surface: projected onto a slice (ending at the run now), or its own
    parameters' path and where it is now."""
    paths = {}
    for k, i in enumerate(s.members):
        run = view.runs[i]
        if s.paths is not None:
            paths[i] = s.paths[k]
        elif run.path is not None and len(run.path):
            paths[i] = run.path if run.position is None else np.vstack([run.path, run.position])
    return paths


def _path_segments(px: np.ndarray, py_: np.ndarray, pw: int, py: int):
    """A path's segments cut at the picture's edge (one point: a segment of length 0 where it is inside), and where
    it left the picture."""
    segments, way_out = clip_path(px, py_, pw, py)
    if len(px) == 1 and 0 <= round(px[0]) < pw and 0 <= round(py_[0]) < py:
        segments = np.array([[px[0], py_[0], px[0], py_[0]]])
    return segments, way_out


def _length(px: np.ndarray, py: np.ndarray, width: int, height: int) -> float:
    """A path's length in pixels inside the picture (a path that leaves it counts only the part drawn)."""
    inside = (px >= 0) & (px < width) & (py >= 0) & (py < height)
    steps = np.hypot(np.diff(px), np.diff(py))
    return float(steps[inside[1:] & inside[:-1]].sum())


class ContourPanel(StripPanel):
    BINDINGS = RUN_BINDINGS  # runs on different data have different surfaces: [ ] picks whose
    PAINTS_BACKGROUND = True  # a heatmap: every cell has its band colors

    @classmethod
    def help_rows(cls, scenario):
        if len({id(v.dataset) for v in scenario.variants}) == 1:
            return []  # one dataset, one surface: its [ ] keys change nothing
        return super().help_rows(scenario)

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls(alone=bool(scenario.view.runs.get("contour")), **kwargs)

    def __init__(self, alone: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        # one of small multiples (view.runs): only its own run's path, where runs share a surface (optimizers' four
        # paths on one valley lay over each other, and zig-zag, swing and straight line could not be told apart)
        self.alone = alone
        self._styles: dict[tuple, Style] = {}
        self._canonical: tuple | None = None
        self.window: Window | None = None  # the data ranges drawn last (pixel centres), and its pixels
        self.pixels = (0, 0)
        self.under: list[str] = []  # the runs whose paths lie under others' in most cells (the border names them)
        self.under_in_legend = False  # … or the legend under the plot marks them "(under)"
        self.at_minimum = 0  # runs whose "now" is the minimum's cell: one ⊕, in the colour of the last drawn
        self.step_meaning = STEP_MEANING[""]  # what the step heads drawn last are (full, brief)

    def on_mount(self) -> None:
        self.set_titles(title="Loss surface")
        self.set_titles(subtitle="◆ start  + minimum  ● now")

    def state_key(self) -> tuple:
        return (self.run_index,)

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        view = self._view
        surface = surface_for(view, self.run_index)
        if view is None or surface is None or width <= MARGIN + 4 or height < 3:
            message = "loading PyTorch…" if view is None or view.state == "loading" else "waiting for the first step…"
            self._strips = centered_message(message, width, height, self.rich_style)
            return
        # rows naming each run's color (the variants table is hidden when zoomed), wrapped, never cut
        legend, _ = self._legend(view, surface, width, max_rows=max((height - 7) // 3, 1)) if height >= 10 else ([], 0)
        self.under_in_legend, self.at_minimum = False, 0
        pw, ph = width - MARGIN, height - 1 - len(legend)
        x_axis, y_axis = surface_axes(surface, pw, ph)
        window = self.window = scaled_window(x_axis, y_axis)
        self.pixels = (pw, 2 * ph)
        pix, lines, values = self._pixels(surface, window, pw, 2 * ph)
        paths = BrailleCanvas(pw, ph)
        markers = self._paint_paths(view, surface, window, paths, pw, 2 * ph)  # (and self.under)
        self._paint_steps(view, surface, window, paths, markers, pw, 2 * ph)
        if self.under and legend:  # the legend says which runs' paths lie under others, where its rows hold it
            # (the border's "3 under others" named none of batch_size's)
            marked, counted = self._legend(view, surface, width, max_rows=len(legend), under=set(self.under))
            if not counted:  # (every run still named in the rows it had)
                legend, self.under_in_legend = marked, True
        blocked = paths.bits > 0  # labels go where no path or marker is
        for r, c in markers:
            blocked[r, c] = True
        labels = self._labels(surface, window, lines, values, blocked)
        self._set_titles(view, surface, {mark for mark, _ in markers.values()} | ({"123"} if labels else set()))
        pix = self._same_on_terminal(RUNS_FROM)[pix]
        self._strips = self._to_strips(x_axis, y_axis, pix, paths, markers, labels)
        self._strips += legend

    def _set_titles(self, view: View, surface: Surface, shown: set[str]) -> None:
        """The axes' names and, when runs have surfaces of their own, whose this is (that first: it says which
        picture this is), in the fullest form that fits; then every mark on the plot (`shown`), and that
        [ ] shows the others."""
        room = border_room(self.outer_size.width)
        x, y = axis_name(surface.x_name), axis_name(surface.y_name)
        candidates = self._mark_forms(shown)
        fulls, briefs = candidates[:1], candidates[1:]
        if len(view.surfaces) > 1 or self.alone:  # whose picture this is
            owner = view.runs[self._shown(view, surface)[0]].label
            axes = "L(x, y)" if (x, y) == ("x", "y") else f"x: {x}  y: {y}"  # (not "x: x  y: y")
            titles = [f"Loss surface of {owner} · {axes}", f"{owner} · {axes}", f"{owner} · {axes.replace('  ', ' ')}",
                      owner]
            # (a small multiple keeps its marks' meaning before the [ / ] hint: optimizers' ring numbers went
            # unexplained at 120x40)
            subtitles = ([*fulls, *briefs] if self.alone and len(view.surfaces) == 1 else
                         [*(f"[ / ]: other run  {f}" for f in fulls), *(f"[ / ]: run  {f}" for f in fulls),
                          *(f"[ / ]: run {b}" for b in briefs), *briefs, "[ / ]: other run"])
        else:  # (a surface given as a formula needs no axis names: not "x: x  y: y")
            titles = (["Loss surface L(x, y)", "L(x, y)"] if (x, y) == ("x", "y") else
                      [f"Loss surface · x: {x}  y: {y}", f"Loss · x: {x}  y: {y}", f"x: {x}  y: {y}", f"x: {x} y: {y}"])
            subtitles = [*fulls, *briefs]
        self.set_titles(title=first_fit(titles, room), subtitle=first_fit(subtitles, room))

    def _mark_forms(self, shown: set[str]) -> list[str]:
        """What the marks on the plot (`shown`) mean, fullest first: the runs under others, ◆ + ● ⊕ ✗, the arrows
        and the ring numbers."""
        arrows = "".join(sorted(shown & set(ARROWS)))
        under = "; ".join(self.under) if any("," in label for label in self.under) else ", ".join(self.under)
        said = ((f"{UNDER_MARK}: path under others", f"{UNDER_MARK}under others") if self.under_in_legend else
                (f"under others: {under}", f"under: {under}"))
        marks = [pair for pair, on in ((said, bool(under)),
                                       (("◆ start", "◆start"), True), (("+ minimum", "+min"), "+" in shown),
                                       (("● now", "●now"), "●" in shown or "⊕" not in shown), (_at_minimum(self.at_minimum), "⊕" in shown),
                                       (("✗ diverged", "✗"), "✗" in shown),
                                       (self.step_meaning, bool(shown & set(HEADS))),
                                       ((f"{arrows} off the plot", f"{arrows}off"), bool(arrows)),
                                       # (last: the marks that name runs go first; reviewers asked what 18, 40 were)
                                       (("numbers: the loss on that ring", "numbers: loss"), "123" in shown)) if on]
        # each set of marks in full, in brief, then with the hidden runs counted (a cut list of names named one
        # twice: "under: batch 32, batch 8, batch 8…"); with the numbers' meaning first, then without it (in
        # brief before it goes: "⊕at min" is still read, 18 and 40 on the rings were not)
        def forms(ms: list[tuple[str, str]]) -> list[str]:
            out = ["  ".join(m for m, _ in ms), " ".join(b for _, b in ms)]
            if under and not self.under_in_legend:
                out.append(" ".join([f"{len(self.under)} under others", *(b for _, b in ms[1:])]))
            return out

        with_numbers = forms(marks) if "123" in shown else []
        if with_numbers:
            with_numbers.insert(1, "  ".join([*(m for m, _ in marks[:-1]), marks[-1][1]]))
        # the colours' key where there is room for it (reviewers asked what the bands meant), first to go
        keyed = forms([*marks, ("dark: low loss", "dark=low")])[:1]
        return keyed + with_numbers + forms([m for m in marks if m[1] != "numbers: loss"])

    def _pixels(self, s: Surface, window: Window, pw: int, py: int) -> tuple[np.ndarray, np.ndarray, dict]:
        """Palette index per pixel (bands, contour lines on band edges, non-finite values), the contour level
        each line pixel belongs to (−1: none), and each level's loss value."""
        ny, nx = s.z.shape
        (x0, x1), (y0, y1) = window
        # the grid sample nearest each pixel centre (an exact surface's grid reaches past any window it needs)
        xs = x0 + (x1 - x0) * np.arange(pw) / max(pw - 1, 1)
        ys = y1 - (y1 - y0) * np.arange(py) / max(py - 1, 1)  # top pixel = high y
        cols = np.clip(np.round((xs - s.x_range[0]) / (s.x_range[1] - s.x_range[0]) * (nx - 1)).astype(int), 0, nx - 1)
        rows = np.clip(np.round((ys - s.y_range[0]) / (s.y_range[1] - s.y_range[0]) * (ny - 1)).astype(int), 0, ny - 1)
        z = s.z[np.ix_(rows, cols)]
        band = np.full(z.shape, -1)
        finite = np.isfinite(z)
        values: dict[int, float] = {}
        # a line per ~3 pixels of the panel's width (~6 across the bowl): on a small panel 8 came every pixel or
        # two, a checkerboard
        levels = 2 ** int(np.clip(math.log2(max(min(pw, py) // 3, 1)), 1, math.log2(BANDS // 2)))
        bands = 2 * levels
        if finite.any():
            lo, hi = float(z[finite].min()), float(z[finite].max())
            if s.focus is not None:  # exact: bands even in √(L − min), so a quadratic bowl's rings are evenly spaced
                eps, t = 0.0, np.sqrt(np.where(finite, z, lo) - lo)
                t0, t1 = 0.0, math.sqrt(hi - lo)
                height = lambda u: u * u  # noqa: E731
            else:  # a slice's walls rise by decades: log bands give the valley as much detail as the walls
                eps = max(hi - lo, 1e-12) * 1e-2
                t = np.log((np.where(finite, z, lo) - lo) + eps)
                t0, t1 = math.log(eps), math.log(hi - lo + eps)
                height = math.exp
            band = np.clip(((t - t0) / max(t1 - t0, 1e-12) * bands).astype(int), 0, bands - 1)
            values = {k: lo + height(t0 + 2 * k / bands * (t1 - t0)) - eps for k in range(1, bands // 2)}
        level = band // 2  # a contour line on every second band edge: lines, not stripes
        lines = np.full(z.shape, -1)
        right = level[:, :-1] != level[:, 1:]
        lines[:, :-1][right] = np.maximum(level[:, :-1], level[:, 1:])[right]
        down = level[:-1, :] != level[1:, :]
        lines[:-1, :][down] = np.maximum(lines[:-1, :], np.maximum(level[:-1, :], level[1:, :]))[down]
        lines[~finite] = -1
        # one color between two lines (lines, not stripes), spread over the whole palette when levels are few
        shade = np.where(band >= 0, (level * 2 + 1) * (BANDS // bands), -1)
        pix = np.where(lines >= 0, shade + BANDS, shade)
        pix[~finite] = 2 * BANDS
        return pix, lines, values

    def _labels(self, s: Surface, window: Window, lines: np.ndarray, values: dict, blocked: np.ndarray) -> dict:
        """{(row, col): char}: each level's value written right of its line, where it fits between lines, on
        the row nearest the minimum's (or the middle): a few labelled levels, never crowded."""
        cell = np.maximum(lines[0::2], lines[1::2])  # the level of a line through each cell, −1: none
        ph, pw = cell.shape
        prefer = ph // 2
        if s.minimum is not None:
            (x0, x1), (y0, y1) = window
            prefer = int(min(max((y1 - s.minimum[1]) / max(y1 - y0, 1e-300) * (2 * ph - 1) / 2, 0), ph - 1))
        taken = blocked.copy()
        labels: dict = {}
        for k, value in values.items():
            text = level_text(value)
            rows, cols = np.nonzero(cell == k)
            order = np.argsort(np.abs(rows - prefer) * pw - cols, kind="stable")[:64]  # near the row, then right
            for r, c in zip(rows[order].tolist(), cols[order].tolist()):
                span = slice(c + 1, c + 1 + len(text))
                if c + 1 + len(text) > pw or taken[r, c + 1:c + len(text) + 1].any() or (cell[r, span] >= 0).any():
                    continue
                for j, ch in enumerate(text):
                    labels[(r, c + 1 + j)] = ch
                taken[r, max(c - 2, 0):c + len(text) + 3] = True  # a gap to the next label
                break
        return labels

    def _shown(self, view: View, s: Surface) -> list[int]:
        """The runs whose paths it draws: the surface's members, or its own run alone."""
        return [i for i in s.members if not self.alone or i == self.run_index % len(view.runs)]

    def _paint_paths(self, view: View, s: Surface, window: Window, canvas: BrailleCanvas, pw: int, py: int) -> dict:
        """Draw each shown run's path on `canvas` (style: the run's index): a thin line through each recorded
        step, cut at the edge; return {(row, col): (char, rgb)} cell markers (start, minimum, each run now, or
        its way out). `pw` × `py`: the surface's pixels (a cell is one wide, two tall)."""
        markers: dict[tuple[int, int], tuple[str, tuple[int, int, int]]] = {}
        shown = self._shown(view, s)
        paths = {i: path for i, path in _member_paths(view, s).items() if i in shown}
        if s.minimum is not None:
            mx, my = to_pixels(np.array([s.minimum]), *window, pw, py)
            if 0 <= round(mx[0]) < pw and 0 <= round(my[0]) < py:
                markers[(round(my[0]) // 2, round(mx[0]))] = ("+", START_RGB)
        finite = {i: path[np.isfinite(path).all(1)] for i, path in paths.items()}
        pixels = {i: to_pixels(points, *window, pw, py) for i, points in finite.items() if len(points)}
        # the longest path drawn first, the shortest on top (optimizers: RMSProp's short path lay under SGD's long
        # zig-zag, 11% of it showing); of equal ones the first variants (usually the tamest) end up on top
        order = sorted(reversed([i for i in shown if i in pixels]), key=lambda i: -_length(*pixels[i], pw, py))
        cells: dict[int, np.ndarray] = {}  # run → the cells its path passes through
        tails: dict[int, np.ndarray] = {}  # run → the last cells its path reaches, before the one it ends in
        for i in order:
            px, py_ = pixels[i]
            line, way_out = self._paint_path(canvas, i, px, py_, pw, py)
            cells[i] = dot_cells(*line, canvas.width, canvas.height)
            tails[i] = _tail_cells(*line, canvas.width, canvas.height)
            self._mark_end(markers, view.runs[i], i, px, py_, pw, py, way_out)
        for i in shown[:1]:  # all members start from the same initial weights
            if i in paths and len(paths[i]):
                sx, sy = to_pixels(paths[i][:1], *window, pw, py)
                cx, cy = int(round(sx[0])), int(round(sy[0]))
                if 0 <= cx < pw and 0 <= cy < py:
                    markers[(cy // 2, cx)] = ("◆", START_RGB)
        # a path drawn over by later ones in most of its cells seems not to be there, and one whose last stretch is
        # drawn over seems to stop short (optimizers: SGD's way along the valley floor under RMSProp's, its blue
        # ending far from the ⊕ it reached): the border says so
        self.under = [view.runs[i].label for i in shown if i in cells and _under(canvas, i, cells[i], tails[i])]
        return markers

    def _paint_steps(self, view: View, s: Surface, window: Window, canvas: BrailleCanvas, markers: dict, pw: int,
                     py: int) -> None:
        """Which way each shown run's optimizer state steps now (momentum's velocity lr·v, Adam's lr·m̂/(√v̂+ε)): a
        line of STEP_DOTS dots from its point, in a lighter shade of its colour, with a head (cut at the edge).
        A direction, not a length: the steps are a pixel or two on the picture, and drawn ×N in each panel (N
        its own) they were compared across panels and misread. None where the step has shrunk under a
        thousandth of the picture (a run at its minimum points nowhere) or the optimizer keeps no state."""
        drawn: set[str] = set()
        (x0, x1), (y0, y1) = window
        for i in self._shown(view, s):
            run = view.runs[i]
            step = run.measured.get("optimizer_step")
            if step is None or run.position is None or run.diverged_at is not None:
                continue
            if not (np.isfinite(step).all() and np.isfinite(run.position).all()):
                continue
            if math.hypot(step[0] / (x1 - x0), step[1] / (y1 - y0)) < STEP_SHARE:
                continue
            px, py_ = to_pixels(np.array([run.position, run.position + step]), *window, pw, py)
            dx, dy = px[1] - px[0], py_[1] - py_[0]
            length = math.hypot(dx, dy)
            if length == 0:
                continue
            reach = STEP_DOTS / 2 / length  # (a pixel is two dots across)
            px, py_ = np.array([px[0], px[0] + dx * reach]), np.array([py_[0], py_[0] + dy * reach])
            segments, _ = clip_path(px, py_, pw, py)
            if not len(segments):
                continue
            canvas.paint(*segment_pixels(segments * 2 + 0.5), STEP_STYLE + i)
            x, y = segments[-1, 2:]  # (clipped to the plot's edge, half a pixel out at most)
            head = (min(max(int(round(y)), 0), py - 1) // 2, min(max(int(round(x)), 0), pw - 1))
            if head not in markers:
                markers[head] = (HEADS[round(math.atan2(-dy, dx) / (math.pi / 4)) % 8], _step_rgb(i))
            drawn.add(run.settings.get("optimizer", ""))
        # what the heads are, in the words of the optimizers drawn (momentum's velocity, an adaptive step)
        self.step_meaning = STEP_MEANING.get(drawn.pop(), STEP_MEANING[""]) if len(drawn) == 1 else STEP_MEANING[""]

    @staticmethod
    def _paint_path(canvas: BrailleCanvas, i: int, px: np.ndarray, py_: np.ndarray, pw: int,
                    py: int) -> tuple[tuple[np.ndarray, np.ndarray], tuple | None]:
        """Run i's path as a thin line, each step long enough to tell from the next ending in a 2×2 dot square (the
        steps can be counted); returns the line's dots, and where it left the picture, if it did."""
        segments, way_out = _path_segments(px, py_, pw, py)
        # a pixel's centre is its cell's middle dot boundary: two dots a pixel across, two down
        line = segment_pixels(segments * 2 + 0.5)
        canvas.paint(*line, i)
        dx, dy = np.round(px * 2 + 0.5).astype(int), np.round(py_ * 2 + 0.5).astype(int)
        long = np.flatnonzero(np.hypot(np.diff(dx), np.diff(dy)) >= STEP_APART) + 1
        dx, dy = dx[long], dy[long]
        canvas.paint(np.concatenate([dx, dx + 1, dx, dx + 1]), np.concatenate([dy, dy, dy + 1, dy + 1]), i)
        return line, way_out

    def _mark_end(self, markers: dict, run, i: int, px: np.ndarray, py_: np.ndarray, pw: int, py: int,
                  way_out) -> None:
        """The run now: ● (⊕ at the minimum, ✗ diverged) in its cell, or an arrow at the edge it left by."""
        xs, ys = np.round(px).astype(int), np.round(py_).astype(int)
        if 0 <= xs[-1] < pw and 0 <= ys[-1] < py:
            cell = (ys[-1] // 2, xs[-1])
            at_minimum = markers.get(cell, ("",))[0] in ("+", "⊕")  # both marks: "⊕", the run at the minimum
            markers[cell] = ("✗" if run.diverged_at is not None else "⊕" if at_minimum else "●", variant_rgb(i))
            if markers[cell][0] == "⊕":
                self.at_minimum += 1
        elif way_out is not None:  # it left the picture: an arrow at the edge, the way it went
            markers[(round(way_out[1]) // 2, round(way_out[0]))] = (way_out[2], variant_rgb(i))

    def _same_on_terminal(self, n: int) -> np.ndarray:
        """Palette index → the first index the terminal shows in the same color.

        A 256-color terminal shows the 16 bands in 7 colors; drawing neighbours that look alike with one
        style lets a line's cells merge into a few segments, each one escape sequence fewer (escapes were
        72% of the bytes sent)."""
        # headless (tests, snapshots) renders RGB whatever the environment's TERM says
        system = None if self.app.is_headless else _COLOR_SYSTEMS.get(self.app.console.color_system or "")
        key = (system, n)
        if self._canonical is None or self._canonical[0] != key:
            seen: dict = {}
            shown = [Color.from_rgb(*_rgb(i)).downgrade(system).number if system else i for i in range(n)]
            self._canonical = (key, np.array([seen.setdefault(color, i) for i, color in enumerate(shown)]))
        return self._canonical[1]

    def _to_strips(self, x_axis: Scale, y_axis: Scale, pix: np.ndarray, paths: BrailleCanvas, markers: dict,
                   labels: dict) -> list[Strip]:
        def cell(r: int, c: int, top: int, bottom: int) -> Segment:
            mark = markers.get((r, c))
            if mark is not None:  # on the darkest band color: a dot on its own path would vanish
                return Segment(mark[0], self._style(("m", mark[1], 0)))
            bits = int(paths.bits[r, c])
            if bits:  # a path's dots in its run's colour (a step's, lighter), over the surface's (the lower pixel's)
                style = int(paths.style[r, c])
                rgb = _step_rgb(style - STEP_STYLE) if style >= STEP_STYLE else variant_rgb(style)
                return Segment(chr(0x2800 + bits), self._style(("m", rgb, bottom)))
            label = labels.get((r, c))
            if label is not None:
                return Segment(label, self._style(("t", bottom)))
            if top == bottom:  # both pixels alike: a space on that background is half the bytes of ▀
                return Segment(" ", self._style(("bg", top)))
            return Segment("▀", self._style((top, bottom)))

        return scaled_strips(x_axis, y_axis, pix, self.rich_style, cell)

    def _legend(self, view: View, s: Surface, width: int, max_rows: int,
                under: Collection[str] = ()) -> tuple[list[Strip], int]:
        """'━━ label' per run, under the plot (from its left edge, or the panel's if that needs fewer rows),
        wrapped between entries onto at most `max_rows` rows; a label is never cut: any left over are counted.
        `under`: the runs whose paths lie under others, marked UNDER_MARK (the border says what it means). With the
        rows, how many runs had no room and are counted."""
        base = self.rich_style
        names = [(i, view.runs[i].label + (UNDER_MARK if view.runs[i].label in under else ""))
                 for i in self._shown(view, s)]
        # with each adaptive run's effective lr where every name still fits: a small legend names its runs first
        # (at 80x24 the lr of rmsprop pushed adam's name out)
        rated = [(i, label + _effective_lr(view.runs[i], s)) for i, label in names]
        for entries, indent in ((rated, MARGIN), (rated, 0), (names, MARGIN), (names, 0)):
            rows = _wrap(entries, width - indent)
            if len(rows) <= max_rows:
                break
        shown, hidden = rows[:max_rows], sum(len(row) for row in rows[max_rows:])
        if hidden:
            last = shown[-1]
            while len(last) > 1 and _row_len(last) + len(f"  +{hidden}") > width - indent:
                last.pop()
                hidden += 1
        strips = []
        for k, row in enumerate(shown):
            segments = [Segment(" " * indent, base)]
            for i, label in row:
                segments.append(Segment("━━ ", self._style(("m", variant_rgb(i), None))))
                segments.append(Segment(shorten(label, width - indent - 3) + "  ", base))
            if hidden and k == len(shown) - 1:
                segments.append(Segment(f"+{hidden}", base + Style(dim=True)))
            strips.append(Strip(segments).adjust_cell_length(width, base).apply_style(base))
        return strips, hidden

    def _style(self, key: tuple) -> Style:
        style = self._styles.get(key)
        if style is None:
            if key[0] == "m":  # a marker (or, with no background, a legend swatch)
                _, rgb, bottom = key
                bg = Color.from_rgb(*_rgb(bottom)) if bottom is not None else None
                style = Style(color=Color.from_rgb(*rgb), bgcolor=bg, bold=True)
            elif key[0] == "bg":
                style = Style(bgcolor=Color.from_rgb(*_rgb(key[1])))
            elif key[0] == "t":  # a contour level's value, on the band it is written over
                style = Style(color=Color.from_rgb(*SURFACE_LABEL_RGB), bgcolor=Color.from_rgb(*_rgb(key[1])))
            else:
                style = Style(color=Color.from_rgb(*_rgb(key[0])), bgcolor=Color.from_rgb(*_rgb(key[1])))
            self._styles[key] = style
        return style


# terminals that show fewer colors than RGB (Textual downgrades for them)
_COLOR_SYSTEMS = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "windows": ColorSystem.WINDOWS}


def _under(canvas: BrailleCanvas, run: int, cells: np.ndarray, tail: np.ndarray) -> bool:
    """Whether a run's path shows in under HIDDEN_SHARE of its cells, or of its last stretch's (`tail`)."""
    shown = canvas.style.ravel()
    return any(len(c) and (shown[c] == run).mean() < HIDDEN_SHARE for c in (cells, tail))


def _tail_cells(xs: np.ndarray, ys: np.ndarray, width: int, height: int) -> np.ndarray:
    """The last quarter (at least TAIL_CELLS) of the cells a path reaches, in the order it reaches them, without the
    cell it ends in (where every converged run ends: the ⊕, or the run's marker)."""
    order = dot_cells_in_order(xs, ys, width, height)
    order = order[order != order[-1]] if len(order) > 1 else order[:0]
    return order[-max(TAIL_CELLS, len(order) // 4):]


def _at_minimum(runs: int) -> tuple[str, str]:
    """The ⊕ mark's meaning, in full and in brief: how many runs it stands for where it is more than one (optimizers:
    four runs ended under one ⊕ in the last one's colour, and three seemed to have no "now")."""
    if runs > 1:
        return f"⊕ {runs} runs now at minimum", f"⊕{runs} at min"
    return "⊕ now at minimum", "⊕at min"


def _row_len(row: list[tuple[int, str]]) -> int:
    return sum(3 + len(label) for _, label in row) + 2 * (len(row) - 1)


def _wrap(entries: list[tuple[int, str]], width: int) -> list[list[tuple[int, str]]]:
    """Legend entries ('━━ label', two cells apart) in rows of at most `width` cells, whole entries only."""
    rows: list[list[tuple[int, str]]] = []
    for entry in entries:
        if rows and _row_len(rows[-1] + [entry]) <= width:
            rows[-1].append(entry)
        else:
            rows.append([entry])
    return rows


def _effective_lr(run, s: Surface) -> str:
    """An adaptive optimizer's learning rate for each of the two numbers now (lr/(√v̂+ε), the optimizer-state
    panel's), after its name: why its step is as long across the valley as along it (none: it keeps none)."""
    rates = run.measured.get("effective_lr")
    if rates is None or not np.isfinite(rates).all():
        return ""
    x, y = axis_name(s.x_name), axis_name(s.y_name)
    return f"  eff. lr {x} {level_text(float(rates[0]))} {y} {level_text(float(rates[1]))}"


def _step_rgb(run: int) -> tuple[int, int, int]:
    """A run's step now: its colour, lighter (told apart from the path it continues)."""
    return blend(variant_rgb(run), (255, 255, 255), 0.55)


def _rgb(index: int) -> tuple[int, int, int]:
    if index < BANDS:
        return BAND_RGB[max(index, 0)]
    if index < 2 * BANDS:
        return LINE_RGB[index - BANDS]
    return SURFACE_NONFINITE_RGB
