"""The feature-maps panel's widget: one held-out image and what the cnn makes of it, block by block.

In the order the forward pass goes (left to right, then the next band down): the image, then each conv
block's maps (one picture per channel: what that filter found where), then the same maps after the block's
pooling, all at one pixel size, so a map half as wide is drawn half as wide. Each block's pictures share one
brightness scale, 0 dark to its largest value white, written in its header (≤ 2.8); a channel that is 0 on
every probe image is dead: ✗. The line on top says what the model answers for this image.
← → step through the images, `[` / `]` runs.
"""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from ...frames import FeatureMaps
from ...ui.draw.palette import CLAIM_STYLES
from ...ui.draw.pixels import HALF, TILE_RGB, PixelPainter, size_in_cells
from ...ui.draw.raster import border_room, centered_message, first_fit
from ...ui.panel import RUN_BINDINGS, StripPanel, run_name

MAX_ZOOM = 4
DEAD_STYLE = Style(color="#FF4040", bold=True)


class FeatureMapsPanel(StripPanel):
    BINDINGS = [*RUN_BINDINGS,
                Binding("left", "image(-1)", "Image ←", show=False),
                Binding("right", "image(1)", "Image →", show=False)]
    PAINTS_BACKGROUND = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.image = 0

    def state_key(self) -> tuple:
        return (*super().state_key(), self.image)

    def action_image(self, delta: int) -> None:
        self.image += delta
        self.redraw()

    def on_mount(self) -> None:
        self.set_titles(title="Feature maps")

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        run = self.shown_run()
        maps: FeatureMaps | None = run.measured.get("feature_maps") if run is not None else None
        if run is None or maps is None or width < 12 or height < 4:
            self._strips = centered_message("waiting for the first step…", width, height, base)
            return
        self.image %= len(maps.images)
        room = border_room(self.outer_size.width)
        count = len(maps.images)
        which = "held-out image" if maps.held_out else "training image"
        self.set_titles(title=first_fit([f"Feature maps · {run_name(run)} · {which} {self.image + 1} of {count}",
                                         f"Feature maps · {run_name(run)} · image {self.image + 1} of {count}",
                                         f"Feature maps · {run_name(run)}", run_name(run)], room),
                        subtitle=first_fit(["← → image · [ / ]: run", "← → image", ""], room))
        painter = PixelPainter(TILE_RGB)
        stages = self._stages(maps)
        zoom, bands = self._layout(stages, width, height - 2)
        strips = [self._answer(maps, width, base)]
        for band in bands:
            strips += self._band([stages[k] for k in band], zoom, painter, base)
        cut = sum(len(b) for b in bands) < len(stages)
        key = "brightness: 0 dark … each block's max white"
        if not maps.names:
            key = f"'{run.label}' has no conv blocks: no feature maps, only its answer"
        half = "½ size (2×2 pixels a pixel) · " if zoom == HALF else ""
        words = [f"{half}{key} · ✗ dead: 0 on every image", f"{half}{key}", f"{half}✗: dead channel", half.rstrip(" ·")]
        if cut:
            left_out = ", ".join(s.name for s in stages[sum(len(b) for b in bands):])
            dead = " · ✗ dead" if any(s.dead is not None and s.dead.any() for s in stages) else ""
            words = [f"{half}{left_out} not shown: m zooms the panel{dead}", f"{half}{left_out}: m zooms{dead}",
                     f"{half}m zooms{dead}"]
        strips = strips[:height - 1] + [Strip([Segment(first_fit(words, width), base + Style(dim=True))])]
        self._strips = [strip.adjust_cell_length(width, base) for strip in strips[:height]]

    def _stages(self, maps: FeatureMaps) -> list[_Stage]:
        """The input, then each block's maps and, where it pools, its pooled maps."""
        i = self.image
        stages = [_Stage("input", maps.images[i], None)]
        for k, name in enumerate(maps.names):
            stages.append(_Stage(name, maps.maps[k][i], maps.dead[k]))
            pooled = maps.pooled[k]
            if pooled is not None:
                stages.append(_Stage(f"pool{k + 1}", pooled[i], maps.dead[k]))
        return stages

    @staticmethod
    def _layout(stages: list[_Stage], width: int, body: int) -> tuple[float, list[list[int]]]:
        """The pixel size and the stages of each band (left to right, then the next band down) that show the most
        stages, the largest such size: every stage where the panel has the room, else the first ones."""
        most, best = -1, (1.0, True)
        for zoom in range(MAX_ZOOM, 0, -1):
            for spaced in (True, False):  # (lines of maps a row apart, or each stage's maps on one line)
                shown = sum(len(b) for b in _bands(stages, zoom, width, body, spaced))
                if shown > most:
                    most, best = shown, (zoom, spaced)
            if most == len(stages):
                break
        # half size blurs a small image past reading: only where full size leaves out the first block's pooling,
        # and never an image under HALF_FROM pixels (an 8×8 digit drawn 4×4 is no longer a digit)
        if most < min(len(stages), MIN_STAGES) and min(stages[0].pictures.shape[1:]) >= HALF_FROM:
            for spaced in (True, False):
                shown = sum(len(b) for b in _bands(stages, HALF, width, body, spaced))
                if shown > most:
                    most, best = shown, (HALF, spaced)
        return best[0], _bands(stages, best[0], width, body, best[1])  # (again: each stage keeps the grid of the size chosen)

    def _answer(self, maps: FeatureMaps, width: int, base: Style) -> Strip:
        i = self.image
        true, said = int(maps.labels[i]), int(maps.predicted[i])
        name = maps.classes
        right = true == said
        verdict = "✓" if right else "✗"
        p = f"{maps.confidence[i]:.2f}"
        text = first_fit([f"true: {name[true]} · the model says: {name[said]}, probability {p} {verdict}",
                          f"true: {name[true]} · the model says: {name[said]} (p {p}) {verdict}",
                          f"true {name[true]} · says {name[said]} (p {p}) {verdict}",
                          f"{name[true]}→{name[said]} {verdict}"], width)
        return Strip([Segment(text, base + Style.parse(CLAIM_STYLES["passed" if right else "failed"]))])

    def _band(self, stages: list[_Stage], zoom: float, painter: PixelPainter, base: Style) -> list[Strip]:
        """Stages side by side, each its name over a grid of its maps, an arrow between them."""
        blocks = [stage.lines(zoom, painter, base) for stage in stages]
        height = max(len(b) for b in blocks)
        strips = []
        for row in range(height):
            segments: list[Segment] = []
            for k, block in enumerate(blocks):
                if k:
                    arrow = " → " if row == 1 + (height - 1) // 2 else "   "
                    segments.append(Segment(arrow, base + Style(dim=True)))
                w = stages[k].width
                segments += block[row] if row < len(block) else [Segment(" " * w, base)]
            strips.append(Strip(segments))
        strips.append(Strip([Segment(" ", base)]))
        return strips


ARROW_W = 3
MIN_STAGES = 3  # the input, the first maps and what comes next: fewer at full size, and half size is tried
HALF_FROM = 16  # pixels: the smallest image half size may draw (a 12×12 bar at 6×6 was a smudge)


def _bands(stages: list[_Stage], zoom: float, width: int, body: int, spaced: bool) -> list[list[int]]:
    """The stages laid out at `zoom` as words on lines, as many whole bands as fit in `body` rows. A stage too
    wide for what is left of a band first tries its maps on more lines there (conv1's six maps three by two
    beside the image), and starts the next band only where that is taller than the panel."""
    bands: list[list[int]] = []
    band: list[int] = []
    heights: dict[int, int] = {}
    used_w = above = 0  # the band's width so far, and the rows of the bands above it
    for k, stage in enumerate(stages):
        w, h = stage.size(zoom, width, spaced)
        if w > width:
            break
        room = width - used_w - ARROW_W
        if band and w > room:
            w, h = stage.size(zoom, room, spaced) if room > 0 else (width + 1, 0)
            if w > room or h > body - above:
                bands.append(band)
                above += max(heights[i] for i in band) + 1
                band, used_w = [], 0
                w, h = stage.size(zoom, width, spaced)
        used_w += (ARROW_W if band else 0) + w
        heights[k] = h
        band.append(k)
    if band:
        bands.append(band)
    kept, rows = [], 0
    for band in bands:
        h = max(heights[k] for k in band)
        if rows + h > body:
            break
        kept.append(band)
        rows += h + 1
    return kept


class _Stage:
    """One step of the forward pass: its maps (channels, h, w), laid out as a near-square grid under its name."""

    def __init__(self, name: str, pictures: np.ndarray, dead: np.ndarray | None):
        self.name, self.pictures, self.dead = name, pictures, dead
        finite = np.abs(pictures[np.isfinite(pictures)])
        self.scale = float(finite.max()) if len(finite) else 0.0
        self.signed = bool((pictures < 0).any())
        self.columns = 1
        self.width = 0
        self.spaced = True

    def header(self) -> str:
        count, (h, w) = len(self.pictures), self.pictures.shape[1:]
        return f"{self.name} {f'{count}×' if count > 1 else ''}{h}×{w} max {self.scale:.2g}"

    def size(self, zoom: float, room: int, spaced: bool) -> tuple[int, int]:
        """(width, rows) of the stage at `zoom`: its maps on as few lines as `room` allows, a blank row apart;
        not `spaced`: all on one line."""
        self.spaced = spaced
        tile_w, tile_h = size_in_cells(self.pictures.shape[1:], zoom)
        count = len(self.pictures)
        fit = (room + 1) // (tile_w + 1)
        # as few lines as the room allows (the rows are what a panel is short of); maps on lines with no row
        # between would touch (their 0 is one colour): unspaced, one line or nothing
        self.columns = max(1, min(count, fit)) if spaced else count
        lines = math.ceil(count / self.columns)
        self.width = max(self.columns * (tile_w + 1) - 1, len(self.header()))
        return self.width, 1 + lines * tile_h + (lines - 1) * spaced  # the header, then the lines of maps

    def lines(self, zoom: float, painter: PixelPainter, base: Style) -> list[list[Segment]]:
        tile_w, tile_h = size_in_cells(self.pictures.shape[1:], zoom)
        out = [[Segment(f"{self.header():<{self.width}}", base + Style(bold=True))]]
        for first in range(0, len(self.pictures), self.columns):
            if first and self.spaced:  # (maps of neighbouring lines would touch: their 0 is one colour)
                out.append([Segment(" " * self.width, base)])
            drawn = [painter.rows(p, zoom, self.scale, self.signed) for p in self.pictures[first:first + self.columns]]
            for line in range(tile_h):
                segments: list[Segment] = []
                for c, picture in enumerate(drawn):
                    cells = picture[line]
                    if line == 0 and self.dead is not None and self.dead[first + c]:
                        cells = [Segment("✗", DEAD_STYLE + Style(bgcolor=cells[0].style.bgcolor
                                                                  if cells[0].style else None)), *cells[1:]]
                    segments += [*cells, Segment(" ", base)] if c + 1 < len(drawn) else cells
                used = sum(len(s.text) for s in segments)
                out.append([*segments, Segment(" " * (self.width - used), base)])
        return out
