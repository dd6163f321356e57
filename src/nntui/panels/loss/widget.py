"""The loss panel: one thin solid line per run, the runs told apart by colour and an end label; the
mini-batch loss faint behind; the held-out loss dashed (the legend says so); log or linear; ✗ where
a run diverged. Both axes come from axis.py: each tick on the cell whose centre is its value.

Runs are compared on the loss over the whole training split (train_losses); each step's mini-batch loss is
noise around it, drawn as a faint per-column min–max trace. Until a run records the former (graph-free
lessons, older engines), its mini-batch loss is the main curve, drawn through each column's mean.
Lines are braille dots (braille.py): a noisy series no longer fills its columns like a bar chart; runs whose
curves coincide are labelled "= b" under the one drawn on top. A run that diverged leaves through the
top edge (✗ where it left) instead of stretching the axis over the runs that matter.
We draw it ourselves rather than with plotext: building a plotext chart cost 15–23 ms at 100x30, this costs a
few ms. Strips are rebuilt only when the data, the size or the scale change.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import numpy as np
from rich.cells import cell_len
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...runner import View
from ...status import OVERFIT
from ...ui.draw.axis import Scale, scale, step_axis, tick_label
from ...ui.draw.braille import BrailleCanvas
from ...ui.draw.chart import envelope_dots, line_dots
from ...ui.draw.palette import blend, variant_rgb
from ...ui.draw.raster import (
    MARGIN,
    border_room,
    centered_message,
    cut_label,
    first_fit,
    fmt_short,
    starts_apart,
    tick_line,
    wrap_words,
)
from ...ui.panel import StripPanel
from .labels import GUTTER_SHARE, end_labels, group_labels, gutter_width, names_said, short_names, spread
from .overlap import (
    Curves,
    Series,
    covers_row,
    end_under,
    hidden_groups,
    identical,
    same_points,
    same_until_stopped,
    share_under,
)

FLOOR = 1e-12  # log scale: losses of exactly zero are drawn at this floor
STEADY_MARGIN = 0.5  # decades a live log axis reaches below the data when it must reach lower (_steady)
ROUNDING = 1e-6  # float32 resolves a loss to about 1e-7 of itself: closer to the minimum than this is rounding
X_LABEL_PAD = 2  # columns right of the curves where the last step label is centred on its column
HELD_OUT_HIDDEN_SHARE = 0.95  # validation curves with nearly all their points under the curves: "hidden under ━" (0.75 called
# binary_classification's validation hidden beside its bump to 0.24 in plain view)
HELD_OUT_UNDER_SHARE = 0.4    # … with much of them: "partly under ━" (a visible end contradicted "hidden")
HELD_OUT_DASH = np.array([1] * 4 + [0] * 2, bool)  # dense enough to read as a line, gapped enough to be told apart
LEGEND_ROWS = 2  # rows a chart gives up, at most, for the legend its border has no room for
TALL = 20  # … and one more on a chart this tall or taller
MIN_ROWS_FOR_LEGEND = 6  # a chart this short keeps its rows for the curves (the border keeps what fits)
MAIN, HELD_OUT, TRACE = 0, 1, 2  # each run's three styles: its curve, its validation curve, its mini-batch noise
HELD_OUT_TINT = 0.45  # the validation curve's colour, this far from the run's toward the text colour: lighter
VALIDATION_PANELS = {"val_loss", "gap"}  # panels drawing the validation loss: the loss panel then draws training alone
TRACE_FADE = 0.55  # the noise's colour, this far from the run's toward the background


@dataclass(frozen=True)
class Plan:
    """Where a chart's parts go (LossPlot._plan), ready to draw."""

    rows: int                                         # the curves' rows
    order: list[int]                                  # runs, drawn in this order (the last on top)
    x_axis: Scale
    y_axis: Scale
    lines: dict[int, tuple[np.ndarray, np.ndarray]]   # run → its curve's dots
    ends: dict[int, tuple[int, int]]                  # run → (row, column) of its last cell
    dashes: dict[int, tuple[np.ndarray, np.ndarray]]  # run → its validation curve's dashes
    exits: dict[int, tuple[int, int, str]]            # run → (row, column, ↑ or ↓) where it leaves the chart
    labels: list[tuple[int, int, str]]                # end labels (none where there is no gutter for them)
    guess: float | None                               # the dotted reference line's loss (None: not drawn)
    subtitle: str                                     # the legend on the border
    rest: str                                         # what the border had no room for ("" when it did)


SMOOTHING = 0.9  # the EMA's weight key ~ smooths with where a scenario names none


@dataclass(frozen=True, eq=False)
class _Fit:
    """The curves laid out beside the gutter their end labels take."""

    gutter: int
    x_axis: Scale
    y_axis: Scale
    lines: dict[int, tuple[np.ndarray, np.ndarray]]  # run → its main curve's dots
    ends: dict[int, tuple[int, int]]                 # run → (row, column) of its last cell
    groups: list[list[tuple[int, str]]]              # runs under others, with how ("=" identical, "≈" hidden)
    texts: list[tuple[int, int, str]]                # end labels: (run, the run it sits by, text)


class LossPlot(StripPanel):
    PAINTS_BACKGROUND = True  # every style it draws with carries the panel's background: no second pass
    MARKS_LOWEST = True  # ▼ at the lowest validation loss once the curve has climbed from it
    GUESS_LINE = True  # a dotted line at the loss of the best constant guess (ln k, the variance), where it is shown
    Y_ANCHOR = "low"  # the data sit at the bottom of the y axis (a loss starts at its floor)
    KEY_HINT = "l: log/linear"
    NAMES: tuple[str, ...] = ("Loss",)  # the title's forms, longest first
    NAMES_BESIDE_VALIDATION: tuple[str, ...] = ("Training loss", "Train loss", "Loss")  # where the val_loss panel is shown too
    SMOOTHS = True  # key ~ smooths its curves (the title says so)

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        labels = [v.label for v in scenario.variants]
        focus = tuple((b.at, labels.index(b.focus) if b.focus else None) for b in scenario.lesson.beats)
        return cls(log_y=scenario.view.log_y, smooth=scenario.view.smoothing > 0, beat_focus=focus,
                   above_floor=scenario.view.above_floor, smoothing=scenario.view.smoothing or SMOOTHING,
                   traces=tuple(v.step_noise or "batch" for v in scenario.variants),
                   draws_held_out=not VALIDATION_PANELS & set(scenario.view.panels), **kwargs)

    def __init__(self, log_y: bool = False, smooth: bool = False,
                 beat_focus: tuple[tuple[int, int | None], ...] = (), above_floor: bool = False,
                 smoothing: float = 0.9, traces: tuple[str, ...] = (), draws_held_out: bool = True, **kwargs):
        super().__init__(**kwargs)
        # the validation curves dashed over the training curves; where another panel shows the validation loss
        # (VALIDATION_PANELS), they only hold the y axis (dashes a shade lighter read as training to reviewers)
        self.draws_held_out = draws_held_out
        self.traces = traces  # per run, why its step losses differ from the compared curve (TRACES' keys)
        self._noisy: set[str] = set()  # those of the runs whose faint trace shows
        self._headroom: float | None = None  # a log axis's top but for a diverged run's headroom (_y_range)
        self._steady_range: tuple[float, float] | None = None  # the live log axis's range, kept (_steady)
        self.log_y = log_y
        self.smooth = smooth
        self.smoothing = smoothing  # the EMA's weight per recorded point, TensorBoard's slider (key ~ switches it)
        self._raw_trace = False  # (the faint trace is the compared curve before smoothing, not the batches' loss)
        # each run drawn as its loss minus the lowest it can reach (view.above_floor): the error it has left
        self.above_floor = above_floor
        self._floors: tuple[float, ...] = ()  # each run's, as last drawn (the title names a common one)
        # the run the lesson's current beat is about, drawn on top (not `focus`: that is Widget.focus())
        self.focus_run: int | None = None
        self.beat_focus = beat_focus  # (beat step, the run it is about or None), in step order
        self._styles: dict[int, Style] = {}

    def on_mount(self) -> None:
        self.set_titles(title=self._names()[0], subtitle="l: log/linear")

    def _names(self) -> tuple[str, ...]:
        """The title's forms, longest first."""
        return self.NAMES if self.draws_held_out else self.NAMES_BESIDE_VALIDATION

    def state_key(self) -> tuple:
        return (self.log_y, self.smooth, self.focus_run, self._floors)

    def set_scale(self, *, log_y: bool | None = None, smooth: bool | None = None) -> None:
        """The app's log / smoothing switches (keys l and ~), handed down."""
        if log_y is not None:
            self.log_y = log_y
        if smooth is not None:
            self.smooth = smooth
        self.show()

    def set_focus_run(self, run: int | None) -> None:
        """Draw this run on top of the others (None: the first runs on top)."""
        self.focus_run = run
        self.show()

    def show(self, view: View | None = None) -> None:
        if view is not None and self.beat_focus:  # the current beat decides which run is on top
            self.focus_run = next((run for at, run in reversed(self.beat_focus) if at <= view.step), None)
        if view is not None and self.above_floor:  # (known once the trainer has measured the data)
            floors = tuple(run.floor for run in view.runs)
            self._floors = floors if all(math.isfinite(f) for f in floors) else ()
        self.set_titles(title=self._title())
        super().show(view)

    def _title(self) -> str:
        smoothed = self.smooth and self.SMOOTHS
        notes = [n for n, on in (("log scale", self.log_y), ("smoothed", smoothed)) if on]
        short = [n for n, on in (("log", self.log_y), ("smooth", smoothed)) if on]
        names = list(self._names())
        if self._floors:  # what the axis measures: how far each run is from the least-squares fit's loss
            best = fmt_short(self._floors[0], 6) if len(set(self._floors)) == 1 else ""
            value = f" ({best})" if best else ""
            # (never "Loss − best": the minus read as a dash, and curves at 0.001 beside a table at 0.25 as a
            # contradiction, which the best's own value resolves where it fits)
            names = [f"Loss above the best possible{value}", f"Loss above best possible{value}",
                     *([f"Loss above best {best}"] if best else []), "Loss above best", "Above best"]
        # every name with the scale's notes first (l and ~ must say they took), then without them
        forms = [*(f"{name} ({', '.join(n)})" for name in names for n in (notes, short) if notes), *names]
        return first_fit(forms, border_room(self.outer_size.width))

    def _legend(self, held_out: bool, noise: bool, marks: Collection[str]) -> list[tuple[str, str]]:
        """What the panel's lines are, (long, short) each, most needed first (the batch noise last: a narrow panel
        drops it before what the marks mean)."""
        return [pair for pair, shown in (
            (("━ training", "━ train"), held_out),
            (validation_entry(marks), held_out),
            (("✗ diverged", "✗ diverged"), "✗" in marks), (("↑ off the top", "↑ off top"), "↑" in marks),
            ((f"↓ below {tick_label(FLOOR, 5)}", f"↓ <{tick_label(FLOOR, 5)}"), "↓" in marks),  # (bare "↓ below" said not what)
            (("▼N: lowest val, at step N", "▼N: val min, step N"), "▼" in marks), (("■ stopped early: back to ▼'s weights", "■ stopped, ▼ kept"), "■" in marks),
            (("✎ edited", "✎ edit"), "✎" in marks),
            (("faint: before smoothing", "faint: raw") if self._raw_trace else
             TRACES[next(iter(self._noisy))] if len(self._noisy) == 1 else TRACES["batch"], noise)) if shown]

    def _subtitle(self, held_out: bool, noise: bool, marks: Collection[str] = (),
                  unlabelled: Sequence[str] = (), row: bool = True, nameless: Sequence[str] = (),
                  guess: float | None = None, on_guess: Sequence[str] = ()) -> tuple[str, str]:
        """The legend, as much of it as fits the border, and the rest: a narrow panel drops the key hint (the footer
        has it), then moves the entries from the last into a row of their own; the marks that say a run is not
        where it seems come first. `unlabelled`: the names of runs under others that have no end label to say so;
        `row`: there is room for that row (else the border keeps what fits, the count of runs under others first);
        `nameless`: runs whose end label had no row of its own; `guess`: the dotted line's loss, where it is drawn;
        `on_guess`: the runs whose curves cover most of it."""
        n = len(unlabelled)
        entries = self._entries(held_out, noise, marks, unlabelled, nameless, guess, on_guess)
        legend, short = [long for long, _ in entries], [brief for _, brief in entries]
        room = border_room(self.size.width)
        hint = [self.KEY_HINT] if self.KEY_HINT else []
        # the short words only where no run under others goes unnamed by them (a row can name the runs)
        for form in (" · ".join([*legend, *hint]), " · ".join(legend), *([" · ".join(short)] if not n or not row
                                                                         else [])):
            if cell_len(form) <= room:
                return form, ""
        if not row:
            return first_fit([" · ".join(short[:k]) for k in range(len(short), 0, -1)], room), ""
        # the runs under others are named in the row; the border keeps what fits of the rest, from the first
        named = [legend[0]] if n else []
        skip = len(named)
        k = next((k for k in range(len(short), skip, -1) if cell_len(" · ".join(short[skip:k])) <= room), skip)
        # (where nothing else fits, the key hint: the count again, cut to "2 runs under…", said nothing new)
        fallback = self.KEY_HINT if cell_len(self.KEY_HINT) <= room else ""
        return " · ".join(short[skip:k]) if k > skip else fallback, " · ".join([*named, *short[k:]])

    def _entries(self, held_out: bool, noise: bool, marks: Collection[str], unlabelled: Sequence[str],
                 nameless: Sequence[str], guess: float | None, on_guess: Sequence[str]) -> list[tuple[str, str]]:
        """The legend's entries, each (long, short), in the order they are kept: the marks that say a run is not
        where it seems first (_subtitle says what each argument is)."""
        n = len(unlabelled)
        # "ends under": what the rule measures (its end, and half its curve); "under others" read as the whole
        # curve hidden beside a run plainly seen in places (batch_size, activations, lr_sweep at 80x24)
        hidden = [((f"ends under others: {names_said(unlabelled)}",
                    f"{n} run{'s' * (n > 1)} end{'s' * (n == 1)} under others"), n > 0),
                  (("= same values", "= same"), "=" in marks),
                  (("one curve until ■: the same path", "one curve until ■"), "=■" in marks)]
        entries = [pair for pair, shown in hidden if shown]
        if nameless:  # (after the runs under others: a run not named at its end is still seen ending)
            # (their curves are drawn: only the label at the end had no room; "unnamed" read as jargon)
            entries.append((f"no room for its label: {names_said(nameless)}", f"not labelled: {names_said(nameless)}"))
        entries += self._legend(held_out, noise, marks)
        if guess is not None:  # before the batch noise, which a narrow panel drops first
            # ("behind": "guess 82.29, under linear model" read as a value below the linear model's 74.69)
            under = f", behind {names_said(on_guess)}" if on_guess else ""
            entries.insert(len(entries) - noise, (f"┄ best constant guess {fmt_short(guess, 5)}{under}",
                                                  f"┄ const. guess {fmt_short(guess, 5)}{under}"))  # (a bare "guess" said nothing at 80x24)
        # what a label's "(under)" means: after the marks (the word on the label says most of it itself)
        # ("beneath other curves" read as a lower loss beside a label plainly the highest: optimizers' adam)
        entries += [(("(under): its end is drawn over by other curves", "(under): end hidden"))] if "≈" in marks else []
        return entries

    def _curves(self, view: View) -> list[Curves]:
        out = []
        self._raw_trace = False
        for run, floor in zip(view.runs, self._floors or [0.0] * len(view.runs)):
            raw = self._finite(run.steps, run.losses, floor)
            ema = self._finite(run.smooth_steps, run.smooth_losses, floor) if self.smooth else raw
            ema = ema if len(ema[0]) else raw
            full = self._finite(run.train_steps, run.train_losses, floor)
            held_out = self._finite(run.val_steps, run.val_losses, floor)
            if len(full[0]) and self.smooth and not same_points(full, raw):  # the compared curve smoothed, its raw points faint
                # around it (batch_size: each end label at the last of a noisy curve ranked batch 8 above batch 1,
                # where the claims' means rank them the other way)
                out.append(Curves((full[0], smoothed(full[1], self.smoothing, self.log_y)), full, held_out, envelope=True))
                self._raw_trace = True
            elif len(full[0]):  # the mini-batch loss faint behind it
                out.append(Curves(full, raw, held_out, envelope=True))
            else:  # no full-data loss recorded: the mini-batch loss (or its EMA) is the curve, its noise faint
                out.append(Curves(ema, raw, held_out, envelope=True))
        return out

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        view, base = self._view, self.rich_style
        if view is None or view.state == "loading" or width <= MARGIN + 4 or height < 3:
            self._strips = centered_message("loading PyTorch…" if view is None or view.state == "loading" else "",
                                            width, height, base)
            return
        pw, ph = width - MARGIN, height - 1
        curves = self._curves(view)
        if not any(len(c.main[0]) for c in curves):
            self._strips = centered_message("waiting for the first step…", width, height, base)
            return
        plan = self._plan(view, curves, pw, ph, legend_row=ph > MIN_ROWS_FOR_LEGEND)
        rows = 0
        most = LEGEND_ROWS + (ph >= TALL)  # (overfitting at 120x40 dropped "faint: batch", leaving its streaks unexplained)
        while plan.rest and rows < min(len(_legend_lines(plan.rest, width)), most):
            # the marks the border had no room for: a row of their own (two where they need them; a shorter chart
            # can have more to say, so once more with what it says)
            rows = min(len(_legend_lines(plan.rest, width)), most)
            plan = self._plan(view, curves, pw, ph - rows)
        self.set_titles(subtitle=plan.subtitle)
        self._strips = self._draw(view, curves, plan, pw, base)

    def _plan(self, view: View, curves: list[Curves], pw: int, ph: int, legend_row: bool = True) -> Plan:
        """Where everything goes on a `pw` × `ph` chart, and the legend that explains it (`legend_row`: a row may be taken
        from the chart for what its border has no room for)."""
        marks = _marks(view, self._marks_lowest())
        order = self._order(view, curves)
        names = short_names([run.label for run in view.runs], int(pw * GUTTER_SHARE) - 2)
        # each tick on the row (and column) whose centre is its value: read back through them, every dot is
        # within half a cell of its value (axis.py)
        y_axis = self._y_axis(*self._steady(view, self._y_range(view, curves)), ph)
        diverged = {i for i, run in enumerate(view.runs) if run.diverged_at is not None}
        last = self._end_values(view, curves, names, diverged, y_axis)
        fit = self._fit_labels(view, curves, order, names, diverged, last, y_axis, pw)
        dashes = _dashes(curves, order, fit.x_axis, y_axis) if self.draws_held_out else {}
        exits = _exits(curves, fit.lines, fit.ends, fit.x_axis, y_axis)
        marks |= {arrow for _, _, arrow in exits.values()}
        marks |= _hidden_marks(view, curves, fit.lines, dashes, fit.x_axis, y_axis)
        guess = self._guess(view, y_axis)
        subtitle, rest = self._explain(view, curves, names, order, fit, bool(dashes), marks, guess, legend_row)
        return Plan(ph, order, fit.x_axis, y_axis, fit.lines, fit.ends, dashes, exits,
                    fit.texts if fit.gutter else [], guess, subtitle, rest)

    def _explain(self, view: View, curves: list[Curves], names: list[str], order: list[int], fit: _Fit,
                 held_out: bool, marks: set[str], guess: float | None, legend_row: bool) -> tuple[str, str]:
        """The subtitle and the legend row: every mark on the chart, the runs under others that no label names,
        the runs whose labels had no room, the constant guess and the runs on it, the faint noise."""
        said = {i for i, _, text in fit.texts if "(under)" in text}  # runs whose end label says they are under others
        if fit.gutter:  # each label says it: "= b", "b (under)"
            marks = marks | {mark for group in fit.groups for i, mark in group if mark == "=" or i in said}
        unlabelled, nameless = _unlabelled_and_nameless(fit, names, said)
        on_guess = _on_guess(fit, names, order, guess)
        noisy = [i for i, c in enumerate(curves) if _shows_noise(c)]
        self._noisy = {self.traces[i] if i < len(self.traces) else "batch" for i in noisy}
        return self._subtitle(held_out, bool(noisy), marks, unlabelled, legend_row, nameless, guess, on_guess)

    def _order(self, view: View, curves: list[Curves]) -> list[int]:
        """The runs in drawing order, the last on top: the first runs on top, a run early stopping ended over the
        one trained on from the same path (else its whole curve lies under the other's and only its ■ shows), and
        a lesson beat's run over all."""
        order = [i for i in reversed(range(len(curves))) if i != self.focus_run]
        order.sort(key=lambda i: view.runs[i].stopped_at is not None)
        if self.focus_run is not None and 0 <= self.focus_run < len(curves):
            order.append(self.focus_run)
        return order

    def _end_values(self, view: View, curves: list[Curves], names: list[str], diverged: set[int],
                    y_axis: Scale) -> dict[int, float]:
        """The value each run's end label says: where the curve ends, or the loss itself where the curve left the
        chart (a diverged run's name gets its loss: batch_norm's topped out near 1e4, the table said 3.49e+06)."""
        for i in diverged:  # its ✗ on the top edge, its loss far above: the label says how far
            loss = view.runs[i].loss
            if math.isfinite(loss) and loss > y_axis.hi:
                names[i] = f"{names[i]}: {fmt_short(loss, 6)}"
        last = {i: float(c.main[1][-1]) for i, c in enumerate(curves) if len(c.main[1]) and i not in diverged}
        for i, value in last.items():  # a curve gone through the log axis' bottom ends at a stand-in: say the loss
            if self.log_y and value < FLOOR:  # (momentum's "1e-15" beside a table's 3.64e-44)
                last[i] = view.runs[i].loss - (self._floors[i] if self._floors else 0.0)
        return last

    def _fit_labels(self, view: View, curves: list[Curves], order: list[int], names: list[str], diverged: set[int],
                    last: dict[int, float], y_axis: Scale, pw: int) -> _Fit:
        """The curves laid out beside a gutter for their end labels: runs under others are found on the drawn
        dots, which need the gutter their labels take, so lay out, then once more if the labels saying so need a
        wider gutter."""
        ph = y_axis.cells
        x_max = max(x_extent(view.step, view.total), 1)
        same = identical(curves, order[::-1])
        gutter = gutter_width(group_labels(same, names), pw)
        for again in (True, False):
            cw = pw - max(gutter, X_LABEL_PAD)  # the curves' columns; end labels fit in the gutter right of them
            x_axis, lines, ends = self._layout(view, curves, order, x_max, y_axis, cw)
            groups = hidden_groups(same, lines, ends, (cw, ph), skip=diverged)
            texts = end_labels(groups, names, ends, last, ph, int(pw * GUTTER_SHARE) - 2)
            wider = gutter_width([text for _, _, text in texts], pw)
            if not again or wider <= gutter and (texts or not gutter):
                break
            gutter = wider  # (no labels to draw: no gutter, the curves take its columns)
        return _Fit(gutter, x_axis, y_axis, lines, ends, groups, texts)

    def _draw(self, view: View, curves: list[Curves], plan: Plan, pw: int, base: Style) -> list[Strip]:
        """The chart's rows as `plan` lays them out: the curves, their marks and labels, the axes, and the legend
        row where the border had no room for it."""
        ph, x_axis, y_axis = plan.rows, plan.x_axis, plan.y_axis

        def dots(series: Series) -> tuple[np.ndarray, np.ndarray]:
            return _dots(series, x_axis, y_axis, ph)

        canvas = BrailleCanvas(pw, ph)
        self._paint_curves(canvas, curves, plan)
        self._paint_marks(canvas, view, curves, plan, dots)
        lowest = self._lowest_marks(view, dots, ph) if self._marks_lowest() else {}
        for i, (row, col, text) in lowest.items():
            canvas.put(row, col, text, 3 * i + MAIN)
        if plan.labels:
            self._label_ends(canvas, view, plan.labels, plan.ends)
        styles = [base + self._style(k // 3, k % 3) for k in range(3 * len(curves))] + [base + Style(dim=True)]
        labels = y_axis.labels(MARGIN - 2, self._tick_label)
        strips = []
        for r, cells in enumerate(canvas.rows(styles, base)):
            label = labels.get(r)
            margin = f"{label:>{MARGIN - 2}} ┤" if label else " " * (MARGIN - 1) + "│"
            strips.append(Strip([Segment(margin, base), *cells], MARGIN + pw))
        strips.append(tick_line(x_axis, MARGIN, MARGIN + pw, base + Style(dim=True), label_width=5))
        return strips + self._legend_rows(plan, MARGIN + pw, base)

    def _legend_rows(self, plan: Plan, width: int, base: Style) -> list[Strip]:
        """The legend's rows under the chart, where the border had no room for all of it."""
        room = self.size.height - 1 - plan.rows  # (the rows made for it)
        legend = _legend_lines(plan.rest, width) if room else []
        if len(legend) > room:
            # (the rest on the last row, still parted by " · ": joined by a space, "┄ const. guess 0.554 faint:
            # dropout on" read as one entry)
            legend = [*legend[:room - 1], first_fit([" · ".join(legend[room - 1:])], width)]
        return [Strip([Segment(f"{line:^{width}}", base + Style(dim=True))], width)
                for line in legend + [""] * (room - len(legend))]

    @staticmethod
    def _paint_curves(canvas: BrailleCanvas, curves: list[Curves], plan: Plan) -> None:
        """The constant guess's dotted row behind everything, each run's faint trace, its validation dashes and
        its solid main line, in drawing order."""
        x_axis, y_axis, ph, lines = plan.x_axis, plan.y_axis, plan.rows, plan.lines
        if plan.guess is not None:  # behind everything: every other cell's dots, a dotted row
            dot_row = int(round(float(y_axis.dots(plan.guess, 4))))
            xs = np.arange(0, 2 * x_axis.cells)
            xs = xs[(xs // 2) % 2 == 0]
            canvas.paint(xs, np.full(len(xs), dot_row), 3 * len(curves))  # (its style: after every run's three)
        for i in plan.order:
            if len(curves[i].trace[0]):
                px, py = _dots(curves[i].trace, x_axis, y_axis, ph)
                # a trace of the curve's own losses (a full batch: no noise) is drawn as the curve: its spikes
                # within a column are the run's, not noise (overfitting's faint streak at step 720 was explained nowhere)
                style = TRACE if _shows_noise(curves[i]) or not curves[i].envelope else MAIN
                canvas.paint(*(envelope_dots(px, py) if curves[i].envelope else line_dots(px, py)), 3 * i + style)
        for xs, ys in lines.values():  # the faint trace keeps a cell clear of the curves: a noise-free run
            canvas.clear(xs, ys, around=1)  # has no faint fringe, and dashes are not filled in
        for i, (xs, ys) in plan.dashes.items():
            canvas.paint(xs, ys, 3 * i + HELD_OUT)
        for i, (xs, ys) in lines.items():  # solid: a gap would read as missing data (only validation is dashed)
            canvas.clear(xs, ys)
            canvas.paint(xs, ys, 3 * i + MAIN)

    @staticmethod
    def _paint_marks(canvas: BrailleCanvas, view: View, curves: list[Curves], plan: Plan, dots) -> None:
        """Each run's exit arrow, its end mark (✗ diverged, ■ stopped early) and a ✎ where an edit changed it."""
        for i, (row, col, arrow) in plan.exits.items():
            canvas.put(row, col, arrow, 3 * i + MAIN)
        for i, (row, col) in plan.ends.items():
            if view.runs[i].diverged_at is not None:  # where it diverged: on the top edge if it left through it
                canvas.put(row, col, "✗", 3 * i + MAIN)
            elif view.runs[i].stopped_at is not None:
                canvas.put(row, col, "■", 3 * i + MAIN)
        for i in plan.order:  # ✎ on a run's curve where an edit changed its settings and it went on
            steps, values = curves[i].main
            for step in view.runs[i].edits:
                if len(steps) and steps[0] <= step <= steps[-1]:
                    px, py = dots((np.array([float(step)]), np.interp([float(step)], steps, values)))
                    canvas.put(min(max(int(py[0]) // 4, 0), plan.rows - 1),
                               min(max(int(px[0]) // 2, 0), plan.x_axis.cells - 1), "✎", 3 * i + MAIN)

    def _layout(self, view: View, curves: list[Curves], order: list[int], x_max: int, y_axis: Scale,
                cw: int) -> tuple[Scale, dict[int, tuple[np.ndarray, np.ndarray]], dict[int, tuple[int, int]]]:
        """The step axis over `cw` columns; each run's main curve as dots (run → xs, ys, in `order`) and the
        (row, column) of its last cell: where it diverged, on the top edge if it left through it."""
        x_axis = step_axis(x_max, cw)
        ph = y_axis.cells
        lines, ends = {}, {}
        for i in order:
            if len(curves[i].main[0]):
                px, py = _dots(_clip(*curves[i].main, y_axis.lo, y_axis.hi), x_axis, y_axis, ph)
                lines[i] = line_dots(px, py)
                ends[i] = (int(min(max(round(py[-1]), 0), 4 * ph - 1)) // 4,
                           int(min(max(round(px[-1]), 0), 2 * cw - 1)) // 2)
                diverged = view.runs[i].diverged_at
                if diverged is not None:  # its ✗ and label at the step it diverged (the table's "@N")
                    ends[i] = (ends[i][0], int(min(round(float(x_axis.dots(diverged, 2))), 2 * cw - 1)) // 2)
        return x_axis, lines, ends

    def _guess(self, view: View, y_axis: Scale) -> float | None:
        """The loss of the best constant guess (ln 4 for four balanced classes, the variance of a regression
        target), where every run has the same one and it lies on this chart: a curve on it has learned nothing."""
        values = {run.baseline for run in view.runs}
        if not self.GUESS_LINE or self._floors or len(values) != 1:
            return None
        value = values.pop()
        return value if math.isfinite(value) and y_axis.lo <= value <= y_axis.hi else None

    def _label_ends(self, canvas: BrailleCanvas, view: View, texts: list[tuple[int, int, str]],
                    ends: dict[int, tuple[int, int]]) -> None:
        """Each curve's label right of its end, in its colour (`texts`: (run, the run its label sits by,
        text), as `end_labels` gives them), pushed apart where curves end close together."""
        wanted = _label_starts(canvas, view, texts, ends)
        # a label too long for the gutter takes two rows or more where that moves no label off the row it would
        # have had ("leaky relu," / "lr 2"), else it is cut in the middle; a label's rows all want its curve's row
        plain = spread([label[0] for label in wanted], canvas.height)
        lines = [[text] for _, _, text, _ in wanted]
        for k, (_, col, text, _) in enumerate(wanted):  # one label at a time, each wrap kept where it moves none
            trial = [*lines[:k], wrap_words(text, canvas.width - col), *lines[k + 1:]]
            rows = spread([wanted[n][0] for n, parts in enumerate(trial) for _ in parts], canvas.height)
            firsts = np.cumsum([0] + [len(parts) for parts in trial[:-1]])
            if [rows[f] for f in firsts] == plain:
                lines = trial
        labels = [(row, col, line, i) for (row, col, _, i), parts in zip(wanted, lines) for line in parts]
        # runs told apart by their first words keep them where a label is cut ("expone…", not "exp….01": lr_schedules
        # at 80x24); runs sharing them keep both ends ("batch…lr 2")
        keep_start = starts_apart([view.runs[i].label for i, _, _ in texts])
        for (_, col, text, i), row in zip(labels, spread([label[0] for label in labels], canvas.height)):
            if row is not None:
                canvas.put(row, col, cut_label(text, canvas.width - col, keep_start), 3 * i + MAIN)

    def _lowest_marks(self, view: View, dots, rows: int) -> dict[int, tuple[int, int, str]]:
        """Run → (row, column, "▼step") on the lowest point of its validation curve, where that point is behind
        it (the curve has climbed since, or early stopping went back to it)."""
        marks = {}
        for i, run in enumerate(view.runs):
            if not _past_lowest(run):
                continue
            assert run.lowest_val is not None  # (_past_lowest checks it)
            step, value = run.lowest_val
            px, py = dots(self._finite(np.array([step]), np.array([value]), self._floors[i] if self._floors else 0.0))
            row, col = int(py[0]) // 4, int(px[0]) // 2
            # on the point's own cell (the row above was a third of a decade off on a half-height log chart)
            marks[i] = (min(max(row, 0), rows - 1), max(col, 0), f"▼{step}")
        return marks

    def _marks_lowest(self) -> bool:
        """▼ at each run's lowest validation loss: on the validation curve, so only where it is drawn."""
        return self.MARKS_LOWEST and self.draws_held_out

    def _finite(self, steps: np.ndarray | None, values: np.ndarray | None,
                floor: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
        """A series' finite points as floats, less `floor` (view.above_floor); on a log axis floored at FLOOR, or
        at the rounding of the loss's own arithmetic above its floor. Empty where there is none."""
        if steps is None or values is None:
            return np.zeros(0), np.zeros(0)
        ok = np.isfinite(values)
        values = values[ok] - floor
        if not self.log_y:
            return steps[ok].astype(float), values
        if floor > 0:  # within the rounding of its own arithmetic of the best possible: drawn at that rounding
            return steps[ok].astype(float), np.maximum(values, ROUNDING * floor)
        # below FLOOR (0 included): off the chart's bottom, where the curve stops with ↓
        return steps[ok].astype(float), np.where(values < FLOOR, FLOOR / 1000, values)

    def _y_axis(self, lo: float, hi: float, rows: int) -> Scale:
        """The y axis over `rows` rows holding [lo, hi]; on a log axis whose top is a diverged run's headroom
        (`_headroom`), as much of it as leaves the others the most rows: its size is a choice, between a quarter
        and a whole decade (batch_norm at 80x24: a decade of it cost the runs a tick a row, 2.5 decades a row)."""
        def axis(top: float) -> Scale:
            return scale(lo, top, rows, log=self.log_y, flip=True, anchor=self.Y_ANCHOR, label_width=MARGIN - 2)

        best = axis(hi)
        if self.log_y and self._headroom is not None:
            for k in range(1, 4):  # a quarter decade less each time, down to a quarter decade of headroom
                top = hi / 10 ** (k / 4)
                if top < self._headroom * 10 ** 0.25:
                    break
                trial = axis(top)
                if trial.per_cell < best.per_cell * (1 - 1e-9):
                    best = trial
        return best

    def _steady(self, view: View, fresh: tuple[float, float]) -> tuple[float, float]:
        """While training plays, a log axis keeps its range while that holds the data and is at most
        STEADY_MARGIN (and a snap) looser than it needs; one that must reach lower reaches STEADY_MARGIN decades
        lower than the data. A falling loss crossed a quarter-decade snap every other frame, and every change
        redrew the whole chart (lr_schedules at 200x60). Paused or finished, the range is the data's own: a
        still screen never depends on the frames drawn before it."""
        if not (self.log_y and view.playing):
            self._steady_range = None
            return fresh
        lo, hi = fresh
        kept = self._steady_range
        if kept and kept[0] <= lo and hi <= kept[1] and math.log10(kept[1] / kept[0] * lo / hi) <= STEADY_MARGIN + 0.25:
            return kept
        self._steady_range = (max(lo / 10 ** STEADY_MARGIN, FLOOR), hi)
        return self._steady_range

    def _y_range(self, view: View, curves: list[Curves]) -> tuple[float, float]:
        """The axis spans the runs that did not diverge (their main and held-out curves); a diverged run above
        them gets a little headroom to be seen rising, then leaves through the top edge."""
        kept = [c for c, run in zip(curves, view.runs) if run.diverged_at is None] or curves
        values = np.concatenate([v for c in kept for _, v in (c.main, c.held_out) if len(v)] or [np.ones(1)])
        escaped = max((float(c.main[1].max()) for c in curves if len(c.main[1])), default=-math.inf)
        lo, hi = float(values.min()), float(values.max())
        # The range snaps outward to round values, so it changes (and the whole chart is redrawn, and resent
        # to the terminal) only when a curve crosses one, not on every frame.
        self._headroom = None
        if self.log_y:
            lo, hi = max(lo, FLOOR), max(hi, FLOOR)
            if escaped > hi:  # headroom: a quarter of the others' decades, between a quarter and one decade
                self._headroom = hi  # (the others' top: _y_axis may take less of it)
                hi = min(escaped, hi * 10 ** min(max(math.log10(hi / lo) / 4, 0.25), 1.0))
            if hi / lo < 10:  # less than a decade: widen so the ticks say something
                mid = math.sqrt(lo * hi)
                lo, hi = mid / math.sqrt(10), mid * math.sqrt(10)
            # over many decades (a run diverging, before it is stopped) the ends snap to whole decades: they then
            # move about once a second rather than every frame, and a quarter decade is invisible at that scale
            per_decade = 1 if math.log10(hi / lo) > 6 else 4
            return (10 ** (math.floor(per_decade * math.log10(lo)) / per_decade),
                    10 ** (math.ceil(per_decade * math.log10(hi)) / per_decade))
        if escaped > hi:
            hi = min(escaped, hi + max(hi - min(lo, 0.0), 1e-12) / 4)
        lo = min(lo, 0.0) if lo >= 0 else -_nice_ceil(-lo)
        hi = _nice_ceil(hi) if hi > 0 else hi
        return lo, hi if hi > lo else lo + 1.0

    @staticmethod
    def _tick_label(value: float, width: int) -> str:
        """A y tick's label, never cut by the margin, reading back as its value."""
        return tick_label(value, width)

    def _style(self, run: int, kind: int) -> Style:
        """MAIN bold in the run's colour; HELD_OUT the run's colour a step toward the text colour, not bold (dashed
        alone did not tell it from the training curve in braille dots, and a dim one read as noise: the climb it
        shows is the evidence); TRACE (the mini-batch noise) the colour halfway to the panel's background, so it
        stays behind the curves on terminals that ignore dim, and under NO_COLOR."""
        key = run * 3 + kind
        style = self._styles.get(key)
        if style is None:
            rgb = variant_rgb(run)
            if kind == TRACE:
                bg = self.rich_style.bgcolor
                rgb = blend(rgb, bg.get_truecolor() if bg is not None else (0, 0, 0), TRACE_FADE)
            elif kind == HELD_OUT:
                fg = self.rich_style.color
                rgb = blend(rgb, fg.get_truecolor() if fg is not None else (255, 255, 255), HELD_OUT_TINT)
            style = self._styles[key] = Style(color=Color.from_rgb(*rgb), bold=kind == MAIN)
        return style


def validation_entry(marks: Collection[str]) -> tuple[str, str]:
    """The legend's (long, short) words for the dashed validation curve; where the dashes lie under the training
    curves ("╌≈" in `marks`: nearly all, "╌~": most), it says so in words ("val under ━" read as a formula)."""
    return (("╌ validation, hidden under ━", "╌ val hidden under ━") if "╌≈" in marks
            else ("╌ lighter: validation, partly under ━", "╌ light: val") if "╌~" in marks
            else ("╌ lighter: validation", "╌ light: val"))


def _label_starts(canvas: BrailleCanvas, view: View, texts: list[tuple[int, int, str]],
                  ends: dict[int, tuple[int, int]]) -> list[tuple[int, int, str, int]]:
    """Each end label as (the row it wants, its first column, text, run): right of its curve's end, where the
    gutter has room for it."""
    wanted = []
    right = max(col for _, col in ends.values()) + 2  # the gutter, right of the longest curve
    for i, top, text in texts:
        end_row, col = ends[top]
        marked = view.runs[top].diverged_at is not None or view.runs[top].stopped_at is not None
        col += 1 if marked else 2
        # a run that ended early is named beside its ✗ or ■, unless that would write over another run's curve
        # (early_stopping's "patience 150" hid the climb of the run trained on), then in the gutter
        if marked and canvas.bits[end_row, col:col + len(text)].any():
            col = right
        if canvas.width - col >= 3:
            wanted.append((end_row, col, text, i))
    return wanted


def _marks(view: View, lowest: bool) -> set[str]:
    """The marks the runs put on the chart, for the legend to explain."""
    return {key for run in view.runs for key, shown in (("▼", lowest and _past_lowest(run)),
                                                         ("■", run.stopped_at is not None),
                                                         ("✗", run.diverged_at is not None),
                                                         ("✎", bool(run.edits))) if shown}


def _dashes(curves: list[Curves], order: list[int], x_axis: Scale,
            y_axis: Scale) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each run's validation curve as the dots of its dashes."""
    dashes = {}
    for i in order:
        if len(curves[i].held_out[0]):
            xs, ys = line_dots(*_dots(curves[i].held_out, x_axis, y_axis, y_axis.cells))
            keep = HELD_OUT_DASH[np.arange(len(xs)) % len(HELD_OUT_DASH)]
            dashes[i] = xs[keep], ys[keep]
    return dashes


def _exits(curves: list[Curves], lines: dict[int, tuple[np.ndarray, np.ndarray]], ends: dict[int, tuple[int, int]],
           x_axis: Scale, y_axis: Scale) -> dict[int, tuple[int, int, str]]:
    """Run → (row, column, arrow) where its curve leaves the chart: through the top (a run blowing up before it is
    stopped) or, on a log axis, through the bottom (a loss below FLOOR: momentum's 1e-44)."""
    exits = {}
    cw, ph = x_axis.cells, y_axis.cells
    for i in lines:
        steps, values = curves[i].main
        out = np.flatnonzero((values > y_axis.hi) | (values < y_axis.lo))
        if len(out):
            col = int(min(round(float(x_axis.dots(steps[out[0]], 2))), 2 * cw - 1)) // 2
            row, arrow = (0, "↑") if values[out[0]] > y_axis.hi else (ph - 1, "↓")
            if (row, col) != ends[i] or arrow == "↓":  # (a ✗ there says it already)
                exits[i] = (row, col, arrow)
    return exits


def _hidden_marks(view: View, curves: list[Curves], lines: dict[int, tuple[np.ndarray, np.ndarray]],
                  dashes: dict[int, tuple[np.ndarray, np.ndarray]], x_axis: Scale, y_axis: Scale) -> set[str]:
    """What the legend must say of curves under others: the validation curves under the training curves (all of
    them, or mostly), and a run early stopping ended on another's path until its ■."""
    marks = set()
    ph = y_axis.cells
    mains = [_dots(curves[i].main, x_axis, y_axis, ph) for i in lines]
    under = [share_under(_dots(curves[i].held_out, x_axis, y_axis, ph), mains) for i in dashes]
    if under and min(under) > HELD_OUT_HIDDEN_SHARE:
        marks.add("╌≈")  # every validation curve is under the training curves
    elif under and min(under) > HELD_OUT_UNDER_SHARE:
        marks.add("╌~")  # … mostly, yet some of it shows
    if any(same_until_stopped(curves, view.runs, i) for i in range(len(curves))):
        marks.add("=■")  # a run early stopping ended lies on another's path until its ■: one curve until there
    return marks


def _legend_lines(text: str, width: int) -> list[str]:
    """A legend's entries in rows of `width`, broken between entries (an entry too long for a row, between words)."""
    return [line for entry in wrap_words(text, width, sep=" · ") for line in wrap_words(entry, width)]


def _past_lowest(run) -> bool:
    """The run's validation loss has a lowest point behind it worth marking: it has climbed from it as far as
    the status calls overfitting (a wobble of a few held-out points is not marked), or early stopping went back."""
    if run.lowest_val is None:
        return False
    return run.stopped_at is not None or run.val_loss > (1 + OVERFIT) * run.lowest_val[1]


# what a run's faint trace is, by why its step losses differ from the loss on the whole split (Variant.step_noise)
TRACES = {"batch": ("faint: each batch", "faint: batch"),
          "dropout": ("faint: with dropout on", "faint: dropout on"),  # (regularization's olive dots had read as
          "batch norm": ("faint: batch-norm training mode", "faint: train mode"),  # a validation curve)
          # a watched script's run (runlog.py): its line is the moving average of its steps' mini-batch losses
          "watched": ("line: average of ~20 steps · faint: each step", "faint: each step")}


def debiased_ema(values: np.ndarray, beta: float) -> np.ndarray:
    """TensorBoard's smoothing: each point the EMA of the points up to it, weight `beta` on the past, divided by
    1 − beta^k so that the first points are not pulled toward 0."""
    out = np.empty(len(values))
    average = 0.0
    for k, value in enumerate(values.tolist()):
        average = beta * average + (1 - beta) * value
        out[k] = average / (1 - beta ** (k + 1))
    return out


def smoothed(values: np.ndarray, beta: float, log: bool) -> np.ndarray:
    """The curve a chart draws smoothed: on a log axis the EMA of the log loss (a moving geometric mean), elsewhere
    of the loss. A loss falling by decades weighs its earlier points by their size: batch_size's linear EMA lay
    two decades above its raw points at step 100, just as the lesson said to compare the runs' wobble."""
    if not log or not len(values) or (values <= 0).any():
        return debiased_ema(values, beta)
    return np.exp(debiased_ema(np.log(values), beta))


def _shows_noise(curves: Curves) -> bool:
    """The faint trace is mini-batch noise the curve does not show (a full-batch run's trace is its curve)."""
    steps, values = curves.trace
    if not curves.envelope or not len(steps):
        return False
    main_steps, main_values = curves.main
    at = np.searchsorted(main_steps, steps).clip(0, max(len(main_steps) - 1, 0))
    return len(main_steps) == 0 or not (np.array_equal(main_steps[at], steps) and np.allclose(main_values[at], values))


def _dots(series: Series, x_axis: Scale, y_axis: Scale, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """A series' points as dot coordinates. A loss far off the chart (a run blowing up, on a linear axis) is
    clamped a chart's height away: its dot row must fit an integer, and the line toward it leaves through the
    same edge."""
    steps, values = series
    return x_axis.dots(steps, 2), np.clip(y_axis.dots(values, 4), -8 * rows, 12 * rows)


def _unlabelled(fit: _Fit, names: list[str], said: set[int]) -> list[str]:
    """The runs drawn under others that no end label names: near-equal ones (≈) whose label does not say
    "(under)", and equal ones (=) where there is no gutter for "= b"."""
    return [names[i] for group in fit.groups for i, mark in group
            if mark == "≈" and not (fit.gutter and i in said) or mark == "=" and not fit.gutter]


def _unlabelled_and_nameless(fit: _Fit, names: list[str], said: set[int]) -> tuple[list[str], list[str]]:
    """The runs under others no label names (`_unlabelled`), and the runs whose labels had no room: of those, one whose
    end is drawn over seems to stop early, so it "ends under others" too."""
    unlabelled = _unlabelled(fit, names, said)
    named = {i for i, _, _ in fit.texts}
    nameless = [i for i in fit.ends if fit.gutter and i not in named and names[i] not in unlabelled]
    size = (fit.x_axis.cells, fit.y_axis.cells)
    hidden = [i for i in nameless if end_under(i, fit.lines, fit.ends, size)]
    return unlabelled + [names[i] for i in hidden], [names[i] for i in nameless if i not in hidden]


def _on_guess(fit: _Fit, names: list[str], order: list[int], guess: float | None) -> list[str]:
    """The runs whose line lies along the constant guess's row (the legend says they learned nothing)."""
    if guess is None:
        return []
    row = float(fit.y_axis.dots(guess, 4))
    return [names[i] for i in order if i in fit.lines and covers_row(fit.lines[i], row, 2 * fit.x_axis.cells)]


def x_extent(step: int, total: int) -> int:
    """Right end of the step axis: it grows with training in 1-2-5 jumps (so the first,
    most interesting steps are not squeezed into a corner) and stops at the run's length."""
    want = max(10, step * 1.15)
    magnitude = 10 ** math.floor(math.log10(want))
    nice = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= want)
    return max(1, min(total, int(nice)))


def _clip(steps: np.ndarray, values: np.ndarray, bottom: float, top: float) -> tuple[np.ndarray, np.ndarray]:
    """Cut a series where it first leaves [bottom, top], ending exactly on the edge it crossed."""
    out = np.nonzero((values > top) | (values < bottom))[0]
    if not len(out):
        return steps, values
    k = out[0]
    return np.append(steps[:k], steps[k]), np.append(values[:k], top if values[k] > top else bottom)


def _nice_ceil(value: float) -> float:
    """The smallest of 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k that is ≥ value (value > 0)."""
    if not math.isfinite(value) or value <= 0:
        return value
    scale = 10 ** math.floor(math.log10(value))
    return next(m * scale for m in (1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10) if m * scale >= value * (1 - 1e-12))
