"""The log of a learner's own training loop (`nntui.watch`), written and read back as Frames. No torch here.

A log is one file, `LOG_NAME`, in the run's folder: JSON Lines, append-only, each line whole and flushed
when written, so a script killed mid-run leaves every line but the one it was writing (a reader skips a last
line without its newline), and a reader can follow the file while it grows. docs/watch-log.md describes it:

- the first line, the header: {"nntui_log": LOG_VERSION, "name", "device", "every", "params": [[name, shape]…],
  "groups": the optimizer's param groups' settings, "model": the model's class, "started": ISO time};
- then a "steps" line every `every` steps: each step's loss since the last line (a step's loss is the loss of
  the parameters before that update; read back, its moving average is the run's compared loss), each parameter's gradient norm and each group's lr now, the seconds
  trained so far, validation losses and accuracies the script gave, and, when measured, a "probe": the
  weights', activations' and gradients' distributions per layer, each weight matrix's norm and each update's
  share of it;
- an "end" line when the script closes the run (or it ends with an exception or Ctrl+C).

The log stays small however long the run: after `RAW_STEPS` steps the losses are written a bucket of steps at
a time (each bucket's lowest and highest loss), buckets twice as wide at each doubling of the run, and the
probes come half as often each time `PROBES_PER_OCTAVE` have been written at one rate.
"""

from __future__ import annotations

import json
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .errors import NntuiError
from .files import unused_name
from .frames import Distributions, RunFrame
from .smoothing import carried_ema

ANNOUNCE_ENV = "NNTUI_ANNOUNCE"  # set by `nntui watch`: the file each nntui.watch() adds its log's path to (script.py)
LOG_VERSION = 1
LOG_NAME = "nntui.jsonl"
RAW_STEPS = 4096         # every step's loss is written up to here; then min/max buckets, widening with the run
PROBES_PER_OCTAVE = 256  # probes written at one interval before the interval doubles
SMOOTHING = 0.95  # a watched run's compared loss: the EMA of its steps' losses, about 20 steps (in log space)


def log_file(path: Path) -> Path:
    """The log in a run's folder (or the file itself)."""
    return path / LOG_NAME if path.is_dir() or path.suffix != ".jsonl" else path


# ---------------------------------------------------------------------------- numbers as JSON


def _num(v: float) -> float | None:
    """JSON has no NaN/Inf: they are written as null."""
    return float(v) if math.isfinite(v) else None


def _short(v: float) -> float | None:
    """A measured value to 6 significant digits (a histogram's edge, a norm): a third of the bytes of repr."""
    return float(f"{v:.6g}") if math.isfinite(v) else None


def numbers(values, short: bool = False) -> list:
    f = _short if short else _num
    return [f(v) for v in np.asarray(values, np.float64).reshape(-1).tolist()]


def _array(values, shape: tuple[int, ...] | None = None) -> np.ndarray:
    out = np.array([math.nan if v is None else v for v in values], np.float64)
    return out.reshape(shape) if shape is not None else out


def encode_dists(d: Distributions) -> dict[str, Any]:
    out: dict[str, Any] = {"names": list(d.names), "counts": d.counts.astype(np.int64).tolist(),
                           "ranges": numbers(d.ranges, True), "percentiles": numbers(d.percentiles, True)}
    for name in ("nonfinite", "std", "dead", "zeros"):
        value = getattr(d, name)
        if value is not None:
            out[name] = numbers(value, True)
    return out


def decode_dists(obj: dict[str, Any]) -> Distributions:
    n = len(obj["names"])
    counts = np.array(obj["counts"], np.int64).reshape(n, -1) if n else np.zeros((0, 30), np.int64)
    extra = {name: _array(obj[name]) for name in ("nonfinite", "std", "dead", "zeros") if name in obj}
    if "nonfinite" in extra:
        extra["nonfinite"] = extra["nonfinite"].astype(np.int64)
    return Distributions(tuple(obj["names"]), counts, _array(obj["ranges"], (n, 2)),
                         _array(obj["percentiles"], (n, -1)) if n else np.zeros((0, 9)), **extra)


# ---------------------------------------------------------------------------- writing


class LogWriter:
    """Appends whole lines to a run's log. Opened at once, so a folder that cannot be written fails at
    `nntui.watch()`, not at the end of a long run."""

    def __init__(self, log_dir: str | os.PathLike, header: dict[str, Any]):
        folder = Path(log_dir)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / LOG_NAME
            if path.exists():  # an earlier run in the same folder is kept beside it, named by when it was written
                stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(path.stat().st_mtime))
                path.rename(folder / unused_name(folder, f"nntui-{stamp}", ".jsonl"))
            self._file = open(path, "x", encoding="utf-8")  # noqa: SIM115 (kept open for the run)
        except OSError as exc:
            raise NntuiError(f"log_dir {str(folder)!r}: cannot write a log there ({exc.strerror or exc}); "
                             "give nntui.watch a folder you can write to") from None
        self.path = path
        self.write({"nntui_log": LOG_VERSION, **header})

    def write(self, entry: dict[str, Any]) -> None:
        if self._file.closed:
            return
        self._file.write(json.dumps(entry, allow_nan=False, separators=(",", ":")) + "\n")
        self._file.flush()  # whole lines reach the file as written: a reader sees them, a kill keeps them

    def close(self) -> None:
        if not self._file.closed:
            self._file.flush()
            os.fsync(self._file.fileno())
            self._file.close()


# ---------------------------------------------------------------------------- reading


@dataclass
class LogReader:
    """Follows one run's log: each `poll()` turns the lines written since the last into Frames."""

    path: Path
    header: dict[str, Any] | None = None
    ended: str | None = None   # how the script ended the run ("closed", "interrupted", "error: …"), once it has
    sampled: bool = False      # its steps' losses are of different batches (two lines saw different inputs)
    batch_size: int | None = None  # the first dimension of the model's input (as the script last fed it)
    step: int = 0
    last_write: float = 0.0    # when a line last arrived (monotonic seconds)
    _offset: int = 0
    _partial: bytes = b""
    _diverged: int | None = None
    _now: dict[str, Any] = field(default_factory=dict)  # the probe's latest "now" values, repeated in each frame
    _ema: tuple[float, float] = (0.0, 0.0)  # the smoothed loss's running (weighted sum, total weight)
    _log: bool | None = None  # smoothed in log space (a geometric mean: every loss so far above 0)

    @property
    def name(self) -> str:
        return str((self.header or {}).get("name") or self.path.parent.name or self.path.stem)

    def poll(self) -> list[RunFrame]:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(self._offset)
                data = fh.read()
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise NntuiError(f"{self.path}: cannot read the log ({exc.strerror or exc})") from None
        self._offset += len(data)
        lines = (self._partial + data).split(b"\n")
        self._partial = lines.pop()  # a line still being written (or torn by a kill): read once it is whole
        frames = []
        for number, line in enumerate(lines):
            if line.strip():
                frame = self._entry(self._parse(line, number))
                if frame is not None:
                    frames.append(frame)
        if lines:
            self.last_write = time.monotonic()
        return frames

    def _parse(self, line: bytes, number: int) -> dict[str, Any]:
        try:
            entry = json.loads(line)
        except ValueError:
            raise NntuiError(f"{self.path}: a line is not JSON (line {number + 1} of this read); "
                             "is it an nntui log?") from None
        if not isinstance(entry, dict):
            raise NntuiError(f"{self.path}: a line is not a JSON object; is it an nntui log?")
        return entry

    def _entry(self, entry: dict[str, Any]) -> RunFrame | None:
        if self.header is None:
            version = entry.get("nntui_log")
            if not isinstance(version, int):
                raise NntuiError(f"{self.path}: not an nntui log (its first line has no 'nntui_log' version)")
            if version > LOG_VERSION:
                raise NntuiError(f"{self.path}: written by a newer nntui (log version {version}; this one reads "
                                 f"up to {LOG_VERSION}); upgrade nntui: pip install -U nntui")
            self.header = entry
            return None
        kind = entry.get("t")
        if kind == "end":
            self.ended = str(entry.get("how", "closed"))
            return self._frame(entry) if "loss" in entry else self._frame({**entry, "loss_steps": [], "loss": []})
        if kind == "steps":
            return self._frame(entry)
        return None  # a kind a later version adds: skipped

    def _frame(self, e: dict[str, Any]) -> RunFrame:
        header = self.header or {}
        params = header.get("params", [])
        steps = np.asarray(e.get("loss_steps", []), np.int64)
        losses = _array(e.get("loss", []))
        if self._diverged is None and len(losses) and not np.isfinite(losses).all():
            self._diverged = int(steps[np.flatnonzero(~np.isfinite(losses))[0]])
        self.step = max(self.step, int(e.get("step", self.step)))
        val = np.asarray(e.get("val") or np.zeros((0, 2)), np.float64).reshape(-1, 2)
        acc = np.array([[math.nan if v is None else v for v in row] for row in e.get("acc") or []],
                       np.float64).reshape(-1, 3)
        self.sampled = self.sampled or e.get("batch") == "new"
        self.batch_size = e.get("batch_size", self.batch_size)
        measured = self._measured(e.get("probe"))
        lrs = e.get("lr") or []
        return RunFrame(
            label=self.name, step=self.step, loss_steps=steps, losses=losses,
            val_steps=val[:, 0].astype(np.int64), val_losses=val[:, 1], diverged_at=self._diverged,
            finished=self.ended is not None, param_names=tuple(str(p[0]) for p in params),
            param_shapes=tuple(tuple(p[1]) for p in params),
            grad_norms=_array(e["grad_norms"]) if "grad_norms" in e else np.full(len(params), math.nan),
            train_steps=steps, train_losses=self._smoothed(losses),
            acc_steps=acc[:, 0].astype(np.int64) if len(acc) else None,
            accuracies=acc[:, 1] if len(acc) else None, val_accuracies=acc[:, 2] if len(acc) else None,
            lr=float(lrs[0]) if lrs and lrs[0] is not None else math.nan,
            train_seconds=float(e.get("seconds", 0.0)), device=str(header.get("device", "cpu")),
            measured=measured)

    def _smoothed(self, losses: np.ndarray) -> np.ndarray:
        """The loss a watched run is compared, judged and drawn on: a script's steps' losses are each a mini-batch's,
        whose swings hid the trend and made every run's status "noisy". A debiased EMA (TensorBoard's), of the log
        of the loss while every loss is above 0 (on a log axis, a mean of the raw values sat above the points);
        NaN and Inf pass through where they happened."""
        if self._log is None and len(losses):
            self._log = bool(losses[0] > 0)
        out, self._ema = carried_ema(losses, self._ema, SMOOTHING, log=bool(self._log))
        return out

    def _measured(self, probe: dict[str, Any] | None) -> dict[str, Any]:
        """What the panels read (panels/histograms, panels/weight_norms), under their probes' names: a frame
        without a probe repeats the last one's "now" values and adds no row to those kept over time."""
        if not probe:
            return dict(self._now)
        new = {q: decode_dists(d) for q, d in probe["dists"].items()}
        dists = {**self._now.get("dists", {}), **new}  # a quantity not measured this time: as measured last
        self._now = {"dists": dists}
        ratios = probe.get("update_ratios")
        return {"dists": dists, **{f"{q}_bands": d.percentiles.reshape(-1) for q, d in new.items()},
                "weight_norms": _array(probe.get("weight_norms", [])),
                "update_ratios": (np.asarray([ratios["step"]], np.int64), _array(ratios["shares"])[None, :])
                if ratios else (np.zeros(0, np.int64), np.zeros((0, 0)))}
