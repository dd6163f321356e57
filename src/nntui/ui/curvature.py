"""The curvature panel: the loss along the steepest direction through the minimum, each run bouncing across it.

For an exact two-parameter surface the engine sends the minimum θ*, the
Hessian's top eigenvalue λmax there, its eigenvector v, and the loss
L(θ* + t·v) along that line (a parabola for a quadratic loss). Along v,
gradient descent does t ← (1 − lr·λmax)·t: so each run's iterates
t_k = (θ_k − θ*)·v, drawn on the curve (its last steps joined by thin lines), crawl down one
side (lr·λmax ≪ 1), converge, zig-zag across the valley (1 < lr·λmax < 2) or
climb out of it (lr > 2/λmax): the learning-rate lesson on one curve. An
iterate beyond the plot stops at its edge with an arrow the way it went.

Drawn with half blocks (two square pixels per cell), each cell's two pixels
in their own colours: the curve in grey, each run's points in its colour and
the lines joining them darker.
"""

from __future__ import annotations

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ..frames import Surface
from ..runner import View
from .contour import Window, surface_for
from .palette import CURVE_RGB, START_RGB, blend, variant_rgb
from .panel import RUN_BINDINGS, StripPanel
from .raster import (
    MARGIN,
    border_room,
    centered_message,
    clip_path,
    first_fit,
    fmt_num,
    pixel_strips,
    polyline_pixels,
    segment_pixels,
    to_pixels,
)

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
        self.set_titles(title="Loss along the steepest direction", subtitle="◆ start  ● now")

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
                        subtitle=first_fit([f"stable if lr < 2/λmax = {limit}", f"stable: lr < 2/λmax = {limit}",
                                            f"stable: lr < {limit}", f"lr < {limit}"], room))
        legend = height >= 10
        pw, ph = width - MARGIN, height - 1 - legend
        t, along = surface.profile
        low, high = float(along.min()), float(along.max())
        window: Window = (float(t[0]), float(t[-1])), (low, high + HEADROOM * max(high - low, 1e-12))
        pix = np.full((2 * ph, pw), -1)
        xs, ys = polyline_pixels(*to_pixels(np.stack([t, along], 1), *window, pw, 2 * ph))
        inside = (xs >= 0) & (xs < pw) & (ys >= 0) & (ys < 2 * ph)
        pix[ys[inside], xs[inside]] = CURVE
        markers = self._paint_iterates(view, surface, window, pix, pw, 2 * ph)
        self._strips = self._to_strips(window, pix, markers, pw, ph)
        if legend:
            self._strips.append(self._legend(width))

    def _paint_iterates(self, view: View, s: Surface, window: Window, pix: np.ndarray, pw: int, py: int) -> dict:
        """Each run's iterates on the curve, joined by thin lines and cut at the edge; {(row, col): (char, rgb)}."""
        assert s.profile is not None and s.minimum is not None and s.steepest is not None and s.curvatures is not None
        t, along = s.profile
        theta, v, lam = np.array(s.minimum), np.array(s.steepest), s.curvatures[0]
        markers: dict[tuple[int, int], tuple[str, tuple[int, int, int]]] = {}
        self.iterates = {}
        for i in reversed(s.members):  # the first variants (usually the tamest) end up on top
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
            way_out = clip_path(px, py_, pw, py)[1]  # where it left the plot for good, however long ago
            xs, ys = segment_pixels(segments)
            inside = (xs >= 0) & (xs < pw) & (ys >= 0) & (ys < py)
            pix[ys[inside], xs[inside]] = 2 + 2 * i
            xs, ys = np.round(px).astype(int), np.round(py_).astype(int)
            inside = (xs >= 0) & (xs < pw) & (ys >= 0) & (ys < py)
            pix[ys[inside], xs[inside]] = 1 + 2 * i
            if len(xs) and inside[-1]:
                markers[(ys[-1] // 2, xs[-1])] = ("●" if run.diverged_at is None else "✗", variant_rgb(i))
            elif way_out is not None:
                markers[(round(way_out[1]) // 2, round(way_out[0]))] = (way_out[2], variant_rgb(i))
            if i == s.members[0] and len(xs) and inside[0]:
                markers[(ys[0] // 2, xs[0])] = ("◆", START_RGB)
        return markers

    def _to_strips(self, window: Window, pix: np.ndarray, markers: dict, pw: int, ph: int) -> list[Strip]:
        def cell(r: int, c: int, top: int, bottom: int) -> Segment:
            mark = markers.get((r, c))
            return Segment(mark[0], self._style(("m", mark[1]))) if mark is not None else self._cell(top, bottom)

        return pixel_strips(window, pix, pw, ph, self.rich_style, cell)

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

    def _legend(self, width: int) -> Strip:
        """What the x axis, the grey curve and the marks are (the runs' colours are the variants table's), in the
        fullest form that fits: the marks go first (the subtitle names ◆ and ●), then the indent, then spaces."""
        forms = [(" " * MARGIN + "t = (θ − θ*)·v  ", " loss along v · ▪ a step · ◆ start · ● now"),
                 (" " * MARGIN + "t = (θ − θ*)·v  ", " loss along v"),
                 ("t = (θ − θ*)·v  ", " loss along v"),
                 ("t = (θ−θ*)·v ", " loss along v"),
                 ("t = (θ−θ*)·v ", " loss"),
                 ("t=(θ−θ*)·v ", "")]
        before, after = next(((b, a) for b, a in forms if len(b) + 2 + len(a) <= width), forms[-1])
        segments = [Segment(before, self.rich_style), Segment("━━", self._style(("m", CURVE_RGB))),
                    Segment(after, self.rich_style)]
        return Strip(segments).adjust_cell_length(width, self.rich_style).apply_style(self.rich_style)

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


def _rgb(index: int) -> tuple[int, int, int]:
    if index == CURVE:
        return CURVE_RGB
    run, joining = divmod(index - 1, 2)
    return blend(variant_rgb(run), (0, 0, 0), LINE_DIM) if joining else variant_rgb(run)
