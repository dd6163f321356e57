"""The lesson panel: the scenario's markdown text, with the current guided beat under it.

Nothing a lesson says is cut: formulas and code wrap to the panel's width
(each continuation row indented under its line), so a lesson reads whole in
the narrow panel of an 80-column terminal.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.widget import Widget
from textual.widgets import Markdown
from textual.widgets._markdown import MarkdownFence

from ...claims import Check
from ...scenario.spec import Beat, Lesson
from ...ui.draw.raster import border_room, first_fit
from ...ui.panel import Panel
from .claims import ClaimList

# A wrapped formula or code line breaks, where it can, before one of these: "= −9.33" reads on as a new row.
BREAK_BEFORE = ("=", "≈", "≤", "≥", "<", ">", "←", "→", "#", "+", "−", "-", "·", "/")


def wrap_code(line: str, width: int) -> list[tuple[int, int, int]]:
    """(start, end, indent) character spans of `line`'s rows at `width` cells: continuation rows are indented two
    cells deeper than the line; a row breaks at a space, preferably before an operator, mid-word only if it must."""
    lead = len(line) - len(line.lstrip(" "))
    hang = min(lead + 2, width // 3)
    rows: list[tuple[int, int, int]] = []
    start, indent = 0, 0
    while cell_len(line[start:]) > width - indent:
        cut = _break(line, start, width - indent)
        rows.append((start, cut, indent))
        start, indent = cut, hang
        while start < len(line) and line[start] == " ":
            start += 1
    rows.append((start, len(line), indent))
    return rows


def _break(line: str, start: int, room: int) -> int:
    """Where a row of `line` from `start`, `room` cells wide, ends: the last space before an operator outside
    brackets, else before one inside, else any space, else after a comma, bracket or dot, else mid-word."""
    end = start
    while end < len(line) and cell_len(line[start:end + 1]) <= room:
        end += 1
    spaces = [i for i in range(start + 1, end + 1) if i < len(line) and line[i] == " " and line[i - 1] != " "
              and line[start:i].strip()]  # (never a row of nothing but indentation)
    before = [i for i in spaces if i - start > room // 2 and line[i:].lstrip().startswith(BREAK_BEFORE)]
    outside = [i for i in before if _depth(line[:i]) == 0]  # between terms, not inside brackets
    after = [i + 1 for i in range(start, end - 1) if line[i] in ",(." and i - start >= room // 2]
    return (outside or before or spaces or after or [max(end, start + 1)])[-1]  # mid-word only if it must


def _depth(text: str) -> int:
    return sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")


class WrappedCode(Widget):
    """A code block's text, each line wrapped to the width the block gets (a formula is never cut off)."""

    DEFAULT_CSS = "WrappedCode { width: 1fr; height: auto; }"

    def __init__(self, content: Content, **kwargs):
        super().__init__(**kwargs)
        self.content = content

    def update(self, content: Content) -> None:
        self.content = content
        self.refresh(layout=True)

    def rows(self, width: int) -> list[Content]:
        rows = []
        for line in self.content.split("\n", allow_blank=True):
            for start, end, indent in wrap_code(line.plain, max(width, 1)):
                rows.append(Content(" " * indent) + line[start:end])
        return rows

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return max((line.cell_length for line in self.content.split("\n")), default=0)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self.rows(width))

    def render(self) -> Content:
        return Content("\n").join(self.rows(self.content_region.width))


class PlainFence(MarkdownFence):
    """A code block: wrapped to the panel's width; one with no language is a formula, shown as plain text.

    Textual would otherwise guess its language by trying every pygments lexer, which took 214 ms of
    lr_sweep's start-up (8 blocks), a third of the time to the first frame."""

    @classmethod
    def highlight(cls, code: str, language: str, ansi: bool = False, dark: bool = False) -> Content:
        return super().highlight(code, language or "text", ansi=ansi, dark=dark)

    def compose(self) -> ComposeResult:
        yield WrappedCode(self._highlighted_code, id="code-content")

    def set_content(self, content: Content) -> None:
        self._content = content
        for code in self.query(WrappedCode):
            code.update(content)


class LessonMarkdown(Markdown):
    BLOCKS = {**Markdown.BLOCKS, "fence": PlainFence, "code_block": PlainFence}


def current_beat(beats: list[Beat], step: int) -> Beat | None:
    """The last beat whose step has been reached."""
    reached = [b for b in beats if b.at <= step]
    return reached[-1] if reached else None


def beat_is_now(beats: list[Beat], beat: Beat, step: int, total: int) -> bool:
    """Whether `beat` still speaks of the present: until the next beat, and for a tenth of the lesson at most
    (at least one step). Afterwards it stays on screen, faded, as what was said at its step."""
    later = [b.at for b in beats if b.at > beat.at]
    return step < min(later, default=step + 1) and step < beat.at + max(1, total // 10)


class LessonPanel(Panel, VerticalScroll):
    """The lesson text, and under it (docked: the text never moves when a beat changes) the beat reached last.

    A beat is bright while it is current (▶) and fades once the next beat or its moment has passed; the keys it
    names come from the state the training is in, not from the beat's text."""

    ALLOW_MAXIMIZE = True  # m zooms the lesson, as any panel (a scroll container refuses by default)

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        graph = scenario.expression is not None
        return cls(scenario.lesson, unit="node" if graph else "step",
                   total=2 * len(scenario.expression.graph.nodes) if graph else max(v.steps for v in scenario.variants),
                   checks=scenario.checks, **kwargs)

    def __init__(self, lesson: Lesson, unit: str = "step", total: int = 0, checks: tuple[Check, ...] = (),
                 title: str = "Lesson", **kwargs):
        """`title`: its border's (a watched run's guide to its panels is no lesson)."""
        super().__init__(**kwargs)
        self.lesson = lesson
        self.panel_title = title
        self.checks = checks
        self.plots_notes: tuple[str, ...] = ()  # which of the plots the grid shows, where no variants table says it
        self.unit = unit  # what a beat's `at` counts: training steps, or nodes of a graph lesson
        self.total = total  # steps (or graph stages) in the whole lesson: a beat is current for a tenth of them
        self.open_questions: frozenset[int] = frozenset()  # steps of questions not answered yet (set by the app)
        self._shown: tuple | None = None

    def compose(self) -> ComposeResult:
        if self.checks:  # the claims first: at the end of a run they are its summary
            yield ClaimList(self.checks, id="claims")
        yield LessonMarkdown(self.lesson.text.strip() or "*No lesson text.*", id="text")
        with Vertical(id="beat-dock", classes="-empty"):  # (a dock's own margin would let the text show through)
            yield LessonMarkdown("", id="beat")

    def on_mount(self) -> None:
        self.border_title = self.panel_title
        self.border_subtitle = "tab: focus · ↑↓ scroll"

    def on_resize(self) -> None:
        self._subtitle()
        if self.checks:
            self.query_one(ClaimList).reshow()

    def say_plots(self, notes: tuple[str, ...]) -> None:
        """Say which of the plots the grid shows (PlotGrid.Paged.notes, longest first), where no variants table
        is there to."""
        self.plots_notes = notes
        self._subtitle()

    def _subtitle(self) -> None:
        forms = ["tab: focus · ↑↓ scroll", "↑↓ scroll"]
        if self.plots_notes:
            forms = [f"{self.plots_notes[0]} · {form}" for form in forms] + list(self.plots_notes)
        self.border_subtitle = first_fit(forms, border_room(self.size.width))

    def show(self, view) -> None:
        self.total = view.total  # (an edit may have changed a run's length)
        # paused before the first step (e.g. --paused): say which key starts, unless a question is asked first
        waiting = (view.step == 0 and not view.playing and view.state != "error"
                   and not any(b.ask and b.at == 0 for b in self.lesson.beats))
        self.show_step(view.step, start_hint=waiting)
        if self.checks:  # claims judged at or after an open question would answer it: they wait for it
            self.query_one(ClaimList).show(view.verdicts, self._next_question(view.step))

    def show_verdicts(self, verdicts) -> None:
        """A graph lesson's claims, judged (or waiting: None each) as its walk stands."""
        if self.checks:
            self.query_one(ClaimList).show(tuple(verdicts))

    def _next_question(self, step: int) -> int | None:
        """The step of the next question still to be asked (one that training passed without asking, as a run
        of a fixed number of steps does, is not waited for)."""
        return min((q for q in self.open_questions if q >= step), default=None)

    def show_step(self, step: int, start_hint: bool = False) -> None:
        beat = current_beat(self.lesson.beats, step)
        now = beat is not None and beat_is_now(self.lesson.beats, beat, step, self.total)
        asking = beat is not None and beat.ask is not None and beat.at == self._next_question(step)
        shown = (beat, now, start_hint, asking)
        if shown == self._shown:
            return
        self._shown = shown
        dock = self.query_one("#beat-dock")
        dock.set_class(beat is None and not start_hint, "-empty")
        dock.set_class(not now and not start_hint, "-past")  # (a short window hides a past beat: rows for the text)
        box = self.query_one("#beat", Markdown)
        box.set_class(not now, "-past")
        # a question's beat says what the answer is: it waits, like the claims, until the question is answered
        say = "*A question first: answer it below.*" if asking else beat.say if beat is not None else ""
        # a past beat says it is past: "step 10" beside a header at step 60 read as a stale counter
        text = "" if beat is None else (f"**▶ {self.unit} {beat.at}** · {say}" if now else
                                        f"*earlier, at {self.unit} {beat.at}* · {say}")
        if start_hint:
            text += "\n\n*Paused:* **space** *starts training.*"
        box.update(text.strip())
