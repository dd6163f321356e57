from __future__ import annotations

import asyncio
import textwrap
from pathlib import Path

import pytest

MINIMAL = """
[scenario]
title = "t"
[data]
kind = "linear"
stop = 1.0
n = 20
slope = 2.0
[model]
kind = "linear"
[train]
lr = 0.1
steps = 5
"""


@pytest.fixture
def write_scenario(tmp_path: Path):
    """Write TOML text to a file in a fresh folder; returns its path."""

    def write(text: str, name: str = "s.toml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


async def wait_idle(app, pilot, timeout: float = 60.0) -> None:
    """Wait until the trainer has nothing left to do, then let the UI catch up."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not app.runner.idle:
        assert loop.time() < deadline, "trainer did not finish in time"
        await asyncio.sleep(0.02)
    app.refresh_panels(force=True)
    await pilot.pause()


async def wait_until(predicate, pilot, timeout: float = 30.0) -> None:
    """Let the app run until `predicate()` holds (polling: training runs on its own thread)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        assert loop.time() < deadline, "timed out"
        await pilot.pause(0.05)


def probe_of(run, name: str):
    """The run's panel probe of class `name` (engine.RunState.panel_probes)."""
    return next(p for p in run.panel_probes if type(p).__name__ == name)


def diverged_run(step: int, **measured):
    """A run that diverged at `step` with no losses recorded, for a panel test that plants what it measured."""
    import math

    import numpy as np

    from nntui.runner import RunView

    return RunView(label="a", settings={}, steps=np.zeros(0), losses=np.zeros(0), loss=math.nan, status="diverged",
                   diverged_at=step, step=step, **measured)
