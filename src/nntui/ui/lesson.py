"""The lesson panel: the current guided beat above the scenario's markdown text."""

from __future__ import annotations

import re
import textwrap

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownFence

from ..claims import Check
from ..scenario.spec import Beat, Lesson
from .claims import ClaimList
from .panel import Panel


class PlainFence(MarkdownFence):
    """A code block with no language is a formula: shown as plain text.

    Textual would otherwise guess its language by trying every pygments lexer, which took 214 ms of
    lr_sweep's start-up (8 blocks), a third of the time to the first frame."""

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        return super().highlight(code, language or "text", ansi=ansi, dark=dark)


class LessonMarkdown(Markdown):
    BLOCKS = {**Markdown.BLOCKS, "fence": PlainFence, "code_block": PlainFence}


def current_beat(beats: list[Beat], step: int) -> Beat | None:
    """The last beat whose step has been reached."""
    reached = [b for b in beats if b.at <= step]
    return reached[-1] if reached else None


def _lines(markdown: str, width: int) -> int:
    """About how many rows a one-paragraph Markdown beat takes at `width` (emphasis marks take no room)."""
    plain = re.sub(r"[*`]", "", markdown)
    return len(textwrap.wrap(plain, width)) or 1


class LessonPanel(Panel, VerticalScroll):
    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls(scenario.lesson, unit="step" if scenario.expression is None else "node", checks=scenario.checks,
                   **kwargs)

    def __init__(self, lesson: Lesson, unit: str = "step", checks: tuple[Check, ...] = (), **kwargs):
        super().__init__(**kwargs)
        self.lesson = lesson
        self.checks = checks
        self.unit = unit  # what a beat's `at` counts: training steps, or nodes of a graph lesson
        self._beat: Beat | None = None

    def compose(self) -> ComposeResult:
        yield LessonMarkdown("", id="beat", classes="-empty")
        if self.checks:
            yield ClaimList(self.checks, id="claims")
        yield LessonMarkdown(self.lesson.text.strip() or "*No lesson text.*", id="text")

    def on_mount(self) -> None:
        self.border_title = "Lesson"
        self.border_subtitle = "tab: focus · ↑↓ scroll"

    def show(self, view) -> None:
        self.show_step(view.step)
        if self.checks:
            self.query_one(ClaimList).show(view.verdicts)

    def on_resize(self) -> None:
        self._reserve()

    def _reserve(self) -> None:
        """Keep the beat box as tall as the lesson's tallest beat at this width, so the text below it stays put
        when one beat follows another (it jumped, and the whole panel was sent to the terminal again)."""
        box = self.query_one("#beat", Markdown)
        width = box.content_region.width or self.content_region.width - 4  # (border and padding of the box)
        if width > 0 and self.lesson.beats:
            # (two columns spare: Markdown breaks lines a little earlier than textwrap)
            box.styles.min_height = max(_lines(self._beat_text(b), width - 2) for b in self.lesson.beats)

    def _beat_text(self, beat: Beat) -> str:
        return f"**▶ {self.unit} {beat.at}** · {beat.say}"

    def show_step(self, step: int) -> None:
        beat = current_beat(self.lesson.beats, step)
        if beat is self._beat:
            return
        self._beat = beat
        box = self.query_one("#beat", Markdown)
        box.set_class(beat is None, "-empty")
        if beat is not None:
            box.update(self._beat_text(beat))
            self._reserve()
            self.scroll_home(animate=False)
