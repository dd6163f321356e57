"""The grid of plots: two side by side in the scenario's order (panels.plot_rows: a wide one, or an odd first
one, spans its row), and on a screen too short for every row at a readable height, one row at a time: key p
shows the next.

At 80x24 a lesson of four plots and seven runs left each plot four rows (a decision panel of three rows of
points, a loss chart of two ticks): two plots of ten rows say more than four of four. The grid says which
page it shows (messages up); the app writes it where the reader looks (the variants table's border).
"""

from __future__ import annotations

from textual.containers import Grid
from textual.message import Message
from textual.widget import Widget

from ..panels import plot_rows

MIN_ROWS = 8  # a plot's least height, border included (six rows inside), before the grid shows fewer at once
NARROW = 64  # a grid narrower than this gives a plot that names its curves at their ends (LABELS_ENDS), first in its
# row, 3/5 of the row it shares with one that does not: lr_sweep's loss chart at 80x24 had 15 columns and no room
# for "0.0005"


class PlotGrid(Grid):
    class Paged(Message):
        """The grid shows page `page` (0-based) of `pages` (1: every plot at once)."""

        def __init__(self, page: int, pages: int):
            super().__init__()
            self.page, self.pages = page, pages

    def __init__(self, plots: list[Widget], wide: frozenset[Widget] = frozenset(), **kwargs):
        super().__init__(*plots, **kwargs)
        self.plots = plots
        self.wide = wide  # plots that take a whole row (view.wide)
        self.closed: set[Widget] = set()  # hidden from the command palette: never shown by a page
        self.page = 0
        self._shown: tuple[int, int] | None = None  # (page, pages) last posted
        self._columns = ""  # the grid's columns as last set

    def on_resize(self) -> None:
        self.show_page()

    def next_page(self) -> None:
        self.page += 1
        self.show_page()

    def toggle(self, plot: Widget) -> None:
        """Hide a plot, or show it again (the command palette's "Panel: show / hide")."""
        self.closed ^= {plot}
        self.show_page()

    def show_page(self) -> None:
        """Every open plot where each row gets MIN_ROWS, else one row of them: the current page's."""
        rows = self._rows()
        paged = len(rows) > 1 and self.size.height and self.size.height < len(rows) * MIN_ROWS
        pages = len(rows) if paged else 1
        self.page %= pages
        shown_rows = [rows[self.page]] if paged else rows
        two = any(len(row) == 2 for row in shown_rows)
        self.styles.grid_size_columns = 2 if two else 1
        columns = self._columns_for(shown_rows, two)
        if columns != self._columns:
            self._columns = self.styles.grid_columns = columns
        self._show(shown_rows)
        if (self.page, pages) != self._shown:
            self._shown = (self.page, pages)
            self.post_message(self.Paged(self.page, pages))

    def _rows(self) -> list[list[Widget]]:
        """The open plots, row by row (panels.plot_rows)."""
        open_plots = [p for p in self.plots if p not in self.closed]
        wide = [k for k, p in enumerate(open_plots) if p in self.wide]
        return [[open_plots[k] for k in row] for row in plot_rows(len(open_plots), wide)]

    def _columns_for(self, shown_rows: list[list[Widget]], two: bool) -> str:
        """The grid's columns: two of one width (on an odd width "1fr 1fr" gave one plot a column more, and two
        fit panels of the same data ticked -2 / 0 / 2 and -2.5 / 0 / 2.5; the spare column stays blank), or one."""
        if not two:
            return "1fr"
        half = self.size.width // 2
        if len(shown_rows) == 1 and self.size.width < NARROW:
            # (only where it comes first: the lesson's own order says it matters most; a fit, a surface or a graph
            # listed before the loss keeps its half)
            if [getattr(p, "LABELS_ENDS", False) for p in shown_rows[0]] == [True, False]:
                return "3fr 2fr"
        return f"{half} {half}" if self.size.width % 2 else "1fr 1fr"

    def _show(self, shown_rows: list[list[Widget]]) -> None:
        """Show these rows' plots alone, a plot alone in its row across both columns; focus follows."""
        shown = [p for row in shown_rows for p in row]
        for plot in self.plots:
            plot.display = plot in shown
            plot.styles.column_span = 2 if [plot] in shown_rows else 1
        focused = self.app.focused
        if focused in self.plots and not focused.display and shown:
            shown[0].focus()  # focus never stays on a plot that has left the screen
