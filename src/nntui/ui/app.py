"""The Textual app: header, loss panel, variants table, lesson panel, footer.

Attributes flow down: a 5 Hz timer pulls the Runner's latest View and hands
it to each panel. Nothing here imports torch or waits for the trainer.
"""

from __future__ import annotations

import os
import shlex
import signal
from importlib import import_module
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Footer

from ..commands import ContinueRun, Release, Reset, RestartRun, SetSpeed, StepOnce, Toggle
from ..errors import NntuiError
from ..lecture.client import FollowRunner
from ..lecture.server import LectureServer
from ..panels import PanelName, panel
from ..panels.declare import located
from ..panels.graph.expression import GraphPanel
from ..panels.lesson.widget import LessonPanel
from ..runner import Runner, View, next_speed, settle_heap
from ..scenario import Scenario, list_builtin
from ..scenario.edit import with_variant
from ..scenario.edit import write as write_scenario
from ..scenario.spec import Beat
from ..trainer_process import ProcessRunner, prestart
from . import STYLESHEET
from .base import BaseApp
from .header import RunHeader
from .lecture_bar import LectureBar
from .panel import Control, EditRun, Panel
from .patches.border_titles import install as install_border_titles
from .patches.ordered_keys import install as install_ordered_keys
from .patches.partial_updates import install as install_partial_updates
from .patches.timer_ticks import install as install_timer_ticks
from .plot_grid import PlotGrid, panel_name
from .screens.edit import Edit, EditScreen
from .screens.help import HelpScreen
from .screens.poll import PollScreen
from .screens.question import QuestionScreen
from .viewing import VIEWING_HELP, Viewing

install_partial_updates()  # a refreshed span is sent from where it starts, not from the panel's left edge
install_timer_ticks()  # a repaint that runs late comes at the next tick, not the one after
install_ordered_keys()  # Backspace typed in a burst (filter, edit form, palette) acts where it was typed
install_border_titles()  # a panel's changed title or subtitle resends its border row, not the whole panel

REFRESH_SECONDS = 0.2  # panels redraw at most 5 times a second, never per step


class ViewArrived(Message):
    """The trainer process published a View while the panels had not been refreshed for a timer tick."""


class LectureChanged(Message):
    """A lecture's followers came or went, or answered the open question (posted from the server's thread)."""

HELP_TEXT = {
    **VIEWING_HELP,
    "toggle_play": "Play / pause training (after the end: replay)",
    "step_once": "Take one training step (pauses first)",
    "reset": "Reset every run to step 0 (same seed, same numbers)",
    "faster": "Faster: 1 … 1000 steps/s, then max",
    "slower": "Slower",
    "edit": "Edit a run: lr, batch size, optimizer, momentum, activation, init, seed, steps; add or remove runs",
    "branch": "Branch a run where it is: a new run, the same up to this step, then with the settings you give",
    "write": "Write the experiment, with your edits, as a scenario file in the current folder",
    "next_plots": "On a screen too short for every plot: show the next ones (the variants table says which)",
}

def panel_class(name: str) -> type[Panel]:
    """The widget class panels.PANELS declares for `name` (an unknown name raises, never a panel left out)."""
    module, cls = located(panel(name).widget)
    return getattr(import_module(module), cls)


class NNTuiApp(BaseApp, Viewing, App["str | Scenario | None"]):
    CSS_PATH = STYLESHEET  # the layout, and the panels' and dialogs' styles
    # Textual sets these classes on the screen: at 80x24 every row and column counts.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (180, "-huge")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = [
        Binding("space", "toggle_play", "Play"),
        Binding("n", "step_once", "Step"),
        Binding("r", "reset", "Reset"),
        Binding("plus,equals_sign", "faster", "Fast", key_display="+"),
        Binding("minus,underscore", "slower", "Slow", key_display="−"),
        Binding("l", "toggle_log", "Log-y"),
        Binding("tilde", "toggle_smooth", "Smooth", key_display="~", show=False),  # the footer fits 80 columns
        Binding("s", "screenshot", "Screenshot", show=False),
        Binding("e", "edit", "Edit", show=False),
        Binding("b", "branch", "Branch", show=False),
        Binding("w", "write", "Write", show=False),
        Binding("m", "toggle_maximize", "Zoom"),
        Binding("p", "next_plots", "More plots", show=False),  # (a short screen shows one row of plots)
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]
    help_text = HELP_TEXT
    lecture_bar = False  # the lecture's line under the header (a lecture's apps: the instructor's, a follower's)

    def __init__(self, scenario: Scenario, *, device: str | None = None, autoplay: bool | None = None,
                 run_steps: int | None = None, speed: int | str | None = None, home: bool = False,
                 questions: bool = True, theme: str | None = None, trainer_process: bool = False,
                 answers: dict[int, bool] | None = None, lecture: LectureServer | None = None,
                 runner: FollowRunner | None = None):
        """`run_steps` trains exactly that many steps at full speed, then pauses (tests, snapshots).

        `home`: opened from the lesson picker; Escape goes back to it (the app's result is "home").
        `questions`: stop at question beats (off for tests that measure other things at full speed).
        `answers`: the questions answered already (question step → answered right), not asked again: the edited
        experiment reopens with those of the app it came from.
        `trainer_process`: train in a child process, so the UI never waits for the GIL (the CLI does; tests
        train on a thread, which spares each app a second import of torch).
        `lecture`: stream what the screen shows to the lecture's followers, and ask its questions of them all.
        `runner`: what to draw from instead of a trainer of its own (a lecture's follower)."""
        super().__init__()
        if theme is not None:
            self.theme = theme
        self.home = home
        if home:
            self.bind("escape", "home", description="Lessons", show=False)
        self.scenario = scenario
        self.title = scenario.title
        trainer = ProcessRunner if trainer_process else Runner
        self.runner = runner or trainer(scenario, device=device,
                                        playing=scenario.view.autoplay if autoplay is None else autoplay,
                                        speed=scenario.view.speed if speed is None else speed, run_steps=run_steps,
                                        questions=questions, answered=tuple(answers or ()))
        self.lecture = lecture
        self.lecture_bar = self.lecture_bar or lecture is not None
        if isinstance(self.runner, ProcessRunner):
            self.runner.on_view = self._view_arrived
        self.answers: dict[int, bool] = dict(answers or {})  # question step → answered right
        self._questions = questions
        self.log_y = scenario.view.log_y
        self.smooth = scenario.view.smoothing > 0
        self._shown_version = -1
        self._shown_step = 0  # the step the header shows now (the trainer may be ahead): screenshots are named by it
        self._shown_error: str | None = None
        self._graph_timer: Timer | None = None  # graph lessons: auto-advance while playing
        self._panels: list[Panel] = []  # those built from panels.PANELS, in the order they were composed
        self._written: Scenario | None = None  # the experiment as last written with w
        self._warned_unsaved = False  # Escape said once that edits would be lost

    def compose(self) -> ComposeResult:
        panels = set(self.scenario.view.panels)
        text = self.scenario.lesson
        if not (text.text.strip() or text.beats):  # a lesson with nothing to say: the panels get its width
            panels.discard("lesson")
        yield RunHeader(self.scenario.title)
        if self.lecture_bar:
            yield LectureBar()
        if self.scenario.expression is not None:
            lesson = self.scenario.expression
            with Horizontal(id="body"):
                yield GraphPanel(lesson.graph, lesson.output, id="graph")
                if "lesson" in panels:
                    yield self._make_panel("lesson")
            yield Footer(show_command_palette=False)
            return
        with Horizontal(id="body"):
            with Vertical(id="main"):
                # in the scenario's order: the author decides what comes first (an odd first panel spans the row)
                plots = [made for name in dict.fromkeys(self.scenario.view.panels) if not panel(name).frame
                         for made in self._make_plots(name)]
                wide = set(self.scenario.view.wide)
                first: dict[str, Widget] = {}  # each panel's first plot (a small multiple's first run)
                for plot in plots:
                    first.setdefault(panel_name(plot), plot)
                beats = tuple((b.at, first.get(b.show) if b.show else None) for b in self.scenario.lesson.beats)
                yield PlotGrid(plots, frozenset(p for p in plots if panel_name(p) in wide), beats, id="plots")
                if "variants" in panels:
                    yield self._make_panel("variants")
            if "lesson" in panels:
                yield self._make_panel("lesson")
        yield Footer(show_command_palette=False)

    def _make_plots(self, name: PanelName) -> list[Widget]:
        """The panel, or one per run the scenario lists for it in view.runs (small multiples, side by side)."""
        labels = [v.label for v in self.scenario.variants]
        shown = self.scenario.view.runs.get(name)
        if not shown:
            return [self._make_panel(name)]
        return [self._make_panel(name, run_index=labels.index(label), id=f"{name}-{labels.index(label) + 1}")
                for label in shown]

    def _make_panel(self, name: PanelName, **kwargs) -> Widget:
        kwargs.setdefault("id", name)
        made = panel_class(name).for_scenario(self.scenario, **kwargs)
        made.held_at = self.scenario.view.at.get(name)
        self._panels.append(made)  # composed once, never replaced: every View goes to each of them
        return made

    def on_mount(self) -> None:
        questions = {b.at for b in self.scenario.lesson.beats if b.ask} if self._questions else set()
        for lesson in self._all(LessonPanel):  # (its claims about those steps wait for the answers)
            lesson.open_questions = frozenset(questions - set(self.answers))
        self.call_after_refresh(self._start_training)
        if self.lecture is not None:
            self.lecture.set_scenario(self.scenario)
            self.lecture.on_change = lambda: self.post_message(LectureChanged())
            self.call_after_refresh(self._lecture_changed)  # (the join line, before anyone follows)
        self.set_interval(REFRESH_SECONDS, self.refresh_panels)
        self.theme_changed_signal.subscribe(self, lambda _theme: self.refresh_panels(force=True))  # new colors
        # not during mount: the lesson's beat box (a Markdown) is still mounting, and updating it then hung
        # the app for good when a browser tab resized during start-up (nntui serve: no paint, 100% CPU)
        self.call_after_refresh(self.refresh_panels)

    def _start_training(self) -> None:
        """Once the first frame is on screen: a trainer process importing torch on the other core made the
        first paint 0.15 s later on 2 cores (a trainer thread would hold the GIL for seconds)."""
        self.runner.start()
        if isinstance(self.runner, ProcessRunner):  # (a thread freezes the heap itself, after torch)
            settle_heap()  # what start-up built, the whole screen included, is exempt from full collections

    def on_unmount(self) -> None:
        self.runner.stop()

    def on_suspend(self) -> None:
        if isinstance(self.runner, ProcessRunner):  # the trainer stops with the app (`kill -TSTP` reaches only us)
            self.runner.signal(signal.SIGSTOP)

    def on_resume(self) -> None:
        if isinstance(self.runner, ProcessRunner):
            self.runner.signal(signal.SIGCONT)
        super().on_resume()
        self.refresh_panels(force=True)

    def _view_arrived(self) -> None:
        """The trainer published (on its pipe's thread): while the panels show no step yet, draw this View now
        rather than at the next tick (opening a lesson, its first step waited up to 0.2 s for the timer). Under
        way the timer alone paces the redraws: drawing each View that came a tick after the last drawn one too
        doubled the redraws at full speed, and the key → screen p99 went from 17 to 30 ms."""
        if self._shown_step == 0:
            self.post_message(ViewArrived())  # (thread-safe)

    @on(ViewArrived)
    def _draw_now(self) -> None:
        if self._shown_step == 0:
            self.refresh_panels()

    def refresh_panels(self, force: bool = False) -> None:
        if not self.is_running:  # shutting down: the 5 Hz timer can still fire while panels are removed
            return
        view = self.runner.view()
        if self.lecture is not None:
            self.lecture.publish(view)
        for graph in self._all(GraphPanel):
            graph.set_result(view.expression)
            if self.lecture is not None:
                self.lecture.walk(graph.stage)
            for header in self._all(RunHeader):
                header.show_stage(view, graph.stage, graph.stages, graph.phase)
            for lesson in self._all(LessonPanel):
                lesson.show_step(graph.stage)
                # its claims once the walk has shown every gradient (before, they would answer the walk's steps)
                done = graph.stage >= graph.stages
                lesson.show_verdicts(view.verdicts if done else (None,) * len(view.verdicts))
            if view.error and view.error != self._shown_error:
                self._shown_error = view.error
                self.notify(view.error, title="Evaluation failed", severity="error", timeout=30)
            return
        for header in self._all(RunHeader):
            header.show(view)
        self._shown_step = view.step
        if view.version == self._shown_version and not force:
            return
        self._shown_version = view.version
        self._show(view)
        if view.error and view.error != self._shown_error:
            self._shown_error = view.error
            self.notify(view.error, title="Training stopped", severity="error", timeout=30)

    def _show(self, view: View) -> None:
        for grid in self._all(PlotGrid):
            grid.follow(view.step)
        for shown in self._panels:  # each panel takes what it needs from the same View (a held one: as it was)
            shown.show(view if shown.held_at is None else view.at(shown.held_at))
        self._ask(view)

    def _ask(self, view: View) -> None:
        """The runner stopped at a question's step: ask it (once), then play on."""
        runner = self.runner
        waiting = runner.waiting_at
        due = next((b for b in self.scenario.lesson.beats if b.ask and b.at == waiting), None)
        if due is None or isinstance(self.screen, QuestionScreen):
            return
        if self.lecture is not None:  # the room answers: a poll, then the reveal
            self._poll(due)
            return

        def answered(right: bool | None) -> None:
            if right is not None:  # None: skipped (Escape)
                self.answers[due.at] = right
            for lesson in self._all(LessonPanel):  # the claims it would have given away can show now
                lesson.open_questions = lesson.open_questions - {due.at}
            runner.send(Release(due.at, answered=right is not None))  # answered: not asked again after r
            self.set_asking(False)  # (after the release: a redraw before it would ask again)

        self.set_asking(True)
        self.push_screen(QuestionScreen(due, on_answer=lambda: self.set_asking(False)), answered)

    def _poll(self, due: Beat) -> None:
        lecture = self.lecture
        assert lecture is not None  # (lecture mode)
        lecture.ask(due.at, len(due.choices))

        def closed(_: bool | None) -> None:
            lecture.close_poll()
            self._lecture_changed()
            for lesson in self._all(LessonPanel):
                lesson.open_questions = lesson.open_questions - {due.at}
            self.runner.send(Release(due.at, answered=True))  # (asked of the room once: not again after r)
            self.set_asking(False)  # (after the release: a redraw before it would ask again)

        def reveal() -> None:
            lecture.reveal()
            self.set_asking(False)  # (the evidence shows again, with the answer)

        self.set_asking(True)
        self.push_screen(PollScreen(due, reveal, lecture.named_answers), closed)
        self.call_after_refresh(self._lecture_changed)  # (once the poll's bar is composed)

    @on(LectureChanged)
    def _lecture_changed(self) -> None:
        """Followers came or went, or answered: the bar and the open poll say so."""
        lecture = self.lecture
        if lecture is None:
            return
        poll, following = lecture.poll, lecture.following
        for bar in self._all(LectureBar):
            bar.show_lecture(lecture.join, lecture.code, following, None if poll is None else len(poll.answers),
                             lecture.web)
        if isinstance(self.screen, PollScreen) and poll is not None:
            self.screen.show_answers(poll.counts(), following)

    def set_asking(self, asking: bool) -> None:
        """A question opens (or closes): panels hold back (or show again) what would answer it."""
        for shown in self._panels:
            shown.asking = asking
        if asking:
            self.call_after_refresh(self.refresh_panels, True)
        else:
            self.refresh_panels(force=True)

    def on_control(self, message: Control) -> None:
        """A panel asked the trainer for something (the code panel walks a step)."""
        self.runner.send(message.command)
        self.refresh_panels()

    def on_edit_run(self, message: EditRun) -> None:
        """A panel asked for a run to start over with new settings (the momentum map's Enter): as the edit form's
        Apply, checked by the loader the same way."""
        try:
            edited = with_variant(self.scenario, message.index, message.changes)
        except (NntuiError, ValueError) as exc:
            self.notify(str(exc).splitlines()[0], severity="error")
            return
        self.apply_edit(Edit("change", edited, message.index))

    # ------------------------------------------------------------------ actions

    def action_toggle_play(self) -> None:
        if self.scenario.expression is not None:  # play the graph: one node every 0.8 s
            if self._graph_timer is None:
                self._graph_timer = self.set_interval(0.8, self._graph_tick)
            else:
                self._graph_timer.stop()
                self._graph_timer = None
        else:
            self.runner.send(Toggle())
        self._show_controls()

    def _graph_tick(self) -> None:
        graph = self.query_one(GraphPanel)
        if not graph.advance() and self._graph_timer is not None:
            self._graph_timer.stop()
            self._graph_timer = None
        self.refresh_panels()

    def action_step_once(self) -> None:
        if self.scenario.expression is not None:
            self.query_one(GraphPanel).advance()
        else:
            self.runner.send(StepOnce())
        self.refresh_panels()

    def action_reset(self) -> None:
        if self.scenario.expression is not None:
            self.query_one(GraphPanel).reset()
        else:
            self.runner.send(Reset())
            self._shown_error = None  # a trainer started again may stop again: say so again
        self.refresh_panels()

    def action_faster(self) -> None:
        self.runner.send(SetSpeed(next_speed(self.runner.speed, +1)))
        self._show_controls()

    def action_slower(self) -> None:
        self.runner.send(SetSpeed(next_speed(self.runner.speed, -1)))
        self._show_controls()

    def _show_controls(self) -> None:
        """Show a control's effect (the header's speed / play state) now; the panels follow on the timer.
        Rebuilding every panel here put a whole frame's work (20–30 ms on 2 cores) between a key and its
        echo whenever new training data had arrived."""
        if self.scenario.expression is not None:
            self.refresh_panels()
            return
        view = self.runner.view()
        for header in self._all(RunHeader):
            header.show(view)

    def _prepare_next_lesson(self) -> None:
        """The user may be about to open another lesson (or reopen this one with a run more or less): start
        its trainer process now, so torch loads while they choose rather than after (2–3 s on 2 cores)."""
        if isinstance(self.runner, ProcessRunner):
            prestart()

    def get_system_commands(self, screen):
        """The command palette (ctrl+p): switch lessons, show or hide panels, scales, smoothing, theme."""
        self._prepare_next_lesson()
        yield from super().get_system_commands(screen)
        yield SystemCommand("Loss axis: log / linear", "Switch the loss panel's y axis (key l)", self.action_toggle_log)
        yield SystemCommand("Loss curves: smoothed / raw", "A moving average of each loss curve (key ~)",
                            self.action_toggle_smooth)
        yield SystemCommand("Screenshot", "Save an SVG of the screen in the current folder (key s)",
                            self.action_screenshot)
        for theme in ("textual-dark", "textual-light"):
            yield SystemCommand(f"Theme: {theme.removeprefix('textual-')}", f"Switch to the {theme} theme",
                                lambda theme=theme: setattr(self, "theme", theme))
        grid = self.query_one(PlotGrid)
        for widget in grid.plots:
            yield SystemCommand(f"Panel: show / hide {widget.id.replace('_', ' ')}", "Toggle this panel",
                                lambda widget=widget: grid.toggle(widget))
        for widget in self.query("#variants, #lesson").results():
            yield SystemCommand(f"Panel: show / hide {widget.id.replace('_', ' ')}", "Toggle this panel",
                                lambda widget=widget: setattr(widget, "display", not widget.display))
        for info in list_builtin():
            yield SystemCommand(f"Lesson: {info.title}", f"{info.topic} · open {info.name}",
                                lambda name=info.name: self._leave(f"open:{name}", "Choosing a lesson again"))

    def action_home(self) -> None:
        """Back to the lesson picker (only when opened from it)."""
        if self.screen.maximized is not None:  # Escape first restores a zoomed panel
            self.screen.minimize()
        elif len(self.screen_stack) > 1:
            self.pop_screen()
        else:
            self._leave("home", "Escape again")

    def _leave(self, result: str, again: str) -> None:
        """Close this lesson with `result` (the CLI opens what it names); edits are work, so with unsaved ones
        it leaves only when asked twice (`again`: how to ask)."""
        if self._unsaved_edits() and not self._warned_unsaved:
            self._warned_unsaved = True
            self.notify(f"Your edits are not saved: w writes them to a file. {again} leaves without them.",
                        title="Unsaved edits", severity="warning", timeout=8)
        else:
            self.exit(result)

    def _unsaved_edits(self) -> bool:
        """A run was edited (its label has ✎) since the experiment was last written with w."""
        return self.scenario is not self._written and any(v.label.endswith("✎") for v in self.scenario.variants)

    def action_edit(self, index: int | None = None, branching: bool = False) -> None:
        """The edit form, for the run the focused panel shows (or the first); `branching`: to branch it here (b)."""
        if self.scenario.expression is not None:
            return
        if index is None:
            index = getattr(self.focused, "run_index", 0) % len(self.scenario.variants)
        self._prepare_next_lesson()
        step = self.runner.view().runs[index].step
        self.push_screen(EditScreen(self.scenario, index, self.action_edit, self._ended(index), step, branching),
                         self.apply_edit)

    def action_branch(self) -> None:
        """Branch the focused run where it is: the edit form, its Branch button ready."""
        self.action_edit(branching=True)

    def _ended(self, index: int) -> str | None:
        """Why run `index` has nothing to go on from (Continue would do nothing), in words; None: it trains on."""
        run = self.runner.view().runs[index]
        if run.diverged_at is not None:
            return f"it diverged at step {run.diverged_at}"
        if run.stopped_at is not None:
            return f"early stopping ended it at step {run.stopped_at}"
        if run.step >= self.scenario.variants[index].steps:
            return f"it has trained all its {run.step} steps"
        return None

    def apply_edit(self, edit: Edit | None) -> None:
        if edit is None:
            return
        self.scenario = edit.scenario
        self._warned_unsaved = False  # a new edit: warn again before it is lost
        if self.lecture is not None and edit.kind in ("change", "continue"):  # followers lay out the edited runs
            self.lecture.set_scenario(edit.scenario)
        if edit.kind == "change":  # only that run starts over; the others go on
            self.runner.send(RestartRun(edit.index, edit.scenario))
            self.notify(f"{edit.scenario.variants[edit.index].label}: restarted from step 0", title="Edited")
        elif edit.kind == "continue":  # that run goes on from here with its new settings (✎ on its curve)
            self.runner.send(ContinueRun(edit.index, edit.scenario))
            self.notify(f"{edit.scenario.variants[edit.index].label}: goes on from here with its new settings",
                        title="Edited")
        else:  # a run more or less: the layout changes, so the experiment reopens (the CLI runs the result)
            self.exit(edit.scenario)

    def action_write(self) -> None:
        if self.scenario.raw is None or self.scenario.expression is not None:  # (a graph lesson has no runs to edit)
            return
        try:
            path = write_scenario(self.scenario, Path.cwd())
        except OSError as exc:
            self.notify(f"could not write the scenario: {exc.strerror}", severity="error")
            return
        self._written = self.scenario
        # (the command as it works from the folder nntui was started in: a CSV lesson's file may be elsewhere)
        self.notify(f"wrote {path}: `nntui run {shlex.quote(os.path.relpath(path))}` reproduces it",
                    title="Scenario written")

    def screenshot_stem(self) -> str:
        return f"nntui-{self.scenario.name}-step{self._shown_step}"

    def action_help(self) -> None:
        rows = [(b.key_display or b.key, self.help_text.get(b.action, b.description)) for b in self.BINDINGS
                if isinstance(b, Binding)]  # (all of them: the class lists Bindings only)
        rows += [("tab", "Move focus between panels (↑↓ scroll the lesson)"), ("ctrl+p", "Command palette")]
        for name in dict.fromkeys(self.scenario.view.panels):  # keys that work while a panel has focus
            rows += [(key, f"{description} ({name.replace('_', ' ')}, when focused)")
                     for key, description in panel_class(name).help_rows(self.scenario)]
        self.push_screen(HelpScreen(rows, self.scenario.title))

