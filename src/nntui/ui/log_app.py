"""`nntui view`: a watched training loop's log (`nntui.watch`), drawn by the lessons' own panels.

Attributes down, as in the lesson app: a timer pulls the LogRunner's latest View and hands it to each panel.
The runs are the script's, so nothing here plays, steps or edits; the keys are the viewing ones.
"""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Footer

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
from . import STYLESHEET
from .base import BaseApp
from .header import RunHeader
from .panel import Panel
from .plot_grid import PlotGrid
from .screens.help import HelpScreen
from .viewing import VIEWING_HELP, Viewing

REFRESH_SECONDS = 0.25

GUIDE = """\
Your script's own run, as it trains (or as it ended).

**Loss**: every step's loss. A mini-batch loss swings
round its level: *noisy*, not oscillating.

**Gradient flow**: each layer's gradient size. Bars
decades apart: the small end learns slowly
(vanishing); a growing bar: exploding.

**Weights / activations / gradients**: each layer's
spread (h, w, a: keys when focused). Activations all at
0: dead ReLUs; all at ±1: saturated.

**Weight norms**: ‖W‖ per layer, and how much one update
changes it: about 1e-3 is healthy; 1e-1 is being thrown
around; 1e-6 has stopped learning.
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

    def __init__(self, runner: LogRunner, title: str, *, theme: str | None = None):
        super().__init__()
        if theme is not None:
            self.theme = theme
        self.runner = runner
        self.title = title
        self.log_y, self.smooth = True, False
        self._shown_version = -1
        self._told: set[str] = set()  # runs whose end was said
        self._panels: list[Panel] = []

    def compose(self) -> ComposeResult:
        view = self.runner.view()
        held_out = any(run.val_steps is not None and len(run.val_steps) for run in view.runs)
        plots: list[Panel] = [LossPlot(log_y=True, draws_held_out=not held_out, id="loss"),
                              GradientFlowPanel(id="gradient_flow"), HistogramPanel(id="histograms"),
                              WeightNormsPanel(id="weight_norms")]
        if held_out:  # validation on its own axis (dashed beside training, it read as training)
            plots.insert(1, ValLossPlot(log_y=True, id="val_loss"))
        if any(run.acc_steps is not None and len(run.acc_steps) for run in view.runs):
            plots.insert(1, AccuracyPanel(id="accuracy"))
        table = VariantsTable(["optimizer", "batch_size", "lr"], [r.label for r in view.runs],
                              [r.settings for r in view.runs], _measured_columns(view), id="variants")
        guide = LessonPanel(Lesson(text=GUIDE), title="Reading it", id="lesson")
        self._panels = [*plots, table, guide]  # composed once, never replaced: every View goes to each of them
        yield RunHeader(self.title, idle="no new steps", lesson=False)
        with Horizontal(id="body"):
            with Vertical(id="main"):
                yield PlotGrid(plots, id="plots")  # type: ignore[arg-type]  # (the panels are Widgets too)
                yield table
            yield guide
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.runner.start()
        self.set_interval(REFRESH_SECONDS, self.refresh_panels)
        self.call_after_refresh(self.refresh_panels)

    def on_unmount(self) -> None:
        self.runner.stop()

    def refresh_panels(self) -> None:
        if not self.is_running:
            return
        view = self.runner.view()
        for header in self._all(RunHeader):
            header.show(view)
        if view.version == self._shown_version:
            return
        self._shown_version = view.version
        for shown in self._panels:
            shown.show(view)
        self._say_ends(view)

    def _say_ends(self, view: View) -> None:
        """A script that ended other than by close() (an exception, Ctrl+C) is said once, with its last step."""
        for reader in self.runner.readers:
            how = reader.ended
            if how and how != "closed" and reader.name not in self._told:
                self._told.add(reader.name)
                self.notify(f"{reader.name}: the script ended at step {reader.step} ({how})",
                            title="Run ended", severity="warning", timeout=30)
        if view.error:
            self.notify(view.error, title="Cannot read the log", severity="error", timeout=30)

    def screenshot_stem(self) -> str:
        return f"nntui-view-{Path(self.title).name or 'runs'}-step{self.runner.view().step}"

    def action_help(self) -> None:
        rows = [(b.key_display or b.key, VIEWING_HELP.get(b.action, b.description)) for b in self.BINDINGS
                if isinstance(b, Binding)]
        rows += [("tab", "Move focus between panels"), ("[ ]", "Another run (gradient flow, histograms, norms)")]
        self.push_screen(HelpScreen(rows, self.title))


def _measured_columns(view: View) -> tuple[str, ...]:
    held_out = any(run.val_steps is not None and len(run.val_steps) for run in view.runs)
    classified = any(run.acc_steps is not None and len(run.acc_steps) for run in view.runs)
    return (*(("val loss", "gap") if held_out else ()), *(("accuracy",) if classified else ()),
            *(("val acc",) if classified and held_out else ()))
