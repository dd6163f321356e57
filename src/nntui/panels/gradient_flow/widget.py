"""The gradient-flow panel: each layer's weight-gradient norm, now (bars) and over time (a heat strip).

Colours are one fixed log scale from 1e-8 to 1e2 (vanishing dark, exploding red), the same in every lesson.
Bar lengths are a log scale over the whole decades the runs' norms span (every run's, so panels side by side
compare), its ends written over the bars: on 1e-8 … 1e2, 58 and 2.5 were bars a cell apart, though one is 23×
the other. `[` and `]` switch between runs.

The panel fits what it gets: a row per layer (name, value, bar, history) when
there are rows for every layer; with two rows or more per layer the value goes
under the name and the history becomes a ridge as tall as the layer's rows (its
height the norm on the same log scale); with fewer rows than layers, the layers
stand side by side as columns rising on the scale. On a narrow panel the legend's
words, then the history, then the bar's width give way before a number is cut.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.color import Color
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from ...runner import RunView, View
from ...ui.draw.axis import tick_label
from ...ui.draw.palette import LOG_HI, LOG_LO, NONFINITE_RGB, scale_rgb
from ...ui.draw.raster import RIGHT_EIGHTHS, UP_EIGHTHS, border_room, first_fit, fmt_short, step_columns
from ...ui.panel import RUN_BINDINGS, StripPanel, cut_run_name, run_name
from ..loss.widget import x_extent

MIN_DECADES = 2     # the bars' scale spans at least this many decades (norms a few % apart stay bars alike)
BAR_WIDTH = 12      # the widest bar (now); narrower panels get narrower bars before a number is cut
VALUE_WIDTH = 9     # ' 2.7e-06 '
MIN_HISTORY = 6     # a narrower history is left out


def weight_layers(run: RunView) -> list[int]:
    """Indices of the weight matrices (2-D and up), input first: one row per layer."""
    return [i for i, shape in enumerate(run.param_shapes) if len(shape) >= 2]


@dataclass(frozen=True)
class _RowLayout:
    """How a row-per-layer panel shares its width: names, values, bars, and the history strip."""

    per_layer: int          # rows a layer gets
    content: int            # of those, the rows drawn (three rows or more: the last one parts two layers)
    labels: list[str]
    values: list[str]
    name_w: int
    inline: bool            # the value beside the name (else under it)
    label_w: int
    bar_w: int
    strip_width: int        # the history's columns (0: none)

    @classmethod
    def fit(cls, now: np.ndarray, steps: tuple[int, int], width: int, k: int) -> _RowLayout:
        n = len(now)
        labels = [_layer_label(r, n) for r in range(n)]
        if k == 1 and max(map(len, labels)) + 1 + VALUE_WIDTH + 4 > width:
            labels = [f"L{r + 1}" for r in range(n)]  # (in) and (out) go before a number would be cut
        name_w = max(map(len, labels)) + 1
        # the value beside its name where the row has room (under it, it read as the next layer's)
        inline = k == 1 or width - name_w - VALUE_WIDTH >= 2 * BAR_WIDTH
        label_w = name_w + VALUE_WIDTH if inline else max(name_w, VALUE_WIDTH)
        rest = max(width - label_w, 0)
        bar_w = min(BAR_WIDTH, max(rest // 3, 4)) if rest >= 4 + MIN_HISTORY else min(rest, BAR_WIDTH)
        if steps[0] == steps[1]:  # one moment, no history beside it: the bars take its room
            bar_w = max(min(rest - 1, 2 * BAR_WIDTH), bar_w)
        # one moment (a panel held at a step): no strip, which would stretch that moment across as if every step
        strip_width = rest - bar_w - 1 if rest - bar_w - 1 >= MIN_HISTORY and steps[0] != steps[1] else 0
        return cls(k, k - 1 if k >= 3 else k, labels, [_fmt(v) for v in now], name_w, inline, label_w, bar_w,
                   strip_width)


class GradientFlowPanel(StripPanel):
    BINDINGS = RUN_BINDINGS

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self._styles: dict[tuple, Style] = {}
        self._span = (LOG_LO, LOG_HI)  # the bars' log10 scale: the decades every run's norms span
        self._titled = False  # the title names the step the panel is held at

    def on_mount(self) -> None:
        self.set_titles(subtitle="[ / ]: run · ‖∇W‖, log scale")

    # ------------------------------------------------------------------ drawing

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        view = self._view
        if view is None or not view.runs:
            self._strips = []
            return
        self.run_index %= len(view.runs)
        run = view.runs[self.run_index]
        room = border_room(self.outer_size.width)
        self._set_run_titles(view, run, room)
        layers = weight_layers(run)
        if run.grads is None or not len(run.grads) or not layers:
            self._strips = [Strip([Segment("waiting for the first step…".center(width)[:width], base)], width)
                            if i == height // 2 else Strip.blank(width, base) for i in range(height)]
            return
        n = len(layers)
        self._span = bar_span(view.runs)
        now = run.grads[-1, layers]
        assert run.grad_steps is not None  # the runner sends the norms' steps with them
        steps = (int(run.grad_steps[0]), int(run.grad_steps[-1]))
        if height < n:  # not a row per layer: the layers side by side, input first, bars up on the log scale
            if n >= 2 and steps[0] != steps[1]:  # no row for the ratio line: the first step's takes the keys' place
                first = run.grads[0, layers]
                then_r, now_r = _ratio(first[0], first[-1], 5), _ratio(now[0], now[-1], 5)
                self.set_titles(subtitle=first_fit([f"L1/L{n} at step {steps[0]}: {then_r} · now {now_r}",
                                                    f"L1/L{n} step {steps[0]}: {then_r} · now {now_r}",
                                                    f"L1/L{n} step {steps[0]}: {then_r}", f"step {steps[0]}: {then_r}"],
                                                   room))
            self._strips = self._columns(now, width, height)
            return
        # a row (or more) per layer: name, bar and value now, then the history; under them, as rows allow, the
        # input-to-output ratio at the first step and now (the telling moment stays on screen when the bars have
        # evened out), the time axis, the legend
        ratio = [self._ratio_line(run.grads[0, layers], now, steps, width)] if n >= 2 else []
        footer = min(len(ratio) + 2, max(height - n, 0))
        rows = _RowLayout.fit(now, steps, width, max((height - footer) // n, 1))
        extent = max(x_extent(steps[1], view.total), steps[1])  # (the loss panel's step axis: it grows in jumps)
        history = step_columns(run.grads[:, layers], run.grad_steps, rows.strip_width, extent)
        strips = [strip for r in range(n) for strip in self._layer_rows(r, now[r], history[:, r], rows, width, base)]
        axis = [self._time_axis((steps[0], extent), width - rows.strip_width, rows.strip_width)] if rows.strip_width else []
        below = (ratio + axis + [self._legend(width)])[:footer]  # (no history: no axis)
        if height - len(strips) - len(below) >= 1:  # a spare row: what the bar and the strip are, over them
            strips.insert(0, self._header(rows.label_w, rows.bar_w, rows.strip_width, width,
                                          None if steps[0] != steps[1] else steps[1]))
        else:  # no row for the bars' scale over them: the border gives its ends (exploding_gradients: 60 and 2.1
            # were bars about 2× apart, and with no scale on screen reviewers read the 29× as 2×)
            self._scale_in_subtitle(room)
        strips += [Strip.blank(width, base)] * max(height - len(strips) - len(below), 0)
        self._strips = (strips + below)[:height]

    def _set_run_titles(self, view: View, run: RunView, room: int) -> None:
        """The run's name in the title, in the form that fits every run's (panels side by side read "Grad flow" and
        "∇ flow" otherwise), and what the bars are in the subtitle."""
        longest = max((len(run_name(r)) for r in view.runs), default=0)
        prefix = next((p for p in ("Gradient flow · ", "Grad flow · ", "∇ flow · ") if len(p) + longest <= room), "")
        name = run_name(run)
        title = first_fit([prefix + name, name, cut_run_name(run, room)], room)
        self._titled = run.held_at is not None and f"step {run.held_at}" in title  # (the header need not say it)
        self.set_titles(title=title,
                        subtitle=first_fit(["[ / ]: run · ‖∇W‖, log scale", "[ / ]: run · ‖∇W‖, log", "[ / ]: run · ‖∇W‖",
                                            "‖∇W‖"], room))

    def _scale_in_subtitle(self, room: int) -> None:
        lo, hi = (_decade(v) for v in self._span)
        # "bars:" (their length's scale; the colour row is the colours' own, of bars and strip alike: "‖∇W‖, log
        # 1e-4 … 1" beside "colour: 1e-8 … 1e2" read as two ranges for one thing)
        self.set_titles(subtitle=first_fit([f"[ / ]: run · ‖∇W‖ bars, log scale {lo} … {hi}",
                                            f"[ / ]: run · bars: log {lo} … {hi}", f"bars: log {lo} … {hi}",
                                            "[ / ]: run · ‖∇W‖, log scale", "‖∇W‖"], room))

    def _layer_rows(self, r: int, now: float, history: np.ndarray, rows: _RowLayout, width: int,
                    base: Style) -> list[Strip]:
        """Layer r's rows: its name and value, its bar now, its history beside (a colour a column, or a ridge)."""
        k, content = rows.per_layer, rows.content
        ridge = self._ridge(history, content) if rows.strip_width and k >= 2 else []
        out = []
        for row in range(k):
            if rows.inline:
                head = (f"{rows.labels[r]:<{rows.name_w}}{rows.values[r]:>{VALUE_WIDTH - 1}} " if row == 0
                        else " " * rows.label_w)
            else:
                head = f"{(rows.labels[r] if row == 0 else rows.values[r] if row == 1 else ''):<{rows.label_w}}"
            segments = [Segment(head, base)]
            if row < content:
                # two rows: the bar beside the name only (two rows of bars would merge with the next layer's)
                segments += self._bar(now, rows.bar_w) if k != 2 or row == 0 else [Segment(" " * rows.bar_w)]
                if rows.strip_width:
                    segments.append(Segment(" ", base))
                    segments += [self._cell(v) for v in history] if k == 1 else ridge[row]
            out.append(Strip(segments).adjust_cell_length(width, base).simplify())
        return out

    def _header(self, pad: int, bar_w: int, strip_width: int, width: int, held: int | None) -> Strip:
        """'‖∇W‖ now' (or 'at step N', for one moment held) over the values, the bars' scale over the bars
        ('0.1       100'), 'each step →' over the history."""
        # (a moment held at a step: the title says which; "at step 1" had run into the bars' scale, "step 1 0.1 ┄")
        forms = (("‖∇W‖ now", "now") if held is None else ("‖∇W‖",) if self._titled
                 else (f"‖∇W‖ at step {held}", f"step {held}"))
        now = next((t for t in forms if len(t) <= pad - 1), "")
        later = next((t for t in ("each step →", "steps →", "→") if len(t) <= strip_width), "") if strip_width else ""
        lo, hi = (_decade(v) for v in self._span)  # the bars' scale, its ends over theirs
        fill = bar_w - len(lo) - len(hi) - 2  # an axis between them: "0.1 ┄┄┄┄ 100" (not "step 1 0.1")
        ends = f"{lo} {'┄' * fill} {hi}" if fill >= 2 else ""
        text = now.rjust(pad - 1) + " " + ends.ljust(bar_w + 1)
        return Strip([Segment(text + later, self.rich_style + Style(dim=True))]).adjust_cell_length(width, self.rich_style)

    def _ratio_line(self, first, now, steps: tuple[int, int], width: int) -> Strip:
        """'L1/L10 at step 1: 2.1e-04 · now 0.93' (‖∇W‖), or as much of it as fits: how much smaller (or larger)
        the input layer's gradient is than the output layer's, when training began and now."""
        n = len(now)
        then_r, now_r = (_ratio(float(first[0]), float(first[-1])), _ratio(float(now[0]), float(now[-1])))
        forms = ([f"L1/L{n} at step {steps[0]}: {then_r} · now {now_r}", f"L1/L{n}: {then_r} → {now_r}"]
                 if steps[0] != steps[1] else [f"L1/L{n} at step {steps[1]}: {now_r}", f"L1/L{n}: {now_r}"])
        text = next((t for t in forms if len(t) <= width), "")
        return Strip([Segment(text, self.rich_style)]).adjust_cell_length(width, self.rich_style)

    def _columns(self, now, width: int, height: int) -> list[Strip]:
        """A short panel: one column per layer (input left), its bar rising on the bars' log scale,
        the scale's ends on the left, L1 and the last layer named under them, and their values beside them
        where there is room."""
        base = self.rich_style
        dim = base + Style(dim=True)
        n = len(now)
        axis_w = 5
        cw = min(max((width - axis_w) // n, 1), 3)
        rows = max(height - 1, 1)
        side_w = width - axis_w - cw * n
        # the first and last layer's values beside the bars, as precise as fits
        side = next((lines for lines in ([f"L1 {_fmt(now[0])}", f"L{n} {_fmt(now[-1])}"],
                                         *([f"L1 {fmt_short(now[0], w)}", f"L{n} {fmt_short(now[-1], w)}"]
                                           for w in (6, 5, 4)))
                     if side_w >= max(map(len, lines)) + 1), [])
        bar_w = cw - 1 if cw >= 2 else 1
        lo, hi = self._span
        ticks = {0: _decade(hi), rows - 1: _decade(lo)}
        strips = []
        for r in range(rows):
            level = rows - 1 - r  # eighths below this row
            segments = [Segment(f"{ticks[r]:>{axis_w - 1}}┤" if r in ticks else " " * (axis_w - 1) + "│", dim)]
            for v in now:
                segments += self._column_cell(float(v), level, rows, bar_w)
                if cw > bar_w:
                    segments.append(Segment(" " * (cw - bar_w)))
            if r < len(side):
                segments.append(Segment(" " + side[r], base))
            strips.append(Strip(segments).adjust_cell_length(width, base).simplify())
        names = [" "] * (cw * n)
        last = f"L{n}"
        names[:2] = "L1"
        if cw * n >= len(last) + 3:
            names[cw * n - len(last) - (cw - bar_w):cw * n - (cw - bar_w)] = last
        strips.append(Strip([Segment(" " * axis_w + "".join(names), dim)]).adjust_cell_length(width, base))
        return strips[:height]

    def _column_cell(self, norm: float, level: int, rows: int, bar_w: int) -> list[Segment]:
        if not math.isfinite(norm):
            return [Segment(("×" if level == 0 else " ") * bar_w, self._style(("fg", NONFINITE_RGB)))]
        if norm <= 0:
            return [Segment(" " * bar_w)]
        log = math.log10(norm)
        eighths = max(round(self._row_position(log, rows) * 8), 1)
        c = min(max(eighths - level * 8, 0), 8)
        return [Segment(UP_EIGHTHS[c] * bar_w, self._style(("fg", scale_rgb(log))))]

    def _ridge(self, norms, rows: int) -> list[list[Segment]]:
        """A layer's history drawn `rows` tall (top row first): each moment's norm as a column's height on the
        log scale, in its colour. A column keeps one style on every row, so each row is a few Segments, one per
        run of columns alike."""
        norms = np.asarray(norms, dtype=float)
        finite = np.isfinite(norms)
        positive = finite & (norms > 0)
        log = np.log10(np.where(positive, norms, 1.0))
        eighths = np.maximum(np.round(self._share(log) * rows * 8), 1)
        eighths[~positive] = 0
        keys = np.where(positive, np.round(log * 20), np.where(finite, 10_000, 20_000)).tolist()  # 1/20 decade
        starts = [0] + [k for k in range(1, len(keys)) if keys[k] != keys[k - 1]]
        runs = list(zip(starts, starts[1:] + [len(keys)]))
        styles = [self._style(("fg", scale_rgb(keys[a] / 20))) if positive[a] else
                  self._style(("fg", NONFINITE_RGB)) if not finite[a] else None for a, _ in runs]
        glyphs = np.array(list(UP_EIGHTHS))
        out = []
        for level in range(rows - 1, -1, -1):
            chars = glyphs[np.clip(eighths - level * 8, 0, 8).astype(int)]
            chars[~finite] = "×" if level == 0 else " "
            text = "".join(chars.tolist())
            out.append([Segment(text[a:b], style) for (a, b), style in zip(runs, styles)])
        return out

    def _time_axis(self, steps: tuple[int, int], pad: int, strip_width: int) -> Strip:
        """The first and last step under the history (as much of 'step 0 … step 120' as fits)."""
        base = self.rich_style
        first, last = steps
        forms = (((f"step {first}", f"step {last}"), (str(first), f"step {last}"), (str(first), str(last)))
                 if first != last else (("", f"step {last}"), ("", str(last))))
        for left, right in forms:
            if len(left) + 1 + len(right) <= strip_width:
                axis = left.ljust(strip_width - len(right)) + right
                break
        else:
            axis = ""
        return Strip([Segment(" " * pad + axis, base + Style(dim=True))]).adjust_cell_length(pad + strip_width, base)

    def _bar(self, norm: float, width: int = BAR_WIDTH) -> list[Segment]:
        if width <= 0:
            return []
        if not math.isfinite(norm):
            return [Segment(("NaN/Inf" if width >= 7 else "×").center(width), self._style(("fg", NONFINITE_RGB)))]
        if norm <= 0:
            return [Segment(" " * width)]
        log = math.log10(norm)
        eighths = round(float(self._share(log)) * width * 8)
        full, part = divmod(max(eighths, 1), 8)
        text = "█" * full + (RIGHT_EIGHTHS[part] if part else "")
        return [Segment(text.ljust(width), self._style(("fg", scale_rgb(log))))]

    def _row_position(self, log: float, rows: int) -> float:
        """Where a log10 norm lies on a column of `rows` rows ticked at its top and bottom rows, in rows from the
        column's bottom edge: the scale's ends at those rows' centres, where their tick labels point (vanishing's
        ReLU bars at 1.91 had reached half a row past the "10" they stood under), clamped to the column."""
        if rows < 2:
            return float(self._share(log)) * rows
        lo, hi = self._span
        half = (hi - lo) / (rows - 1) / 2  # half a row, in decades
        return (min(max(log, lo - half), hi + half) - lo) / (hi - lo) * (rows - 1) + 0.5

    def _share(self, log):
        """Where a log10 norm (or an array of them) lies on the bars' scale: 0 at its low end, 1 at its top
        (clamped)."""
        lo, hi = self._span
        return (np.clip(log, lo, hi) - lo) / (hi - lo)

    def _cell(self, norm: float) -> Segment:
        if not math.isfinite(norm):
            return Segment("×", self._style(("fg", NONFINITE_RGB)))
        if norm <= 0:
            return Segment(" ")
        return Segment(" ", self._style(("bg", scale_rgb(math.log10(norm)))))

    def _legend(self, width: int) -> Strip:
        """The colour scale from 1e-8 to 1e2: two cells a decade and what its ends mean, or what fits of that."""
        dim = self.rich_style + Style(dim=True)
        decades = int(LOG_HI - LOG_LO) + 1
        # "colour:" first where it fits: the bars' own scale is written over them, this one is the colours'
        # (and kept before the ends' meaning: without it, 1e-8 … 1e2 beside bars on 0.1 … 100 read as one scale cut)
        swatch, words, name = next(((w, t, n) for w, t, n in ((2, "  vanishing → exploding", "colour: "),
                                                              (1, "  vanishing → exploding", "colour: "),
                                                              (2, "", "colour: "), (1, "", "colour: "),
                                                              (2, "  vanishing → exploding", ""),
                                                              (2, "", ""), (1, "", ""))
                                    if len(n) + 5 + w * decades + 4 + len(t) <= width), (1, "", ""))
        segments = [Segment(f"{name}1e-8 ", dim)]
        for k in range(int(LOG_LO), int(LOG_HI) + 1):
            segments.append(Segment(" " * swatch, self._style(("bg", scale_rgb(k)))))
        segments.append(Segment(" 1e2" + words, dim))
        return Strip(segments).adjust_cell_length(width, self.rich_style)

    def _style(self, key: tuple) -> Style:
        style = self._styles.get(key)
        if style is None:
            kind, rgb = key
            color = Color.from_rgb(*rgb)
            style = Style(color=color, bold=True) if kind == "fg" else Style(bgcolor=color)
            self._styles[key] = style
        return style


def bar_span(runs) -> tuple[float, float]:
    """The bars' log10 scale: the whole decades that every run's weight-gradient norms (now and their history)
    span, at least MIN_DECADES, between 1e-12 and 1e12 (a run blowing up is off the top, drawn full)."""
    norms = [run.grads[:, weight_layers(run)].ravel() for run in runs if run.grads is not None and len(run.grads)]
    values = np.concatenate(norms) if norms else np.zeros(0)
    values = values[np.isfinite(values) & (values > 0)]
    if not len(values):
        return LOG_LO, LOG_HI
    lo = min(max(math.floor(math.log10(values.min())), -12), 10)
    hi = min(max(math.ceil(math.log10(values.max())), lo + 1), 12)
    if hi - lo < MIN_DECADES:
        lo = hi - MIN_DECADES
    return float(lo), float(hi)


def _decade(log: float) -> str:
    """A decade's label as the charts' axes write it: '0.01', '100', '1e-6'."""
    return tick_label(10.0 ** int(log), 4)


def _layer_label(index: int, count: int) -> str:
    """'L1 (in)', 'L2', …, 'L7 (out)': layers counted from the input, as in the lessons."""
    if count > 1 and index == 0:
        return "L1 (in)"
    if count > 1 and index == count - 1:
        return f"L{count} (out)"
    return f"L{index + 1}"


def _fmt(value: float) -> str:
    if not math.isfinite(value):
        return "NaN" if value != value else "Inf"
    return f"{value:.1e}"



def _ratio(a: float, b: float, width: int | None = None) -> str:
    """a / b, short (in `width` characters if given): how many times larger L1's gradient norm is than the last
    layer's."""
    a, b = float(a), float(b)
    if not (math.isfinite(a) and math.isfinite(b)) or b == 0:
        return "—"
    r = a / b
    if width is not None:
        return fmt_short(r, width)
    return f"{r:.2g}" if 0.01 <= r < 1000 else f"{r:.1e}"
