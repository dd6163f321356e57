"""Snapshot tests: lr_sweep at a fixed step, at the smallest and the comfortable terminal sizes.

The app trains exactly `run_steps` steps with autoplay off, so the screen is
the same run after run (paused: no measured speed in the header).
"""

from __future__ import annotations

import pytest

from nntui.scenario import load
from nntui.ui.app import NNTuiApp

from .conftest import wait_idle


async def settle(pilot) -> None:
    await wait_idle(pilot.app, pilot)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_lr_sweep_at_step_120(snap_compare, size):
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=120)
    assert snap_compare(app, terminal_size=size, run_before=settle)


def test_lr_sweep_after_divergence_linear_scale(snap_compare):
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=300)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("l")

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)


def test_help_screen(snap_compare):
    app = NNTuiApp(load("lr_sweep"), device="cpu", run_steps=1)

    async def run_before(pilot):
        await settle(pilot)
        await pilot.press("question_mark")

    assert snap_compare(app, terminal_size=(100, 30), run_before=run_before)
