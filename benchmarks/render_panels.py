"""Render cost of each panel at 100x30, on lr_sweep's state after 300 steps.

    python -m benchmarks.render_panels

Each panel is mounted alone in a 100x30 app and redrawn from the same View
(forced, as if new data had arrived). Target: ≤ 15 ms per panel per redraw.
"""

from __future__ import annotations

import asyncio
import statistics
import time

from textual.app import App, ComposeResult

from nntui.runner import Runner
from nntui.scenario import load
from nntui.ui.contour import ContourPanel
from nntui.ui.loss import LossPlot

TARGET_MS = 15.0
REPEATS = 30


def trained_view():
    runner = Runner(load("lr_sweep"), device="cpu", run_steps=300)
    runner.start()
    while not runner.idle:
        time.sleep(0.05)
    view = runner.view()
    runner.stop()
    return view


class OnePanel(App):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel

    def compose(self) -> ComposeResult:
        yield self.panel


def redraw_loss(panel: LossPlot, view) -> None:
    panel._rendered_key = None  # as if new data had arrived
    panel.show(view)
    panel.render()  # the figure is rebuilt and plotext draws it here


def redraw_contour(panel: ContourPanel, view) -> None:
    panel._key = None
    panel.show(view)
    for y in range(panel.size.height):
        panel.render_line(y)


async def measure(panel, redraw, view) -> list[float]:
    app = OnePanel(panel)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        redraw(panel, view)  # warm caches
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            redraw(panel, view)
            times.append((time.perf_counter() - started) * 1000)
        return times


def main() -> None:
    view = trained_view()
    rows = []
    for name, panel, redraw in (("loss", LossPlot(), redraw_loss), ("contour", ContourPanel(), redraw_contour)):
        times = asyncio.run(measure(panel, redraw, view))
        rows.append((name, statistics.median(times), max(times)))
    print(f"{'panel':<10}{'median ms':>10}{'max ms':>9}{'target':>9}  verdict")
    for name, median, worst in rows:
        print(f"{name:<10}{median:>10.1f}{worst:>9.1f}{TARGET_MS:>9.0f}  {'ok' if median <= TARGET_MS else 'OVER'}")


if __name__ == "__main__":
    main()
