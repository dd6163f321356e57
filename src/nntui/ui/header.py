"""One-line header: scenario title on the left, device / step / speed on the right."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widget import Widget

from ..runner import View
from .palette import DONE_STYLE, ERROR_STYLE, PAUSED_STYLE


class RunHeader(Widget):
    def __init__(self, title: str, **kwargs):
        super().__init__(**kwargs)
        self.title_text = title
        self.status_text = ""
        self._status = Text()

    def show_stage(self, view: View, stage: int, stages: int, phase: str) -> None:
        """Graph lessons: where the walk through the graph is."""
        status = self._start(view)
        if view.state == "ready":
            status.append(f"  node {stage}/{stages}  ")
            status.append({"ready": "press n", "forward": "▶ forward", "backward": "◀ backward"}[phase],
                          style="bold")
        self._update(status)

    def show(self, view: View) -> None:
        status = self._start(view)
        if view.state == "ready":
            status.append("  step ")
            status.append(f"{view.step}/{view.total}", style="bold")
            status.append("  ")
            if view.finished:
                status.append("✓ done", style=DONE_STYLE)
            elif view.playing:
                rate = f"{view.rate:,.0f}" if view.rate == view.rate and view.rate > 0 else "…"
                status.append(f"▶ {rate} steps/s", style="bold")
            else:
                status.append("⏸ paused", style=PAUSED_STYLE)
            status.append(f"  speed {'max' if view.speed is None else view.speed}", style="dim")
        self._update(status)

    @staticmethod
    def _start(view: View) -> Text:
        """The status while loading or failed, else the device (the caller adds where training is)."""
        status = Text()  # styles go on spans: Text(..., style=) would style everything appended later
        if view.state == "loading":
            status.append("loading PyTorch…", style="italic")
        elif view.state == "error":
            status.append("✗ error", style=ERROR_STYLE)
        else:
            status.append(view.device, style="bold")
        return status

    def _update(self, status: Text) -> None:
        # a repaint of this one line, only when it changed: Static.update would also re-lay-out the screen
        if status == self._status:
            return
        self._status = status
        self.status_text = status.plain
        self.refresh()

    def render(self) -> Table:
        grid = Table.grid(expand=True)
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="right", no_wrap=True)
        grid.add_row(Text.assemble(("nntui ", "bold"), self.title_text), self._status)
        return grid
