"""One run of a scenario: its model, optimizer and batches, stepped by the textbook loop (zero_grad → forward →
loss → backward → step), and the frame it publishes (numpy only). The Engine (engine.py) steps every run
together."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import torch

from .. import catalog
from ..catalog import entry
from ..frames import RunFrame
from ..panels.declare import PanelProbe
from ..scenario import Variant
from ..schedules import lr_factor
from . import manual
from .autograd_graph import trace
from .build import PROBE_SAMPLES, build_loss, build_model, build_optimizer, build_scheduler, eval_mode, surface_loss
from .regularize import L1, EarlyStopping, weight_matrices, zero_weights

SCALARS = 16  # a model with at most this many numbers sends them with each frame (claims read them by name)
clock = time.perf_counter  # a module attribute, so a snapshot test can make measured rates deterministic


class RunState:
    """One variant's model, optimizer, batches and bookkeeping."""

    def __init__(self, variant: Variant, device: str, seed: int, tensors: dict[tuple, tuple[torch.Tensor, ...]],
                 track_path: bool = False, graph: bool = False, track_lr: bool = False,
                 checkpoints: frozenset[int] = frozenset(), panel_probes: tuple[type, ...] = ()):
        self.variant = variant
        self.label = variant.label
        self.branch_to: Variant | None = None  # a branch: the settings it takes at its step (Engine._new_run)
        ds = variant.dataset
        key = (id(ds), device)
        if key not in tensors:  # variants on the same data share its tensors
            tensors[key] = tuple(torch.as_tensor(a, device=device) for a in (ds.x_train, ds.y_train, ds.x_val, ds.y_val))
        self.x, self.y, self.x_val, self.y_val = tensors[key]

        # Same seed + same architecture → same initial weights in every variant.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = build_model(variant.model, ds.n_features, ds.n_outputs, ds.image).to(device)
            # dropout draws its masks from the stream that follows the initial weights, as the exported script
            # does; each run keeps its own, so what one run draws never changes another's
            self._rng = torch.get_rng_state() if variant.model.dropout_rates() else None
        self._rng_device: torch.Tensor | None = None
        self.seed = seed
        self.names = tuple(name for name, _ in self.model.named_parameters())
        self.params = [p for _, p in self.model.named_parameters()]
        self.optimizer = build_optimizer(variant.train, self.params)
        self.loss_fn = surface_loss if variant.model.kind == "surface" else build_loss(variant.train.loss)

        self.batch_size = variant.batch_size
        self.total = variant.steps
        self.scheduler = build_scheduler(variant.train, self.optimizer, self.total)
        self.accumulate = variant.train.accumulate
        self.manual = variant.train.backprop == "manual"
        self.zero_grad = variant.train.zero_grad
        t = variant.train
        self.l1 = L1(self.model, t.l1) if t.l1 else None
        self.early = EarlyStopping(t.early_stop.patience, t.early_stop.min_delta) if t.early_stop else None
        self.stopped_at: int | None = None  # early stopping: the step patience ran out (the best weights restored)
        self.eval_on = t.eval_mode  # False: the whole-split losses are measured in training mode (the bug)
        self.weight_count = sum(w.numel() for w in weight_matrices(self.model))
        self.device = device
        self.train_seconds = 0.0  # wall time spent in training steps (the devices lesson compares rates)
        self.eval_seconds = 0.0  # wall time of the whole-split evaluations, left out of train_seconds
        self.generator = torch.Generator().manual_seed(seed)  # batch order, same in every variant
        self.order: torch.Tensor | None = None
        self.cursor = 0

        self.step = 0
        self.first_loss: float | None = None
        self.diverged_at: int | None = None
        self.limit_factor = variant.train.diverge_factor
        self.eval_every = variant.train.eval_every
        self.checkpoints = checkpoints  # steps a lesson's claims are judged at: everything is measured there too
        self.classifies = ds.task != "regression"
        self.acc_log: list[tuple[int, float, float]] = []  # (step, accuracy on the training split, on validation)
        self.grad_gaps: dict[str, float] = {}  # claims: another run's label → largest gradient difference so far
        self.loss_log: list[tuple[int, float, float]] = []  # (step, mini-batch loss, lr of that step)
        # the loss on the whole training split, the one runs are compared on: where the batch is the whole split
        # (and neither batch norm nor dropout makes training-mode outputs differ) each step's loss is it, else
        # it is evaluated every eval_every steps
        self.dense = variant.step_noise is None
        self.train_log: list[tuple[int, float]] = []
        self.val_log: list[tuple[int, float]] = []
        self.baseline = baseline_loss(self.loss_fn, self.y, variant.train.loss, variant.model.kind)
        self.floor = floor_loss(self.x, self.y, variant.train.loss, variant.model)
        # contour panel: every θ_step, and the box of points worth framing (loss ≤ 2× the first)
        self.track_path = track_path
        self.track_lr = track_lr  # the lr panel: every step's lr reaches the History (the table reads only the last)
        # the graph's structure never changes: trace it once and send it with the first frame
        self.graph = trace(self.model, self.loss_fn, self.x[:PROBE_SAMPLES], self.y[:PROBE_SAMPLES]) if graph else None
        self.path_log: list[tuple[int, float, float]] = []
        self.box: list[float] | None = None
        self.panel_probes: list[PanelProbe] = [cls(self) for cls in panel_probes]  # the shown panels' own
        # a dense run books its first step's loss itself, unless a claim is judged at step 0: it is measured now
        self.measured_start = not self.dense or 0 in checkpoints
        with self._random():
            self._evaluate(train=self.measured_start)

    @property
    def active(self) -> bool:
        return self.diverged_at is None and self.stopped_at is None and self.step < self.total

    def retune(self, variant: Variant) -> None:
        """Go on from here with `variant`'s settings (edit.live_problem has checked they can change mid-run): the
        optimizer's hyper-parameters and schedule, L1, dropout rates, early stopping and eval mode. The weights,
        the optimizer's state and the batch order stay."""
        t = variant.train
        arguments = entry(catalog.OPTIMIZERS, t.optimizer, "optimizer").arguments(t)
        for group in self.optimizer.param_groups:
            group.update({k: v for k, v in arguments.items() if k in group})
            group["lr"] = t.lr
            group.pop("initial_lr", None)  # the schedule's base: the new lr
        self.scheduler = build_scheduler(t, self.optimizer, self.total)
        if self.scheduler is not None:  # as if it had followed the new schedule from step 0
            self.scheduler.last_epoch = self.step
            factor = lr_factor(t, self.total)(self.step)
            for group in self.optimizer.param_groups:
                group["lr"] = t.lr * factor
        self.l1 = L1(self.model, t.l1) if t.l1 else None
        if t.early_stop is None:
            self.early = None
        elif self.early is None:  # watching from now on: the next evaluation is its first best
            self.early = EarlyStopping(t.early_stop.patience, t.early_stop.min_delta)
        else:  # the best so far is kept; patience counts from it
            self.early.patience, self.early.min_delta = t.early_stop.patience, t.early_stop.min_delta
        self.eval_on = t.eval_mode
        drops = [m for m in self.model.modules() if isinstance(m, torch.nn.Dropout)]
        for layer, rate in zip(drops, variant.model.dropout_rates() or (0.0,) * len(drops)):
            layer.p = rate
        self.variant, self.label = variant, variant.label

    @contextmanager
    def _random(self) -> Iterator[None]:
        """Dropout's masks come from this run's own random stream (saved and restored around each use)."""
        if self._rng is None:
            yield
            return
        cuda = self.device.startswith("cuda")
        index = torch.device(self.device).index or 0
        with torch.random.fork_rng(devices=[index] if cuda else []):
            torch.set_rng_state(self._rng)
            if cuda:
                if self._rng_device is None:
                    torch.cuda.manual_seed(self.seed)
                else:
                    torch.cuda.set_rng_state(self._rng_device, index)
            yield
            self._rng = torch.get_rng_state()
            if cuda:
                self._rng_device = torch.cuda.get_rng_state(index)

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.x)
        if self.batch_size >= n:
            return self.x, self.y
        # a new epoch: reshuffle (batch norm cannot normalize a last batch of one sample: it is skipped)
        if self.order is None or self.cursor >= n or (self.variant.model.batch_norm and n - self.cursor < 2):
            self.order = torch.randperm(n, generator=self.generator).to(self.x.device)
            self.cursor = 0
        idx = self.order[self.cursor:self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return self.x[idx], self.y[idx]

    def _flat(self) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self.params]).clone()

    def train_step(self) -> None:
        at = self.branch_to.branch if self.branch_to is not None else None
        if at is not None and self.step >= at[1]:
            self._branch()
        with self._random():
            self._train_step()

    def _branch(self) -> None:
        """A branch leaves its parent here: its own settings from this step on (another optimizer: a new one,
        its state empty); the weights and the batch order go on."""
        assert self.branch_to is not None
        variant, self.branch_to = self.branch_to, None
        if variant.train.optimizer != self.variant.train.optimizer:
            self.optimizer = build_optimizer(variant.train, self.params)
        self.retune(variant)

    def _train_step(self) -> None:
        started, evaluating = clock(), self.eval_seconds
        if self.zero_grad:
            self.optimizer.zero_grad(set_to_none=True)
        value = 0.0  # the step's loss: the mean over its k mini-batches, on which divergence is decided
        for _ in range(self.accumulate):  # usually once; k mini-batches when accumulating gradients
            xb, yb = self._batch()
            if self.manual:
                loss, grads = manual.loss_and_gradients(self.model, self.variant.train.loss, xb, yb)
            else:
                loss = self.loss_fn(self.model(xb), yb)
            value += loss.item() / self.accumulate  # the data's loss: what the curves compare
            if self.l1 is not None:  # the penalty shapes the gradient only
                loss = loss + self.l1.penalty()
            if self.manual:
                for p, g in zip(self.params, grads):
                    p.grad = g / self.accumulate if p.grad is None else p.grad + g / self.accumulate
            elif self.accumulate > 1:
                (loss / self.accumulate).backward()  # the mean over all k·B samples, as one big batch
            else:
                loss.backward()
        if self.record_loss(value):
            if self.l1 is not None:
                self.l1.before_step()
            self.optimizer.step()
            if self.l1 is not None:
                self.l1.after_step()
            if self.scheduler is not None:
                self.scheduler.step()
            self.stepped()
        self.train_seconds += clock() - started - (self.eval_seconds - evaluating)  # the steps alone

    # The bookkeeping of a step, shared by this class's own steps and BatchedRuns' (engine/batched.py):
    # record_loss before the update, stepped after it.

    def record_loss(self, value: float, position: list[float] | None = None) -> bool:
        """Book the loss of θ before this step's update; False when it diverges (the run stops here and keeps
        the parameters that gave this loss)."""
        self.loss_log.append((self.step, value, self.optimizer.param_groups[0]["lr"]))
        if self.dense and not (self.step == 0 and self.measured_start):
            self.train_log.append((self.step, value))
        if self.first_loss is None:
            self.first_loss = value
        if self.track_path:
            self._record_position(value, position)
        if self._diverging(value):
            self.diverged_at = self.step
            if not self.dense:  # the whole split's loss where it stopped: the table and the curve show the blow-up
                self._evaluate()
            return False
        for probe in self.panel_probes:
            probe.before_update()
        return True

    def stepped(self, train_loss: float | None = None) -> None:
        """Book an update taken: the step count and the evaluation cadence. `train_loss`: the new θ's loss on
        the training split, when the caller has evaluated it (batched runs)."""
        self.step += 1
        if self.evaluation_due:
            started = clock()
            # the last step's θ is never a step's input: a dense run evaluates it too
            self._evaluate(train=not self.dense or self.step == self.total or self.step in self.checkpoints,
                           train_loss=train_loss)
            self.eval_seconds += clock() - started

    @property
    def evaluation_due(self) -> bool:
        """The losses on the whole splits are due at the current step (every eval_every steps, where a claim is
        judged, and at the end)."""
        return self.due(self.step)

    @property
    def watching(self) -> bool:
        """Early stopping judges the validation loss at the regular evaluations only (not where a claim is judged,
        nor where the run diverged), as a training loop that evaluates every eval_every steps does."""
        return self.diverged_at is None and (self.step % self.eval_every == 0 or self.step == self.total)

    def due(self, step: int) -> bool:
        return step % self.eval_every == 0 or step == self.total or step in self.checkpoints

    def _diverging(self, loss: float) -> bool:
        first = self.first_loss if self.first_loss is not None else loss
        return not math.isfinite(loss) or loss > self.limit_factor * max(first, 1.0)

    def _record_position(self, loss: float, position: list[float] | None = None) -> None:
        p0, p1 = self._flat().tolist() if position is None else position
        self.path_log.append((self.step, p0, p1))
        assert self.first_loss is not None  # record_loss sets it before the first position
        if math.isfinite(p0) and math.isfinite(p1) and loss <= 2 * self.first_loss:
            if self.box is None:
                self.box = [p0, p0, p1, p1]
            else:
                b = self.box
                b[0], b[1], b[2], b[3] = min(b[0], p0), max(b[1], p0), min(b[2], p1), max(b[3], p1)

    def position(self) -> np.ndarray:
        return self._flat().double().cpu().numpy()

    def _evaluate(self, train: bool = True, train_loss: float | None = None) -> None:
        """The losses of θ now on the whole training split (unless a step books it) and the held-out split."""
        if train and train_loss is not None:  # evaluated by the caller (batched runs)
            self.train_log.append((self.step, train_loss))
            train = False
        # (no_grad and eval mode cost more than a small step: only when needed)
        if not (train or len(self.x_val) or self.classifies):
            return
        with torch.no_grad(), eval_mode(self.model, self.eval_on):
            val = self.model(self.x_val) if len(self.x_val) else None
            val_loss = float(self.loss_fn(val, self.y_val)) if val is not None else math.nan
            if self.early is not None and self.watching and self._early_stop_ends_here(val_loss):
                # the run ends here with its best weights back (patience ran out, or the last step came first:
                # the record's best_step is always the step whose weights it kept), measured again
                self.early.restore(self.model)
                train = True
                val = self.model(self.x_val)
                val_loss = float(self.loss_fn(val, self.y_val))
            if val is not None:
                self.val_log.append((self.step, val_loss))
            out = self.model(self.x) if train or self.classifies else None
            if out is not None and train:
                self.train_log.append((self.step, float(self.loss_fn(out, self.y))))
            if out is not None and self.classifies:
                self.acc_log.append((self.step, accuracy(out, self.y),
                                     accuracy(val, self.y_val) if val is not None else math.nan))

    def _early_stop_ends_here(self, val_loss: float) -> bool:
        """Early stopping has seen `val_loss`: True when the best weights go back now, at a stop (patience ran
        out: stopped_at is set) or at the last step, when the best step was an earlier one."""
        assert self.early is not None
        if self.early.observe(self.step, val_loss, self.model):
            self.stopped_at = self.step
            return True
        return self.step == self.total and self.early.best_step is not None and self.early.best_step < self.step

    @torch.no_grad()
    def frame(self) -> RunFrame:
        """What the panels need of this run now, and every loss since the last frame."""
        grads = [p.grad for p in self.params]
        nan = torch.tensor(math.nan, device=self.params[0].device)
        grad_norms = torch.stack([torch.linalg.vector_norm(g.detach().float()) if g is not None else nan
                                  for g in grads]).cpu().numpy().astype(np.float64)
        log, self.loss_log = self.loss_log, []
        val_steps, val_losses = _split(self.val_log)
        train_steps, train_losses = _split(self.train_log)
        acc = np.array(self.acc_log, np.float64).reshape(-1, 3)
        self.val_log, self.train_log, self.acc_log = [], [], []
        path_steps = path = position = None
        if self.track_path:
            trail, self.path_log = self.path_log, []
            path_steps = np.array([s for s, _, _ in trail], np.int64)
            path = np.array([(a, b) for _, a, b in trail], np.float64).reshape(-1, 2)
            position = self.position()
        return RunFrame(
            label=self.label, step=self.step,
            loss_steps=np.array([s for s, _, _ in log], np.int64), losses=np.array([v for _, v, _ in log], np.float64),
            lrs=np.array([lr for _, _, lr in log], np.float64) if self.track_lr else None,
            val_steps=val_steps, val_losses=val_losses, train_steps=train_steps, train_losses=train_losses,
            baseline_loss=self.baseline, floor_loss=self.floor, diverged_at=self.diverged_at,
            acc_steps=acc[:, 0].astype(np.int64), accuracies=acc[:, 1], val_accuracies=acc[:, 2],
            scalars=self._flat().double().cpu().numpy() if sum(p.numel() for p in self.params) <= SCALARS else None,
            zero_weights=zero_weights(self.model), weight_count=self.weight_count, stopped_at=self.stopped_at,
            best_step=self.early.best_step if self.early is not None else None,
            grad_gaps=dict(self.grad_gaps),
            finished=not self.active, param_names=self.names,
            param_shapes=tuple(tuple(p.shape) for p in self.params), grad_norms=grad_norms,
            path_steps=path_steps, path=path, position=position,
            graph=self._take_graph(),
            lr=self.optimizer.param_groups[0]["lr"], train_seconds=self.train_seconds, device=self.device,
            measured={name: value for probe in self.panel_probes for name, value in probe.measure().items()} or None,
        )

    def _take_graph(self):
        graph, self.graph = self.graph, None
        return graph

    def parameters(self) -> dict[str, list]:
        return {name: p.detach().cpu().double().tolist() for name, p in zip(self.names, self.params)}


def baseline_loss(loss_fn, y: torch.Tensor, loss: str, kind: str) -> float:
    """The loss of the best constant prediction on these targets: what a model that learned nothing of the
    inputs reaches (predicting the mean, or each class's frequency: ln 2 for balanced binary classes)."""
    if kind == "surface" or not len(y):
        return math.nan
    with torch.no_grad():
        if loss == "cross_entropy":
            p = torch.bincount(y.long()).double() / len(y)
            return float(-(p[p > 0] * p[p > 0].log()).sum())
        target = y.double().mean(0, keepdim=True)
        if loss == "bce_with_logits":
            target = torch.logit(target.clamp(1e-12, 1 - 1e-12))
        return float(loss_fn(target.expand_as(y).to(y.dtype), y))


def floor_loss(x: torch.Tensor, y: torch.Tensor, loss: str, model) -> float:
    """The lowest training loss the model can reach, where it is known exactly: for a linear model fitted by
    mean squared error, the least-squares fit's (NaN elsewhere). A run flat far above it has not converged,
    whatever its curve looks like (status.py)."""
    if model.kind != "linear" or loss != "mse" or not len(y) or not (torch.isfinite(x).all() and
                                                                     torch.isfinite(y).all()):
        return math.nan
    with torch.no_grad():
        features = x.double().cpu()
        if model.bias:
            features = torch.cat([features, torch.ones(len(features), 1, dtype=torch.float64)], 1)
        target = y.double().cpu().reshape(len(y), -1)
        theta = torch.linalg.lstsq(features, target, driver="gelsd").solution
        return float(((features @ theta - target) ** 2).mean())


def predictions(out: torch.Tensor) -> torch.Tensor:
    """Each sample's predicted class: the logit's sign (one output, BCE) or the largest logit (cross-entropy)."""
    return (out[:, 0] > 0).long() if out.shape[1] == 1 else out.argmax(1)


def true_classes(y: torch.Tensor) -> torch.Tensor:
    """The class of each target: a 0/1 column (BCE) or class indices (cross-entropy)."""
    return (y[:, 0] > 0.5).long() if y.ndim == 2 else y.long()


def accuracy(out: torch.Tensor, y: torch.Tensor) -> float:
    """The fraction classified right."""
    return float((predictions(out) == true_classes(y)).float().mean())


@torch.no_grad()
def _split(log: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    if not log:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    steps, values = zip(*log)
    return np.asarray(steps, np.int64), np.asarray(values, np.float64)

