"""The boundary panel: what one run's model predicts, over its data.

2-D classification: each pixel takes the color of the predicted class, more
saturated where the model is more confident. Data points are drawn in the
color of their true class: ● training, ○ validation, so a point on the wrong
side stands out. 1-D regression: the data as grey dots and the model's
current fit as a curve. `[` / `]` switch runs.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style

from ...frames import Boundary
from ...scenario.data import Dataset
from ...ui.draw.axis import scale
from ...ui.draw.braille import BrailleCanvas
from ...ui.draw.palette import (
    BOUNDARY_BACKGROUND_RGB,
    HELD_OUT_POINT_RGB,
    NONFINITE_RGB,
    POINT_RGB,
    blend,
    class_rgb,
    variant_rgb,
)
from ...ui.draw.raster import (
    MARGIN,
    border_room,
    centered_message,
    first_fit,
    polyline_pixels,
    scaled_strips,
    scaled_window,
    to_pixels,
)
from ...ui.panel import RUN_BINDINGS, StripPanel, run_name

LEAST_SQUARES_RGB = (235, 235, 235)  # the closed-form fit: near white, dotted, under the model's line
LEVELS = 4  # confidence shades per class: few colors, small terminal output


def region_rgb(k: int, level: int) -> tuple[int, int, int]:
    """Class k's region color at confidence level 0 (a coin flip) … LEVELS-1 (certain)."""
    alpha = 0.15 + 0.45 * level / (LEVELS - 1)
    return blend(BOUNDARY_BACKGROUND_RGB, class_rgb(k), alpha)


class BoundaryPanel(StripPanel):
    MIN_INTERVAL = 0.5  # (two redraws a second while training plays: the regions drift, a shade a frame)
    BINDINGS = RUN_BINDINGS

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        # it draws the data points itself, and where a run is a linear model fitted by mean squared error, the
        # least-squares fit it is heading for
        closed_form = [v.model.kind == "linear" and v.train.loss == "mse" for v in scenario.variants]
        return cls([v.dataset for v in scenario.variants], closed_form=closed_form,
                   bias=[v.model.bias for v in scenario.variants], **kwargs)

    def __init__(self, datasets: list[Dataset], closed_form: list[bool] | None = None, bias: list[bool] | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        self.datasets = datasets  # per run: the points to draw (numpy, no torch)
        # per run: the least-squares weights (None where the closed form is not this run's model's answer)
        self.least_squares = [least_squares(ds, b) if on and ds.task == "regression" else None
                              for ds, on, b in zip(datasets, closed_form or [False] * len(datasets),
                                                   bias or [True] * len(datasets))]
        self._styles: dict[tuple, Style] = {}

    def on_mount(self) -> None:
        self.set_titles(subtitle="● train  ○ validation  [ / ]: run")

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        run = self.shown_run()
        b = run.measured.get("boundary") if run is not None else None
        if b is None or width <= MARGIN + 4 or height < 3:
            self._strips = centered_message("waiting for the first step…", width, height, self.rich_style)
            return
        ds = self.datasets[self.run_index]
        kind = "Decision regions" if b.classes is not None else "Fit"
        room, name = border_room(self.outer_size.width), run_name(run)
        # a narrow panel keeps the run's name (small multiples differ only in it) before the panel's kind
        held_out = len(ds.x_val) > 0
        points = "● train  ○ validation" if held_out else "● training points"
        brief = "● train ○ val" if held_out else "● train"
        # a region's colour is the class the model predicts there, faded toward the background where it is less
        # sure (darker on a dark theme, lighter on a light one: "paler" read wrong beside dark bands); what the
        # shading means goes before the key hint (the footer's help has it)
        # ("dark", not "faded": the colours fade toward the dark background, and reviewers saw dark bands)
        regions = [f"{points} · darker: less sure  [ / ]: run", f"{points} · darker: less sure",
                   f"{brief} · dark: unsure", f"{points}  [ / ]: run", points, brief]
        pw, ph = width - MARGIN, height - 1
        # both axes from axis.py (each tick on the cell whose centre is its value); the model's grid is sampled
        # at each pixel's centre
        x_axis = scale(*b.x_range, pw, anchor="middle", label_width=6, gap=7, most=max(7, pw // 3))
        y_axis = scale(*b.y_range, ph, flip=True, anchor="middle", label_width=MARGIN - 2)
        theta = self.least_squares[self.run_index]
        best = None if theta is None or b.curve_x is None else closed_form_fit(ds, theta, b.curve_x)
        legends = (regions if b.classes is not None else self._fit_legends(held_out) if best is None
                   else self._closed_form_legends(self._on_least_squares(b, best, y_axis.per_cell)))
        window = scaled_window(x_axis, y_axis)
        if b.classes is None and (off := _off_chart(b, window[1])):  # the model's curve leaves the chart: say so
            legends = [f"{form} · {off} model off the chart" for form in legends[:2]] + [
                f"{form} · {off}off" for form in legends] + legends
        self.set_titles(title=first_fit([f"{kind} · {name}", f"{kind.split()[0]} · {name}", name], room),
                        subtitle=first_fit(legends, room))
        if b.classes is not None:
            top, bottom, marks = self._regions(b, ds, window, pw, 2 * ph)
        else:
            top, bottom, marks = self._fit(b, ds, window, pw, 2 * ph, best)

        def cell(r: int, c: int, top_rgb, bottom_rgb) -> Segment:
            mark = marks.get((r, c))
            if mark is not None:  # on the model's colour at the point itself
                return Segment(mark[0], self._style(mark[1], mark[2] if len(mark) > 2 else bottom_rgb, bold=True))
            return Segment("▀", self._style(top_rgb, bottom_rgb))

        pixels = [row for pair in zip(top, bottom) for row in pair]  # pixel rows, top first
        self._strips = scaled_strips(x_axis, y_axis, pixels, self.rich_style, cell)

    @staticmethod
    def _fit_legends(held_out: bool) -> list[str]:
        """The fit's legend, fullest first."""
        if held_out:
            return ["light: training points · dark: held out · line: the model now · [ / ]: run",
                    "light: training points · dark: held out · line: the model",
                    "light: trained on · dark: held out", "light: train · dark: held out", "dark: held out"]
        return ["grey: data · line: the model now · [ / ]: run", "grey: data · line: the model now",
                "grey: data · line: model", "grey: data · line: fit", "grey: the data"]

    @staticmethod
    def _closed_form_legends(on_it: bool) -> list[str]:
        """The fit's legend where the least-squares line is drawn too (`on_it`: under the model's, all along),
        fullest first."""
        if on_it:
            return ["grey: data · line: the model, on the least-squares fit", "grey: data · line: model = least squares",
                    "grey: data · model = least squares", "line: model = least squares", "= least squares"]
        return ["grey: data · line: the model now · ┄ least squares", "grey: data · line: model · ┄ least squares",
                "line: model · ┄ least squares", "┄ least squares", "┄ best fit"]

    @staticmethod
    def _on_least_squares(b: Boundary, best: np.ndarray, per_cell: float) -> bool:
        """The model's curve lies within half a cell of the least-squares fit (`best`, at its points) everywhere:
        one line on screen."""
        assert b.curve_y is not None  # a boundary without classes is a fit curve
        gap = np.abs(b.curve_y - best)
        return bool(np.all(np.isfinite(gap)) and gap.max() <= per_cell / 2)

    def _regions(self, b: Boundary, ds: Dataset, window, pw: int, py: int):
        assert b.classes is not None and b.confidence is not None  # a classifier's boundary has both
        ny, nx = b.classes.shape
        (x0, x1), (y0, y1) = window
        # the grid node (linspace over the ranges) nearest each pixel centre; the top pixel is the highest y
        cols = _nearest(np.linspace(x0, x1, pw), *b.x_range, nx)
        rows = _nearest(np.linspace(y1, y0, py), *b.y_range, ny)
        cls = b.classes[np.ix_(rows, cols)]
        conf = b.confidence[np.ix_(rows, cols)]
        k = max(ds.n_classes, 2)
        finite = np.isfinite(conf)
        t = np.clip((np.where(finite, conf, 1.0) - 1 / k) / (1 - 1 / k), 0, 1)
        level = np.where(finite, np.minimum((t * LEVELS).astype(int), LEVELS - 1), -1)  # -1: NaN/Inf
        colors = {(c, lv): region_rgb(c, lv) for c in range(k) for lv in range(LEVELS)}
        pix = [[colors.get((c, lv), NONFINITE_RGB) for c, lv in zip(cr, lr)]
               for cr, lr in zip(cls.tolist(), level.tolist())]
        marks: dict[tuple[int, int], tuple] = {}  # (row, column) → (glyph, its colour, the colour under it)
        for x, y, glyph in ((ds.plane("train"), ds.y_train, "●"), (ds.plane("val"), ds.y_val, "○")):
            if not len(x):
                continue
            px, py_ = to_pixels(x, window[0], window[1], pw, py)
            labels = y[:, 0] if y.ndim == 2 else y
            for cx, cy, label in zip(np.round(px).astype(int), np.round(py_).astype(int), labels.astype(int)):
                if 0 <= cx < pw and 0 <= cy < py:  # on the region's colour at its own pixel, not its cell's other
                    marks[(cy // 2, cx)] = (glyph, class_rgb(int(label)), pix[cy][cx])
        return pix[0::2], pix[1::2], marks

    def _fit(self, b: Boundary, ds: Dataset, window, pw: int, py: int, best: np.ndarray | None = None):
        """The data as half-block pixels, the model's curve over them as a thin braille line (2 × 4 dots a cell:
        a gentle slope is a line, not a staircase of blocks two pixels thick), on the points' colour where it
        crosses them; `best`: the least-squares fit at the curve's points, dotted under it."""
        assert b.curve_x is not None and b.curve_y is not None  # a boundary without classes is a fit curve
        pix = [[BOUNDARY_BACKGROUND_RGB] * pw for _ in range(py)]
        for x, y, rgb in ((ds.plane("val"), ds.y_val, HELD_OUT_POINT_RGB), (ds.plane("train"), ds.y_train, POINT_RGB)):
            if len(x):
                px, py_ = to_pixels(np.stack([x[:, 0], y[:, 0]], 1), window[0], window[1], pw, py)
                for cx, cy in zip(np.round(px).astype(int), np.round(py_).astype(int)):
                    if 0 <= cx < pw and 0 <= cy < py:
                        pix[cy][cx] = rgb
        curve = np.stack([b.curve_x, b.curve_y], 1)
        ok = np.isfinite(curve).all(1)
        marks: dict[tuple[int, int], tuple] = {}  # (row, column) → (glyph, its colour, the colour under it)
        canvas = BrailleCanvas(pw, py // 2)

        def dots(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            cx, cy = to_pixels(points, window[0], window[1], pw, py)  # two dots a pixel, each way
            return polyline_pixels(2 * cx + 0.5, 2 * cy + 0.5)

        if best is not None:  # the fit it is heading for, dotted under the model's line
            xs, ys = dots(np.stack([b.curve_x, best], 1))
            keep = (xs // 2) % 2 == 0  # every other cell: dotted, told apart from the model's solid line
            canvas.paint(xs[keep], ys[keep], 1)
        if ok.any():
            canvas.paint(*dots(curve[ok]), 0)
        colors = (variant_rgb(self.run_index), LEAST_SQUARES_RGB)
        for r, c in zip(*np.nonzero(canvas.bits)):
            top, bottom = pix[2 * r][c], pix[2 * r + 1][c]  # a point under the line keeps its colour
            under = bottom if bottom != BOUNDARY_BACKGROUND_RGB else top
            marks[(int(r), int(c))] = (chr(0x2800 + int(canvas.bits[r, c])), colors[canvas.style[r, c]], under)
        if ok.any():
            # where the curve leaves through the top or the bottom: ↑ / ↓ on the edge, at the first column of
            # each stretch outside (nonlinear_regression's sigmoid net ran off the top at 200x60, unmarked)
            cx, cy = to_pixels(curve[ok], window[0], window[1], pw, py)
            for side, glyph, row in ((cy < -0.5, "↑", 0), (cy > py - 0.5, "↓", py // 2 - 1)):
                starts = np.flatnonzero(side & ~np.r_[False, side[:-1]])
                for k in starts:
                    col = int(np.clip(round(float(cx[k])), 0, pw - 1))
                    marks[(row, col)] = (glyph, variant_rgb(self.run_index), pix[2 * row][col])
        if not ok.all():
            marks[(0, 0)] = ("✗", NONFINITE_RGB)  # NaN/Inf predictions: say so
        return pix[0::2], pix[1::2], marks

    def _style(self, fg: tuple, bg: tuple, bold: bool = False) -> Style:
        key = (fg, bg, bold)
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = Style(color=Color.from_rgb(*fg), bgcolor=Color.from_rgb(*bg), bold=bold)
        return style


def _off_chart(b: Boundary, y_range: tuple[float, float]) -> str:
    """The arrows for where the model's curve leaves the chart's y range ("↑", "↓", "↑↓" or "")."""
    ys = b.curve_y[np.isfinite(b.curve_y)] if b.curve_y is not None else np.zeros(0)
    return ("↑" if (ys > y_range[1]).any() else "") + ("↓" if (ys < y_range[0]).any() else "")


def least_squares(ds: Dataset, bias: bool = True) -> np.ndarray:
    """The weights (and bias, last) that minimize the mean squared error on the training split: where a linear
    model's gradient descent ends."""
    x = ds.x_train.astype(np.float64)
    features = np.c_[x, np.ones(len(x))] if bias else x
    return np.linalg.lstsq(features, ds.y_train[:, 0].astype(np.float64), rcond=None)[0]


def closed_form_fit(ds: Dataset, theta: np.ndarray, xs: np.ndarray) -> np.ndarray:
    """The least-squares fit's prediction at the points `xs` of the data's plane."""
    x = ds.inputs_of(xs[:, None]).astype(np.float64)
    features = np.c_[x, np.ones(len(x))] if len(theta) > x.shape[1] else x
    return features @ theta


def _nearest(values: np.ndarray, lo: float, hi: float, n: int) -> np.ndarray:
    """The index of the node of linspace(lo, hi, n) nearest each value (the end nodes beyond the ends)."""
    return np.clip(np.round((values - lo) / (hi - lo) * (n - 1)), 0, n - 1).astype(int) if hi > lo else np.zeros(
        len(values), int)

