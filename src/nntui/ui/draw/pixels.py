"""Small images (kernels, feature maps, input images) drawn two square pixels a cell: '▀' in the upper pixel's
colour on the lower pixel's. A pixel drawn `zoom` times larger is zoom cells wide and zoom half-rows tall, so an
image keeps its proportions on a terminal's tall cells.

Signed values (weights) use two hues centred on 0, the neurons panel's: orange above 0, blue below, fading into
the background at 0; values that are never negative (a ReLU's maps, pixels) go from the background to white.
Each picture is drawn against a scale its panel chooses and states on screen.
"""

from __future__ import annotations

import math

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style

from .palette import NONFINITE_RGB, blend, class_rgb

LEVELS = 12  # shades of |value| between the background and the full colour
POSITIVE_RGB, NEGATIVE_RGB = class_rgb(1), class_rgb(0)
INK_RGB = (240, 240, 240)  # the largest value of a picture that is never negative
TILE_RGB = (40, 40, 48)    # a picture's 0: a shade apart from the panel, so every picture's extent shows

RGB = tuple[int, int, int]


class PixelPainter:
    """Paints images as rows of '▀' segments over a background colour, keeping one Style per colour pair."""

    def __init__(self, background: RGB):
        self.background = background
        self._styles: dict[tuple[RGB, RGB], Style] = {}

    def colour(self, value: float, scale: float, signed: bool) -> RGB:
        """The colour of `value` on a picture whose largest |value| is drawn at `scale`."""
        if not math.isfinite(value):
            return NONFINITE_RGB
        share = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
        level = round(share * LEVELS) / LEVELS
        hue = (POSITIVE_RGB if value > 0 else NEGATIVE_RGB) if signed else INK_RGB
        return blend(self.background, hue, level)

    def style(self, top: RGB, bottom: RGB) -> Style:
        key = (top, bottom)
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = Style(color=Color.from_rgb(*top), bgcolor=Color.from_rgb(*bottom))
        return style

    def rows(self, image: np.ndarray, zoom: float, scale: float, signed: bool,
             marks: tuple[tuple[np.ndarray, RGB, float], ...] = ()) -> list[list[Segment]]:
        """(h, w) values as `size_in_cells` says: each pixel zoom × zoom, or at HALF each 2×2 block one pixel, its
        mean. `marks`: (mask (h, w), colour, share) each tints the pixels of its mask that share of the way to
        its colour (a patch under a kernel, a receptive field)."""
        pixels = np.asarray(image, np.float64)
        if zoom == HALF:  # (a 2×2 block is marked where any of its pixels is)
            pixels, zoom = halved(pixels), 1
            marks = tuple((halved(mask.astype(np.float64)) > 0, rgb, share) for mask, rgb, share in marks)
        z = int(zoom)
        pixels = np.repeat(np.repeat(pixels, z, 0), z, 1)
        colours = [[self.colour(v, scale, signed) for v in row] for row in pixels.tolist()]
        for mask, rgb, share in marks:
            big = np.repeat(np.repeat(mask, z, 0), z, 1)
            for y, x in zip(*np.nonzero(big)):
                colours[y][x] = blend(colours[y][x], rgb, share)
        if len(colours) % 2:
            colours.append([self.background] * pixels.shape[1])
        return [[Segment("▀", self.style(top, bottom)) for top, bottom in zip(up, down)]
                for up, down in zip(colours[0::2], colours[1::2])]


HALF = 0.5  # a zoom that draws each 2×2 block of pixels as one: a large map in a small panel (said on screen)


def halved(image: np.ndarray) -> np.ndarray:
    """Each 2×2 block of an (h, w) image as its mean (an odd last row or column alone)."""
    h, w = image.shape
    padded = np.full((h + h % 2, w + w % 2), np.nan)
    padded[:h, :w] = image
    with np.errstate(invalid="ignore"):
        return np.nanmean(padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2), axis=(1, 3))


NUMBER_W = 6  # a weight written in its cell: " -0.42"


def number_cells(painter: PixelPainter, values: np.ndarray, scale: float) -> list[list[Segment]]:
    """(h, w) signed values as rows of cells NUMBER_W wide, each its number on its colour (black or white text,
    whichever reads on it): a kernel with its weights written out."""
    rows = []
    for row in np.asarray(values, np.float64).tolist():
        cells = []
        for value in row:
            rgb = painter.colour(value, scale, True)
            light = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2] > 140
            text = f"{value:+.2f}" if abs(value) < 9.995 else f"{value:+.0e}"
            cells.append(Segment(f"{text:>{NUMBER_W}}", painter.style((0, 0, 0) if light else (255, 255, 255), rgb)))
        rows.append(cells)
    return rows


def size_in_cells(shape: tuple[int, int], zoom: float) -> tuple[int, int]:
    """(width, rows) of an (h, w) picture drawn at `zoom`."""
    h, w = shape
    if zoom == HALF:
        h, w, zoom = math.ceil(h / 2), math.ceil(w / 2), 1
    return int(w * zoom), math.ceil(h * zoom / 2)


def legend(painter: PixelPainter, scale: float, signed: bool, base: Style) -> list[Segment]:
    """A strip of colour from −scale (signed) or 0 to +scale, with its ends' numbers: the picture's key."""
    steps = np.linspace(-scale if signed else 0.0, scale, 9)
    swatch = [Segment("█", base + Style(color=Color.from_rgb(*painter.colour(v, scale, signed)))) for v in steps]
    low = f"{-scale:.2g} " if signed else "0 "
    return [Segment(low, base), *swatch, Segment(f" {scale:+.2g}" if signed else f" {scale:.2g}", base)]
