"""What every screen of plots does, a lesson's (app.py) or a watched run's (log_app.py): the loss axis and its
smoothing, paging and zooming the plots, and screenshots."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from ..files import unused_name, write_atomically
from ..panels.lesson.widget import LessonPanel
from ..panels.loss.widget import LossPlot
from ..panels.variants.widget import VariantsTable
from .plot_grid import PlotGrid

VIEWING_HELP = {  # the footer is terse (it must fit 80 columns); the help screen explains
    "toggle_log": "Loss axis: log / linear",
    "toggle_smooth": "Loss curves: raw / smoothed (moving average)",
    "screenshot": "Save an SVG screenshot in the current folder",
    "toggle_maximize": "Zoom: maximize the focused panel, or restore",
    "next_plots": "On a screen too short for every plot: show the next ones (the runs table says which)",
    "help": "This help",
    "quit": "Quit (at once, even mid-step)",
}


class Viewing(App):
    """Mixin for an app of plots; it sets `log_y` and `smooth`, and names its screenshots (`screenshot_stem`)."""

    log_y = True
    smooth = False

    def _all(self, cls: type) -> list:
        """The app's widgets of a kind, looked up once: the panels are composed once and never replaced.

        A query walks the whole DOM (the lesson's Markdown is dozens of widgets); eight of them per
        refresh cost 7 ms of the UI thread's time, measured at full speed."""
        cache: dict[type, list] = self.__dict__.setdefault("_found", {})
        found = cache.get(cls)
        if found is None:
            found = cache[cls] = list(self.query(cls))
        return found

    def screenshot_stem(self) -> str:
        raise NotImplementedError

    def action_toggle_log(self) -> None:
        self.log_y = not self.log_y
        for plot in self._all(LossPlot):
            plot.set_scale(log_y=self.log_y)

    def action_toggle_smooth(self) -> None:
        self.smooth = not self.smooth
        for plot in self._all(LossPlot):
            plot.set_scale(smooth=self.smooth)

    def action_screenshot(self, filename: str | None = None, path: str | None = None) -> None:
        """An SVG of the screen as it is now, named by `screenshot_stem`, in the current folder (on the machine
        nntui runs on). `filename` and `path` (a folder) are Textual's arguments to this action, which overrides
        its own; the s key and the palette pass neither."""
        folder = Path(path) if path else Path.cwd()
        name = filename or unused_name(folder, self.screenshot_stem(), ".svg")
        target = folder / name
        try:
            write_atomically(target, self.export_screenshot())  # a full disk leaves no half an SVG
        except OSError as exc:
            self.notify(f"could not save {name}: {exc.strerror}", severity="error")
            return
        self.notify(f"saved {target}", title="Screenshot")

    def action_next_plots(self) -> None:
        for grid in self._all(PlotGrid):
            grid.next_page()

    def on_plot_grid_paged(self, message: PlotGrid.Paged) -> None:
        """A short or narrow screen shows one row of plots: the variants table, under them, says so and how to see
        more (the lesson panel, where there is no table)."""
        tables = self._all(VariantsTable)
        for table in tables:
            table.border_subtitle = message.notes[0] if message.notes else ""
        for lesson in [] if tables else self._all(LessonPanel):  # (no table: the lesson's border says it)
            lesson.say_plots(message.notes)

    def action_toggle_maximize(self) -> None:
        """Fill the screen with the focused panel (tab picks it); again to restore."""
        if self.screen.maximized is not None:
            self.screen.minimize()
        elif self.focused is not None:
            self.screen.maximize(self.focused, container=False)

