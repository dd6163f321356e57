"""The speed panel: each run's steps per second as a bar read back through its axis, with its device; a machine
with no GPU says so instead of leaving two equal bars to read as a GPU that did nothing (issue 27)."""

from __future__ import annotations

import re

import numpy as np
from textual.app import App

from nntui.panels.speed.widget import SpeedPanel
from nntui.runner import RunView, View

BLOCKS = {" ": 0, "▏": 1, "▎": 2, "▍": 3, "▌": 4, "▋": 5, "▊": 6, "▉": 7, "█": 8}


class OnePanel(App):
    def __init__(self, panel: SpeedPanel):
        super().__init__()
        self.panel = panel

    def compose(self):
        yield self.panel


def run(label: str, rate: float, device: str) -> RunView:
    return RunView(label=label, settings={}, steps=np.arange(3.0), losses=np.ones(3), loss=1.0, status="learning",
                   diverged_at=None, step=2, rate=rate, device=device)


async def drawn(runs, size) -> list[str]:
    panel = SpeedPanel()
    view = View(version=1, state="ready", device="cpu", step=2, total=2, playing=False, finished=True,
                speed=None, rate=0.0, error=None, runs=tuple(runs))
    async with OnePanel(panel).run_test(size=size) as pilot:
        await pilot.pause()
        panel.show(view)
        return ["".join(seg.text for seg in strip) for strip in panel._strips]


async def test_each_bar_ends_where_its_axis_puts_its_rate_and_a_gpu_run_says_how_many_times_faster():
    for size in ((60, 20), (30, 16)):  # bars beside the names, and (narrow) each on a row of its own
        lines = await drawn([run("cpu", 50.0, "cpu"), run("auto", 800.0, "cuda")], size)
        ticks = next(line for line in reversed(lines) if line.strip().startswith("0"))
        # each label centred on its tick's column
        labels = [(m.start() + (len(m.group()) - 1) // 2, float(m.group())) for m in re.finditer(r"\d+", ticks)]
        zero = labels[0][0]
        (c0, v0), (c1, v1) = labels[0], labels[-1]
        per_cell = (v1 - v0) / (c1 - c0)
        for rate in (50.0, 800.0):
            bar = next(line for line in lines if "█" in line and (line.rstrip().endswith(f"{rate:.3g}/s") or
                       lines[lines.index(line) - 1].rstrip().endswith(f"{rate:.3g}/s")))
            first = min(bar.index(ch) for ch in "█▏▎▍▌▋▊▉" if ch in bar)
            length = sum(BLOCKS.get(ch, 0) for ch in bar[first:]) / 8
            # the bar runs from the left edge of 0's cell: its end, read through the ticks, is the rate
            read = v0 + (first + length - 0.5 - c0) * per_cell
            assert abs(read - rate) <= (0.5 + 1 / 16) * per_cell, (size, rate, read)  # (eighths round)
            assert first == zero
        assert any("16× cpu" in line for line in lines) and not any("Every run trains on the CPU" in line
                                                                    for line in lines)
        assert v1 >= 800.0  # a label past the longest bar: each is read between two (devices: bars to 50 under 0 20 40)


async def test_a_panel_narrower_than_its_labels_still_draws():
    # the chaos test resized devices to a few columns: a negative field width raised ValueError and closed the app
    for size in ((8, 6), (3, 12), (1, 1)):
        lines = await drawn([run("cpu", 50.0, "cpu"), run("auto", 49.0, "cpu")], size)
        assert all(len(line) == size[0] for line in lines)


async def test_with_every_run_on_the_cpu_the_panel_says_why_the_bars_are_equal():
    lines = await drawn([run("cpu", 50.0, "cpu"), run("auto", 49.0, "cpu")], (60, 20))
    text = " ".join(line.strip() for line in lines)
    assert "Every run trains on the CPU: no CUDA or MPS device was found" in text and "0.98× cpu" in text
