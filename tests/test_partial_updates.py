"""The partial-update renderer sends less and leaves the terminal showing exactly what Textual's would."""

import re
import subprocess
import sys

from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual._compositor import ChopsUpdate
from textual.strip import Strip

from nntui.ui.panel import changed_extent
from nntui.ui.patches import partial_updates

RED, BLUE = Style(color="red"), Style(color="blue", bgcolor="white")
WIDTH, HEIGHT = 30, 3


def apply(screen: list[list[str]], data: str) -> None:
    """A minimal terminal: cursor moves, text written cell by cell (a wide character takes two), styles ignored."""
    x = y = 0
    for token in re.split(r"(\x1b\[[0-9;]*[A-Za-z])", data):
        if move := re.fullmatch(r"\x1b\[(\d+);(\d+)H", token):
            y, x = int(move[1]) - 1, int(move[2]) - 1
        elif token.startswith("\x1b") or token == "\n":
            continue
        else:
            for ch in token.replace("\n", ""):
                width = cell_len(ch)
                screen[y][x] = ch
                if width == 2:
                    screen[y][x + 1] = ""
                x += width


def update(lines: list[Strip], spans: list[tuple[int, int, int]], left: int = 0) -> ChopsUpdate:
    """One widget at column `left` (width WIDTH - left) to the right of a 'sidebar' chop."""
    chops = [{0: Strip([Segment("|" * left)]) if left else None, left: line} if left else {0: line}
             for line in lines]
    ends = [[left, WIDTH] if left else [WIDTH] for _ in lines]
    return ChopsUpdate(chops, spans, ends)


def screens(old: list[Strip], new: list[Strip], spans, left: int = 0):
    console = Console(width=WIDTH, color_system="256", force_terminal=True)
    results = []
    for render in (partial_updates.textual_render_segments(), partial_updates.render_segments):
        screen = [[" "] * WIDTH for _ in range(HEIGHT)]
        apply(screen, render(update(old, [(y, 0, WIDTH) for y in range(len(old))], left), console))
        data = render(update(new, spans, left), console)
        apply(screen, data)
        results.append(("".join("".join(row) for row in screen), len(data)))
    return results


def strip(*parts: tuple[str, Style]) -> Strip:
    return Strip([Segment(text, style) for text, style in parts])


def test_a_span_on_the_right_is_sent_alone_and_the_screen_ends_the_same():
    old = [strip(("a" * 25, RED)), strip(("b" * 25, BLUE))]
    new = [strip(("a" * 20, RED), ("XY", BLUE), ("a" * 3, RED)), strip(("b" * 25, BLUE))]
    (textual_screen, textual_bytes), (ours, our_bytes) = screens(old, new, [(0, 25, 27)], left=5)  # screen columns
    assert ours == textual_screen and "XY" in ours
    assert our_bytes < textual_bytes / 2


def test_a_crop_never_splits_a_wide_character():
    # the span starts on the right half of 宽: the update starts at the segment holding it
    old = [strip(("ab", RED), ("宽", BLUE), ("cdefgh", RED))]
    new = [strip(("ab", RED), ("宽", BLUE), ("cXefgh", RED))]
    (textual_screen, _), (ours, _) = screens(old, new, [(0, 3, 6)])
    assert ours == textual_screen and "宽" in ours


def test_installed_only_on_the_textual_it_was_written_for():
    assert not partial_updates.install("0.0.1")
    assert partial_updates.install(partial_updates.WRITTEN_FOR)
    assert ChopsUpdate.render_segments is partial_updates.render_segments


def test_a_textual_that_moved_the_internal_still_imports_and_skips_the_patch_with_one_notice():
    code = (
        "import textual._compositor as compositor\n"
        "del compositor.ChopsUpdate  # as a Textual release that moved it\n"
        "import nntui.ui.app\n"
        "from nntui.ui.patches import partial_updates\n"
        "assert 'ChopsUpdate' in partial_updates.PATCH.skipped and partial_updates.install() is False\n"
    )
    result = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("partial screen updates not in use") == 1  # once, though install() ran twice


def test_changed_extent_covers_every_change_in_one_span():
    old = strip(("abcdefghij", RED))
    assert changed_extent(old, strip(("abcdefghij", RED))) is None
    assert changed_extent(old, strip(("aXcdefghYj", RED))) == (1, 9)
    assert changed_extent(old, strip(("abc", RED), ("d", BLUE), ("efghij", RED))) == (3, 4)
    assert changed_extent(old, strip(("宽cdefghij", RED))) == (0, 10)  # wide characters: the whole line


def test_changed_spans_part_runs_far_apart_and_join_near_ones():
    from nntui.ui.panel import SPAN_GAP, changed_spans

    old = Strip([Segment("a" * 40)])
    far = Strip([Segment("b" + "a" * 30 + "bb" + "a" * 7)])  # a bar's cell and the history's newest, far apart
    assert changed_spans(old, far) == [(0, 1), (31, 33)]
    near = Strip([Segment("b" + "a" * (SPAN_GAP - 2) + "b" + "a" * (40 - SPAN_GAP))])  # closer than a jump is worth
    assert changed_spans(old, near) == [(0, SPAN_GAP)]
    assert changed_spans(old, old) == []


async def test_a_throttled_panel_skips_new_data_while_playing_and_draws_at_once_when_paused():
    # the decision regions drift a shade a frame: redrawn five times a second they were most of grad_accumulation's
    # bytes at 200x60
    from textual.app import App

    from nntui.runner import View
    from nntui.ui.panel import StripPanel

    class Counted(StripPanel):
        MIN_INTERVAL = 60.0  # (longer than the test: only a pause or a resize draws again)
        rebuilds = 0

        def _rebuild(self) -> None:
            Counted.rebuilds += 1
            self._strips = [Strip.blank(self.size.width)] * self.size.height

    def view(version: int, playing: bool) -> View:
        return View(version=version, state="ready", device="cpu", step=version, total=100, playing=playing,
                    finished=False, speed=None, rate=0.0, error=None, runs=())

    class One(App):
        def compose(self):
            yield Counted()

    app = One()
    async with app.run_test(size=(40, 10)) as pilot:
        panel = app.query_one(Counted)
        panel.show(view(1, True))
        first = Counted.rebuilds
        panel.show(view(2, True))  # new data, too soon: skipped
        assert Counted.rebuilds == first
        panel.show(view(3, False))  # paused: the newest data at once
        assert Counted.rebuilds == first + 1
        await pilot.resize_terminal(50, 12)  # a new size is never throttled
        await pilot.pause()
        assert Counted.rebuilds >= first + 2
