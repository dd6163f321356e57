"""The lecture's line under the header: on the instructor's screen how to join and who follows; on a
follower's, whose run it is and that the follower's keys only change their own view."""

from __future__ import annotations

from rich.text import Text
from textual.widget import Widget


class LectureBar(Widget):
    DEFAULT_CSS = """LectureBar { height: auto; max-height: 2; background: $boost; padding: 0 1; }
                     LectureBar.-branch { background: $warning 30%; }"""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._text = Text()

    def show_lecture(self, join: str, code: str, following: int, answered: int | None = None,
                     web: str | None = None) -> None:
        """The instructor's: the command a follower types (or the page), and how many follow (and answered the open
        question)."""
        text = Text.assemble(("Lecture", "bold"), "  ", (f"nntui follow {join} --code {code}", "bold"))
        if web:
            text.append(f" or {web}")
        if join.startswith(("127.", "localhost", "[::1]")):
            text.append(" (this machine only: --host 0.0.0.0 for the room)", style="dim")
        text.append(f" · {following} following")
        if answered is not None:
            text.append(f" · {answered} answered", style="bold")
        self._set(text)

    def show_following(self, where: str, graph: bool = False, own_walk: bool = False, status: str | None = None) -> None:
        """A follower's: the lecture it follows, and the keys that are more than their own view (a graph lesson's:
        whose walk through the graph this is); or what the instructor is doing between lessons."""
        if status:
            self._set(Text.assemble(("Following", "bold"), f" {where} · ", (status, "bold"), " (this lesson stays "
                                    "meanwhile)"))
        elif not graph:
            self._set(Text.assemble(("Following", "bold"), f" {where} (the instructor's run) · ", ("b", "bold"),
                                    ": your own branch · ? keys"))
        elif own_walk:
            self._set(Text.assemble(("Following", "bold"), f" {where} · the walk through the graph is yours · ",
                                    ("f", "bold"), ": follow the instructor's again"))
        else:
            self._set(Text.assemble(("Following", "bold"), f" {where} (the instructor's walk) · ", ("n", "bold"),
                                    ": walk it yourself · ? keys"))

    def show_branch(self, step: int, check: str | None, lecture_at: int | None = None) -> None:
        """A follower's branch: their own copy of the runs from the lecture's step, whether it matches, and where
        the lecture is meanwhile."""
        self.add_class("-branch")
        now = f" (at step {lecture_at} now)" if lecture_at is not None else ""
        self._set(Text.assemble(("f", "bold"), f": back to the lecture{now}, this branch dropped  ·  ",
                                ("Your branch", "bold"), f" from step {step}, trained here: " +
                                (check or "replaying the lecture's steps…")))

    def _set(self, text: Text) -> None:
        if text != self._text:
            self._text = text
            self.refresh(layout=True)

    def render(self) -> Text:
        return self._text  # (two rows where one is too narrow: the branch's check, the join line at 80 columns)
