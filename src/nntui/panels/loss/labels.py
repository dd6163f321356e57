"""The loss chart's end labels: each run named at the end of its curve, in the gutter right of the curves, with
its value where labels are pushed off their rows; and the run names the legend gives where labels have no room."""

from __future__ import annotations

import os
from collections.abc import Sequence

from ...ui.draw.raster import fmt_short

GUTTER_SHARE = 0.4  # the most of a chart's width its end labels take (a third cut lr_sweep's '0.0005: 0.042')


def group_labels(groups: list[list[tuple[int, str]]], names: list[str]) -> list[str]:
    """Each run's end label (`run_label`)."""
    return [run_label(names[i], mark) for group in groups for i, mark in group]


def run_label(name: str, mark: str, room: int | None = None) -> str:
    """A run's end label: "= name" where its values are its group's first run's, "name (under)" where it is drawn
    under other curves ("≈" read as "approximately" to reviewers), else its name. Where "(under)" leaves the name
    no `room`, the name alone: the border names the runs whose labels do not say it (cut to fit, "cosine (under)"
    read "cosin…nder)": lr_schedules)."""
    if mark == "≈" and room is not None and len(f"{name} (under)") > room:
        return name
    return f"= {name}" if mark == "=" else f"{name} (under)" if mark == "≈" else name


def end_labels(groups: list[list[tuple[int, str]]], names: list[str], ends: dict[int, tuple[int, int]],
                last: dict[int, float], rows: int, room: int) -> list[tuple[int, int, str]]:
    """Each run's end label as (run, the run whose end it sits by, text), as `run_label` writes it. Where curves end so
    close that a label is pushed off its curve's row (a group of equal runs keeps consecutive rows), its row no
    longer says its value, so every label says it ("silu: 0.064") where all fit in `room` columns on one line (a
    label wrapped onto more rows would push the others further); where they do not, only the labels that have
    their row to themselves are kept (the legend names the rest);
    `last` holds each run's last value (a diverged run has none: its ✗ says where it went)."""
    # labels wanting one row stack by their runs' values, the highest on top (optimizers: "adam (under): 0.006" had
    # been put under "rmsprop: 8e-4"), after those of runs that ended early (stopped: their labels stand apart, left
    # of the others); a group's labels ("a", "= b") stay together, in its order
    drawn = [g for g in groups if g[0][0] in ends]  # (the top runs first)
    right = max((ends[g[0][0]][1] for g in drawn), default=0)
    groups = sorted(drawn, key=lambda g: (ends[g[0][0]][0], ends[g[0][0]][1] == right, -last.get(g[0][0], 0.0)))
    labels = [(i, group[0][0], run_label(names[i], mark, room)) for group in groups for i, mark in group]
    # a group's labels take consecutive rows at its end: within its size of that row
    within = [len(group) - 1 for group in groups for _ in group]
    placed = spread([ends[top][0] for _, top, _ in labels], rows)
    if all(row is not None and abs(row - ends[top][0]) <= k for (_, top, _), row, k in zip(labels, placed, within)):
        return labels
    return _with_values(labels, groups, names, last, room) or _on_own_rows(drawn, names, ends, rows, room)


def _with_values(labels: list[tuple[int, int, str]], groups: list[list[tuple[int, str]]], names: list[str],
                 last: dict[int, float], room: int) -> list[tuple[int, int, str]] | None:
    """A label away from its curve's row: every label says its value (some with and some without read as two
    kinds), "(under)" dropped where that makes them fit (the legend then names those runs); None where they do
    not fit: a name on the row of another curve's end says that curve is it (dead_relu at 80x24)."""
    valued = [f"{text}: {fmt_short(last[i], 5)}" if i in last else text for i, _, text in labels]
    if all(len(v) <= max(room, len(text)) for v, (_, _, text) in zip(valued, labels)):
        return [(i, top, v) for v, (i, top, _) in zip(valued, labels)]
    # "dropout 0.1: 0.067" fits where "dropout 0.1 (under): 0.067" did not
    bare = [f"{run_label(names[i], mark if mark == '=' else '')}: {fmt_short(last[i], 5)}" if i in last else text
            for (i, _, text), mark in zip(labels, (m for group in groups for _, m in group))]
    if all(len(v) <= room for v in bare):
        return [(i, top, v) for v, (i, top, _) in zip(bare, labels)]
    return None


def _on_own_rows(drawn: list[list[tuple[int, str]]], names: list[str], ends: dict[int, tuple[int, int]],
                 rows: int, room: int) -> list[tuple[int, int, str]]:
    """The labels that have their curve's row to themselves, top runs first (the colour seen there); the legend
    names the others."""
    taken: set[int] = set()
    kept = []
    for i, top, text, k in ((i, group[0][0], run_label(names[i], mark, room), k) for group in drawn
                            for k, (i, mark) in enumerate(group)):
        row = ends[top][0] + k
        if row not in taken and row < rows:
            taken.add(row)
            kept.append((i, top, text))
    return kept


def spread(rows: list[int], height: int) -> list[int | None]:
    """Rows for labels that want `rows`, one label per row (in their order where they want one row): pushed down
    past each other, then back up from the bottom edge; None where there are more labels than rows."""
    order = sorted(range(len(rows)), key=lambda k: rows[k])
    placed = [0] * len(rows)
    for n, k in enumerate(order):
        placed[k] = max(rows[k], placed[order[n - 1]] + 1 if n else 0)
    for n in reversed(range(len(order))):
        k = order[n]
        placed[k] = min(placed[k], placed[order[n + 1]] - 1 if n + 1 < len(order) else height - 1)
    return [p if p >= 0 else None for p in placed]


def names_said(labels: Sequence[str]) -> str:
    """Run names in a list: parted by ", " unless a name has a comma of its own ("batch 8, lr ÷ 2"), then by "; "."""
    return ("; " if any("," in label for label in labels) else ", ").join(labels)


def short_names(labels: list[str], room: int) -> list[str]:
    """The runs' labels for their curve ends: where one is longer than `room`, the words every label starts
    with are dropped ("lr=0.001", "lr=0.03" → "0.001", "0.03"): the part that tells them apart stays."""
    if len(labels) < 2 or max(map(len, labels)) <= room:
        return labels
    common = len(os.path.commonprefix(labels))
    while common and labels[0][common - 1] not in " =:,":  # cut at a word's end, not inside a number
        common -= 1
    return [label[common:].strip() or label for label in labels]


def gutter_width(labels: list[str], width: int) -> int:
    """Columns kept right of the curves for their end labels (at most GUTTER_SHARE of the width; trimmed to fit):
    none for a lone run (nothing to tell it from)."""
    if len(labels) < 2:
        return 0
    want = max(map(len, labels)) + 2
    gutter = min(want, int(width * GUTTER_SHARE))
    return gutter if gutter == want or gutter >= 8 else 0  # a label cut to 4 letters would say nothing
