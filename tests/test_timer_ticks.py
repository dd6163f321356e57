"""A timer that ran late ticks next at the first tick still ahead (Textual 8.2.8 waited one more)."""

import asyncio
import logging

import pytest
import textual
from textual import timer as textual_timer
from textual.timer import Timer

from nntui.ui.patches import timer_ticks


class Target:
    """Something a timer can hold a weak reference to."""


class FakeClock:
    """Time that moves only when the timer sleeps or a tick says it blocked the loop."""

    def __init__(self) -> None:
        self.now = 0.0

    def get_time(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def ticks(run, blocked: dict[int, float], repeat: int = 4) -> list[float]:
    """The scheduled times of a 10 s interval timer's ticks, where tick n holds the loop blocked[n] s."""
    clock, seen = FakeClock(), []
    timer = Timer(Target(), 10.0, repeat=repeat, skip=True)

    async def tick(*, next_timer: float, count: int) -> None:
        seen.append(next_timer)
        clock.now += blocked.get(count, 0.0)

    timer._tick = tick

    async def main() -> None:
        saved = textual_timer._time, textual_timer.sleep
        textual_timer._time, textual_timer.sleep = clock, clock.sleep
        try:
            await run(timer)
        finally:
            textual_timer._time, textual_timer.sleep = saved

    asyncio.run(main())
    return seen


def test_a_late_timer_ticks_at_the_first_tick_still_ahead():
    # tick 1 (at 10) holds the loop until 35: ticks 20 and 30 are past, 40 is the next one
    assert ticks(timer_ticks.run, {1: 25.0}) [:3] == [10.0, 40.0, 50.0]  # (skipped ticks count towards repeat)


def test_an_on_time_timer_ticks_on_every_interval():
    assert ticks(timer_ticks.run, {}) == [10.0, 20.0, 30.0, 40.0, 50.0]


def test_a_tick_landing_exactly_on_a_later_tick_still_advances():
    # blocked until exactly 30: tick 30 is not past, so it comes next
    assert ticks(timer_ticks.run, {1: 20.0}) [:3] == [10.0, 30.0, 40.0]


@pytest.mark.skipif(textual.__version__ != timer_ticks.WRITTEN_FOR, reason="the fix is for Textual 8.2.8")
def test_textual_8_2_8_skips_one_tick_too_many_and_the_fix_is_installed():
    assert ticks(timer_ticks.textual_run(), {1: 25.0})[1] == 50.0  # the bug this module exists for
    import nntui.ui.app  # noqa: F401  installs the fix

    assert Timer._run is timer_ticks.run
    assert timer_ticks.install("0.0.0") is False


def test_a_textual_without_an_internal_the_fix_uses_skips_it_with_a_notice(monkeypatch, caplog):
    monkeypatch.setattr(Timer, "_run", timer_ticks.textual_run())  # Textual's own for the test, restored after
    monkeypatch.setattr(timer_ticks.PATCH, "skipped", None)
    monkeypatch.delattr(textual_timer, "EventTargetGone")  # as a Textual release that moved it
    with caplog.at_level(logging.WARNING, logger="nntui"):
        assert timer_ticks.install(timer_ticks.WRITTEN_FOR) is False
    assert Timer._run is not timer_ticks.run
    assert "EventTargetGone" in timer_ticks.PATCH.skipped
    assert [(r.name, r.levelname) for r in caplog.records] == [("nntui", "WARNING")]
