"""User-facing errors: each problem is one line naming file, line, field and fix."""

from __future__ import annotations

import stat
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    message: str
    field: str = ""
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        return printable(f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}")


def printable(text: str) -> str:
    """Text from a user's file, safe to print: control characters (a newline, an escape sequence that
    would clear the screen, a right-to-left override) are shown escaped, so a problem stays one line."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def file_kind(mode: int) -> str:
    """What a path that is not a regular file is, in words (from its st_mode)."""
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


class NntuiError(Exception):
    """An error the CLI prints as one line per problem (exit code 2), never a traceback."""

    def __init__(self, problems: list[Problem] | str):
        self.problems = [Problem("nntui", problems)] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class ScenarioError(NntuiError):
    """A scenario file that cannot be loaded."""


class DeviceError(NntuiError):
    """A device that was asked for but is not there."""
