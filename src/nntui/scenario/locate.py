"""Find the line of a field in TOML text, for error messages.

tomllib reports lines only for syntax errors, so validation errors are mapped
back to lines by scanning table headers and `key =` lines. Good enough for
hand-written scenario files; when unsure we return the table's header line.
"""

from __future__ import annotations

import re

_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.\"' -]+?)\s*\]\]?\s*(#.*)?$")


def _key_line(lines: list[str], start: int, end: int, keys: list[str]) -> int | None:
    """First line in [start, end) that assigns any dotted prefix of `keys`."""
    for depth in range(len(keys), 0, -1):
        dotted = r"\s*\.\s*".join(re.escape(k) for k in keys[:depth])
        pattern = re.compile(rf"^\s*[\"']?{dotted}[\"']?\s*=")
        for i in range(start, end):
            if pattern.match(lines[i]):
                return i + 1
        # inline tables/arrays: `beats = [ { at = 1 } ]` -> match the key anywhere on a line
    return None


def locate(text: str, loc: tuple[str | int, ...]) -> int | None:
    """1-based line number of the field at `loc` (pydantic-style path) or None."""
    if not loc:
        return None
    lines = text.splitlines()
    table = str(loc[0])
    index = loc[1] if len(loc) > 1 and isinstance(loc[1], int) else None
    rest = [str(k) for k in loc[(2 if index is not None else 1):] if not isinstance(k, int)]

    headers: list[tuple[int, str]] = []  # (line index, table name); [[arrays]] repeat their name
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m:
            headers.append((i, m.group(2).strip().strip("\"'")))

    seen = -1
    for h, (i, name) in enumerate(headers):
        if name != table:
            continue
        seen += 1
        if index is not None and seen != index:
            continue
        end = headers[h + 1][0] if h + 1 < len(headers) else len(lines)
        return _key_line(lines, i + 1, end, rest) or i + 1
    # a top-level dotted key such as `train.lr = 0.1`, or a section given inline
    first = headers[0][0] if headers else len(lines)
    return _key_line(lines, 0, first, [table, *rest])
