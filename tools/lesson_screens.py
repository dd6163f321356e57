"""Screens of built-in lessons as a student first sees them: mid-run and at the end, at 120x40, 80x24 and 200x60.

    .venv/bin/python tools/lesson_screens.py [--size WxH ...] OUT_DIR [LESSON ...]    (no lesson named: all of them)

writes OUT_DIR/LESSON-{mid,end}-{120x40,80x24,200x60}.svg (or only the sizes named), the app's own screenshots, trained for real on the CPU
without its questions. Render them to PNG with Chromium (../shared/tools/svg2png IN.svg OUT.png) to look at
them, or hand them to someone who has not seen the lesson and ask what the screen shows.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from nntui.panels.graph.expression import GraphPanel
from nntui.scenario import list_builtin, load
from nntui.ui.app import NNTuiApp

SIZES = ((120, 40), (80, 24), (200, 60))


async def shoot(name: str, phase: str, size: tuple[int, int], out: Path) -> None:
    scenario = load(name)
    steps = None
    if scenario.expression is None:  # a training lesson: half its steps, or all of them
        total = max(v.steps for v in scenario.variants)
        steps = total // 2 if phase == "mid" else total
    app = NNTuiApp(scenario, device="cpu", run_steps=steps, questions=False)
    async with app.run_test(size=size) as pilot:
        while not app.runner.idle:  # the trainer has nothing left to do
            await asyncio.sleep(0.05)
        if scenario.expression is not None:  # a graph lesson: walk half its nodes, or all of them
            graph = app.query_one(GraphPanel)
            app.set_focus(None)
            if app.runner.playing or app._graph_timer is not None:
                await pilot.press("space")  # (its autoplay would walk on by itself)
            target = graph.stages // 2 if phase == "mid" else graph.stages
            for _ in range(2 * graph.stages):
                if graph.stage >= target:
                    break
                await pilot.press("n")
        app.refresh_panels(force=True)
        await pilot.pause(0.3)
        app.save_screenshot(f"{name}-{phase}-{size[0]}x{size[1]}.svg", str(out))


def main(argv: list[str]) -> None:
    sizes = []
    while len(argv) > 1 and argv[0] == "--size":
        width, _, height = argv[1].partition("x")
        sizes.append((int(width), int(height)))
        argv = argv[2:]
    if not argv or argv[0].startswith("-"):  # no folder, or an option this tool does not have (--help)
        sys.exit(__doc__)
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    for name in argv[1:] or [info.name for info in list_builtin()]:
        for size in sizes or SIZES:
            for phase in ("mid", "end"):
                asyncio.run(shoot(name, phase, size, out))
        print(f"{name}: {2 * len(sizes or SIZES)} screens in {out}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
