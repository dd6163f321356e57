"""The base of every panel that draws itself as cached strips (Textual's line API).

A panel keeps the latest View and rebuilds its strips only when something it
draws from changed: the data version, its size, or its own state (the run it
shows, a layer, a scale…). Between rebuilds, render_line just hands out strips.
"""

from __future__ import annotations

import time
from typing import Any

from rich.cells import cell_len
from textual.binding import Binding, BindingType
from textual.geometry import Region
from textual.message import Message
from textual.strip import Strip
from textual.widget import Widget

from ..commands import Command
from ..runner import RunView, View
from ..scenario import Scenario
from .patches import partial_updates

# Panels that show one run at a time switch runs with [ and ] (listed in help, kept out of the footer).
RUN_BINDINGS: list[BindingType] = [  # Textual's type for BINDINGS, so a panel can use the list as its own
    Binding("left_square_bracket", "run(-1)", "Prev run", key_display="[", show=False),
    Binding("right_square_bracket", "run(1)", "Next run", key_display="]", show=False),
]


class Control(Message):
    """A panel asks the trainer for something (messages up): the app sends the command on."""

    def __init__(self, command: Command):
        super().__init__()
        self.command = command


class EditRun(Message):
    """A panel asks for run `index` to start over with changed settings ("train.lr" → 0.16: the edit form's keys),
    as the edit form's Apply would (messages up): the app edits the scenario and restarts the run."""

    def __init__(self, index: int, changes: dict[str, Any]):
        super().__init__()
        self.index = index
        self.changes = changes


class Panel:
    """What the app asks of every panel it builds from panels.PANELS (a mixin beside the Textual widget class).

    Attributes down: the app builds each panel for the scenario and hands it every new View; the panel takes
    what it draws from the View and keeps its own state (the run it shows, a scale…)."""

    held_at: int | None = None  # the app sets it from view.at: the panel gets its runs as they were at this step
    asking = False  # the app sets it while a question is open: a panel whose words would answer it holds them back

    @classmethod
    def for_scenario(cls, scenario: Scenario, **kwargs):
        """The panel for this scenario (override to pass what the panel needs from it)."""
        return cls(**kwargs)

    @classmethod
    def help_rows(cls, scenario: Scenario) -> list[tuple[str, str]]:
        """(key, what it does) for the keys that work while this panel has focus."""
        own: list[BindingType] = next(
            (c.__dict__["BINDINGS"] for c in cls.__mro__ if issubclass(c, Panel) and "BINDINGS" in c.__dict__),
            [])  # a panel's own keys, not the scrolling keys every container inherits
        return [(b.key_display or b.key, b.description) for b in own if isinstance(b, Binding)]

    def show(self, view: View) -> None:
        raise NotImplementedError


def run_name(run) -> str:
    """A run's label for a panel title; a diverged run says so (its panels show its last finite state), and a run
    drawn as it was at a step says which."""
    name = run.label if run.diverged_at is None else f"{run.label} ✗ diverged @{run.diverged_at}"
    # (held there: view.at; "· at step 1", not "· step 1", which beside "step 200/200 ✓ done" read as frozen)
    return name if run.held_at is None else f"{name} · at step {run.held_at}"


def cut_run_name(run, room: int) -> str:
    """`run_name` in `room` cells, the label cut ("batch norm, l… · at step 4") before the step it is held at or
    its divergence: at 80x24 the whole name fitted only without "· step 4", and the panel no longer said when."""
    name = run_name(run)
    if len(name) <= room:
        return name
    if run.diverged_at is None and run.held_at is not None and len(f"{run.label} @ step {run.held_at}") <= room:
        return f"{run.label} @ step {run.held_at}"  # the label whole ("N(0, 0.… · at step 1" had cut its key number)
    tail = name[len(run.label):]
    keep = room - len(tail) - 1
    return f"{run.label[:keep].rstrip()}…{tail}" if keep >= 4 else name[:max(room - 1, 0)] + "…"


def changed_extent(old: Strip, new: Strip) -> tuple[int, int] | None:
    """The cells [start, end) that hold every difference between two strips, or None if they are the same.

    One extent per line: without the partial-update renderer, Textual's compositor sends a refreshed region
    from the left edge of the widget's part of the line, so every extra region on a line resent that prefix."""
    changed = _changed_cells(old, new)
    if changed is None:  # wide characters: repaint the whole line
        return 0, max(old.cell_length, new.cell_length, 1)
    return (changed[0], changed[-1] + 1) if changed else None


SPAN_GAP = 6  # unchanged cells between two changed runs that are resent rather than cut: a jump costs a cursor move


def changed_spans(old: Strip, new: Strip) -> list[tuple[int, int]]:
    """The runs of cells [start, end) that differ between two strips, runs fewer than SPAN_GAP cells apart
    joined. A gradient-flow row changes at its bar and at its history's newest column: one extent over both
    resent the unchanged history between them, every frame."""
    changed = _changed_cells(old, new)
    if changed is None:
        return [(0, max(old.cell_length, new.cell_length, 1))]
    spans: list[list[int]] = []
    for x in changed:
        if spans and x - spans[-1][1] < SPAN_GAP:
            spans[-1][1] = x + 1
        else:
            spans.append([x, x + 1])
    return [(start, end) for start, end in spans]


def _changed_cells(old: Strip, new: Strip) -> list[int] | None:
    """The columns whose cell differs between two strips ([] if none), or None where a character is not one cell
    wide (or the strips' lengths differ): then only the whole line can be said to have changed."""
    if old._segments == new._segments:
        return []
    a, b = _cells(old), _cells(new)
    if a is None or b is None or len(a) != len(b):
        return None
    return [x for x, (p, q) in enumerate(zip(a, b)) if p != q]


def refresh_changed(widget: Widget, before: list[Strip], after: list[Strip], x0: int = 0, y0: int = 0) -> None:
    """Refresh only the cells of `widget` that differ between two renders of its lines (scrolled by x0, y0): each
    run of them where the partial-update renderer sends a span from its start, else one extent a line."""
    split = partial_updates.PATCH.original is not None and partial_updates.PATCH.skipped is None
    for y, (old, new) in enumerate(zip(before, after)):
        extents = changed_spans(old, new) if split else [e] if (e := changed_extent(old, new)) else []
        for start, end in extents:
            widget.refresh(Region(start - x0, y - y0, end - start, 1))


def _cells(strip: Strip) -> list[tuple] | None:
    """(character, style) per cell, or None if a character is not one cell wide."""
    cells = []
    for text, style, _control in strip:
        if len(text) != cell_len(text):
            return None
        cells += [(ch, style) for ch in text]
    return cells


class StripPanel(Panel, Widget, can_focus=True):

    PAINTS_BACKGROUND = False  # True: every cell it draws sets its own background (no fill pass needed)
    # seconds between redraws for new data while training plays: a heatmap whose cells all move a shade a frame
    # (the decision regions' confidence) resent most of itself five times a second; paused or finished, at once
    MIN_INTERVAL = 0.0

    def __init__(self, run_index: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.run_index = run_index  # the run it shows, of those that show one ([ and ] switch)
        self._view: View | None = None
        self._key: tuple | None = None
        self._drawn_at = 0.0  # (time.monotonic() of the last redraw)
        self._strips: list[Strip] = []
        self._titles: tuple[str | None, str | None] = (None, None)

    def state_key(self) -> tuple:
        """The panel's own state that its drawing depends on (besides the data and the size)."""
        return (self.run_index, self.asking)

    def show(self, view: View | None = None) -> None:  # None: draw the last View again
        if view is not None:
            self._view = view
        if self._view is None:
            return
        key = (self._view.version, self.size, self.app.theme, *self.state_key())  # a new theme: new base colors
        if view is not None and self._throttled(key):
            return  # (a later frame draws the newest data)
        if key != self._key:
            self._drawn_at = time.monotonic()
            resized = self._key is None or self._key[1:3] != key[1:3]
            self._key = key
            before = self._strips
            self._rebuild()
            if not self.PAINTS_BACKGROUND:
                # cells drawn with only a foreground color get the panel's background (a light theme stays light)
                base = self.rich_style
                self._strips = [strip.apply_style(base) for strip in self._strips]
            self._refresh_changed(before, resized)

    def _throttled(self, key: tuple) -> bool:
        """New data only (same size, theme and state) while training plays, sooner than MIN_INTERVAL after the
        last redraw."""
        assert self._view is not None
        return (bool(self.MIN_INTERVAL) and self._view.playing and self._key is not None and key[1:] == self._key[1:]
                and time.monotonic() - self._drawn_at < self.MIN_INTERVAL)

    def _refresh_changed(self, before: list[Strip], everything: bool) -> None:
        """Repaint only the cells that changed: the terminal gets a few spans a frame, not the whole panel.

        A path that grows by a step changes a few cells on a few lines; repainting whole lines had sent
        the terminal about 6 KB a frame from the contour panel alone."""
        if everything or len(before) != len(self._strips):
            self.refresh()
            return
        refresh_changed(self, before, self._strips)

    def set_titles(self, title: str | None = None, subtitle: str | None = None) -> None:
        """Set the border's title / subtitle only when they change: each assignment repaints the whole panel.
        With one run there is no other to switch to: the subtitle's "[ / ]: run" hint goes."""
        if subtitle is not None and self._view is not None and len(self._view.runs) == 1:
            subtitle = _without_run_keys(subtitle)
        if title is not None and title != self._titles[0]:
            self.border_title = title
        if subtitle is not None and subtitle != self._titles[1]:
            self.border_subtitle = subtitle
        self._titles = (title if title is not None else self._titles[0],
                        subtitle if subtitle is not None else self._titles[1])

    def redraw(self) -> None:
        self._key = None
        self.show()

    def on_resize(self) -> None:
        self.redraw()

    def render_line(self, y: int) -> Strip:
        if y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.rich_style)

    def shown_run(self) -> RunView | None:
        """The run this panel shows now (of those that show one; [ and ] switch), or None before any."""
        view = self._view
        if view is None or not view.runs:
            return None
        self.run_index %= len(view.runs)
        return view.runs[self.run_index]

    def action_run(self, delta: int) -> None:
        """Show the previous / next run (bound to [ and ] by panels that show one run)."""
        if self._view is not None and self._view.runs:
            self.run_index = (self.run_index + delta) % len(self._view.runs)
        self.redraw()

    def _rebuild(self) -> None:
        raise NotImplementedError


def _without_run_keys(text: str) -> str:
    """A subtitle less its "[ / ]: run" / "[ / ]: other run" hint (and the separator beside it)."""
    for hint in ("[ / ]: other run", "[ / ]: run"):
        for joined in (f" · {hint}", f"{hint} · ", f"  {hint}", f"{hint}  ", f" {hint}", f"{hint} ", hint):
            if joined in text:
                return text.replace(joined, "", 1).strip()
    return text
