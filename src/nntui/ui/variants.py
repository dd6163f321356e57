"""The variants table: one row per run with its color, settings, current loss and status."""

from __future__ import annotations

import time

from rich.text import Text
from textual.widgets import DataTable

from ..runner import View
from .palette import STATUS_STYLES, fmt_num, variant_color


UPDATE_SECONDS = 0.5


class VariantsTable(DataTable):
    DEFAULT_CSS = """
    VariantsTable { height: auto; max-height: 50%; border: round $primary; }
    .-short VariantsTable { border: none; }
    """
    can_focus = False  # nothing to select: it only reports

    def __init__(self, columns: list[str], labels: list[str], settings: list[dict], live: tuple[str, ...] = (),
                 **kwargs):
        super().__init__(cursor_type="none", zebra_stripes=True, **kwargs)
        self.settings_columns = columns
        self.live_columns = live  # measured as training runs: "lr now", "device", "steps/s"
        self._shown: dict[tuple[str, str], Text] = {}
        self._statuses: tuple[str, ...] = ()
        self._updated = 0.0
        self.settings = settings
        self.label_width = min(max(len("variant") - 3, *(len(label) for label in labels)), 28)

    def on_mount(self) -> None:
        self.border_title = "Variants"
        # fixed widths: DataTable sizes columns by their first contents, which change as training runs
        self.add_column("variant", key="label", width=self.label_width + 3)
        for col in self.settings_columns:
            width = max([len(col)] + [len(_setting(s.get(col))) for s in self.settings])
            self.add_column(col, key=col, width=width)
        for col in self.live_columns:
            self.add_column(col, key=col, width=max(len(col), 8))
        self.add_column("loss", key="loss", width=9)
        self.add_column("status", key="status", width=13)

    def show(self, view: View) -> None:
        # live numbers at 2 Hz: readable, and Textual repaints the whole table on any cell update
        now = time.monotonic()
        statuses = tuple(run.status for run in view.runs)
        if view.playing and statuses == self._statuses and now - self._updated < UPDATE_SECONDS:
            return
        self._statuses, self._updated = statuses, now
        for i, run in enumerate(view.runs):
            label = Text.assemble(("━━ ", variant_color(i)), run.label)
            status = run.status if view.state != "loading" else "waiting"
            if status == "diverged":
                status_text = Text(f"diverged @{run.diverged_at}", style=STATUS_STYLES[status])
            else:
                status_text = Text(status, style=STATUS_STYLES.get(status, ""))
            cells = [label, *(Text(_setting(run.settings.get(c)), justify="right") for c in self.settings_columns),
                     *(Text(_live(run, c), justify="right") for c in self.live_columns),
                     Text(fmt_num(run.loss), justify="right"), status_text]
            key = str(i)
            if key in self.rows:
                for col, cell in zip(["label", *self.settings_columns, *self.live_columns, "loss", "status"], cells):
                    if self._shown.get((key, col)) != cell:  # each update repaints: only what reads differently
                        self._shown[(key, col)] = cell
                        self.update_cell(key, col, cell)
            else:
                self.add_row(*cells, key=key)
                self._shown.update({(key, col): cell for col, cell in zip(
                    ["label", *self.settings_columns, *self.live_columns, "loss", "status"], cells)})


def _setting(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"  # settings are typed by people: show them as written (0.0005)
    return "" if value is None else str(value)


def _live(run, column: str) -> str:
    if column == "lr now":
        return fmt_num(run.lr) if run.lr == run.lr else ""
    if column == "device":
        return run.device
    if column == "steps/s":
        return f"{run.rate:,.0f}" if run.rate == run.rate else ""
    return ""
