"""Which runs of the loss chart lie under others: curves that coincide ("= b"), a run whose end and much of its
curve are drawn over ("b (under)"), a validation curve under the training curves, a curve along the dotted
guess. The chart says each, so no run hides without the screen saying so."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from ...ui.draw.braille import dot_cells

SAME_RTOL = 1e-4  # two runs closer than this everywhere are one curve on any screen: "a = b"
GUESS_COVERED = 0.75  # a curve within half a cell of the guess line over 3/4 of the chart's width hides it
HIDDEN_SHARE = 0.5  # a run whose end and half its curve lie under others: "b (under)" (it seemed to stop early;
# with a quarter, runs plainly seen above the others were called under)
TAIL_HIDDEN = 0.2  # … or whose last fifth of the chart's width lies under others (input_normalization's standardized
# run, flat under raw's from step 82 of 150, "stopped at 82" to a reviewer)

Series = tuple[np.ndarray, np.ndarray]  # (steps, values)


@dataclass(frozen=True)
class Curves:
    """One run's curves, finite points only."""

    main: Series       # what runs are compared on: bold
    trace: Series      # faint behind it
    held_out: Series   # dashed, dim
    envelope: bool     # the trace is drawn as each column's min–max (noise), not as a line (an EMA)


def same_points(a: Series, b: Series) -> bool:
    """Two series of the same points: a full-batch run's loss, whose every step is its whole split's (no noise)."""
    return len(a[0]) == len(b[0]) and np.array_equal(a[0], b[0]) and np.allclose(a[1], b[1])


def share_under(points: tuple[np.ndarray, np.ndarray], lines: list[tuple[np.ndarray, np.ndarray]]) -> float:
    """The share of a validation curve's points that lie within half a cell of a training curve at the same step:
    hidden there. (Its dashes' cells against the curves' cells called an identical curve half visible: the dashes
    join sparse points by chords, which leave a steep curve.)"""
    px, py = points
    near = np.zeros(len(px), bool)
    for lx, ly in lines:
        if len(lx):
            near |= np.abs(np.interp(px, lx, ly) - py) < 2
    return float(near.mean()) if len(px) else 0.0


def covers_row(line: tuple[np.ndarray, np.ndarray], dot_row: float, width: int) -> bool:
    """A curve lies within half a cell of the dotted guess line over most of the chart's `width` (dots), hiding
    it (a run that learned nothing: vanishing_gradients' sigmoid; the legend named a line no one could see)."""
    xs, ys = line
    return len(np.unique(xs[np.abs(ys - dot_row) <= 2])) >= GUESS_COVERED * width


def same_until_stopped(curves: list[Curves], runs, i: int) -> bool:
    """Run `i` was ended by early stopping, and another run that went on has the same curve up to there (the
    same seed and data: early_stopping's two runs), so one of them lies under the other until the ■."""
    if runs[i].stopped_at is None or not len(curves[i].main[0]):
        return False
    steps, values = curves[i].main[0][:-1], curves[i].main[1][:-1]  # (its last point: the best weights put back)
    n = len(steps)
    for k, other in enumerate(curves):
        s, v = other.main
        if k != i and runs[k].stopped_at is None and len(s) > n > 1 and np.array_equal(s[:n], steps) \
                and np.allclose(v[:n], values, rtol=SAME_RTOL, atol=0):
            return True
    return False


def identical(curves: list[Curves], order: list[int]) -> list[list[tuple[int, str]]]:
    """Runs in `order` grouped where their main curves coincide (same steps, values within SAME_RTOL): each
    group is its first run and the ones equal to it, (run, "=")."""
    groups: list[list[tuple[int, str]]] = []
    for i in order:
        steps, values = curves[i].main
        for group in groups:
            s, v = curves[group[0][0]].main
            if len(s) == len(steps) and len(s) and np.array_equal(s, steps) and np.allclose(
                    v, values, rtol=SAME_RTOL, atol=0):
                group.append((i, "="))
                break
        else:
            groups.append([(i, "")])
    return groups


def hidden_groups(groups: list[list[tuple[int, str]]], lines: dict[int, tuple[np.ndarray, np.ndarray]],
            ends: dict[int, tuple[int, int]], size: tuple[int, int],
            skip: Collection[int] = ()) -> list[list[tuple[int, str]]]:
    """`groups` (top run first, as `identical` gives them) with the first run of each marked "≈" where its
    end lies under the curves drawn over it (`lines` is in drawing order, the last on top), and a share of
    its curve too: on the screen it seems to stop early, or not to be there, and its label, at its own end,
    must say so. A run whose end shows is seen ending; runs in `skip` (diverged: their ✗ is their mark) are
    left as they are. `size`: the canvas's (columns, rows)."""
    width = size[0]
    drawn = list(lines)
    cells = {i: dot_cells(xs, ys, *size) for i, (xs, ys) in lines.items()}  # the cells each curve passes through
    out = []
    for group in groups:
        i = group[0][0]
        k = drawn.index(i) if i in cells else len(drawn)
        over = np.concatenate([cells[j] for j in drawn[k + 1:]] or [np.zeros(0, int)])
        covered = np.isin(cells[i], over) if i in cells else np.zeros(0, bool)
        hidden = (i not in skip and len(covered) > 0 and i in ends and ends[i][0] * width + ends[i][1] in over
                  and (covered.mean() > HIDDEN_SHARE or hidden_tail(cells[i], covered, width) >= TAIL_HIDDEN * width))
        out.append([(i, "≈"), *group[1:]] if hidden else group)
    return out


def end_under(i: int, lines: dict[int, tuple[np.ndarray, np.ndarray]], ends: dict[int, tuple[int, int]],
              size: tuple[int, int]) -> bool:
    """Run i's last cell lies under a curve drawn after it (`lines` in drawing order): with no label at its end, it
    seems to stop there (regularization's dropout, under L1 and L2 from step 450 of 800: "stops at ~450")."""
    if i not in lines or i not in ends:
        return False
    drawn = list(lines)
    cell = ends[i][0] * size[0] + ends[i][1]
    return any(cell in dot_cells(*lines[j], *size) for j in drawn[drawn.index(i) + 1:])


def hidden_tail(cells: np.ndarray, covered: np.ndarray, width: int) -> int:
    """How many of a curve's last columns have all its cells there under others (`covered`): where it seems to end."""
    columns, which = np.unique(cells % width, return_inverse=True)
    seen = np.zeros(len(columns), bool)
    np.logical_or.at(seen, which, ~covered)
    return len(columns) - 1 - int(np.flatnonzero(seen)[-1]) if seen.any() else len(columns)
