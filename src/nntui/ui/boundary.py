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
from textual.strip import Strip

from ..data import Dataset
from ..frames import Boundary
from .palette import BOUNDARY_BACKGROUND_RGB, HELD_OUT_POINT_RGB, NONFINITE_RGB, POINT_RGB, blend, variant_rgb
from .panel import RUN_BINDINGS, StripPanel, run_name
from .raster import MARGIN, border_room, centered_message, first_fit, polyline_pixels, to_pixels, x_ticks, y_label

LEVELS = 4  # confidence shades per class: few colors, small terminal output
FEW_POINTS = 60  # a fit over at most this many points draws them over its line, more under it


def class_rgb(k: int) -> tuple[int, int, int]:
    return variant_rgb(k)


def region_rgb(k: int, level: int) -> tuple[int, int, int]:
    """Class k's region color at confidence level 0 (a coin flip) … LEVELS-1 (certain)."""
    alpha = 0.15 + 0.45 * level / (LEVELS - 1)
    return blend(BOUNDARY_BACKGROUND_RGB, class_rgb(k), alpha)


class BoundaryPanel(StripPanel):
    BINDINGS = RUN_BINDINGS

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls([v.dataset for v in scenario.variants], **kwargs)  # it draws the data points itself

    def __init__(self, datasets: list[Dataset], **kwargs):
        super().__init__(**kwargs)
        self.datasets = datasets  # per run: the points to draw (numpy, no torch)
        self._styles: dict[tuple, Style] = {}

    def on_mount(self) -> None:
        self.set_titles(subtitle="● train  ○ validation  [ / ]: run")

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        run = self.shown_run()
        b = run.boundary if run is not None else None
        if b is None or width <= MARGIN + 4 or height < 3:
            self._strips = centered_message("waiting for the first step…", width, height, self.rich_style)
            return
        ds = self.datasets[self.run_index]
        kind = "Decision regions" if b.classes is not None else "Fit"
        room, name = border_room(self.outer_size.width), run_name(run)
        # a narrow panel keeps the run's name (small multiples differ only in it) before the panel's kind
        self.set_titles(title=first_fit([f"{kind} · {name}", f"{kind.split()[0]} · {name}", name], room),
                        subtitle=first_fit(["● train  ○ validation  [ / ]: run", "● train  ○ validation",
                                            "● train ○ val"] if b.classes is not None else
                                           self._fit_legends(len(ds.x_val) > 0), room))
        pw, ph = width - MARGIN, height - 1
        if b.classes is not None:
            top, bottom, marks = self._regions(b, ds, pw, 2 * ph)
        else:
            top, bottom, marks = self._fit(b, ds, pw, 2 * ph)
        base = self.rich_style
        strips = []
        for r in range(ph):
            segments = [y_label(r, ph, *b.y_range, base)]
            for c in range(pw):
                mark = marks.get((r, c))
                if mark is not None:
                    segments.append(Segment(mark[0], self._style(mark[1], bottom[r][c], bold=True)))
                else:
                    segments.append(Segment("▀", self._style(top[r][c], bottom[r][c])))
            strips.append(Strip(segments, MARGIN + pw).simplify())
        strips.append(x_ticks(*b.x_range, pw, base))
        self._strips = strips

    @staticmethod
    def _fit_legends(held_out: bool) -> list[str]:
        """The fit's legend, fullest first."""
        if held_out:
            return ["light: training points · dark: held out · line: the model now · [ / ]: run",
                    "light: training points · dark: held out · line: the model",
                    "light: trained on · dark: held out", "light: train · dark: held out", "dark: held out"]
        return ["grey: data · line: the model now · [ / ]: run", "grey: data · line: the model now",
                "grey: data · line: model", "grey: data · line: fit", "grey: the data"]

    def _regions(self, b: Boundary, ds: Dataset, pw: int, py: int):
        assert b.classes is not None and b.confidence is not None  # a classifier's boundary has both
        ny, nx = b.classes.shape
        rows = np.minimum(((np.arange(py) + 0.5) / py * ny).astype(int), ny - 1)[::-1]  # top pixel = high y
        cols = np.minimum(((np.arange(pw) + 0.5) / pw * nx).astype(int), nx - 1)
        cls = b.classes[np.ix_(rows, cols)]
        conf = b.confidence[np.ix_(rows, cols)]
        k = max(ds.n_classes, 2)
        finite = np.isfinite(conf)
        t = np.clip((np.where(finite, conf, 1.0) - 1 / k) / (1 - 1 / k), 0, 1)
        level = np.where(finite, np.minimum((t * LEVELS).astype(int), LEVELS - 1), -1)  # -1: NaN/Inf
        colors = {(c, lv): region_rgb(c, lv) for c in range(k) for lv in range(LEVELS)}
        pix = [[colors.get((c, lv), NONFINITE_RGB) for c, lv in zip(cr, lr)]
               for cr, lr in zip(cls.tolist(), level.tolist())]
        marks: dict[tuple[int, int], tuple[str, tuple[int, int, int]]] = {}
        for x, y, glyph in ((ds.plane("train"), ds.y_train, "●"), (ds.plane("val"), ds.y_val, "○")):
            if not len(x):
                continue
            px, py_ = to_pixels(x, b.x_range, b.y_range, pw, py)
            labels = y[:, 0] if y.ndim == 2 else y
            for cx, cy, label in zip(np.round(px).astype(int), np.round(py_).astype(int), labels.astype(int)):
                if 0 <= cx < pw and 0 <= cy < py:
                    marks[(cy // 2, cx)] = (glyph, class_rgb(int(label)))
        return pix[0::2], pix[1::2], marks

    def _fit(self, b: Boundary, ds: Dataset, pw: int, py: int):
        assert b.curve_x is not None and b.curve_y is not None  # a boundary without classes is a fit curve
        pix = [[BOUNDARY_BACKGROUND_RGB] * pw for _ in range(py)]
        curve = np.stack([b.curve_x, b.curve_y], 1)
        ok = np.isfinite(curve).all(1)
        color = variant_rgb(self.run_index)
        if ok.any():
            cx, cy = to_pixels(curve[ok], b.x_range, b.y_range, pw, py)
            xs, ys = polyline_pixels(cx, cy)
            inside = (xs >= 0) & (xs < pw) & (ys >= 0) & (ys < py)
            for x, y in zip(xs[inside], ys[inside]):
                pix[y][x] = color
        # few points go over the line: a fit that passes through single noisy points shows them sitting on it;
        # many would hide it (then the line goes on top). The held-out ones darker: the fit never saw them.
        on_top = len(ds.x_train) + len(ds.x_val) <= FEW_POINTS
        for x, y, rgb in ((ds.plane("val"), ds.y_val, HELD_OUT_POINT_RGB), (ds.plane("train"), ds.y_train, POINT_RGB)):
            if len(x):
                px, py_ = to_pixels(np.stack([x[:, 0], y[:, 0]], 1), b.x_range, b.y_range, pw, py)
                for cx, cy in zip(np.round(px).astype(int), np.round(py_).astype(int)):
                    if 0 <= cx < pw and 0 <= cy < py and (on_top or pix[cy][cx] != color):
                        pix[cy][cx] = rgb
        marks = {} if ok.all() else {(0, 0): ("✗", NONFINITE_RGB)}  # NaN/Inf predictions: say so
        return pix[0::2], pix[1::2], marks

    def _style(self, fg: tuple, bg: tuple, bold: bool = False) -> Style:
        key = (fg, bg, bold)
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = Style(color=Color.from_rgb(*fg), bgcolor=Color.from_rgb(*bg), bold=bold)
        return style
