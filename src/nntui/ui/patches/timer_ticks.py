"""Timers that run late resume at the next tick, not the one after it.

When a Textual timer with `skip=True` finds its next tick already past, it sets its tick count to
`int(elapsed / interval + 1)` and then waits for tick `count + 1`: one tick more than it should. The
screen's repaint timer (60 a second) runs late whenever a frame of panel updates held the event loop,
so the repaint that shows a key's effect waited two ticks (about 30 ms) instead of at most one. On
lr_sweep at full speed that was the whole tail of the key-to-screen figure: p90 40 ms with the bug,
7 ms without it.

`run` below is Textual 8.2.8's `Timer._run` with that one line fixed. It is installed only on the
Textual it was written for; any other keeps its own (textual_patch.py). `run` looks up Textual's
internals as it runs, and install checks they are there.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from .textual_patch import WRITTEN_FOR, TextualPatch

if TYPE_CHECKING:
    from textual.timer import Timer

__all__ = ["WRITTEN_FOR", "PATCH", "install", "run", "textual_run"]


def textual_run() -> Any:
    """Textual's own `Timer._run`, whether or not install() replaced it."""
    from textual.timer import Timer

    return PATCH.original or Timer._run


async def run(self: Timer) -> None:
    """Run the timer: Textual 8.2.8's loop, with a late timer waiting for the first tick still ahead."""
    from textual import timer as textual_timer

    clock, sleep = textual_timer._time, textual_timer.sleep  # looked up per run, so a test can fake them
    EventTargetGone = textual_timer.EventTargetGone  # Textual's name, as in its own loop
    count = 0
    _repeat = self._repeat
    _interval = self._interval
    self._active  # noqa: B018  Force instantiation in same thread (Textual's line)
    await self._active.wait()
    start = clock.get_time()

    while _repeat is None or count <= _repeat:
        next_timer = start + ((count + 1) * _interval)
        now = clock.get_time()
        if self._skip and next_timer < now:
            # the first tick still ahead (Textual adds 1 here, so it waited a tick more); at least one
            # further than before, so float rounding can never make this loop spin without awaiting
            count = max(count + 1, math.ceil((now - start) / _interval) - 1)
            continue
        now = clock.get_time()
        wait_time = max(0, next_timer - now)
        await sleep(wait_time)
        count += 1
        await self._active.wait()
        if self._reset:
            start = clock.get_time()
            count = 0
            self._reset = False
            continue
        try:
            await self._tick(next_timer=next_timer, count=count)
        except EventTargetGone:
            break


def _target() -> tuple[Any, str]:
    from textual import timer as textual_timer

    for name in ("_time", "sleep", "EventTargetGone"):  # what `run` looks up
        getattr(textual_timer, name)
    return textual_timer.Timer, "_run"


PATCH = TextualPatch("late-timer fix", run, _target)


def install(version: str | None = None) -> bool:
    """Use the fixed loop on the Textual it was written for; say whether it is in use."""
    return PATCH.install(version)
