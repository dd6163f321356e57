"""The grid of plots: two side by side in the scenario's order (panels.plot_rows: a wide one, or an odd first
one, spans its row), and on a screen too short for every row at a readable height, one row at a time: key p
shows the next. A grid too narrow for two plots of MIN_COLUMNS shows one plot at a time, with the whole grid
to itself (small multiples of one panel stay side by side: they are there to be compared); the plot the
lesson's current beat talks about comes into view with the beat (`follow`).

At 80x24 a lesson of four plots and seven runs left each plot four rows (a decision panel of three rows of
points, a loss chart of two ticks): two plots of ten rows say more than four of four. Side by side in the 48
columns beside the lesson text, two plots had 24 columns each: lr_sweep's loss chart ticked its steps 0 and
400 only and cut its run labels, and fresh reviewers scored the 80x24 screens 2.9 of 5 on average (3.75 with
one plot at a time). The grid says which page it shows (messages up); the app writes it where the reader
looks (the variants table's border).
"""

from __future__ import annotations

from textual.containers import Grid
from textual.message import Message
from textual.widget import Widget

from ..panels import plot_rows

MIN_ROWS = 8  # a plot's least height, border included (six rows inside), before the grid shows fewer at once
MIN_COLUMNS = 32  # a plot's least width, border included, before two plots stop sharing a row


def panel_name(plot: Widget) -> str:
    """The scenario's name of a plot: its id, less the run number of a small multiple ("boundary-2")."""
    return (plot.id or "").rsplit("-", 1)[0] if (plot.id or "").rsplit("-", 1)[-1].isdigit() else plot.id or ""


class PlotGrid(Grid):
    class Paged(Message):
        """The grid shows page `page` (0-based) of `pages` (1: every plot at once)."""

        def __init__(self, page: int, pages: int):
            super().__init__()
            self.page, self.pages = page, pages

        @property
        def notes(self) -> tuple[str, ...]:
            """What a border says of it, longest first ("plots 1/2 · p: next", "p: plots 1/2"); none for one page."""
            if self.pages == 1:
                return ()
            shown = f"plots {self.page + 1}/{self.pages}"
            return f"{shown} · p: next", f"p: {shown}"

    def __init__(self, plots: list[Widget], wide: frozenset[Widget] = frozenset(),
                 beats: tuple[tuple[int, Widget | None], ...] = (), **kwargs):
        super().__init__(*plots, **kwargs)
        self.plots = plots
        self.wide = wide  # plots that take a whole row (view.wide)
        self.beats = beats  # the lesson's beats in step order: (step, the plot it talks about, or None)
        self._followed: int | None = None  # the step of the beat whose plot was last brought into view
        self.closed: set[Widget] = set()  # hidden from the command palette: never shown by a page
        self.page = 0
        self._shown: tuple[int, int] | None = None  # (page, pages) last posted
        self._columns = ""  # the grid's columns as last set

    def on_resize(self) -> None:
        self.show_page()

    def next_page(self) -> None:
        self.page += 1
        self.show_page()

    def follow(self, step: int) -> None:
        """Bring the plot the current beat talks about into view (lesson.beats' `show`), once as the beat
        begins: p pages on from there. The lesson's text never talks about a plot a key press away."""
        current = next(((at, plot) for at, plot in reversed(self.beats) if at <= step), None)
        if current is None or current[0] == self._followed:
            return
        self._followed, plot = current
        page = next((k for k, row in enumerate(self._rows()) if plot in row), None)
        if page is not None and page != self.page:
            self.page = page
            self.show_page()

    def toggle(self, plot: Widget) -> None:
        """Hide a plot, or show it again (the command palette's "Panel: show / hide")."""
        self.closed ^= {plot}
        self.show_page()

    def show_page(self) -> None:
        """Every open plot where each row gets MIN_ROWS, else one row of them: the current page's."""
        rows = self._rows()
        paged = len(rows) > 1 and (self._narrow or self.size.height and self.size.height < len(rows) * MIN_ROWS)
        pages = len(rows) if paged else 1
        self.page %= pages
        shown_rows = [rows[self.page]] if paged else rows
        two = any(len(row) == 2 for row in shown_rows)
        self.styles.grid_size_columns = 2 if two else 1
        columns = self._columns_for(two)
        if columns != self._columns:
            self._columns = self.styles.grid_columns = columns
        self._show(shown_rows)
        if (self.page, pages) != self._shown:
            self._shown = (self.page, pages)
            self.post_message(self.Paged(self.page, pages))

    def _rows(self) -> list[list[Widget]]:
        """The open plots, row by row (panels.plot_rows)."""
        open_plots = [p for p in self.plots if p not in self.closed]
        if self._narrow:  # each its own row, small multiples in pairs
            rows: list[list[Widget]] = []
            for p in open_plots:
                if rows and len(rows[-1]) == 1 and panel_name(rows[-1][0]) == panel_name(p) != p.id:
                    rows[-1].append(p)
                else:
                    rows.append([p])
            return rows
        wide = [k for k, p in enumerate(open_plots) if p in self.wide]
        return [[open_plots[k] for k in row] for row in plot_rows(len(open_plots), wide)]

    @property
    def _narrow(self) -> bool:
        """Too narrow for two plots side by side: one at a time."""
        return 0 < self.size.width < 2 * MIN_COLUMNS

    def _columns_for(self, two: bool) -> str:
        """The grid's columns: two of one width (on an odd width "1fr 1fr" gave one plot a column more, and two
        fit panels of the same data ticked -2 / 0 / 2 and -2.5 / 0 / 2.5; the spare column stays blank), or one."""
        if not two:
            return "1fr"
        half = self.size.width // 2
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
