"""The filters panel's widget: one conv block's kernels, each filter a small image of its weights.

A filter of a block that reads one channel (the image) is one k×k picture; of a deeper block, one picture per
channel it reads, side by side. Every kernel of the block shares one colour scale (orange above 0, blue below,
the background at 0; its largest |weight| at full colour), stated under the pictures, so a filter that is
fainter than another has smaller weights. Where the panel has room, each weight's number is written in its cell.
← → switch blocks, `[` / `]` runs.
"""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from ...claims import EDGES, edge_responses
from ...frames import ConvFilters
from ...ui.draw.pixels import NUMBER_W, TILE_RGB, PixelPainter, legend, number_cells, size_in_cells
from ...ui.draw.raster import border_room, centered_message, first_fit
from ...ui.panel import RUN_BINDINGS, StripPanel, run_name

MAX_ZOOM = 4
GAP = 2        # columns between filters


class FiltersPanel(StripPanel):
    BINDINGS = [*RUN_BINDINGS,
                Binding("left", "block(-1)", "Block ←", show=False),
                Binding("right", "block(1)", "Block →", show=False)]
    PAINTS_BACKGROUND = True

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.block = 0

    def state_key(self) -> tuple:
        return (*super().state_key(), self.block)

    def action_block(self, delta: int) -> None:
        self.block += delta
        self.redraw()

    def on_mount(self) -> None:
        self.set_titles(title="Filters")

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        run = self.shown_run()
        filters: ConvFilters | None = run.measured.get("filters") if run is not None else None
        if run is None or filters is None or width < 8 or height < 3:
            self._strips = centered_message("waiting for the first step…", width, height, base)
            return
        if not filters.names:
            self.set_titles(title=f"Filters · {run_name(run)}", subtitle="[ / ]: run")
            self._strips = centered_message(f"'{run.label}' has no conv blocks: no filters ([ / ]: another run)",
                                            width, height, base)
            return
        self.block %= len(filters.names)
        weights = np.asarray(filters.weights[self.block], np.float64)
        out, into, k, _ = weights.shape
        name = filters.names[self.block]
        room = border_room(self.outer_size.width)
        reads = "the image" if self.block == 0 else f"{into} maps"
        self.set_titles(
            title=first_fit([f"Filters · {run_name(run)} · {name}: {out} of {k}×{k}, reading {reads}",
                             f"Filters · {run_name(run)} · {name}: {out} of {k}×{k}",
                             f"{run_name(run)} · {name}: {out} of {k}×{k}", name], room),
            subtitle=first_fit(["← → block · [ / ]: run", "← → block", ""] if len(filters.names) > 1 else
                               ["[ / ]: run", ""], room))
        self._strips = self._draw(run, filters, width, height, base)

    def _draw(self, run, filters: ConvFilters, width: int, height: int, base: Style) -> list[Strip]:
        """The block's filters before training (where there is room) and now, the edges' line and the scale."""
        weights = np.asarray(filters.weights[self.block], np.float64)
        out = len(weights)
        painter = PixelPainter(TILE_RGB)
        initial = (np.asarray(filters.initial[self.block], np.float64)
                   if filters.initial and run.step > 0 and run.held_at is None else None)
        both = weights if initial is None else np.concatenate([weights, initial])
        finite = np.abs(both[np.isfinite(both)])
        scale = float(finite.max()) if len(finite) else 0.0  # (one scale for both: a faint start is a small one)
        maps = run.measured.get("feature_maps")
        labels, notes = _labels(weights, maps.dead[self.block] if maps is not None and self.block < len(maps.dead)
                                else None, self.block == 0)
        sections = [("now", weights)] if initial is None else [("before training", initial),
                                                                (f"now, step {run.step}", weights)]
        zoom, per_row, rows = self._layout(weights, width, height, len(sections))
        if len(sections) > 1 and (per_row * rows < out or zoom == 1):  # (no room for both: the weights now)
            sections = [("now", weights)]
            zoom, per_row, rows = self._layout(weights, width, height, 1)
        strips: list[Strip] = []
        for title, grid in sections:
            if len(sections) > 1:
                strips.append(Strip([Segment(title, base + Style(bold=True))]))
            strips += self._grid(grid, labels, painter, scale, zoom, per_row, rows, base)
        footer = _footer(painter, scale, notes, out - min(out, per_row * rows), width, height - len(strips), base)
        strips = strips[:height - len(footer)] + footer
        return [strip.adjust_cell_length(width, base) for strip in strips[:height]]

    def _layout(self, weights: np.ndarray, width: int, height: int, copies: int) -> tuple[int, int, int]:
        """(zoom, filters per row, rows of filters) with the largest pictures that fit `copies` grids of them:
        zoom 0 writes numbers."""
        out, into, k, _ = weights.shape
        body = height - 3 - (copies if copies > 1 else 0)  # the scale line, the edges' lines, each grid's heading
        for zoom in ([0] if into == 1 else []) + list(range(MAX_ZOOM, 0, -1)):
            tile_w, tile_h = (NUMBER_W * k, k) if zoom == 0 else size_in_cells((k, k), zoom)
            tile_w = tile_w * into + (into - 1)
            per_row = max(1, (width + GAP) // (tile_w + GAP))
            rows = math.ceil(out / per_row)
            if tile_w <= width and copies * rows * (tile_h + 1) <= body:
                return zoom, math.ceil(out / rows), rows  # (rows as even as they can be: 3 + 3, not 5 + 1)
        tile_w = into * k + into - 1
        per_row = max(1, (width + GAP) // (tile_w + GAP))
        return 1, per_row, max(1, body // copies // (size_in_cells((k, k), 1)[1] + 1))

    def _grid(self, weights: np.ndarray, labels: list[str], painter: PixelPainter, scale: float, zoom: int,
              per_row: int, rows: int, base: Style) -> list[Strip]:
        out = len(weights)
        strips: list[Strip] = []
        shown = min(out, per_row * rows)
        for first in range(0, shown, per_row):
            tiles = [self._tile(weights[f], painter, scale, zoom, base) for f in range(first, min(first + per_row, shown))]
            tile_w = len(tiles[0][0][0].text)
            strips.append(Strip([Segment(f"{('filter ' if tile_w >= 10 else '') + labels[f]:<{tile_w}}" + " " * GAP,
                                         base + Style(dim=True)) for f in range(first, first + len(tiles))]))
            for line in range(len(tiles[0]) - 1):
                segments: list[Segment] = []
                for tile in tiles:
                    segments += tile[line + 1] + [Segment(" " * GAP, base)]
                strips.append(Strip(segments))
        return strips

    def _tile(self, kernels: np.ndarray, painter: PixelPainter, scale: float, zoom: int,
              base: Style) -> list[list[Segment]]:
        """One filter: a label row's place, then its kernels (one per channel it reads) side by side."""
        pictures = [number_cells(painter, kernel, scale) if zoom == 0 else painter.rows(kernel, zoom, scale, True)
                    for kernel in kernels]
        lines = [[Segment("", base)]]
        for row in range(len(pictures[0])):
            line: list[Segment] = []
            for c, picture in enumerate(pictures):
                line += picture[row] + ([Segment(" ", base)] if c + 1 < len(pictures) else [])
            lines.append(line)
        width = sum(len(s.text) for s in lines[1])
        lines[0] = [Segment(" " * width, base)]
        return lines



def _labels(weights: np.ndarray, dead: np.ndarray | None, image: bool) -> tuple[list[str], list[list[str]]]:
    """Each filter's label (✗: dead, 0 on every probe image), and notes in the forms that fit, longest first: for a
    block that reads the image, the filter that responds most to a vertical and to a horizontal edge, and how many
    times more than to the edge turned 90° (the claims' edge_ratio, in their words)."""
    labels = [f"{f + 1} ✗" if dead is not None and f < len(dead) and dead[f] else f"{f + 1}" for f in range(len(weights))]
    notes = []
    if image and weights.shape[1] == 1:
        for orientation in EDGES:
            along, across = edge_responses(weights, orientation)
            best = int(np.argmax(along))
            ratio = f"{along[best] / across[best]:.4g}" if across[best] > 0 else "inf"
            notes.append([f"filter {best + 1}: {orientation} edge ÷ turned 90° = {ratio}",
                          f"filter {best + 1}: {orientation} edge ÷ turned = {ratio}",
                          f"filter {best + 1}: {orientation} edge ×{ratio}", f"filter {best + 1}: {orientation} ×{ratio}"])
    if dead is not None and dead.any():
        notes.append(["✗ dead: 0 on every image", "✗ dead"])
    return labels, notes


def _footer(painter: PixelPainter, scale: float, notes: list[list[str]], left_out: int, width: int, room: int,
            base: Style) -> list[Strip]:
    """The notes, a line each, and the colour scale, in `room` rows."""
    note = f"  {left_out} more: m zooms" if left_out else ""
    key = legend(painter, scale, True, base)
    words = first_fit(["  weight: blue < 0 < orange, one scale for the block" + note,
                       "  blue < 0 < orange" + note, note], width - sum(len(s.text) for s in key))
    return ([Strip([Segment(first_fit(forms, width), base + Style(dim=True))]) for forms in notes[:max(room - 1, 0)]]
            + [Strip([*key, Segment(words, base)])])
