"""User-facing errors: each problem is one line naming file, line, field and fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    field: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class NntuiError(Exception):
    """An error the CLI prints as one line per problem (exit code 2), never a traceback."""

    def __init__(self, problems: list[Problem] | str):
        self.problems = [Problem("nntui", problems)] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ScenarioError(NntuiError):
    """A scenario file that cannot be loaded."""


class DeviceError(NntuiError):
    """A device that was asked for but is not there."""
