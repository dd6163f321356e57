"""The variants table: one row per run with its color, settings, current loss and status.

Drawn with Textual's line API rather than DataTable: DataTable repaints the whole table when one cell
changes (3 KB to the terminal per update at 120x40), this one repaints the cells whose text changed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.geometry import Size
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ...claims import late_mean
from ...runner import View
from ...ui.draw.palette import STATUS_STYLES, variant_color
from ...ui.draw.raster import cut_label, fmt_num, starts_apart
from ...ui.panel import Panel, refresh_changed

UPDATE_SECONDS = 0.5  # live numbers at 2 Hz: digits that change five times a second are hard to read
PADDING = 1  # cells each side of a column (a compact table keeps one cell between columns)


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int
    justify: str = "left"
    short: str = ""       # the title in a table too narrow for whole labels ("": the same)
    short_width: int = 0  # the column's width then (0: the same)

    def compact(self) -> Column:
        return replace(self, title=self.short or self.title, width=self.short_width or self.width)


SETTING_COLUMNS = {"train.lr": "lr", "train.batch_size": "batch_size", "train.optimizer": "optimizer",
                   "train.momentum": "momentum", "model.activation": "activation", "model.init": "init"}


def live_columns(scenario, per_step: list[int]) -> tuple[str, ...]:
    """The measured columns worth a place for this scenario, in order."""
    trains = [v.train for v in scenario.variants]
    datasets = [v.dataset for v in scenario.variants]
    held_out = any(len(ds.x_val) for ds in datasets)
    wanted = [
        ("lr now", any(t.schedule != "constant" for t in trains)),  # a schedule moves it
        ("device", any(t.device is not None for t in trains)),      # runs differ in device …
        ("steps/s", any(t.device is not None for t in trains)),     # … and in speed
        # generalization: the loss on unseen data, and how far above the training loss it is
        ("val loss", held_out), ("gap", held_out),
        ("accuracy", any(ds.task != "regression" for ds in datasets)),  # classification: how much it gets right
        ("val acc", held_out and any(ds.task != "regression" for ds in datasets)),
        ("zero w", any(t.l1 for t in trains)),  # L1: the weights it made exactly zero
    ]
    live = tuple(name for name, shown in wanted if shown)
    if any(m.name == "mean_loss" for check in scenario.checks for m in check.claim.measures):
        live += ("mean loss",)  # the level the lesson's claims compare noisy runs on, not the last loss
    elif scenario.view.above_floor:  # the loss panel draws each run's loss less the best possible: its numbers
        live += ("above best",)      # beside the loss's (lr_sweep's table said 0.9661 beside a curve at 0.042)
    compared = any({"train.batch_size", "train.accumulate"} & set(v.changed) for v in scenario.variants)
    if compared and len(set(per_step)) > 1:  # a lesson about batch sizes: what each run has cost so far
        live += ("samples",)
    return live


class VariantsTable(Panel, ScrollView, can_focus=False):  # nothing to select: it only reports
    COMPONENT_CLASSES = {"variants--header", "variants--even-row"}

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        """The settings the scenario sweeps (lr if none), and measured columns worth a place: the lr when a
        schedule moves it, the device and steps/s when runs differ in device."""
        fields = [f for f in scenario.sweep_fields if f in SETTING_COLUMNS] or ["train.lr"]
        per_step = [v.batch_size * v.train.accumulate for v in scenario.variants]
        # of the gap and the validation loss (each implies the other beside the loss), a short table keeps the one
        # the lesson's claims compare more often: data_size's gaps, overfitting's validation losses
        measured = [m.name for check in scenario.checks for m in check.claim.measures]
        gap_first = measured.count("gap") > sum(measured.count(n) for n in ("val_loss", "min_val_loss"))
        return cls([SETTING_COLUMNS[f] for f in fields], [v.label for v in scenario.variants],
                   [v.settings() for v in scenario.variants], live_columns(scenario, per_step), per_step=per_step,
                   derived=DERIVED_GAP_KEPT if gap_first else DERIVED, **kwargs)

    def __init__(self, columns: list[str], labels: list[str], settings: list[dict], live: tuple[str, ...] = (),
                 per_step: list[int] | None = None, derived: dict[str, int] | None = None, title: str = "Variants",
                 loss_title: tuple[str, str] = ("train loss", "loss"), **kwargs):
        """`title`: its border's (a watched script's runs are no lesson's variants); `loss_title`: the loss column's
        heading, whole and short (a watched run's loss is its steps' moving average: "avg loss")."""
        super().__init__(**kwargs)
        self.table_title = title
        self.derived = DERIVED if derived is None else derived  # the measured columns a short table drops, in order
        self.settings_columns = columns
        self.per_step = per_step or [0] * len(labels)  # samples a step of each run takes (the "samples" column)
        self.live_columns = live  # measured as training runs: "lr now", "device", "steps/s"
        label_width = self._label_width = min(max(len("variant") - 3, *(len(label) for label in labels)), 28) + 3
        measured = [Column(c, c, max(len(c), 8, LIVE_WIDTH[c]), "right", LIVE_SHORT[c],
                           max(len(LIVE_SHORT[c]), LIVE_WIDTH[c]))
                    for c in live]
        self._columns = [Column("label", "variant", label_width),  # every column at its fullest (_fit picks)
                         *(Column(c, c, max([len(c)] + [len(_setting(s.get(c))) for s in settings]), "right")
                           for c in columns),
                         *(c for c in measured if c.key not in AFTER_LOSS),
                         # not beside the mean the claims compare: the last noisy step's loss ranked batch 8
                         # above batch 1 there, against the claims (batch_size; "last loss" read so too)
                         *([] if "mean loss" in live else [Column("loss", loss_title[0], 10, "right", loss_title[1], 8)]),
                         *(c for c in measured if c.key in AFTER_LOSS), Column("status", "status", len("status"))]
        self.columns = list(self._columns)
        self._rows: list[list[Text]] = [[Text(label)] + [Text("")] * (len(self.columns) - 1) for label in labels]
        # settings every run shares (a lone run's all), or that each run's label already names ("lr=0.0005"): the
        # first to go when the table is too narrow (lr_sweep's labels had been cut to "lr=0.0…" beside its lr column)
        self._shared = {c for c in columns if len({_setting(s.get(c)) for s in settings}) == 1
                        or all(_setting(s.get(c)) in label for s, label in zip(settings, labels))}
        self._hidden: set[str] = set()
        self._starts_apart = starts_apart(labels)  # (how a label too long for its column is cut)
        self._pads = (PADDING, PADDING)  # cells left and right of each column
        self._strips: list[Strip] = []
        self._key: tuple | None = None
        self._statuses: tuple[str, ...] = ()
        self._updated = 0.0

    def on_mount(self) -> None:
        self.border_title = self.table_title
        self._update_size()

    def cell(self, row: int, column: str) -> str:
        """The text shown in a row's column."""
        return self._rows[row][[c.key for c in self.columns].index(column)].plain

    def show(self, view: View) -> None:
        now = time.monotonic()
        statuses = tuple(run.status for run in view.runs)
        if view.playing and statuses == self._statuses and now - self._updated < UPDATE_SECONDS:
            return
        self._statuses, self._updated = statuses, now
        self._rows = [self._row(view, i) for i in range(len(view.runs))]
        self._update_size()
        self._redraw()

    def _row(self, view: View, i: int) -> list[Text]:
        run = view.runs[i]
        status = run.status if view.state != "loading" else "waiting"
        label = (f"diverged @{run.diverged_at}" if status == "diverged" else
                 f"stopped @{run.stopped_at}" if status == "stopped" and run.stopped_at is not None else
                 f"best @{run.best_step} kept" if status == "stopped" else
                 # "learning" at ✓ done read as unfinished, and "falling" beside 100% accuracy as failing
                 "improving" if status == "learning" and view.finished else status)
        cells = {"label": Text.assemble(("━━ ", variant_color(i)), run.label),
                 **{c: Text(_setting(run.settings.get(c))) for c in self.settings_columns},
                 **{c: Text(_live(run, c, self.per_step[i])) for c in self.live_columns},
                 "loss": Text("—" if run.loss != run.loss and run.diverged_at is None else fmt_num(run.loss)),  # not yet
                 "status": Text(label, style=STATUS_STYLES[status])}
        return [cells[c.key] for c in self._columns]

    # ------------------------------------------------------------------ drawing

    def _fit(self) -> None:
        """The status column as wide as the statuses shown; then narrow the label column (to no less than 10 cells)
        when the table is wider than the panel: a label's end gives way before a number or a status is cut (at 80
        columns "converged" read "conve"), and a scroll bar never takes a row from the plots."""
        status = self._columns[-1]
        columns = [*self._columns[:-1], replace(status, width=max(len(status.title),
                                                                   *(row[-1].cell_len for row in self._rows)))]
        self._hidden = set()
        self._pads = (PADDING, PADDING)
        if self.size.width and self._spare(columns) < self._label_width:  # whole labels before the rest:
            self._hidden = set(self._shared)  # settings every run shares go first,
        if self.size.width and self._spare(columns) < self._label_width:  # then the titles shorten ("acc")
            columns = [columns[0], *(c.compact() for c in columns[1:])]  # and one cell parts the columns
            self._pads = (0, PADDING)
        for derived, keep_label in self.derived.items():  # then what the others imply or another panel shows
            if self.size.width and self._spare(columns) < min(keep_label, self._label_width):
                self._hidden.add(derived)
        width = (max(min(10, self._label_width), min(self._label_width, self._spare(columns))) if self.size.width
                 else self._label_width)
        self.columns = [replace(columns[0], width=width), *columns[1:]]

    def _spare(self, columns: list[Column]) -> int:
        """Cells left for the label column beside the other columns shown."""
        pads = sum(self._pads)
        return self.size.width - sum(c.width + pads for c in columns[1:] if c.key not in self._hidden) - pads

    def _shown(self) -> list[Column]:
        return [c for c in self.columns if c.key not in self._hidden]

    def _update_size(self) -> None:
        self._fit()
        size = Size(sum(c.width + sum(self._pads) for c in self._shown()), len(self._rows) + 1)
        # a table that fits has no scroll bar (Textual kept one, and its row, from a width before the fit)
        overflow = "auto" if self.size.width and size.width > self.size.width else "hidden"
        if self.styles.overflow_x != overflow:
            self.styles.overflow_x = overflow
        if size != self.virtual_size:
            self.virtual_size = size
            self.refresh(layout=True)

    def _redraw(self) -> None:
        """Rebuild the strips; repaint only the cells whose text changed (all of them after a resize,
        a scroll or a new theme)."""
        key = (self.size, self.scroll_offset, self.app.theme)
        before = self._strips
        self._strips = self._build()
        if key != self._key or len(before) != len(self._strips):
            self._key = key
            self.refresh()
            return
        refresh_changed(self, before, self._strips, *self.scroll_offset)

    def _build(self) -> list[Strip]:
        base = self.rich_style
        header = base + self._component("variants--header")
        even = base + self._component("variants--even-row")
        width = self.virtual_size.width
        strips = [self._line([Text(c.title) for c in self.columns], header, width)]
        strips += [self._line(row, even if i % 2 else base, width) for i, row in enumerate(self._rows)]
        return strips

    def _component(self, name: str) -> Style:
        try:
            return self.get_component_rich_style(name)
        except KeyError:  # CSS not applied yet (a frame can arrive first): notify_style_update redraws
            return Style()

    def _line(self, cells: list[Text], style: Style, width: int) -> Strip:
        left, right = (Segment(" " * n, style) for n in self._pads)
        segments = []
        for column, text in zip(self.columns, cells):
            if column.key not in self._hidden:
                segments += [left, *self._aligned(text, column, style), right]
        return Strip(segments).adjust_cell_length(max(width, self.size.width), style).simplify()

    def _aligned(self, text: Text, column: Column, style: Style) -> list[Segment]:
        """A cell's segments, padded to the column's width on the side its justification leaves free."""
        text = text.copy()
        if column.key == "label" and text.cell_len > column.width:  # its swatch, and the name cut as a curve's
            # end label is (at 80x24 features_vs_depth's table read "no hidden, + …", the words telling runs apart gone)
            text = text[:3] + Text(cut_label(text.plain[3:], column.width - 3, self._starts_apart))
        text.truncate(column.width, overflow="ellipsis")
        gap = Segment(" " * (column.width - text.cell_len), style)
        if text.style:  # Text.render drops the text's own style (it keeps only its spans' styles)
            style = style + self.app.console.get_style(text.style)
        segments = [Segment(s.text, style + s.style if s.style else style)
                    for s in text.render(self.app.console, end="")]
        return [gap, *segments] if column.justify == "right" else [*segments, gap]

    def render_line(self, y: int) -> Strip:
        x0, y0 = self.scroll_offset
        line = y + y0
        if line >= len(self._strips):
            return Strip.blank(self.size.width, self.rich_style)
        return self._strips[line].crop(x0, x0 + self.size.width)

    def on_resize(self) -> None:
        self._update_size()
        self._redraw()

    def watch_scroll_x(self, old: float, new: float) -> None:
        super().watch_scroll_x(old, new)
        self._redraw()

    def watch_scroll_y(self, old: float, new: float) -> None:
        super().watch_scroll_y(old, new)
        self._redraw()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted:
            self._key = None
            self._redraw()


def _setting(value) -> str:
    if isinstance(value, float):
        return f"{value:g}"  # settings are typed by people: show them as written (0.0005)
    return "" if value is None else str(value)


# a live column's title and width in a table too narrow for whole labels ("lr now" stays: a bare "lr" read as the
# setting, 0.08 in one table and 0.00216 in a narrower one)
LIVE_SHORT = {"lr now": "lr now", "device": "dev", "steps/s": "step/s", "val loss": "val", "gap": "gap",
              "accuracy": "acc", "val acc": "v.acc", "zero w": "zeros", "mean loss": "mean", "samples": "seen", "above best": "above"}
# "1.5e-05", "cuda", "100.0%", "+0.0123", "100%"
LIVE_WIDTH = {"lr now": 8, "device": 4, "steps/s": 6, "val loss": 8, "gap": 7, "accuracy": 6, "val acc": 6,
              "zero w": 5, "mean loss": 8, "samples": 7, "above best": 9}
# measured columns the first to go, in this order, and the label width kept before each goes: the gap is the
# two losses' difference (it goes before a label is cut); the validation loss is on the loss panel, but a
# table of training losses alone says the opposite of a regularization lesson (labels are cut first)
DERIVED = {"samples": 12, "gap": 99, "val loss": 10}  # samples: what a batch-size lesson's runs cost, kept while
# labels keep 12 cells (at 80x24 batch_size had lost it, and half its point); the gap: at 80x24 it had stayed and
# the validation loss overfitting's claims compare had gone
DERIVED_GAP_KEPT = {"samples": 12, "val loss": 99, "gap": 10}  # a lesson whose claims compare gaps (data_size)
AFTER_LOSS = ("above best", "mean loss", "val loss", "gap", "accuracy", "val acc", "zero w")  # measured columns shown right of the loss
LIVE_COLUMNS = {  # measured as training runs, from (the run, the samples its step takes); a name not here is a KeyError
    "lr now": lambda run, _: fmt_num(run.lr) if run.lr == run.lr else "",
    "device": lambda run, _: run.device,
    "steps/s": lambda run, _: f"{run.rate:,.0f}" if run.rate == run.rate else "",
    "accuracy": lambda run, _: f"{run.accuracy:.1%}" if run.accuracy == run.accuracy else "—",
    "val acc": lambda run, _: f"{run.val_accuracy:.1%}" if run.val_accuracy == run.val_accuracy else "—",
    "val loss": lambda run, _: fmt_num(run.val_loss) if run.val_loss == run.val_loss else "—",
    # validation − training: how much worse the model does on data it has not trained on
    "gap": lambda run, _: _gap(run.val_loss - run.loss),
    "zero w": lambda run, _: _share(run.zero_weights, run.weight_count),
    # the claims' mean_loss: the mean training-split loss over the last half of the steps so far
    "mean loss": lambda run, _: _mean_loss(run),
    # the training loss less the lowest the model can reach: what the loss panel draws (view.above_floor)
    "above best": lambda run, _: fmt_num(run.loss - run.floor) if run.loss - run.floor >= 0 else "—",
    # steps × the samples a step takes: what each run has cost so far (a lesson about batch sizes)
    "samples": lambda run, per_step: _count(run.step * per_step),
}


def _mean_loss(run) -> str:
    if run.train_steps is None or run.train_losses is None:
        return "—"
    mean = late_mean(run.train_steps, run.train_losses)
    return fmt_num(mean) if mean == mean else "—"


def _count(n: int) -> str:
    """Samples seen so far, in at most 7 cells: 153,600 or 1.54M."""
    return f"{n:,}" if n < 10_000_000 else f"{n / 1e6:.3g}M"


def _gap(gap: float) -> str:
    """Three decimals in every row, so the gaps line up and compare at a glance ("+0.129", "+0.035")."""
    if gap != gap:
        return "—"
    if abs(gap) < 0.0005:  # equal to three decimals: not "-0.000"
        return "0.000"
    return f"{gap:+.3f}" if abs(gap) < 1000 else f"{gap:+.3g}"


def _share(part: int, whole: int) -> str:
    """A count as a percentage of `whole` that never rounds a few to 0% or nearly all to 100%."""
    if not whole:
        return "—"
    if 0 < part < whole / 100:
        return "<1%"
    if whole - whole / 100 < part < whole:
        return ">99%"
    return f"{part / whole:.0%}"


def _live(run, column: str, per_step: int = 0) -> str:
    return LIVE_COLUMNS[column](run, per_step)
