"""RSS after N steps minus after 10,000 (engine + bounded history), for `python -m benchmarks`.

    python -m benchmarks.memory 1000000    # prints the growth in MB
"""

from __future__ import annotations

import sys
from pathlib import Path

from nntui.engine import Engine
from nntui.record import History
from nntui.scenario import load_text

SCENARIO = """
[scenario]
title = "memory"
[data]
kind = "linear"
stop = 1.0
n = 8
slope = 2.0
[model]
kind = "linear"
[train]
lr = 0.1
steps = {steps}
"""


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 2**20


def main() -> None:
    steps = int(sys.argv[1])
    sc = load_text(SCENARIO.format(steps=steps), source="memory.toml", base_dir=Path("."))
    engine = Engine(sc, "cpu")
    history = History([v.label for v in sc.variants], [v.settings() for v in sc.variants])
    at_10k = None
    while not engine.finished:
        engine.advance(100)  # frames as the app takes them at full speed
        history.add(engine.frame())
        if at_10k is None and engine.step >= 10_000:
            at_10k = rss_mb()
    print(f"{rss_mb() - at_10k:.2f}")


if __name__ == "__main__":
    main()
