"""The code panel: the plain PyTorch training loop of the shown run, with the phase being run highlighted.

Press n with the panel focused to walk one training step phase by phase:
zero_grad → forward → loss → backward → step. The engine takes the real
step when the walk reaches optimizer.step() (it runs a step as one unit).
`nntui export-code` prints the same code as a standalone script.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from rich.syntax import Syntax
from rich.text import Text
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Static

from ...codegen import PHASES, CodeLine, lines
from ...commands import Pause, StepOnce
from ...runner import View
from ...scenario import Scenario
from ...ui.draw.palette import HIGHLIGHT_STYLE, MARK_STYLE
from ...ui.panel import RUN_BINDINGS, Control, Panel

PHASE_TEXT = {
    "zero_grad": "clear the .grad of every parameter",
    "forward": "run the batch through the model",
    "loss": "compare the prediction with the targets",
    "backward": "autograd fills every parameter's .grad",
    "step": "the optimizer moves the weights (the engine takes this step now)",
}


class CodePanel(Panel, VerticalScroll, can_focus=True):
    ALLOW_MAXIMIZE = True  # m zooms it (Textual maximizes no scroll container unless told)

    BINDINGS = [
        Binding("n", "phase", "Phase"),  # shown in the footer: here n walks a step instead of taking one
        *RUN_BINDINGS,
    ]

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls(scenario, **kwargs)

    def __init__(self, scenario: Scenario, run_index: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.scenario = scenario
        self.run_index = run_index
        self.phase: int | None = None  # index into PHASES while walking a step, else None
        self._code: list[CodeLine] = []
        self._shown: tuple | None = None

    def compose(self):
        yield Static(id="code")

    def on_mount(self) -> None:
        self._render_code()

    def show(self, view: View) -> None:
        """Training moved on by itself (play): the walk through one step is over."""
        if view.playing and self.phase is not None:
            self.phase = None
            self._render_code()

    def action_phase(self) -> None:
        self.post_message(Control(Pause()))  # walking phases needs a paused run
        self.phase = 0 if self.phase is None or self.phase == len(PHASES) - 1 else self.phase + 1
        if PHASES[self.phase] == "step":
            self.post_message(Control(StepOnce()))  # optimizer.step(): the engine takes the real step now
        self._render_code()

    def action_run(self, delta: int) -> None:
        self.run_index = (self.run_index + delta) % max(len(self.scenario.variants), 1)
        self._render_code()

    def _render_code(self) -> None:
        key = (self.run_index, self.phase)
        if key == self._shown:
            return
        self._shown = key
        self._code = lines(self.scenario, self.run_index)
        phase = PHASES[self.phase] if self.phase is not None else None
        marked = {i + 1 for i, line in enumerate(self._code) if phase and line.phase == phase}  # 1-based
        differing = self._differing()
        label = self.scenario.variants[self.run_index].label
        self.border_title = f"Code · {label}" + (f" · {phase}: {PHASE_TEXT[phase]}" if phase else "")
        self.border_subtitle = "n: next phase · [ / ]: run" + (" · ≠: not the same in every run" if differing else "")
        # a gutter arrow and a strong background on the phase's lines: visible on a projector, and without color
        text = Text()
        for number, line in enumerate(self._code, start=1):
            mark = number in marked
            row = Syntax(line.text, "python", theme="ansi_dark").highlight(line.text)
            row.rstrip()
            row = Text.assemble(("▶ " if mark else "≠ " if number in differing else "  ", MARK_STYLE), row)
            if mark:
                row.stylize(HIGHLIGHT_STYLE)
            text.append(row)
            text.append("\n")
        self.query_one("#code", Static).update(text)
        # the highlighted line in view, a few lines below the top; between walks, the training loop (a lesson
        # about zero_grad() had shown its setup lines only, the loop below the fold)
        loop = [i + 1 for i, line in enumerate(self._code) if line.phase]
        top = min(marked) if marked else min(loop, default=1)
        # counted in rows, as the lines wrap, with up to 4 rows of context above it (fewer in a short panel: at
        # 80x24 four wrapped rows of next_batch() had kept zero_grad() below the fold)
        context = min(4, max(self.scrollable_content_region.height // 3, 1))

        def scroll() -> None:  # after the new text is laid out (or the scroll is clamped to the old height)
            code = self.query_one("#code", Static)
            above = Text("\n").join(text.split("\n")[:top - 1])
            row = len(above.wrap(self.app.console, max(code.size.width, 1))) if top > 1 else 0
            self.scroll_to(y=max(row - context, 0), animate=False)

        self.call_after_refresh(scroll)

    def _differing(self) -> set[int]:
        """The numbers (1-based) of this run's lines that another run's code has otherwise: what the runs compare
        (autograd_basics: the optimizer.zero_grad() one run forgets; lr_sweep: the lr)."""
        mine = [line.text for line in self._code]
        out: set[int] = set()
        for j in range(len(self.scenario.variants)):
            if j != self.run_index:
                theirs = [line.text for line in lines(self.scenario, j)]
                for tag, i1, i2, _, _ in SequenceMatcher(None, mine, theirs, autojunk=False).get_opcodes():
                    if tag in ("replace", "delete"):
                        out.update(range(i1 + 1, i2 + 1))
        return out
