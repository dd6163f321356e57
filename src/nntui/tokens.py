"""One tokenizer for the two small languages a scenario file writes: formulas (data, graph lessons:
expression.py) and claims (claims.py). Both read numbers and names alike; each adds its own operators,
and each parser keeps its place with a `Cursor`. Neither language is ever handed to eval."""

from __future__ import annotations

import re
from collections.abc import Callable

NUMBER = r"\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?"
NAME = r"[A-Za-z_][A-Za-z_0-9]*"


def grammar(*others: str) -> re.Pattern[str]:
    """Numbers, names, then each of `others` (alternatives, longest first), each its own group; the blanks
    before a token are skipped."""
    return re.compile(r"\s*(?:" + "|".join(f"({p})" for p in (NUMBER, NAME, *others)) + ")")


def tokenize(text: str, tokens: re.Pattern[str], unexpected: Callable[[int], Exception]) -> list[tuple[int, str]]:
    """Each token with its 0-based column; `unexpected(column)` is raised at the first character no token
    starts with."""
    out, pos = [], 0
    while text[pos:].strip():
        found = tokens.match(text, pos)
        if found is None or found.lastindex is None:  # (every alternative is a group: a match has a lastindex)
            raise unexpected(len(text) - len(text[pos:].lstrip()))
        out.append((found.start(found.lastindex), found.group(found.lastindex)))
        pos = found.end()
    return out


class Cursor:
    """A recursive-descent parser's place in its tokens. A subclass says how its language reports an early end
    and a missing token."""

    def __init__(self, text: str, tokens: list[tuple[int, str]]):
        self.text, self.tokens, self.pos = text, tokens, 0

    def ended(self) -> Exception:
        raise NotImplementedError

    def missing(self, token: str, column: int) -> Exception:
        raise NotImplementedError

    def column(self) -> int:
        """The 1-based column of the next token, or just past the end."""
        return self.tokens[self.pos][0] + 1 if self.pos < len(self.tokens) else len(self.text) + 1

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise self.ended()
        self.pos += 1
        return token

    def accept(self, token: str) -> bool:
        if self.peek() == token:
            self.pos += 1
            return True
        return False

    def expect(self, token: str) -> None:
        column = self.column()
        if not self.accept(token):
            raise self.missing(token, column)
