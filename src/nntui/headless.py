"""Headless runs: no TUI, works with no TTY. Progress on stderr, summary + chart on stdout, JSON on request."""

from __future__ import annotations

import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import partial
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from .errors import NntuiError, printable
from .files import write_atomically
from .record import History, dumps, json_number
from .runner import judge_expression
from .scenario import Scenario

PLAIN_MARKERS = "ox+*#@%=~^sdvhak"
CHUNK = 50  # steps between frames: fixed, so the record is the same run after run


def train(scenario: Scenario, device: str | None, progress: Progress | None = None, panels: tuple[str, ...] = ()):
    """Train every variant to the end, measuring what `panels` draw too; returns (engine, history, complete). The engine
    is None when an interrupt came before it was built (while PyTorch loads): the history is then empty."""
    history = History.for_scenario(scenario)
    engine = None
    try:
        from .engine import Engine  # torch loads here, not at CLI start-up

        engine = Engine(scenario, device, panels=panels)
        history.add(engine.frame())
        task = progress.add_task(scenario.name, total=scenario.max_steps) if progress else None
        while not engine.finished:
            engine.advance(CHUNK)
            history.add(engine.frame())
            if progress is not None and task is not None:  # (a task exactly when there is a progress bar)
                progress.update(task, completed=engine.step)
    except KeyboardInterrupt:
        return engine, history, False
    return engine, history, True


def judge(scenario: Scenario, device: str | None) -> tuple[list[str], bool]:
    """Train the scenario headless (a graph lesson: evaluate its expression) and judge its claims: one line per
    claim, and whether all passed."""
    if scenario.expression is not None:
        from .engine import resolve_device
        from .engine.expression import evaluate

        lesson = scenario.expression
        result = evaluate(lesson.graph, lesson.values, resolve_device(device or scenario.meta.device))
        return _verdict_lines(scenario.checks, judge_expression(scenario, result))
    _, history, complete = train(scenario, device)
    if not complete:
        raise KeyboardInterrupt
    return _verdict_lines(history.checks, history.verdicts)


def _verdict_lines(checks, verdicts) -> tuple[list[str], bool]:
    lines = []
    for check, verdict in zip(checks, verdicts):
        when = "end" if check.at is None else f"step {check.at}"
        mark = "?" if verdict is None else "✓" if verdict.passed else "✗"
        lines.append(f"{mark} {when}: {check.say} ({'not judged' if verdict is None else verdict.shown})"
                     + ("" if verdict is None or verdict.passed else f"  [{check.claim.text}]"))
    return lines, all(v is not None and v.passed for v in verdicts)


def record_of(scenario: Scenario, engine, history: History, complete: bool, neurons: bool = False,
              device: str | None = None) -> dict:
    """The run's JSON record; with no engine (interrupted while PyTorch loaded), its empty history."""
    return history.to_record(scenario=scenario.name, title=scenario.title,
                             device=engine.device if engine is not None else device or scenario.meta.device,
                             seed=scenario.meta.seed, parameters=engine.final_parameters() if engine else None,
                             complete=complete, neurons=neurons and engine is not None)


def _last(series) -> float:
    return series.last[1] if series.last else math.nan


def _percent(value: float) -> str:
    """A fraction as a percentage; "–" where a run has none (a watched script gave one run's and not another's)."""
    return f"{value:.1%}" if value == value else "–"


def _status_cell(h) -> str:
    """A run's status, with the step it diverged or stopped at."""
    latest = h.latest
    if latest is not None and latest.diverged_at is not None:
        return f"{h.status} @{latest.diverged_at}"
    if latest is not None and latest.stopped_at is not None:
        return f"stopped @{latest.stopped_at} (best {latest.best_step})"
    if h.status == "stopped" and latest is not None:  # patience never ran out; the best weights are back
        return f"best @{latest.best_step} kept"
    return h.status


SUMMARY_CELLS: dict[str, Callable[[Any], str]] = {  # a column of the summary table: a run's history → its cell
    "variant": lambda h: h.label, "lr": lambda h: f"{h.settings['lr']:g}",
    "batch": lambda h: str(h.settings["batch_size"]), "optimizer": lambda h: h.settings["optimizer"],
    "steps": lambda h: str(h.latest.step if h.latest else 0), "final loss": lambda h: f"{h.current_loss:.4g}",
    "val loss": lambda h: f"{_last(h.val_loss):.4g}", "gap": lambda h: f"{_last(h.val_loss) - h.current_loss:+.3g}",
    "accuracy": lambda h: _percent(_last(h.accuracy)), "val acc": lambda h: _percent(_last(h.val_accuracy)),
    "status": _status_cell,
    # a watched script's run: its last step's loss (the record's final_loss) and the moving average it is judged on
    "last loss": lambda h: f"{_last(h.loss):.4g}", "avg loss": lambda h: f"{h.current_loss:.4g}",
}


def summary_table(history: History, dot: str = "·", watched: bool = False) -> Table:
    """Each run's settings, losses and status; a setting every run shares is left out (it tells them apart
    from nothing, and an 80-column pipe needs the room for the numbers)."""
    table = Table(title="Final state", title_justify="left", box=box.SIMPLE_HEAD, show_edge=False, padding=(0, 1, 0, 0))
    cells = SUMMARY_CELLS
    # a setting every run shares (every setting, for one run) is said once, in the title: a pipe's 80 columns
    # are kept for the numbers
    shared = [c for c in ("lr", "batch", "optimizer") if len({cells[c](h) for h in history.runs}) == 1]
    if shared:
        table.title = f"Final state {dot} " + ", ".join(f"{c} {cells[c](history.runs[0])}" for c in shared)
        table.min_width = len(table.title)  # (a title wraps at the table's width: one line, however few columns)
    header = [*_summary_columns(history, shared), "status"]
    if watched:  # (the whole split's loss a lesson compares is, for a watched run, its steps' moving average)
        k = header.index("final loss")
        header[k:k + 1] = ["last loss", "avg loss"]
    rows = [[cells[c](h) for c in header] for h in history.runs]
    least = 0
    for k, col in enumerate(header):
        # no cell is ever cut: a column is at least as wide as its longest word (a number is one word)
        widest = max(len(word) for row in (header, *rows) for word in row[k].split() or [""])
        # (no_wrap: Rich's collapse narrows the widest columns first, whatever their min_width: "overfitting" was
        # cut to "overfitti"; only a header of two words may wrap, onto two lines)
        table.add_column(col, justify="left" if col in ("variant", "optimizer", "status") else "right",
                         min_width=widest, no_wrap=" " not in col)
        least += widest + 2  # (and its padding and the space between columns)
    table.min_width = max(table.min_width or 0, least)  # the width the table is printed at, if wider than the terminal
    for row in rows:
        table.add_row(*row)
    return table


def _summary_columns(history: History, shared: list[str]) -> list[str]:
    """The summary's columns before the status: the settings that differ, the losses, and where the runs have
    them, the validation loss and gap and the accuracies."""
    held_out = any(h.val_loss.last for h in history.runs)
    classifies = any(h.accuracy.last for h in history.runs)
    columns = [c for c in ("variant", "lr", "batch", "optimizer", "steps", "final loss") if c not in shared]
    columns += ["val loss", "gap"] if held_out else []
    columns += ["accuracy"] + (["val acc"] if held_out else []) if classifies else []
    return columns


def loss_chart(history: History, *, log_y: bool, color: bool, width: int = 100, height: int = 22) -> str:
    """The runs' training-split losses as a plotext chart. A log axis is drawn as log10 of the loss on a linear
    axis, ticked as the app's axis is and labelled as losses (1, 0.1, 1e-3): plotext's own log axis labels
    arbitrary values with dozens of decimals."""
    import plotext as plt

    plt.clear_figure()
    plt.plotsize(width, height)
    plt.theme("pro" if color else "clear")
    plt.title("Loss" + (" (log scale)" if log_y else ""))
    plt.xlabel("step")
    drawn, last_step = _plot_losses(plt, history, log_y, color)
    if not drawn:  # every run diverged before its first finite whole-split loss (plotext fails on no data)
        if not any(h.latest is not None and (h.latest.step or h.latest.diverged_at is not None) for h in history.runs):
            return "Loss: no loss to chart (no step was trained)"
        return "Loss: no finite loss to chart (every run diverged at once)"
    _loss_ticks(plt, drawn, log_y, height)
    step = _nice_step(last_step / 4) if last_step else 1
    plt.xticks([k * step for k in range(int(last_step // step) + 1)])
    text = plt.build()
    return text if color else plt.uncolorize(text)


def _plot_losses(plt, history: History, log_y: bool, color: bool) -> tuple[list[np.ndarray], int]:
    """Each run's finite (and on a log axis, positive) training-split losses, plotted: the values drawn (log10 on
    a log axis) and the last step drawn."""
    from .ui.draw.palette import variant_rgb

    drawn: list[np.ndarray] = []
    last_step = 0
    for i, h in enumerate(history.runs):
        steps, losses = h.train_loss.points()  # the loss the runs are compared on (as in the app)
        ok = np.isfinite(losses) & ((losses > 0) if log_y else True)
        if not ok.any():
            continue
        ys = np.log10(losses[ok]) if log_y else losses[ok]
        # without color (pipes, logs), each run gets its own marker character instead
        plt.plot(steps[ok].tolist(), ys.tolist(), label=h.label, color=variant_rgb(i) if color else "default",
                 marker="braille" if color else PLAIN_MARKERS[i % len(PLAIN_MARKERS)])
        drawn.append(ys)
        last_step = max(last_step, int(steps[ok].max()))
    return drawn, last_step


def _loss_ticks(plt, drawn: list[np.ndarray], log_y: bool, height: int) -> None:
    """The app's axis (ui/draw/axis.py) on the chart: decades or doublings, round linear steps; not plotext's."""
    from .ui.draw.axis import scale, tick_label

    low, high = min(float(y.min()) for y in drawn), max(float(y.max()) for y in drawn)
    if log_y:
        axis = scale(10.0 ** low, 10.0 ** max(high, low + 1), max(height - 6, 3), log=True, label_width=6)
        plt.ylim(math.log10(axis.lo), math.log10(axis.hi))
        plt.yticks([math.log10(v) for _, v in axis.ticks], [tick_label(v, 6) for _, v in axis.ticks])
    else:
        axis = scale(min(0.0, low), high, max(height - 6, 3), label_width=6)
        plt.ylim(axis.lo, axis.hi)
        plt.yticks([v for _, v in axis.ticks], [tick_label(v, 6) for _, v in axis.ticks])


def _nice_step(raw: float) -> float:
    """1, 2 or 5 times a power of ten, the smallest at least `raw` (tick spacing a reader can add up)."""
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 5, 10) if m * power >= raw)


def expression_record(scenario: Scenario, device: str | None) -> tuple[dict, Table]:
    """A graph lesson: torch evaluates the expression; the record holds every node."""
    from .engine import resolve_device
    from .engine.expression import evaluate
    from .record import json_number

    lesson = scenario.expression
    assert lesson is not None  # run_headless calls this for graph lessons only
    dev = resolve_device(device or scenario.meta.device)
    result = evaluate(lesson.graph, lesson.values, dev)
    graph = lesson.graph
    nodes = []
    table = Table(title=f"{lesson.output} = {graph.text}", title_justify="left")
    for col in ("node", "op", "inputs", "value", f"∂{lesson.output}/∂node"):
        table.add_column(col, justify="right" if col in ("value",) or col.startswith("∂") else "left")
    for n, value, grad in zip(graph.nodes, result.values, result.grads):
        name = lesson.output if n.id == graph.output else (n.name or n.label)
        nodes.append({"id": n.id, "label": name, "op": n.op, "inputs": list(n.inputs),
                      "value": json_number(value), "grad": json_number(grad)})
        table.add_row(name, n.op, ", ".join(str(i) for i in n.inputs), f"{value:.6g}",
                      "—" if result.constant[n.id] else f"{grad:.6g}")
    record = {"nntui_record": 1, "scenario": scenario.name, "title": scenario.title, "device": dev,
              "seed": scenario.meta.seed, "complete": True, "runs": [],
              "graph": {"expression": graph.text, "output": lesson.output, "values": lesson.values, "nodes": nodes}}
    return record, table


def write_csv(history: History, path: Path) -> None:
    """The loss history in long form: one row per (run, step, split); NaN/Inf written as nan/inf."""
    import csv
    import io

    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(["variant", "step", "split", "loss", "accuracy"])
    for h in history.runs:  # batch: each step's mini-batch; train and validation: the whole split
        for split, series, acc in (("batch", h.loss, None), ("train", h.train_loss, h.accuracy),
                                   ("validation", h.val_loss, h.val_accuracy)):
            steps, losses = series.points()
            # classification: the split's accuracy where it was measured at that step, else empty
            right = dict(zip(*(a.tolist() for a in acc.points()))) if acc is not None else {}
            writer.writerows((h.label, int(s), split, repr(float(v)), repr(right[s]) if s in right else "")
                             for s, v in zip(steps.tolist(), losses))
    write_atomically(path, text.getvalue())


def _write(flag: str, path: Path, write) -> None:
    try:
        write()
    except OSError as exc:
        raise NntuiError(f"{flag}: could not write '{path}': {exc.strerror or exc}") from None


STOPPING = (signal.SIGTERM, signal.SIGHUP)  # a scheduler's kill, a dropped SSH session: both end like Ctrl+C


def run_headless(scenario: Scenario, *, device: str | None, out: Path | None, csv: Path | None = None,
                 neurons: bool = False,
                 stdout: TextIO = sys.stdout, stderr: TextIO = sys.stderr) -> int:
    """The `nntui run --headless` command; returns the exit code.

    The record and the CSV are written before anything goes to stdout or stderr: a pipe closed early
    (`| head`), a terminal that hung up or a stdout that cannot encode the chart never costs them. SIGTERM and
    SIGHUP end training like Ctrl+C: what was trained is written, marked incomplete. A file that cannot be
    written (a full disk) does not stop the others: each failure is one line, and the exit code is 2."""
    err = _Stdout(file=stderr)
    console = _Stdout(file=stdout, highlight=False)
    if scenario.expression is not None:
        record, table = expression_record(scenario, device)
        if out is not None:
            _write("--out", out, lambda: write_atomically(out, dumps(record) + "\n"))
            err.print(f"wrote {printable(str(out))}", markup=False)
        console.print(table)
        return 0
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
               TimeElapsedColumn())
    progress = Progress(*columns, console=err, transient=False, disable=not err.is_terminal)
    with _stop_signals_as_interrupt() as stops:
        try:
            progress.start()
            engine, history, complete = train(scenario, device, progress, ("neurons",) if neurons else ())
        finally:
            stops.training = False
            with suppress(OSError):  # a terminal that hung up: the bar has nowhere to go
                progress.stop()
        outputs: tuple[tuple[str, Path | None, Callable[[Path], None]], ...] = (
            ("--out", out, lambda path: write_atomically(path, dumps(record_of(
                scenario, engine, history, complete, neurons, device)) + "\n")),
            ("--csv", csv, lambda path: write_csv(history, path)))
        said, failed = _write_outputs(outputs, complete)
        if not err.is_terminal:
            steps = engine.step if engine is not None else 0
            where = engine.device if engine is not None else device or scenario.meta.device
            err.print(f"{printable(scenario.name)}: trained {steps} step{'s' * (steps != 1)} on {where}"
                      + ("" if complete else " (interrupted)"), markup=False)
        for line in said:
            err.print(line, markup=False, soft_wrap=True)
        _print_summary(console, history, scenario.view.log_y, stdout)
        for line in failed:
            err.print(line, markup=False, soft_wrap=True)  # one line, however long the path
    if not complete:
        return 128 + (stops.received[0] if stops.received else signal.SIGINT)
    if failed:
        return 2
    diverged = sum(1 for h in history.runs if h.latest and h.latest.diverged_at is not None)
    if diverged:
        err.print(f"{diverged} of {len(history.runs)} runs diverged (see the status column)")
    return 0


def view_headless(runner, *, out: Path | None, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """`nntui view LOG… --headless`: the watched runs' summary and loss chart, and their JSON record (the record
    of a scenario run, its source the logs); returns the exit code."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr  # (as they are now, not at import)
    err = _Stdout(file=stderr)
    console = _Stdout(file=stdout, highlight=False)
    runner.load()
    history = runner.history
    if not history.runs:
        raise NntuiError(f"{runner.readers[0].path}: the log has no header line yet; is the script still starting?")
    complete = all(r.ended is not None for r in runner.readers)
    paths = [str(r.path) for r in runner.readers]
    devices = ", ".join(dict.fromkeys(str((r.header or {}).get("device", "?")) for r in runner.readers))

    def record(path: Path) -> None:
        made = history.to_record(scenario=" ".join(paths), title="nntui.watch", device=devices, seed=0,
                                 complete=complete)
        made.update(seed=None, source="nntui.watch", logs=paths,
                    ended=[r.ended for r in runner.readers])  # "closed", "interrupted", "error: …" or null: live
        for run, h in zip(made["runs"], history.runs):  # the script's last loss, as it was (train_loss: the average)
            run["final_loss"] = json_number(h.loss.last[1]) if h.loss.last else None
        write_atomically(path, dumps(made) + "\n")

    said, failed = _write_outputs((("--out", out, record),), True)
    for line in said:
        err.print(line + ("" if complete else " (a script is still writing its log: the record so far)"),
                  markup=False, soft_wrap=True)
    _print_summary(console, history, True, stdout, watched=True)
    for line in failed:
        err.print(line, markup=False, soft_wrap=True)
    return 2 if failed else 0


def _write_outputs(outputs, complete: bool) -> tuple[list[str], list[str]]:
    """Each (flag, path or None, writer) written where a path is given: the lines saying so, and the one-line
    failures (a file that cannot be written does not stop the others)."""
    incomplete = "" if complete else " (incomplete: interrupted)"
    said, failed = [], []
    for flag, path, write in outputs:
        if path is not None:
            try:
                _write(flag, path, partial(write, path))
                said.append(f"wrote {printable(str(path))}{incomplete}")
            except NntuiError as exc:
                failed.append(str(exc))
    return said, failed


def _print_summary(console: Console, history: History, log_y: bool, stdout: TextIO, watched: bool = False) -> None:
    """The summary table and the loss chart, on stdout."""
    chart = loss_chart(history, log_y=log_y, color=console.is_terminal, width=min(console.width, 120))
    table = summary_table(history, dot=encodable("·", stdout).replace("?", "-"), watched=watched)
    # a terminal too narrow for the table gets it at its own width, lines wrapped by the terminal: a number
    # cut to its first digits ("2.805e") reads as another number
    terminal = console.width
    console.width = max(terminal, table.min_width or 0)  # (print's own width is capped at the console's)
    console.print(table)
    console.width = terminal
    console.print(encodable(chart, stdout), markup=False, highlight=False, soft_wrap=True)


class _Stops:
    """The stopping signals received; while `training`, the first one raises KeyboardInterrupt (as Ctrl+C
    does), after it they are only noted: the record being written is finished first."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self.training = True

    def __call__(self, signum, _frame) -> None:
        self.received.append(signum)
        if self.training:
            self.training = False
            raise KeyboardInterrupt


@contextmanager
def _stop_signals_as_interrupt() -> Iterator[_Stops]:
    """Within: SIGTERM and SIGHUP end training as Ctrl+C does (see _Stops)."""
    stops = _Stops()
    if threading.current_thread() is not threading.main_thread():  # only the main thread can take signals
        yield stops
        return
    previous = {number: signal.signal(number, stops) for number in STOPPING}
    try:
        yield stops
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


class _Stdout(Console):
    """A console whose reader may go away (`| head -1`, a terminal that hung up): printing then ends quietly
    (rich would exit 1, or raise EIO), since the record is already written."""

    def on_broken_pipe(self) -> None:
        self._silence()

    def print(self, *args, **kwargs) -> None:
        if self.quiet:
            return
        try:
            super().print(*args, **kwargs)
        except OSError:
            self._silence()

    def _silence(self) -> None:
        self.quiet = True
        try:  # later flushes, at exit, must not fail again
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.file.fileno())
        except (OSError, ValueError, AttributeError):
            pass


# the chart's box drawing, for a stdout that cannot encode it (PYTHONIOENCODING=latin-1, a C locale)
_ASCII_BOX = str.maketrans("─━│┃┌┏┐┓└┗┘┛├┣┤┫┬┳┴┻┼╋", "--||++++++++++++++++++")


def encodable(text: str, stream: TextIO) -> str:
    """`text` as the stream can write it: box drawing as ASCII, anything else it lacks as '?'."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
        return text
    except UnicodeEncodeError:
        ascii_box = text.translate(_ASCII_BOX)
        return ascii_box.encode(encoding, errors="replace").decode(encoding)
    except LookupError:
        return text
