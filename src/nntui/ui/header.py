"""One-line header: scenario title on the left, device / step / speed on the right.

The status keeps its place; the title gives way, whole words at a time ('nntui' first, then the title's last
words), two cells clear of the status: at 80 columns 'Vanishing gradients: sigmoid vs ReLU…  cpu  step …',
never 'Vanishing gradients: sigmoid vs Re…cpu'. Where even the status does not fit, its speed goes first.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

from ..runner import View
from .draw.palette import DONE_STYLE, ERROR_STYLE, PAUSED_STYLE
from .draw.raster import shorten

GAP = 2  # cells between the title and the status
MIN_TITLE = 12  # below this, the status drops its speed to leave the title a few words


class RunHeader(Widget):
    def __init__(self, title: str, idle: str = "‖ paused", lesson: bool = True, loading: str = "loading PyTorch…",
                 **kwargs):
        """`idle`: what it says while no step comes (a watched run's log that stopped growing is not paused);
        `lesson`: the run's length and speed are set here (a watched script's are its own: neither is shown);
        `loading`: what it says before the first step can come."""
        super().__init__(**kwargs)
        self.title_text = title
        self.idle, self.lesson, self.loading_text = idle, lesson, loading
        self.totals = lesson  # "step N/total": a lesson's length, or a watched script's where it said it
        self.status_text = ""
        self._status = Text()
        self._speed = Text()  # the status's last part, the first to go when space is short

    def show_stage(self, view: View, stage: int, stages: int, phase: str) -> None:
        """Graph lessons: where the walk through the graph is."""
        status = self._start(view)
        if view.state == "ready":
            status.append(f"  step {stage}/{stages}  ")  # (a walk of 2 steps a node: "node 10/10" read as 10 nodes)
            status.append({"ready": "press n", "forward": "▶ forward", "backward": "◀ backward"}[phase],
                          style="bold")
        self._update(status)

    def show(self, view: View) -> None:
        status = self._start(view)
        if view.state == "ready":
            status.append("  step ")
            status.append(f"{view.step}/{view.total}" if self.totals else f"{view.step}", style="bold")
            status.append("  ")
            if view.finished:
                status.append("✓ done", style=DONE_STYLE)
            elif view.playing:
                rate = f"{view.rate:,.0f}" if view.rate == view.rate and view.rate > 0 else "…"
                status.append(f"▶ {rate} steps/s", style="bold")
            else:
                status.append(self.idle, style=PAUSED_STYLE)  # (⏸ is an emoji in many fonts: wide, or a box)
            speed = f"  speed {'max' if view.speed is None else view.speed}" if self.lesson else ""
            self._update(status, Text(speed, style="dim"))
            return
        self._update(status)

    def _start(self, view: View) -> Text:
        """The status while loading or failed, else the device (the caller adds where training is)."""
        status = Text()  # styles go on spans: Text(..., style=) would style everything appended later
        if view.state == "loading":
            status.append(self.loading_text, style="italic")
        elif view.state == "error":
            status.append("✗ error", style=ERROR_STYLE)
        else:
            status.append(view.device, style="bold")
        return status

    def _update(self, status: Text, speed: Text | None = None) -> None:
        # a repaint of this one line, only when it changed: Static.update would also re-lay-out the screen
        speed = speed or Text()
        if status == self._status and speed == self._speed:
            return
        same_width = (status.cell_len, speed.cell_len) == (self._status.cell_len, self._speed.cell_len)
        self._status, self._speed = status, speed
        self.status_text = status.plain + speed.plain
        if same_width:  # the title stays where it is: repaint the status alone (the step count, every frame)
            width = status.cell_len + speed.cell_len + 1
            self.refresh(Region(max(self.size.width - width, 0), 0, width, 1))
        else:
            self.refresh()

    def render(self) -> Table:
        width = self.size.width
        status = self._status + self._speed
        if width - status.cell_len - GAP < MIN_TITLE:
            status = self._status
        room = max(width - status.cell_len - GAP, 0)
        if len("nntui " + self.title_text) <= room:
            title = Text.assemble(("nntui ", "bold"), self.title_text)
        else:
            title = Text(shorten(self.title_text, room))
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(title, status)
        return grid
