"""The curvature panel: the loss along the steepest direction through the minimum, each run bouncing across it.

For an exact two-parameter surface the engine sends the minimum θ*, the
Hessian's top eigenvalue λmax there, its eigenvector v, and the loss
L(θ* + t·v) along that line (a parabola for a quadratic loss). Along v,
gradient descent does t ← (1 − lr·λmax)·t: so each run's iterates
t_k = (θ_k − θ*)·v, drawn on the curve (its last steps joined by thin lines), crawl down one
side (lr·λmax ≪ 1), converge, zig-zag across the valley (1 < lr·λmax < 2) or
climb out of it (lr > 2/λmax): the learning-rate lesson on one curve. An
iterate beyond the plot is an arrow at its edge, pointing to where it is.

Drawn with half blocks (two square pixels per cell), each cell's two pixels
in their own colours: the curve in grey, each run's points in its colour and
the lines joining them darker.
"""

from __future__ import annotations

import math

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...frames import Surface
from ...panels.contour.widget import Window, surface_for
from ...runner import View
from ...ui.draw.axis import scale
from ...ui.draw.palette import CURVE_RGB, START_RGB, blend, variant_rgb
from ...ui.draw.raster import (
    ARROWS,
    MARGIN,
    border_room,
    centered_message,
    clip_path,
    first_fit,
    fmt_num,
    polyline_pixels,
    scaled_strips,
    scaled_window,
    segment_pixels,
    to_pixels,
)
from ...ui.panel import RUN_BINDINGS, StripPanel

HEADROOM = 0.08    # room above the curve's highest point, as a fraction of its height
LINE_DIM = 0.35    # the lines joining a run's iterates are this much darker than its points
TRAIL = 5          # lines join a run's last 5 iterates (4 steps); older ones stay as points on the curve
CURVE = 0          # pixel index of the curve; run i's points are 1 + 2i, the lines joining them 2 + 2i


class CurvaturePanel(StripPanel):
    BINDINGS = RUN_BINDINGS  # runs on different data have different surfaces: [ ] picks whose

    @classmethod
    def help_rows(cls, scenario):
        if len({id(v.dataset) for v in scenario.variants}) == 1:
            return []
        return super().help_rows(scenario)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._styles: dict[tuple, Style] = {}
        self.iterates: dict[int, np.ndarray] = {}  # run → its t_k, as drawn last (tests read them)

    def on_mount(self) -> None:
        self.set_titles(title="Loss along the steepest direction")

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        view = self._view
        surface = surface_for(view, self.run_index)
        if view is None or surface is None or surface.profile is None or width <= MARGIN + 4 or height < 3:
            message = ("loading PyTorch…" if view is None or view.state == "loading" else
                       "waiting for the first step…" if surface is None else "no minimum found on this surface")
            self._strips = centered_message(message, width, height, self.rich_style)
            return
        assert surface.curvatures is not None
        lam = surface.curvatures[0]
        owner = f" of {view.runs[surface.members[0]].label}" if len(view.surfaces) > 1 else ""
        # the fullest form that fits (an 80-column screen's third is ~20 cells); the lesson text says what λmax
        # and 2/λmax mean
        room = border_room(self.outer_size.width)
        lam_text, limit = fmt_num(lam), fmt_num(2 / lam)
        self.set_titles(title=first_fit([f"Curvature · λmax {lam_text}{owner}", f"Curvature λmax {lam_text}{owner}",
                                         f"λmax {lam_text}{owner}", f"λmax {lam_text}"], room),
                        # (while a question is open the limit's value waits: "which lr diverges?" was answered there)
                        subtitle=first_fit(["stable if lr < 2/λmax (its value after the question)",
                                            "stable if lr < 2/λmax", "lr < 2/λmax"] if self.asking else
                                           [f"stable if lr < 2/λmax = {limit}", f"stable: lr < 2/λmax = {limit}",
                                            f"stable: lr < {limit}", f"lr < {limit}"], room))
        legend = 2 if height >= 10 else 1 if height >= 8 else 0  # (the marks need their own row at 80x24)
        pw, ph = width - MARGIN, height - 1 - legend
        t, along = surface.profile
        low, high = float(along.min()), float(along.max())
        # both axes from axis.py: each tick on the cell whose centre is its value
        y_axis = scale(low, high + HEADROOM * max(high - low, 1e-12), ph, flip=True, label_width=MARGIN - 2)
        x_axis = scale(float(t[0]), float(t[-1]), pw, label_width=6, gap=7, most=max(7, pw // 3))
        window: Window = scaled_window(x_axis, y_axis)
        pix = np.full((2 * ph, pw), -1)
        xs, ys = polyline_pixels(*to_pixels(np.stack([t, along], 1), *window, pw, 2 * ph))
        inside = (xs >= 0) & (xs < pw) & (ys >= 0) & (ys < 2 * ph)
        pix[ys[inside], xs[inside]] = CURVE
        markers = self._paint_iterates(view, surface, window, pix, pw, 2 * ph)
        self._strips = scaled_strips(x_axis, y_axis, pix, self.rich_style, self._cell_with(markers))
        if legend:
            self._strips.extend(self._legend(width, {mark for mark, _ in markers.values()}, legend))

    def _paint_iterates(self, view: View, s: Surface, window: Window, pix: np.ndarray, pw: int, py: int) -> dict:
        """Each run's iterates on the curve, joined by thin lines and cut at the edge; {(row, col): (char, rgb)}."""
        assert s.profile is not None and s.minimum is not None and s.steepest is not None and s.curvatures is not None
        t, along = s.profile
        theta, v, lam = np.array(s.minimum), np.array(s.steepest), s.curvatures[0]
        markers: dict[tuple[int, int], tuple[str, tuple[int, int, int]]] = {}
        self.iterates = {}
        # the last variants (usually the wildest) on top: a run that zig-zags lands on both sides of the valley,
        # where a tame run crawling down one side had covered its points (lr_sweep's 0.025 and 0.028)
        for i in s.members:
            run = view.runs[i]
            if run.path is None or not len(run.path):
                continue
            path = run.path if run.position is None else np.vstack([run.path, run.position])
            path = path[np.isfinite(path).all(1)]
            tk = (path - theta) @ v
            self.iterates[i] = tk
            # on the curve; beyond its ends (where only the way out is drawn) the parabola of the same curvature
            beyond = along[0] + lam / 2 * np.maximum(tk * tk - t[0] * t[0], 0)
            loss = np.where((tk >= t[0]) & (tk <= t[-1]), np.interp(tk, t, along), beyond)
            px, py_ = to_pixels(np.stack([tk, loss], 1), *window, pw, py)
            # lines join only the last few iterates: every chord of a long zig-zag would fill the bowl solid
            segments = clip_path(px[-TRAIL:], py_[-TRAIL:], pw, py)[0]
            xs, ys = segment_pixels(segments)
            inside = (xs >= 0) & (xs < pw) & (ys >= 0) & (ys < py)
            pix[ys[inside], xs[inside]] = 2 + 2 * i
            xs, ys = np.round(px).astype(int), np.round(py_).astype(int)
            inside = (xs >= 0) & (xs < pw) & (ys >= 0) & (ys < py)
            pix[ys[inside], xs[inside]] = 1 + 2 * i
            if len(xs) and inside[-1]:
                markers[(ys[-1] // 2, xs[-1])] = ("●" if run.diverged_at is None else "✗", variant_rgb(i))
            elif len(xs):  # off the plot: an arrow at the edge, toward where it is now (a run zig-zagging out
                # is on the other side every step: the arrow flips with it, the same at every size)
                markers[_edge(px[-1], py_[-1], pw, py)] = (_toward(px[-1], py_[-1], pw, py), variant_rgb(i))
            if i == s.members[0] and len(xs) and inside[0]:
                markers[(ys[0] // 2, xs[0])] = ("◆", START_RGB)
        return markers

    def _cell_with(self, markers: dict):
        def cell(r: int, c: int, top: int, bottom: int) -> Segment:
            mark = markers.get((r, c))
            return Segment(mark[0], self._style(("m", mark[1]))) if mark is not None else self._cell(top, bottom)

        return cell

    def _cell(self, top: int, bottom: int) -> Segment:
        if top < 0 and bottom < 0:
            return Segment(" ")
        if top == bottom:
            return Segment("█", self._style((top,)))
        if bottom < 0:
            return Segment("▀", self._style((top,)))
        if top < 0:
            return Segment("▄", self._style((bottom,)))
        return Segment("▀", self._style((top, bottom)))

    def _legend(self, width: int, shown: set[str], rows: int) -> list[Strip]:
        """What the x axis, the grey curve and the marks on the plot are (the runs' colours are the variants
        table's), in the fullest form that fits: on a second row where there is one, else after the curve's."""
        # (what v is, where it fits: the runs stuck far from the best fit sat at the bottom of this parabola, and
        # nothing said it shows the steepest direction only)
        forms = [(" " * MARGIN + "t = (θ − θ*)·v  ", " loss along v, the steepest direction"),
                 ("t = (θ − θ*)·v  ", " loss along v, the steepest direction"),
                 (" " * MARGIN + "t = (θ − θ*)·v  ", " loss along steepest v"),
                 (" " * MARGIN + "t = (θ − θ*)·v  ", " loss along v"), ("t = (θ − θ*)·v  ", " loss along v"),
                 ("t = (θ−θ*)·v ", " loss along v"), ("t = (θ−θ*)·v ", " loss"), ("t=(θ−θ*)·v ", "")]
        arrows = "".join(sorted(shown & set(ARROWS)))
        marks = [pair for pair, on in ((("◆ start", "◆start"), "◆" in shown), (("● now", "●now"), "●" in shown),
                                        (("✗ diverged", "✗ diverged"), "✗" in shown),
                                        ((f"{arrows} off the plot", f"{arrows}off"), bool(arrows)),
                                        (("▪ a step", "▪step"), True)) if on]
        # all of them in full, then "▪ a step" gone, then in brief (lr_sweep at 80x24 had lost "↗ off the plot"
        # and kept "◆ start · ● now"), then the last ones going
        joined = [" · ".join(m for m, _ in marks), " · ".join(m for m, _ in marks[:-1]),
                  *(" ".join(b for _, b in marks[:n]) for n in range(len(marks) - 1, 0, -1))]
        before, after = next(((b, a) for b, a in forms if len(b) + 2 + len(a) <= width), forms[-1])
        first = [Segment(before, self.rich_style), Segment("━━", self._style(("m", CURVE_RGB))),
                 Segment(after, self.rich_style)]
        lines = [first]
        if rows > 1:  # the marks on their own row, under the plot (indented like it where they fit)
            text = next((" " * indent + m for m in joined for indent in (MARGIN, 0) if indent + len(m) <= width),
                        joined[-1])
            lines.append([Segment(text, self.rich_style)])
        elif len(before) + 2 + len(after) + 3 + len(joined[0]) <= width:
            first.append(Segment(" · " + joined[0], self.rich_style))
        return [Strip(line).adjust_cell_length(width, self.rich_style).apply_style(self.rich_style)
                for line in lines]

    def _style(self, key: tuple) -> Style:
        style = self._styles.get(key)
        if style is None:
            if key[0] == "m":  # a marker or a legend swatch
                style = Style(color=Color.from_rgb(*key[1]), bold=True)
            elif len(key) == 1:
                style = Style(color=Color.from_rgb(*_rgb(key[0])))
            else:
                style = Style(color=Color.from_rgb(*_rgb(key[0])), bgcolor=Color.from_rgb(*_rgb(key[1])))
            self._styles[key] = style
        return style


def _edge(x: float, y: float, width: int, height: int) -> tuple[int, int]:
    """The (row, column) of the plot's edge cell nearest a pixel outside it."""
    return min(max(round(y), 0), height - 1) // 2, min(max(round(x), 0), width - 1)


def _toward(x: float, y: float, width: int, height: int) -> str:
    """The arrow from the plot toward a pixel outside it (y down)."""
    dx = int(x > width - 0.5) - int(x < -0.5)
    dy = int(y < -0.5) - int(y > height - 0.5)
    return ARROWS[round(math.atan2(dy, dx) / (math.pi / 4)) % 8]


def _rgb(index: int) -> tuple[int, int, int]:
    if index == CURVE:
        return CURVE_RGB
    run, joining = divmod(index - 1, 2)
    return blend(variant_rgb(run), (0, 0, 0), LINE_DIM) if joining else variant_rgb(run)
