"""The lecture's line under the header: on the instructor's screen how to join and who follows; on a
follower's, whose run it is and that the follower's keys only change their own view."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class LectureBar(Widget):
    DEFAULT_CSS = "LectureBar { height: 1; background: $boost; padding: 0 1; }"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._text = Text()

    def show_lecture(self, join: str, code: str, following: int, answered: int | None = None,
                     web: str | None = None) -> None:
        """The instructor's: the command a follower types (or the page), and how many follow (and answered the open
        question)."""
        text = Text.assemble(("Lecture", "bold"), "  join: ", (f"nntui follow {join} --code {code}", "bold"))
        if web:
            text.append(f"  or {web}")
        text.append(f"  ·  {following} following")
        if answered is not None:
            text.append(f"  ·  {answered} answered", style="bold")
        self._set(text)

    def show_following(self, where: str, ended: str | None = None) -> None:
        """A follower's: the lecture it follows, or why it ended."""
        if ended:
            self._set(Text.assemble(("Lecture ended", "bold red"), f": {ended}.  q quits"))
        else:
            self._set(Text.assemble(("Following", "bold"), f" the lecture at {where}: the instructor runs it; "
                                    "tab, m, l, ~ and s change your own view"))

    def show_branch(self, where: str, step: int) -> None:
        """A follower's branch: their own copy of the runs from the lecture's step."""
        self._set(Text.assemble(("Your branch", "bold"), f" of the lecture at {where}, from step {step}: it trains "
                                "here, yours alone (space, n, e…)  ·  f follows the lecture again"))

    def _set(self, text: Text) -> None:
        if text != self._text:
            self._text = text
            self.refresh()

    def render(self) -> Text:
        text = self._text.copy()
        text.truncate(max(self.size.width, 1), overflow="ellipsis")
        return text
