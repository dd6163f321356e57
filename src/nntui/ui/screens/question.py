"""A guided question: training waits at the beat's step until the learner picks an answer.

Keys 1…n (or ↑↓ and Enter) choose; the screen then says whether that was
right and why; Enter (or space) continues training.

The question is a bar along the bottom of the screen, over an undimmed
screen: the panels it asks about stay in view while the learner answers
(a centred dialog hid every gradient bar of vanishing_gradients at 80x24).
"""

from __future__ import annotations

from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Markdown, OptionList, Static
from textual.widgets.option_list import Option

from ...panels.lesson.widget import LessonMarkdown
from ...scenario.spec import Beat


class QuestionScreen(ModalScreen[bool | None]):
    """Dismissed with True when the answer was right, None when skipped (the app then plays on either way)."""

    DEFAULT_CSS = "QuestionScreen { background: transparent; }"  # (ModalScreen dims the screen behind it)

    BINDINGS = [
        Binding("enter,space", "continue", "Continue", show=False),
        Binding("escape", "skip", "Skip", show=False),
        Binding("q", "app.quit", "Quit", show=False),  # q quits at once, a question open or not
        Binding("s", "app.screenshot", "Screenshot", show=False),  # (the question and the panels it asks about)
    ]

    def __init__(self, beat: Beat, on_answer: Callable[[], None] | None = None):
        """`on_answer`: called once the learner has answered (the app shows again what it held back meanwhile)."""
        super().__init__()
        self.beat = beat
        self.chosen: str | None = None
        self._on_answer = on_answer

    def compose(self) -> ComposeResult:
        with Vertical(id="question"):
            yield LessonMarkdown(f"**Question · step {self.beat.at}** — {self.beat.ask}", id="ask")
            yield OptionList(*(Option(f"{i}. {c}", id=str(i - 1)) for i, c in enumerate(self.beat.choices, start=1)),
                             id="choices")
            yield LessonMarkdown("", id="verdict")
            yield Static(f"Press 1–{len(self.beat.choices)} (or ↑↓ and Enter) to answer, Esc to skip.", id="hint")

    def on_mount(self) -> None:
        # (a query, not query_one: Escape pressed as the question appears can dismiss the screen, its children
        # removed, before this runs; query_one raised NoMatches and closed the app, a CI run caught it)
        for choices in self.query("#choices").results(OptionList):
            choices.focus()

    def on_key(self, event) -> None:
        if self.chosen is None and event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(self.beat.choices):
                event.stop()
                self._answer(index)

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if self.chosen is None:
            assert event.option.id is not None  # compose gives every choice its index as id
            self._answer(int(event.option.id))

    def _answer(self, index: int) -> None:
        self.chosen = self.beat.choices[index]
        right = self.chosen == self.beat.answer
        verdict = self.query_one("#verdict", Markdown)
        verdict.set_class(right, "-right").set_class(not right, "-wrong")
        head = (f"✓ **Right: {self.chosen}.**" if right else
                f"✗ **Not quite:** you chose {self.chosen}; the answer is **{self.beat.answer}**.")
        verdict.update(f"{head} {self.beat.why}".strip())
        choices = self.query_one("#choices", OptionList)
        choices.highlighted = index
        choices.disabled = True
        choices.display = False  # the verdict names the choice: the bar does not grow over the evidence
        self.query_one("#hint", Static).update("Press Enter to continue training.")
        self.focus()
        if self._on_answer is not None:
            self._on_answer()

    def action_continue(self) -> None:
        if self.chosen is not None:
            self.dismiss(self.chosen == self.beat.answer)

    def action_skip(self) -> None:
        """Training plays on; a question skipped is not counted as answered."""
        self.dismiss(None if self.chosen is None else self.chosen == self.beat.answer)
