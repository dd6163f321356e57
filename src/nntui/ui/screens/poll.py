"""A lesson's question in a lecture: asked of every follower at once, answered as a poll.

The instructor's bar (PollScreen) shows the answers coming in as bars, one a choice; Enter reveals the right
one on every screen, Enter again goes on training. A follower's bar (FollowerQuestion) takes their answer
(another number changes it until the reveal), then shows whether it was right, why, and how the room answered.
Both are the lesson's question bar (QuestionScreen): the panels it asks about stay in view.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Markdown, OptionList, Static

from ...panels.lesson.widget import LessonMarkdown
from ...scenario.spec import Beat
from .question import QuestionScreen

BAR_WIDTH = 24  # cells for the most chosen answer's bar


def tally(beat: Beat, counts: Sequence[int], revealed: bool, yours: str | None = None, width: int = BAR_WIDTH) -> Text:
    """One row a choice: its number and text, a bar as long as its share of the answers, the count; after the
    reveal the right one is marked ✓ (and on a follower's screen, their own answer "← you")."""
    total = sum(counts)
    label_width = min(max(len(c) for c in beat.choices) + 4, 40)
    out = Text()
    for i, (choice, count) in enumerate(zip(beat.choices, counts), start=1):
        right = revealed and choice == beat.answer
        label = f"{i}. {choice}"
        label = label if len(label) <= label_width else label[:label_width - 1] + "…"
        out.append(f"{'✓' if right else ' '} ", style="bold green" if right else "")
        out.append(label.ljust(label_width + 1), style="bold" if right else "")
        cells = round(width * count / max(max(counts), 1))
        out.append("█" * cells, style="green" if right else "cyan")
        share = f"{100 * count / total:.0f} %" if total else "–"
        out.append(f"{' ' * (width - cells)} {count:>3}  {share:>5}")
        out.append("  ← you\n" if choice == yours else "\n", style="bold")
    out.rstrip()
    return out


class PollScreen(QuestionScreen):
    """The instructor's side: dismissed with None (the poll is not the instructor's own answer)."""

    def __init__(self, beat: Beat, reveal: Callable[[], None], named: Callable[[], list[tuple[str, int]]]):
        """`reveal()` shows the answer on every screen; `named()` gives the answers of followers who gave a name."""
        super().__init__(beat)
        self._reveal = reveal
        self._named = named
        self.revealed = False
        self._counts: Sequence[int] = [0] * len(beat.choices)

    def compose(self) -> ComposeResult:
        with Vertical(id="question"):
            yield LessonMarkdown(f"**Poll · step {self.beat.at}** — {self.beat.ask}", id="ask")
            yield Static(tally(self.beat, [0] * len(self.beat.choices), False), id="tally")
            yield LessonMarkdown("", id="verdict")
            yield Static("No answers yet. Enter reveals the answer on every screen; Esc skips the question.",
                         id="hint")

    def on_mount(self) -> None:
        self.focus()

    def on_key(self, event) -> None:
        """(Number keys answer a learner's question; here the room answers.)"""

    def show_answers(self, counts: Sequence[int], following: int) -> None:
        self._counts = counts
        self.query_one("#tally", Static).update(tally(self.beat, counts, self.revealed))
        if not self.revealed:
            answered = sum(counts)
            self.query_one("#hint", Static).update(
                f"{answered} of {following} following answered. Enter reveals the answer on every screen; "
                "Esc skips the question.")

    def action_continue(self) -> None:
        if self.revealed:
            self.dismiss(None)
            return
        self.revealed = True
        self._reveal()
        self.query_one("#tally", Static).update(tally(self.beat, self._counts, True))
        verdict = self.query_one("#verdict", Markdown)
        verdict.set_class(True, "-right")
        verdict.update(f"✓ **The answer: {self.beat.answer}.** {self.beat.why}".strip())
        # the instructor's screen is on the projector: those right are named (if they gave a name), nobody wrong is
        answer = self.beat.choices.index(self.beat.answer) if self.beat.answer in self.beat.choices else -1
        named = sorted(name for name, choice in self._named() if choice == answer)
        right = self._counts[answer] if answer >= 0 else 0
        line = f"Right: {', '.join(named)}" if named else ""
        if named and right > len(named):
            line += f" and {right - len(named)} more"
        self.query_one("#hint", Static).update((f"{line}\n" if line else "") + "Press Enter to go on training.")

    def action_skip(self) -> None:
        self.dismiss(None)


class FollowerQuestion(QuestionScreen):
    """A follower's side: it sends each answer with `send(choice)`; the lecture closes it (`resume`)."""

    def __init__(self, beat: Beat, send: Callable[[int], None]):
        super().__init__(beat)
        self._send = send
        self.revealed = False

    def _answer(self, index: int) -> None:
        if self.revealed:
            return
        self.chosen = self.beat.choices[index]
        self._send(index)
        self.query_one("#choices", OptionList).highlighted = index
        self.query_one("#verdict", Markdown).update(
            f"You answered **{self.chosen}**. Until the instructor reveals the answer, 1–{len(self.beat.choices)} "
            "change yours.")
        self.query_one("#hint", Static).update("Waiting for the reveal…")

    def on_option_list_option_selected(self, event) -> None:
        event.stop()
        self._answer(int(event.option.id))

    def on_key(self, event) -> None:
        if not self.revealed and event.character and event.character.isdigit():
            index = int(event.character) - 1
            if 0 <= index < len(self.beat.choices):
                event.stop()
                self._answer(index)

    def show_reveal(self, counts: Sequence[int]) -> None:
        self.revealed = True
        right = self.chosen == self.beat.answer
        if self.chosen is None:
            head = f"The answer: **{self.beat.answer}**."
        elif right:
            head = f"✓ **You were right: {self.chosen}.**"
        else:
            head = f"✗ **Not quite:** you answered {self.chosen}; the answer is **{self.beat.answer}**."
        verdict = self.query_one("#verdict", Markdown)
        verdict.set_class(right, "-right").set_class(self.chosen is not None and not right, "-wrong")
        verdict.update(f"{head} {self.beat.why}".strip())
        choices = self.query_one("#choices")
        choices.display = False
        tallied = Static(tally(self.beat, counts, True, yours=self.chosen), id="tally")
        self.query_one("#question", Vertical).mount(tallied, before=verdict)
        answers = f"{sum(counts)} answer{'s' * (sum(counts) != 1)}"
        self.query_one("#hint", Static).update(f"How the room answered ({answers}). Training goes on when the "
                                               "instructor does; Esc hides this.")

    def action_continue(self) -> None:
        """(The instructor decides when training goes on.)"""

    def action_skip(self) -> None:
        self.dismiss(None)
