"""What the UI can ask of the trainer, as frozen values.

The UI sends commands; the trainer applies them in order at the top of each
iteration of its loop (runner.py), so one thread owns the training state. The
same values cross the pipe to a trainer process (trainer_process.py). Until
the trainer has applied them, the UI shows what they will do (`predict`),
so a key press shows at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from .scenario import Scenario


@dataclass(frozen=True)
class Toggle:
    """Play / pause; playing after the end replays from step 0."""


@dataclass(frozen=True)
class Pause:
    pass


@dataclass(frozen=True)
class StepOnce:
    """One training step, paused."""


@dataclass(frozen=True)
class Reset:
    """Every run back to step 0 (same seed, same numbers); questions skipped are asked again, not those answered."""


@dataclass(frozen=True)
class SetSpeed:
    speed: int | None  # steps per second; None: as fast as it goes


@dataclass(frozen=True)
class RestartRun:
    """Run `index` of the edited `scenario` starts over from step 0; the others go on."""

    index: int
    scenario: Scenario


@dataclass(frozen=True)
class ContinueRun:
    """Run `index` of the edited `scenario` goes on from where it is with its new settings (scenario.edit's
    LIVE_FIELDS); the others go on too."""

    index: int
    scenario: Scenario


@dataclass(frozen=True)
class Release:
    """The question at `step` is done with: play on. `answered`: it was answered (not skipped), so it is not asked
    again, not even after a reset (a skipped one is)."""

    step: int
    answered: bool = False


Command = Toggle | Pause | StepOnce | Reset | SetSpeed | RestartRun | ContinueRun | Release


def predict(playing: bool, speed: int | None, command: Command) -> tuple[bool, int | None]:
    """(playing, speed) once the trainer has applied `command`: what the header shows meanwhile."""
    match command:
        case Toggle():
            return not playing, speed
        case Pause() | StepOnce():
            return False, speed
        case Release():
            return True, speed
        case SetSpeed(speed=new):
            return playing, new
        case Reset() | RestartRun() | ContinueRun():
            return playing, speed
        case _:
            assert_never(command)
