"""Timers that run late resume at the next tick, not the one after it.

When a Textual timer with `skip=True` finds its next tick already past, it sets its tick count to
`int(elapsed / interval + 1)` and then waits for tick `count + 1`: one tick more than it should. The
screen's repaint timer (60 a second) runs late whenever a frame of panel updates held the event loop,
so the repaint that shows a key's effect waited two ticks (about 30 ms) instead of at most one. On
lr_sweep at full speed that was the whole tail of the key-to-screen figure: p90 40 ms with the bug,
7 ms without it.

`run` below is Textual 8.2.8's `Timer._run` with that one line fixed. It is installed only on the
Textual version it was written against (constraints.txt pins it); any other version keeps its own.
"""

from __future__ import annotations

import math

import textual
from textual import timer as textual_timer
from textual.timer import EventTargetGone, Timer

WRITTEN_FOR = "8.2.8"
TEXTUAL_RUN = Timer._run  # Textual's own, kept for comparison


async def run(self: Timer) -> None:
    """Run the timer: Textual 8.2.8's loop, with a late timer waiting for the first tick still ahead."""
    clock, sleep = textual_timer._time, textual_timer.sleep  # looked up per run, so a test can fake them
    count = 0
    _repeat = self._repeat
    _interval = self._interval
    self._active  # Force instantiation in same thread
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


def install(version: str = textual.__version__) -> bool:
    """Use the fixed loop if this is the Textual it was written for; say whether it is in use."""
    if version != WRITTEN_FOR:
        return False
    Timer._run = run
    return True
