"""Partial screen updates that start where the change starts, not at the widget's left edge.

When a widget refreshes a region, Textual's compositor writes the widget's part of each line from its
left edge up to the region's end (`ChopsUpdate.render_segments`: the start crop is a TODO upstream,
Textual issue #5625). A live panel changes a few cells a frame — a path's new step, a loss digit at the
far right of the variants table — so most of what reached the terminal was unchanged cells: over SSH at
120x40 that was about half of nntui's bytes.

`render_segments` below is Textual's, with the start cropped the way its own `__rich_console__` does
it: from the first segment that reaches the region. Cropping on a segment boundary never splits a wide
character. It is installed only on the Textual it was written for; any other keeps Textual's own
(textual_patch.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .textual_patch import WRITTEN_FOR, TextualPatch

if TYPE_CHECKING:
    from rich.console import Console
    from textual._compositor import ChopsUpdate
    from textual.strip import Strip

__all__ = ["WRITTEN_FOR", "PATCH", "install", "render_segments", "skip_to", "textual_render_segments"]


def textual_render_segments() -> Any:
    """Textual's own `ChopsUpdate.render_segments`, whether or not install() replaced it."""
    from textual._compositor import ChopsUpdate

    return PATCH.original or ChopsUpdate.render_segments


def _move(x: int, y: int) -> str:
    return f"\x1b[{y + 1};{x + 1}H"


def skip_to(strip: Strip, x: int, x1: int) -> int:
    """Cells to skip from the start of `strip` (which starts at column x) so it starts at the segment
    holding column x1."""
    skipped = 0
    for segment in strip:
        width = segment.cell_length
        if x + skipped + width > x1:
            break
        skipped += width
    return skipped


def render_segments(self: ChopsUpdate, console: Console) -> str:
    """Raw terminal data for the changed spans: Textual 8.2.8's, plus the start crop."""
    sequences: list[str] = []
    append = sequences.append
    chops, chop_ends = self.chops, self.chop_ends
    last_y = self.spans[-1][0]
    for y, x1, x2 in self.spans:
        for end, (x, strip) in zip(chop_ends[y], chops[y].items()):
            if strip is None or x > x2 or end <= x1:
                continue
            if x2 > x >= x1 and end <= x2:
                append(_move(x, y))
                append(strip.render(console))
                continue
            start = skip_to(strip, x, x1) if x < x1 else 0
            strip = strip.crop(start, min(end, x2) - x)
            append(_move(x + start, y))
            append(strip.render(console))
        if y != last_y:
            append("\n")
    return "".join(sequences)


def _target() -> tuple[Any, str]:
    from textual._compositor import ChopsUpdate

    return ChopsUpdate, "render_segments"


PATCH = TextualPatch("partial screen updates", render_segments, _target)


def install(version: str | None = None) -> bool:
    """Use the cropping renderer on the Textual it was written for; say whether it is in use."""
    return PATCH.install(version)
