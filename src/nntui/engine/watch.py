"""`nntui.watch`: the pictures of the lessons, for the learner's own PyTorch loop.

    run = nntui.watch(model, optimizer, log_dir="runs/mnist", every=10)
    for x, y in loader:
        ...; loss.backward(); optimizer.step()
        run.step(loss)                  # or run.step(loss, val_loss=…, accuracy=…)
    run.close()                         # also on exit, on an exception and on Ctrl+C

Nothing in the loop changes. Each step's loss is kept as the tensor it is (no device sync), and every `every`
steps one line goes to the log (runlog.py): the losses, each parameter's gradient norm and the lr. Now and
then that line carries a probe too: the weights', activations' and gradients' distributions per layer, each
weight matrix's norm and the last update's share of it. A probe costs a few milliseconds, so it is taken
only where it keeps within PROBE_SHARE of the loop's own time. Activations come from the loop's own forward
pass before a probe (forward hooks that copy nothing at other steps): no extra forward pass, no probe batch.
"""

from __future__ import annotations

import atexit
import math
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from ..errors import NntuiError
from ..panels.histograms.probe import Meter, activation_modules
from ..runlog import ANNOUNCE_ENV, PROBES_PER_OCTAVE, RAW_STEPS, LogWriter, encode_dists, numbers

PROBE_SHARE = 0.01  # probes take at most this share of the loop's time (a 1-M-parameter MLP: ≤ 5 % in all)
# percentiles from an even subsample of each tensor: sorting 100,000 values (the lessons' sample) took 36 of a 1-M-
# parameter MLP's 49 ms probe; 16,384 keep each percentile within about half a percent of its rank
QUANTILE_SAMPLES = 16_384
GROUP_SETTINGS = ("lr", "momentum", "betas", "weight_decay", "eps", "dampening", "nesterov")


def watch(model: nn.Module, optimizer: torch.optim.Optimizer | None = None, *, log_dir: str | Path,
          every: int = 10, name: str | None = None, steps: int | None = None) -> Watch:
    """Watch a training loop: call `step(loss)` after each update and `close()` at the end (see the module)."""
    return Watch(model, optimizer, log_dir=log_dir, every=every, name=name, steps=steps)


def _problem(message: str) -> NntuiError:
    return NntuiError(f"nntui.watch: {message}")


def _check(model: Any, optimizer: Any, every: Any, steps: Any) -> None:
    """nntui.watch's arguments, each a one-line error at the call (not at the end of a long run)."""
    if not isinstance(model, nn.Module):
        raise _problem(f"model is a {type(model).__name__}, not a torch.nn.Module; pass the model you train")
    if optimizer is not None and not isinstance(optimizer, torch.optim.Optimizer):
        raise _problem(f"optimizer is a {type(optimizer).__name__}, not a torch.optim.Optimizer; pass the "
                       "optimizer that updates the model, or none")
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise _problem(f"every={every!r}; give a whole number of steps, 1 or more (10 is cheap)")
    if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int) or steps < 1):
        raise _problem(f"steps={steps!r}; give the number of steps the loop will take, or leave it out")


class Watch:
    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer | None = None, *, log_dir: str | Path,
                 every: int = 10, name: str | None = None, steps: int | None = None):
        _check(model, optimizer, every, steps)
        self.params = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if not self.params:
            raise _problem(f"the {type(model).__name__} has no trainable parameters; pass the nn.Module whose "
                           "parameters the optimizer updates")
        self.model, self.optimizer, self.every, self.steps = model, optimizer, every, steps
        self.device = self.params[0][1].device
        self.weights = [(n, p) for n, p in self.params if p.dim() >= 2]  # the layers the panels draw
        self.modules = activation_modules(model)
        self.meter = Meter(self.device, samples=QUANTILE_SAMPLES)
        self.count = 0           # updates so far
        self.closed = False
        self.started = time.perf_counter()
        self._losses: list[tuple[int, Any]] = []  # (step, loss as given) since the last line
        self._held: list[tuple[str, int, Any]] = []  # (what, step, value) validation losses and accuracies
        self._buckets = _LossBuckets()
        self._armed = False
        self._captured: dict[int, torch.Tensor] = {}
        self._before: list[torch.Tensor] | None = None  # the weights before the update a probe measures
        self._probe_every = every  # in steps: doubles after PROBES_PER_OCTAVE probes at one rate
        self._probes_at_rate = 0
        self._probe_cost = 0.0   # seconds the last probe took
        self._last_probe_step = -every
        self._step_seconds = math.nan  # a step of the loop's own, in seconds (between lines; pauses left out)
        self._last_line = time.perf_counter()
        self._hooks = [m.register_forward_hook(self._capture(k)) for k, (_, m) in enumerate(self.modules)]
        self._hooks.append(model.register_forward_pre_hook(self._fingerprint))
        self._batch: torch.Tensor | None = None     # the first values of the input of the probed forward pass …
        self._last_batch: torch.Tensor | None = None  # … and of the one before: the same batch, or a new one
        self._batch_size = 0
        self._writer = LogWriter(log_dir, {
            "name": name or Path(log_dir).name, "device": self.device.type, "every": every, "steps": steps,
            "params": [[n, list(p.shape)] for n, p in self.params], "model": type(model).__name__,
            "optimizer": type(optimizer).__name__ if optimizer is not None else None,
            "groups": [_group(g) for g in optimizer.param_groups] if optimizer is not None else [],
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z")})
        self.path = self._writer.path
        _announce(self.path)
        atexit.register(self._at_exit)
        self._arm()  # the first step's forward has run already: its probe comes at the next due step

    # ------------------------------------------------------------------ the loop's calls

    def step(self, loss: Any = None, *, val_loss: Any = None, accuracy: Any = None,
             val_accuracy: Any = None) -> None:
        """One update done: its loss (a scalar tensor or a number: the loss the update was computed from) and,
        where the script measured them at this step, the validation loss and accuracies (0–1)."""
        if self.closed:
            raise _problem("step() after close(); start a new nntui.watch for another run")
        self._losses.append((self.count, _scalar(loss, "loss")))
        for what, value in (("val", val_loss), ("acc", accuracy), ("val_acc", val_accuracy)):
            if value is not None:
                self._held.append((what, self.count, _scalar(value, what)))
        self.count += 1
        if self.count % self.every == 0:
            self._write()
        self._arm()

    def close(self) -> None:
        """The run is over: the last losses, a last probe and the end go to the log. Called again: nothing."""
        self._end("closed")

    def __enter__(self) -> Watch:
        return self

    def __exit__(self, kind, value, traceback) -> None:
        self._end(_how(kind))

    # ------------------------------------------------------------------ inside

    def _end(self, how: str) -> None:
        if self.closed:
            return
        self.closed = True
        atexit.unregister(self._at_exit)
        for hook in self._hooks:
            hook.remove()
        try:
            entry = self._entry(probe=self.count > 0, final=True)
            self._writer.write({**entry, "t": "end", "how": how})
        finally:
            self._writer.close()

    def _at_exit(self) -> None:
        """The script ended without close(): normally, or on an exception or Ctrl+C it did not catch."""
        self._end(_how(getattr(sys, "last_type", None)))

    def _write(self) -> None:
        self._time_steps()
        entry = self._entry(probe=self._armed)
        if self._batch is not None:  # mini-batches (the status calls their swings noise) or one batch throughout
            if self._last_batch is not None:
                same = self._batch.shape == self._last_batch.shape and torch.equal(self._batch, self._last_batch)
                entry["batch"] = "same" if same else "new"
            entry["batch_size"] = self._batch_size
            self._last_batch, self._batch = self._batch, None
        self._writer.write({"t": "steps", **entry})

    def _time_steps(self) -> None:
        """How long a step of the loop takes: the time since the last line over its steps, as a moving average
        that leaves out a line much slower than usual (the script evaluating, saving, or another program's turn)
        so that a probe's share is of the loop's own time."""
        now = time.perf_counter()
        seconds, self._last_line = (now - self._last_line) / self.every, now
        if math.isnan(self._step_seconds):
            self._step_seconds = seconds
        elif seconds < 4 * self._step_seconds:
            self._step_seconds = 0.8 * self._step_seconds + 0.2 * seconds

    def _entry(self, probe: bool, final: bool = False) -> dict[str, Any]:
        steps, values = self._loss_points(final)
        grads = torch.stack([torch.linalg.vector_norm(p.grad.detach().float()) if p.grad is not None
                             else torch.tensor(math.nan, device=p.device) for _, p in self.params])
        entry: dict[str, Any] = {"step": self.count, "loss_steps": steps, "loss": numbers(values),
                                 "grad_norms": numbers(grads.cpu().numpy(), True),
                                 "seconds": round(time.perf_counter() - self.started, 4)}
        if self.optimizer is not None:
            entry["lr"] = [_float(g.get("lr", math.nan)) for g in self.optimizer.param_groups]
        entry.update(self._held_values())
        if probe:
            entry["probe"] = self._probe()
        return entry

    def _loss_points(self, final: bool) -> tuple[list[int], np.ndarray]:
        losses, self._losses = self._losses, []
        if not losses:
            return [], np.zeros(0)
        values = _host([v for _, v in losses])  # one transfer a line, not a sync a step
        return self._buckets.add([s for s, _ in losses], values, final)

    def _held_values(self) -> dict[str, Any]:
        held, self._held = self._held, []
        if not held:
            return {}
        values = _host([v for _, _, v in held])
        val = [[s, v] for (what, s, _), v in zip(held, numbers(values)) if what == "val"]
        acc: dict[int, list] = {}
        for (what, s, _), v in zip(held, numbers(values)):
            if what != "val":
                acc.setdefault(s, [s, None, None])[1 if what == "acc" else 2] = v
        return {**({"val": val} if val else {}), **({"acc": list(acc.values())} if acc else {})}

    @torch.no_grad()
    def _probe(self) -> dict[str, Any]:
        started = time.perf_counter()
        captured = [self._captured[k] for k in range(len(self.modules)) if k in self._captured]
        modules = [m for k, m in enumerate(self.modules) if k in self._captured]
        dists = self.meter.all(self.weights, modules, captured)
        norms = torch.stack([torch.linalg.vector_norm(p.detach().float()) for _, p in self.weights]) \
            if self.weights else torch.zeros(0)
        if not captured:  # (no training forward pass since arming: the last activations measured stand)
            del dists["activations"]
        if any(p.grad is None for _, p in self.weights):  # (zeroed to None and not computed again: the last stand)
            del dists["gradients"]
        probe: dict[str, Any] = {"dists": {q: encode_dists(d) for q, d in dists.items()},
                                 "weight_norms": numbers(norms.cpu().numpy(), True)}
        if self._before is not None and len(self._before) == len(self.weights):
            moved = torch.stack([torch.linalg.vector_norm((p.detach() - b).float()) for (_, p), b
                                 in zip(self.weights, self._before)])
            probe["update_ratios"] = {"step": self.count - 1,
                                      "shares": numbers((moved / norms.clamp_min(1e-30)).cpu().numpy(), True)}
        self._captured, self._before, self._armed = {}, None, False
        # the first probe pays for one-off set-up (kernels loaded, buffers allocated: 10× a later one's time);
        # spacing the second by it left a short run with one picture of its weights
        self._probe_cost = time.perf_counter() - started if self._last_probe_step > 0 else 0.0
        self._last_probe_step = self.count
        self._probes_at_rate += 1
        if self._probes_at_rate >= PROBES_PER_OCTAVE:  # the log grows with the log of the steps, not the steps
            self._probe_every, self._probes_at_rate = self._probe_every * 2, 0
        return probe

    def _arm(self) -> None:
        """Before the next step's forward pass: if that step ends with a probe, capture its activations and keep
        the weights as they are before its update."""
        if self.closed or (self.count + 1) % self.every:
            return
        last = self.count + 1 == self.steps  # (the last step said: the end state is probed, whatever it costs)
        if not last and self.count + 1 - self._last_probe_step < self._probe_every:
            return
        if not last and (self.count - self._last_probe_step) * self._step_seconds < self._probe_cost / PROBE_SHARE:
            return  # the last probe's cost, spread over the loop's steps since, is still above PROBE_SHARE
        with torch.no_grad():
            self._before = [p.detach().clone() for _, p in self.weights]
        self._captured, self._armed = {}, True

    def _fingerprint(self, module: nn.Module, inputs) -> None:
        """The first values of the input of each line's last step (a clone of 256 numbers, compared at the line)."""
        due = (self.count + 1) % self.every == 0
        if due and self._batch is None and module.training and inputs and isinstance(inputs[0], torch.Tensor):
            self._batch = inputs[0].detach().reshape(-1)[:256].clone()
            self._batch_size = int(inputs[0].shape[0]) if inputs[0].dim() else 1

    def _capture(self, k: int):
        def hook(module: nn.Module, _inputs, output) -> None:
            # the loop's own training forward pass (not an evaluation under model.eval()), its first after arming
            if self._armed and module.training and k not in self._captured and isinstance(output, torch.Tensor):
                self._captured[k] = output.detach()
        return hook


class _LossBuckets:
    """Every step's loss up to RAW_STEPS; after that each bucket's lowest and highest, buckets doubling in width
    with the run (the log grows with the log of the steps). The last step's loss is always written as it is."""

    def __init__(self) -> None:
        self.pending: dict[tuple[int, int], list[tuple[int, float]]] = {}  # bucket → its (step, loss) so far

    def add(self, steps: list[int], values: np.ndarray, final: bool) -> tuple[list[int], np.ndarray]:
        out: list[tuple[int, float]] = []
        for s, v in zip(steps, values.tolist()):
            width = _width(s)
            if width == 1:
                out.append((s, v))
                continue
            bucket = (width, s // width)
            for done in [b for b in self.pending if b != bucket]:  # (one pending bucket at a time: steps ascend)
                out.extend(_extremes(self.pending.pop(done)))
            self.pending.setdefault(bucket, []).append((s, v))
        if final:
            for points in self.pending.values():
                out.extend(_extremes(points) + [points[-1]])
            self.pending = {}
        out = sorted(dict(out).items())
        return [s for s, _ in out], np.array([v for _, v in out], np.float64)


def _width(step: int) -> int:
    return 1 if step < RAW_STEPS else 1 << (step // RAW_STEPS).bit_length()


def _extremes(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    finite = [p for p in points if math.isfinite(p[1])]
    if len(finite) < len(points):  # a NaN or Inf is never bucketed away: divergence stays where it happened
        return [next(p for p in points if not math.isfinite(p[1]))] + (
            [min(finite, key=lambda p: p[1])] if finite else [])
    return [min(points, key=lambda p: p[1]), max(points, key=lambda p: p[1])]


def _scalar(value: Any, what: str) -> Any:
    """A scalar tensor, detached (converted at the next line, with the others), or a float."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise _problem(f"run.step({what}=…) got a tensor of shape {tuple(value.shape)}; pass one number "
                           f"(a loss is a scalar: reduce it, e.g. with .mean())")
        return value.detach().reshape(())
    if isinstance(value, bool) or not isinstance(value, int | float | np.floating | np.integer):
        raise _problem(f"run.step({what}=…) got a {type(value).__name__}; pass a scalar tensor or a number")
    return float(value)


def _host(values: list[Any]) -> np.ndarray:
    tensors = [v for v in values if isinstance(v, torch.Tensor)]
    if not tensors:
        return np.asarray(values, np.float64)
    same = len({(t.device, t.dtype) for t in tensors}) == 1  # (as they are: the last loss is written exactly)
    moved = iter(torch.stack(tensors).cpu().tolist()) if same else (float(t) for t in tensors)
    return np.array([next(moved) if isinstance(v, torch.Tensor) else v for v in values], np.float64)


def _float(value: Any) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _group(group: dict[str, Any]) -> dict[str, Any]:
    """An optimizer's param group's settings, as JSON."""
    out: dict[str, Any] = {"params": sum(p.numel() for p in group["params"])}
    for key in GROUP_SETTINGS:
        if key in group:
            value = group[key]
            out[key] = [_float(v) for v in value] if isinstance(value, tuple | list) else \
                value if isinstance(value, bool) else _float(value)
    return out


def _announce(path: Path) -> None:
    """Under `nntui watch`, tell the app where this run's log is (it follows it live)."""
    announce = os.environ.get(ANNOUNCE_ENV)
    if announce:
        try:
            with open(announce, "a", encoding="utf-8") as fh:
                fh.write(f"{path.resolve()}\n")
        except OSError:  # (the app has gone: the log on disk is still written)
            pass


def _how(kind: type[BaseException] | None) -> str:
    if kind is None:
        return "closed"
    if issubclass(kind, KeyboardInterrupt):
        return "interrupted"
    return f"error: {kind.__name__}"
