"""`nntui view`: a watched training loop's log (`nntui.watch`), drawn by the lessons' own panels.

Attributes down, as in the lesson app: a timer pulls the LogRunner's latest View and hands it to each panel.
The runs are the script's, so nothing here plays, steps or edits; the keys are the viewing ones.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer, Log

from ..logview import LogRunner
from ..panels.accuracy.widget import AccuracyPanel
from ..panels.gradient_flow.widget import GradientFlowPanel
from ..panels.histograms.widget import HistogramPanel
from ..panels.lesson.widget import LessonPanel
from ..panels.loss.widget import LossPlot
from ..panels.val_loss.widget import ValLossPlot
from ..panels.variants.widget import VariantsTable
from ..panels.weight_norms.widget import WeightNormsPanel
from ..runner import View
from ..scenario.spec import Lesson
from ..script import OUTPUT_LINES, ScriptProcess
from . import STYLESHEET
from .base import BaseApp
from .header import RunHeader
from .panel import Panel
from .plot_grid import PlotGrid
from .screens.help import HelpScreen
from .viewing import VIEWING_HELP, Viewing

REFRESH_SECONDS = 0.25
WAITING = "waiting for the script's nntui.watch…"

GUIDE = """\
Your script's own run, as it trains (or as it ended).

**Loss**: each step's loss (faint) and their moving
average (the line, the status and the table's "avg
loss"). A mini-batch loss swings round its level: the
average shows the trend.

**Gradient flow**: each layer's gradient size. Bars
decades apart: the small end learns slowly
(vanishing); a growing bar: exploding.

**Weights / activations / gradients**: each layer's
spread, now and over the run (tab to it, then ←→ for
the kind, ↑↓ for the layer). Activations all at 0:
dead ReLUs; all at ±1: saturated.

**Status** (the table), of the average: *learning*
(still falling; *improving* once the run has ended),
*converged* (flat), *noisy* (swinging
round a level), *overfitting* (validation rose since its
▼ lowest while training fell), *stuck* (no lower than
it began), *diverged* (NaN or Inf, at its step).

**Weight updates**: the share of ‖W‖ one update changes:
about 1e-3 is healthy; 1e-1, the layer is thrown around;
1e-4 and below, it barely moves (a small lr, or a
schedule near its end).
"""


class LogApp(BaseApp, Viewing, App[None]):
    CSS_PATH = STYLESHEET
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide"), (180, "-huge")]
    VERTICAL_BREAKPOINTS = [(0, "-short"), (30, "-tall")]
    BINDINGS = [
        Binding("l", "toggle_log", "Log-y"),
        Binding("tilde", "toggle_smooth", "Smooth", key_display="~"),
        Binding("s", "screenshot", "Screenshot"),
        Binding("m", "toggle_maximize", "Zoom"),
        Binding("p", "next_plots", "More plots", show=False),
        Binding("question_mark", "help", "Help", key_display="?"),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(self, runner: LogRunner, title: str, *, script: ScriptProcess | None = None,
                 theme: str | None = None):
        """`script`: the script that writes the logs (nntui watch): its output goes to a console panel, q stops
        it, and the runs its nntui.watch calls start join the screen as they come."""
        super().__init__()
        if theme is not None:
            self.theme = theme
        self.runner = runner
        self.script = script
        self.title = title
        self.log_y, self.smooth = True, False
        self._shown_version = -1
        self._told: set[str] = set()  # runs whose end was said
        self._panels: list[Panel] = []
        self._layout_shown: tuple = ()
        self._exit_said = False

    def compose(self) -> ComposeResult:
        view = self.runner.view()
        self._layout_shown = _layout(view)
        self.__dict__.pop("_found", None)  # (recomposed: the widgets are new)
        if not view.runs:  # nntui watch, before the script's nntui.watch: its output alone
            yield RunHeader(self.title, idle="no new steps", lesson=False, loading=WAITING)
            yield ScriptConsole(self.script, id="console")
            yield Footer(show_command_palette=False)
            return
        held_out = _given(view, "val_steps")
        # the steps' moving average (runlog.py), each step's mini-batch loss faint around it
        plots: list[Panel] = [LossPlot(log_y=True, smooth=self.smooth, draws_held_out=not held_out,
                                       traces=("watched",) * len(view.runs), id="loss"),
                              GradientFlowPanel(id="gradient_flow"), HistogramPanel(id="histograms"),
                              WeightNormsPanel(id="weight_norms")]
        if held_out:  # validation on its own axis (dashed beside training, it read as training)
            plots.insert(1, ValLossPlot(log_y=True, id="val_loss"))
        if _given(view, "acc_steps") or _given(view, "val_acc_steps"):
            plots.insert(1, AccuracyPanel(id="accuracy"))
        table = VariantsTable(["optimizer", "batch_size", "lr"], [r.label for r in view.runs],
                              [r.settings for r in view.runs], _measured_columns(view), title="Runs",
                              loss_title=("avg loss", "avg"),
                              id="variants")
        guide = LessonPanel(Lesson(text=GUIDE), title="Reading it", id="lesson")
        self._panels = [*plots, table, guide]  # composed once a set of runs: every View goes to each of them
        yield RunHeader(self.title, idle="no new steps", lesson=False)
        shown: list = list(plots)
        if self.script is not None:  # the script's own output, a plot among the others
            shown.append(ScriptConsole(self.script, id="console"))
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield PlotGrid(shown, id="plots")
                yield table
            yield guide
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.runner.start()
        self.set_interval(REFRESH_SECONDS, self.refresh_panels)
        self.call_after_refresh(self.refresh_panels)

    def on_unmount(self) -> None:
        self.runner.stop()

    async def action_quit(self) -> None:
        """Quit, stopping the script first (as Ctrl+C would: its log's last line says "interrupted")."""
        if self.script is not None and self.script.returncode is None:
            self.notify("stopping the script…", timeout=5)
            await asyncio.to_thread(self.script.stop)
        self.exit()

    def refresh_panels(self) -> None:
        if not self.is_running:
            return
        self._follow_script()
        view = self.runner.view()
        if _layout(view) != self._layout_shown:  # another run, or a first validation loss: panels for them
            self._layout_shown = _layout(view)
            self.call_later(self._recompose)
            return
        for console in self._all(ScriptConsole):
            console.catch_up()
        for header in self._all(RunHeader):
            header.totals = self.runner.planned  # "step N/total" where the scripts said their length
            header.show(view)
        if view.version == self._shown_version:
            return
        self._shown_version = view.version
        for shown in self._panels:
            shown.show(view)
        self._say_ends(view)

    async def _recompose(self) -> None:
        await self.recompose()
        self.refresh_bindings()  # (a footer composed again showed no keys)
        self._shown_version = -1  # the new panels get the View at the next tick, even if no step comes

    def _follow_script(self) -> None:
        """nntui watch: the logs the script announced join; its exit is said once."""
        script = self.script
        if script is None:
            return
        for path in script.new_logs():
            self.runner.add(path)
        code = script.returncode
        if code is not None and not self._exit_said:
            self._exit_said = True
            self.runner.waiting = False
            name = script.script.name
            for header in self._all(RunHeader):
                header.idle = f"{name} exited ({code})"
            self.notify(f"{name} exited with code {code}; q quits", title="Script ended",
                        severity="information" if code == 0 else "error", timeout=30)

    def _say_ends(self, view: View) -> None:
        """A script that ended other than by close() (an exception, Ctrl+C) is said once, with its last step."""
        for reader in self.runner.shown:
            how = reader.ended
            if how and how != "closed" and reader.name not in self._told:
                self._told.add(reader.name)
                self.notify(f"{reader.name}: the script ended at step {reader.step} ({how})",
                            title="Run ended", severity="warning", timeout=30)
        if view.error:
            self.notify(view.error, title="Cannot read the log", severity="error", timeout=30)

    def screenshot_stem(self) -> str:  # (the title is the logs' folders, or the script)
        return f"nntui-view-{Path(self.title).name or 'runs'}-step{self.runner.view().step}"

    def action_help(self) -> None:
        rows = [(b.key_display or b.key, VIEWING_HELP.get(b.action, b.description)) for b in self.BINDINGS
                if isinstance(b, Binding)]
        rows += [("tab", "Move focus between panels"), ("[ ]", "Another run (gradient flow, histograms, norms)")]
        self.push_screen(HelpScreen(rows, self.title))


class ScriptConsole(Log):
    """The script's own output (stdout and stderr, as it prints them), its last lines kept."""

    def __init__(self, script: ScriptProcess | None, **kwargs):
        super().__init__(max_lines=OUTPUT_LINES, **kwargs)
        self.script = script
        self._written = 0

    def on_mount(self) -> None:
        self.border_title = f"Output · {self.script.script.name}" if self.script is not None else "Output"
        self.catch_up()

    def catch_up(self) -> None:
        script = self.script
        if script is None or script.written == self._written:
            return
        new = min(script.written - self._written, len(script.lines))
        self.write_lines(Text(line).plain for line in list(script.lines)[-new:])
        self._written = script.written


def _given(view: View, steps: str) -> bool:
    """Some run's script gave this series (val_steps, acc_steps, val_acc_steps: RunView's fields)."""
    return any(getattr(run, steps) is not None and len(getattr(run, steps)) for run in view.runs)


def _layout(view: View) -> tuple[bool, ...]:
    """What decides the panels and columns: the runs there are, and the series their scripts give."""
    return (*(True for _ in view.runs), *(_given(view, f) for f in ("val_steps", "acc_steps", "val_acc_steps")))


def _measured_columns(view: View) -> tuple[str, ...]:
    return (*(("val loss", "gap") if _given(view, "val_steps") else ()),
            *(("accuracy",) if _given(view, "acc_steps") else ()),
            *(("val acc",) if _given(view, "val_acc_steps") else ()))
