"""A follower's apps (`nntui follow`).

FollowApp: the lesson's screen, drawn from the lecture's Views instead of a trainer. The follower's keys
change only what they see (focus, zoom, scales, smoothing, paging, screenshots); the run is the instructor's.
The lesson's questions come as the lecture asks them, and are answered to the room. A new lesson (or an edit)
ends it with "lesson", and the CLI opens the next one on the same connection; the end of the lecture ends it
with "ended"; b ends it with "branch".

BranchApp: the follower's own copy of the lecture's runs, trained here from step 0 to the step they branched
at (same scenario, same seed: on a CPU, the same numbers), then theirs to play, step and edit as in
`nntui run`. f goes back to following; the lecture goes on meanwhile.
"""

from __future__ import annotations

import importlib.util

from textual import on
from textual.binding import Binding
from textual.message import Message

from ..lecture.client import FollowRunner, LectureClient
from ..panels.graph.expression import GraphPanel
from ..runner import View
from .app import NNTuiApp
from .header import RunHeader
from .lecture_bar import LectureBar
from .panel import Control, EditRun
from .screens.poll import FollowerQuestion
from .viewing import VIEWING_HELP

NOT_YOURS = "The instructor runs the training; your keys change only your own view."


class LectureNews(Message):
    """The lecture sent a lesson, a question, a reveal, or its end (posted from the connection's thread)."""


class FollowApp(NNTuiApp, inherit_bindings=False):
    BINDINGS = [
        Binding("l", "toggle_log", "Log-y"),
        Binding("tilde", "toggle_smooth", "Smooth", key_display="~"),
        Binding("m", "toggle_maximize", "Zoom"),
        Binding("p", "next_plots", "More plots"),
        Binding("s", "screenshot", "Screenshot"),
        Binding("space", "toggle_play", "", show=False),
        Binding("n", "step_once", "", show=False),
        Binding("r", "reset", "", show=False),
        Binding("b", "branch", "Branch"),
        Binding("f", "follow_walk", "", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]
    help_text = {
        **VIEWING_HELP,
        "toggle_play": "The training is the instructor's; in a graph lesson: play the walk through the graph",
        "step_once": "In a graph lesson: the next node (the walk is your own)",
        "reset": "In a graph lesson: back to the graph's first node",
        "quit": "Stop following (the lecture goes on)",
        "branch": "Branch: your own copy of the runs at this step, trained here (needs PyTorch); f follows again",
        "follow_walk": "In a graph lesson: follow the instructor's walk again (after n, space or r made it yours)",
    }
    lecture_bar = True

    def __init__(self, client: LectureClient, theme: str | None = None):
        scenario = client.scenario
        assert scenario is not None  # (connect() took the lecture's lesson)
        super().__init__(scenario, runner=FollowRunner(client, scenario), theme=theme)
        self.client = client
        self._lesson = client.lesson
        self._asked: int | None = None  # the question this app has asked (Esc hides it; it is not asked again)
        self.where = f"{client.address.host}:{client.address.port}"
        self.branched_at: View | None = None  # the lecture's View when b was pressed
        self.own_walk = False  # a graph lesson: the follower walks the graph themselves (n, space, r) until f

    def on_mount(self) -> None:
        super().on_mount()
        for header in self._all(RunHeader):
            header.loading_text = "waiting for the lecture's next step…"
            header.idle = "‖ the instructor paused"
        self.client.on_change = lambda: self.post_message(LectureNews())
        self._news()

    @on(LectureNews)
    def _news(self) -> None:
        client = self.client
        if client.ended is not None:
            self.exit("ended")
            return
        if client.lesson != self._lesson:
            self.exit("lesson")
            return
        for bar in self._all(LectureBar):
            bar.show_following(self.where, self.scenario.expression is not None, self.own_walk, client.status)
        if self.scenario.expression is not None:
            self.refresh_panels()  # (the instructor's walk, at once)
        self._poll_news()

    def _poll_news(self) -> None:
        """The lecture's question: asked (once), revealed, or closed."""
        client = self.client
        asking = self.screen if isinstance(self.screen, FollowerQuestion) else None
        if client.poll_at is None:
            if asking is not None:
                asking.dismiss(None)
                self.set_asking(False)
            return
        if asking is None and self._asked != client.poll_at:
            beat = next((b for b in self.scenario.lesson.beats if b.ask and b.at == client.poll_at), None)
            if beat is None:
                return
            self._asked = client.poll_at
            asking = FollowerQuestion(beat, lambda choice: client.answer(beat.at, choice))
            self.set_asking(True)
            self.push_screen(asking, lambda _: self.set_asking(False))
        reveal = client.reveal
        if asking is not None and reveal is not None and reveal.at == asking.beat.at and not asking.revealed:
            asking.show_reveal(reveal.counts)
            self.set_asking(False)  # (the reveal: the evidence shows again)

    def _ask(self, view: View) -> None:
        """(The lecture asks: _news.)"""

    def refresh_panels(self, force: bool = False) -> None:
        super().refresh_panels(force)
        if not self.own_walk:  # a graph lesson: where the instructor's walk is (once the graph has its numbers)
            for graph in self._all(GraphPanel):
                graph.walk_to(self.client.stage)

    def on_control(self, message: Control) -> None:
        self.notify(NOT_YOURS, title="Following")

    def on_edit_run(self, message: EditRun) -> None:
        self.notify(NOT_YOURS, title="Following")

    # a graph lesson's walk through its graph is drawn here, not trained: it is the follower's own
    def action_toggle_play(self) -> None:
        self._graph_only(super().action_toggle_play)

    def action_step_once(self) -> None:
        self._graph_only(super().action_step_once)

    def action_reset(self) -> None:
        self._graph_only(super().action_reset)

    def _graph_only(self, action) -> None:
        if self.scenario.expression is None:
            self.notify(NOT_YOURS, title="Following")
            return
        if not self.own_walk:
            self.own_walk = True
            self._news()  # (the lecture's line says so)
        action()

    def action_follow_walk(self) -> None:
        if self.own_walk:
            self.own_walk = False
            if self._graph_timer is not None:  # (the follower's own play through the graph stops)
                self._graph_timer.stop()
                self._graph_timer = None
            self._news()

    def action_branch(self) -> None:
        view = self.runner.view()
        if self.scenario.expression is not None:
            self.notify("A graph lesson trains nothing to branch: its walk is already yours (n, space, r).",
                        title="Following")
        elif importlib.util.find_spec("torch") is None:
            self.notify("A branch trains here, and this machine has no PyTorch: pip install torch",
                        title="Cannot branch", severity="error")
        elif view.state != "ready":
            self.notify("The lecture has not started training yet.", title="Following")
        else:
            self.branched_at = view
            self.exit("branch")

    def screenshot_stem(self) -> str:
        return f"nntui-follow-{self.scenario.name}-step{self._shown_step}"


class BranchApp(NNTuiApp, inherit_bindings=False):
    """The follower's own runs, from the lecture's step `view.step`; f follows the lecture again."""

    BINDINGS = [Binding("f", "follow", "Follow"), *NNTuiApp.BINDINGS]  # (f first: the 80-column footer ends early)
    lecture_bar = True

    def __init__(self, client: LectureClient, view: View, theme: str | None = None):
        scenario = client.scenario
        assert scenario is not None  # (a follower has its lesson)
        super().__init__(scenario, run_steps=view.step, questions=False, trainer_process=True, theme=theme,
                         speed=view.speed or "max")  # (the lecture's speed, once it goes on from there)
        self.client, self.branched = client, view
        self.check: str | None = None  # whether the replayed runs match the lecture's, once they are there

    def on_mount(self) -> None:
        super().on_mount()
        for bar in self._all(LectureBar):
            bar.show_branch(self.branched.step, None)
        self.client.on_change = lambda: self.post_message(LectureNews())

    @on(LectureNews)
    def _news(self) -> None:
        client = self.client
        if client.ended is not None:
            self.notify(f"The lecture ended ({client.ended}); your branch goes on.", title="Lecture", timeout=15)
            client.on_change = None
        elif client.poll_at is not None and client.reveal is None:
            self.notify("The instructor asks a question: f follows again to answer it.", title="Lecture",
                        timeout=15)

    def refresh_panels(self, force: bool = False) -> None:
        super().refresh_panels(force)
        view = self.runner.view()
        if self.check is None and view.state == "ready" and view.step >= self.branched.step and not view.playing:
            self.check = branch_check(self.branched, view)  # (kept in the bar: the evidence stays on screen)
        lecture = self.client.view()
        for bar in self._all(LectureBar):
            bar.show_branch(self.branched.step, self.check, None if lecture is None else lecture.step)

    def action_follow(self) -> None:
        self.exit("follow")

    def screenshot_stem(self) -> str:
        return f"nntui-branch-{self.scenario.name}-step{self._shown_step}"


def branch_check(lecture: View, mine: View) -> str:
    """Whether the branch's runs are where the lecture's were (a CPU replays a seed exactly; a GPU, or runs the
    instructor edited on the way, may not)."""
    differ = [run.label for run, theirs in zip(mine.runs, lecture.runs)
              if run.label != theirs.label or run.step != theirs.step
              or not (run.loss == theirs.loss or (run.loss != run.loss and theirs.loss != theirs.loss))]
    if not differ:
        return "every run is where the lecture's was, to the last digit (space plays, e edits)"
    return (f"{', '.join(differ)} differ from the lecture's (it trained on {lecture.device}, or the instructor "
            "edited a run on the way)")
