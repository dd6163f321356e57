"""The contour panel: the loss surface as a banded heatmap with each run's path across it.

Drawn with half blocks: every cell is '▀' with the upper pixel as foreground
and the lower as background, so a W×H panel shows W×2H pixels. Colors come
from a small fixed palette (16 bands, their contour lines, path colors),
whose Styles are built once: that keeps a redraw near 10 ms and the terminal
output small over SSH. Strips are rebuilt only when the data or the size change.
"""

from __future__ import annotations

import math

import numpy as np
from rich.color import Color, ColorSystem
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ..frames import Surface
from ..runner import View
from .palette import START_RGB, SURFACE_HIGH_RGB, SURFACE_LOW_RGB, SURFACE_NONFINITE_RGB, blend, variant_rgb
from .panel import RUN_BINDINGS, StripPanel
from .raster import MARGIN, centered_message, polyline_pixels, to_pixels, x_ticks, y_label

BANDS = 16

# dark (low loss, the valley floor) → light (high loss): muted blues, so run colors stand out
BAND_RGB = [blend(SURFACE_LOW_RGB, SURFACE_HIGH_RGB, (i / (BANDS - 1)) ** 0.9) for i in range(BANDS)]
LINE_RGB = [blend(rgb, (255, 255, 255), 0.25) for rgb in BAND_RGB]  # contour lines: lighter


class ContourPanel(StripPanel):
    BINDINGS = RUN_BINDINGS  # runs on different data have different surfaces: [ ] picks whose
    PAINTS_BACKGROUND = True  # a heatmap: every cell has its band colors

    @classmethod
    def help_rows(cls, scenario):
        if len({id(v.dataset) for v in scenario.variants}) == 1:
            return []  # one dataset, one surface: its [ ] keys change nothing
        return super().help_rows(scenario)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._styles: dict[tuple, Style] = {}
        self._canonical: tuple | None = None

    def on_mount(self) -> None:
        self.set_titles(title="Loss surface")
        self.set_titles(subtitle="◆ start  ● now")

    def state_key(self) -> tuple:
        return (self.run_index,)

    def _surface(self, view: View | None) -> Surface | None:
        """The surface of the chosen run's group (every run of that group has its path on it)."""
        if view is None or not view.surfaces:
            return None
        index = self.run_index % max(len(view.runs), 1)
        return next((s for s in view.surfaces if index in s.members), view.surfaces[0])

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        view = self._view
        surface = self._surface(view)
        if view is None or surface is None or width <= MARGIN + 4 or height < 3:
            message = "loading PyTorch…" if view is None or view.state == "loading" else "waiting for the first step…"
            self._strips = centered_message(message, width, height, self.rich_style)
            return
        axes = f"x: {surface.x_name}  y: {surface.y_name}"
        if len(view.surfaces) > 1:  # say whose surface this is (first: titles get cut), and that [ ] shows the others
            self.set_titles(title=f"Loss surface of {view.runs[surface.members[0]].label} · {axes}")
            self.set_titles(subtitle="[ ] other run  ◆ start  ● now")
        else:
            self.set_titles(title=f"Loss surface · {axes}")
        legend = height >= 10  # a row naming each run's color: the variants table is hidden when zoomed
        pw, ph = width - MARGIN, height - 1 - legend
        pix = self._pixels(surface, pw, 2 * ph)
        markers = self._paint_paths(view, surface, pix, pw, 2 * ph)
        pix = self._same_on_terminal(2 * BANDS + 1 + len(view.runs))[pix]
        self._strips = self._to_strips(surface, pix, markers, pw, ph)
        if legend:
            self._strips.append(self._legend(view, surface, width))

    def _pixels(self, s: Surface, pw: int, py: int) -> np.ndarray:
        """Palette index per pixel: bands, contour lines on band edges, and non-finite values."""
        ny, nx = s.z.shape
        rows = np.minimum(((np.arange(py) + 0.5) / py * ny).astype(int), ny - 1)[::-1]  # top pixel = high y
        cols = np.minimum(((np.arange(pw) + 0.5) / pw * nx).astype(int), nx - 1)
        z = s.z[np.ix_(rows, cols)]
        band = np.full(z.shape, -1)
        finite = np.isfinite(z)
        if finite.any():
            lo, hi = float(z[finite].min()), float(z[finite].max())
            eps = max(hi - lo, 1e-12) * 1e-2
            t = np.log((np.where(finite, z, lo) - lo) + eps)  # log bands: valleys get as much detail as walls
            t0, t1 = math.log(eps), math.log(hi - lo + eps)
            band = np.clip(((t - t0) / max(t1 - t0, 1e-12) * BANDS).astype(int), 0, BANDS - 1)
        level = band // 2  # a contour line on every second band edge: lines, not stripes
        edge = np.zeros(z.shape, bool)
        edge[:, :-1] |= level[:, :-1] != level[:, 1:]
        edge[:-1, :] |= level[:-1, :] != level[1:, :]
        pix = np.where(edge, band + BANDS, band)
        pix[~finite] = 2 * BANDS
        return pix

    def _paint_paths(self, view: View, s: Surface, pix: np.ndarray, pw: int, py: int) -> dict:
        """Draw each member run's path into `pix`; return {(row, col): (char, rgb)} cell markers."""
        def to_pixel(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            return to_pixels(points, s.x_range, s.y_range, pw, py)

        markers: dict[tuple[int, int], tuple[str, tuple[int, int, int]]] = {}
        paths = {}
        for k, i in enumerate(s.members):
            run = view.runs[i]
            if s.paths is not None:  # a slice: the paths projected onto it, ending at each run now
                paths[i] = s.paths[k]
            elif run.path is not None and len(run.path):
                paths[i] = run.path if run.position is None else np.vstack([run.path, run.position])
        for i in reversed(s.members):  # the first variants (usually the tamest) end up on top
            run = view.runs[i]
            if i not in paths or not len(paths[i]):
                continue
            points = paths[i][np.isfinite(paths[i]).all(1)]
            if not len(points):
                continue
            px, py_ = to_pixel(points)
            xs, ys = polyline_pixels(px, py_)
            inside = (xs >= 0) & (xs < pw) & (ys >= 0) & (ys < py)
            pix[ys[inside], xs[inside]] = 2 * BANDS + 1 + i
            cx, cy = int(round(px[-1])), int(round(py_[-1]))
            if 0 <= cx < pw and 0 <= cy < py:
                markers[(cy // 2, cx)] = ("●" if run.diverged_at is None else "✗", variant_rgb(i))
        for i in s.members[:1]:  # all members start from the same initial weights
            if i in paths and len(paths[i]):
                sx, sy = to_pixel(paths[i][:1])
                cx, cy = int(round(sx[0])), int(round(sy[0]))
                if 0 <= cx < pw and 0 <= cy < py:
                    markers[(cy // 2, cx)] = ("◆", START_RGB)
        return markers

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

    def _to_strips(self, s: Surface, pix: np.ndarray, markers: dict, pw: int, ph: int) -> list[Strip]:
        base = self.rich_style
        strips = []
        for r in range(ph):
            segments = [y_label(r, ph, *s.y_range, base)]
            top, bottom = pix[2 * r], pix[2 * r + 1]
            for c in range(pw):
                mark = markers.get((r, c))
                if mark is not None:  # on the darkest band color: a dot on its own path would vanish
                    segments.append(Segment(mark[0], self._style(("m", mark[1], 0))))
                elif top[c] == bottom[c]:  # both pixels alike: a space on that background is half the bytes of ▀
                    segments.append(Segment(" ", self._style(("bg", int(top[c])))))
                else:
                    segments.append(Segment("▀", self._style((int(top[c]), int(bottom[c])))))
            strips.append(Strip(segments, MARGIN + pw).simplify())
        strips.append(x_ticks(*s.x_range, pw, base))
        return strips

    def _legend(self, view: View, s: Surface, width: int) -> Strip:
        segments = [Segment(" " * MARGIN, self.rich_style)]
        for i in s.members:
            segments.append(Segment("━━ ", self._style(("m", variant_rgb(i), None))))
            segments.append(Segment(f"{view.runs[i].label}  ", self.rich_style))
        return Strip(segments).adjust_cell_length(width, self.rich_style).apply_style(self.rich_style)

    def _style(self, key: tuple) -> Style:
        style = self._styles.get(key)
        if style is None:
            if key[0] == "m":  # a marker (or, with no background, a legend swatch)
                _, rgb, bottom = key
                bg = Color.from_rgb(*_rgb(bottom)) if bottom is not None else None
                style = Style(color=Color.from_rgb(*rgb), bgcolor=bg, bold=True)
            elif key[0] == "bg":
                style = Style(bgcolor=Color.from_rgb(*_rgb(key[1])))
            else:
                style = Style(color=Color.from_rgb(*_rgb(key[0])), bgcolor=Color.from_rgb(*_rgb(key[1])))
            self._styles[key] = style
        return style


# terminals that show fewer colors than RGB (Textual downgrades for them)
_COLOR_SYSTEMS = {"standard": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "windows": ColorSystem.WINDOWS}


def _rgb(index: int) -> tuple[int, int, int]:
    if index < BANDS:
        return BAND_RGB[max(index, 0)]
    if index < 2 * BANDS:
        return LINE_RGB[index - BANDS]
    if index == 2 * BANDS:
        return SURFACE_NONFINITE_RGB
    return variant_rgb(index - 2 * BANDS - 1)
