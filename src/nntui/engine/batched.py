"""Runs that differ only in SGD's hyper-parameters, trained as one batched computation.

A learning-rate sweep trains the same architecture on the same batches with
different lr (or momentum). Stepping eight small models one by one costs
eight times Python's per-step overhead; here their parameters are stacked
along a leading axis: one batched forward (a batched matmul per Linear
layer) gives all K losses, and one backward all their gradients. The SGD
update (weight decay, momentum, Nesterov) is torch.optim.SGD's, with a
per-run lr, written out for the stacked tensors. A run that diverges stops updating; the others go
on. The numbers equal training the runs one by one, to float rounding
(tests/test_batched.py).

Each run's own model is the one every measurement reads (histograms,
boundary, validation loss, final parameters): its parameters are views into
the stacked tensors, so they are always current; `sync()` points their
.grad at the stacked gradients before frames.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F
from torch import nn

from ..scenario import Variant


def batch_key(variant: Variant, seed: int, device: str) -> tuple | None:
    """Runs with equal keys can be batched; None: this run trains on its own. `seed` is the run's own."""
    t, m = variant.train, variant.model
    plain_sgd = (t.optimizer == "sgd" and t.schedule == "constant" and t.accumulate == 1
                 and t.backprop == "autograd" and t.zero_grad)
    # L1's zeros, dropout's masks and early stopping's checkpoints are per run: those runs train alone
    regularized = t.l1 or t.early_stop is not None or not t.eval_mode or m.dropout_rates()
    if not plain_sgd or regularized or m.kind not in ("linear", "mlp") or m.batch_norm:
        return None
    return (id(variant.dataset), variant.batch_size, t.loss, seed, device, t.diverge_factor, t.eval_every,
            m.kind, tuple(m.layers), m.activation, m.init, m.init_std, m.init_value, m.bias)


class BatchedRuns:
    """K runs (RunState) stepped together; each books its own steps (RunState.record_loss and .stepped)."""

    def __init__(self, runs: list):
        self.runs = runs
        first = runs[0]
        self.names = first.names
        self.stacked = {n: torch.stack([dict(r.model.named_parameters())[n].detach() for r in runs]).clone()
                        .requires_grad_(True) for n in self.names}
        self._bind()
        device = first.x.device

        def column(values: list[float]) -> torch.Tensor:
            return torch.tensor(values, dtype=first.params[0].dtype, device=device)

        self.lr = column([r.variant.train.lr for r in runs])
        self.momentum = column([r.variant.train.momentum for r in runs])
        self.weight_decay = column([r.variant.train.weight_decay for r in runs])
        self.nesterov = torch.tensor([r.variant.train.nesterov for r in runs], device=device)
        self.any_decay = any(r.variant.train.weight_decay for r in runs)  # decided once, not per step
        self.any_momentum = any(r.variant.train.momentum for r in runs)
        self.buffers: dict[str, torch.Tensor] | None = None
        # the layers in order, as (parameter prefix, module): Linear layers run on the stacked weights
        model = first.model
        self.layers = [("", model)] if isinstance(model, nn.Linear) else [
            (f"{name}.", module) for name, module in model.named_children()]
        self.per_run_loss = PER_RUN_LOSS[first.variant.train.loss]
        self.generator, self.order, self.cursor = first.generator, None, 0  # the runs share one batch order
        self._live: list[int] | None = None
        self._live_mask: torch.Tensor | None = None

    def drop(self, k: int) -> None:
        """Run k leaves the group (an edit restarts it on its own); the others keep their state."""
        keep = [i for i in range(len(self.runs)) if i != k]
        self.sync()
        first = self.runs[0]  # it drew every batch: each run takes its place in the batch order (one may lead next)
        for run in self.runs[1:]:
            run.order, run.cursor = first.order, first.cursor
            run.generator.set_state(first.generator.get_state())
        self.stacked = {n: p.detach()[keep].clone().requires_grad_(True) for n, p in self.stacked.items()}
        if self.buffers is not None:
            self.buffers = {n: b[keep].clone() for n, b in self.buffers.items()}
        self.lr, self.momentum, self.weight_decay = (v[keep] for v in (self.lr, self.momentum, self.weight_decay))
        self.nesterov = self.nesterov[keep]
        self.runs = [self.runs[i] for i in keep]
        self._live = None
        self._bind()

    def release(self, k: int) -> None:
        """Run k goes on alone from where it is (an edit that continues it): its parameters get memory of their own
        and its momentum moves into its own optimizer, as if it had trained alone all along."""
        self.sync(k)
        run = self.runs[k]
        for name, p in zip(run.names, run.params):
            p.data = p.data.clone()
            if p.grad is not None:
                p.grad = p.grad.clone()
            if self.buffers is not None and run.variant.train.momentum:
                run.optimizer.state[p]["momentum_buffer"] = self.buffers[name][k].clone()
        self.drop(k)

    def _bind(self) -> None:
        """Make each run's parameters views into the stacked tensors: the update moves them too."""
        for k, run in enumerate(self.runs):
            for name, p in zip(run.names, run.params):
                p.data = self.stacked[name].detach()[k]

    def _shape(self, values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return values.reshape(-1, *([1] * (like.dim() - 1)))

    def train_step(self) -> None:
        started = time.perf_counter()
        taking = [run for run in self.runs if run.active]  # the runs this step is for
        first = self.runs[0]
        xb, yb = first._batch()  # every run's generator has the same seed: one batch serves all
        for p in self.stacked.values():
            p.grad = None
        losses = self.per_run_loss(self._forward(xb), yb)
        values = losses.detach().tolist()  # one device sync for all K runs
        positions = self._flats().tolist() if first.track_path else None  # one more for all their positions
        live = [k for k, (run, value) in enumerate(zip(self.runs, values))
                if run.active and run.record_loss(value, positions[k] if positions is not None else None)]
        if not live:
            self._spent(started, taking)
            return
        losses.sum().backward()  # the runs are independent: each gets the gradient of its own loss
        self._sgd(self._mask(live))
        full = self._full_losses(live)
        for k in live:
            self.runs[k].stepped(full[k] if full is not None else None)
        self._spent(started, taking)

    def _full_losses(self, live: list[int]) -> list[float] | None:
        """Every run's loss on the whole training split in one batched forward, when one of the stepping runs
        is due to book it (a run whose batch is the whole split books each step's loss instead)."""
        runs = [self.runs[k] for k in live]
        if not any(r.step + 1 == r.total or (not r.dense and r.due(r.step + 1)) for r in runs):
            return None  # (checked before entering no_grad: that context costs more than the check, every step)
        first = self.runs[0]
        with torch.no_grad():
            return self.per_run_loss(self._forward(first.x), first.y).tolist()

    @staticmethod
    def _spent(started: float, runs: list) -> None:
        """Each run that took part in this step is charged its whole time (for steps/s per run)."""
        elapsed = time.perf_counter() - started
        for run in runs:
            run.train_seconds += elapsed

    @torch.no_grad()
    def _sgd(self, mask: torch.Tensor) -> None:
        """torch.optim.SGD's update for each run (lr 0 for runs that stopped), on the stacked tensors."""
        buffers = self.buffers
        first_step = buffers is None
        if buffers is None:
            buffers = self.buffers = {}
        step_lr = self.lr * mask
        for name, p in self.stacked.items():
            d_p = p.grad
            assert d_p is not None  # train_step's backward() has just filled it
            if self.any_decay:
                d_p = d_p + self._shape(self.weight_decay, p) * p
            if self.any_momentum:
                m = self._shape(self.momentum, p)
                if first_step:
                    buf = buffers[name] = d_p.clone()
                else:
                    buf = buffers[name]
                    # a stopped run's buffer stays as it was, as its optimizer would
                    buf.copy_(torch.where(self._shape(mask, p) > 0, buf * m + d_p, buf))
                d_p = torch.where(m > 0, torch.where(self._shape(self.nesterov, p), d_p + m * buf, buf), d_p)
            p.sub_(self._shape(step_lr, p) * d_p)

    def _forward(self, x: torch.Tensor) -> torch.Tensor:
        """(K, N, out): every run's model on the same batch, one batched matmul per layer.

        Written out rather than vmap(functional_call): their per-call bookkeeping (pytrees, module
        swapping) cost more than the step itself for small models."""
        h = x
        for prefix, module in self.layers:
            if isinstance(module, nn.Linear):
                h = h @ self.stacked[prefix + "weight"].transpose(1, 2)  # (N, in) or (K, N, in) @ (K, in, out)
                bias = self.stacked.get(prefix + "bias")
                if bias is not None:
                    h = h + bias.unsqueeze(1)
            else:  # activations act elementwise
                h = module(h)
        return h

    def _flats(self) -> torch.Tensor:
        """(K, P): every run's parameters, flattened, in one copy."""
        return torch.cat([p.detach().reshape(len(self.runs), -1) for p in self.stacked.values()], dim=1)

    def _mask(self, live: list[int]) -> torch.Tensor:
        """1 for the runs that step, 0 for the stopped ones (built again only when that set changes)."""
        if self._live != live or self._live_mask is None:
            self._live = live
            self._live_mask = torch.zeros(len(self.runs), dtype=self.lr.dtype, device=self.lr.device)
            self._live_mask[live] = 1.0
        return self._live_mask

    @torch.no_grad()
    def sync(self, k: int | None = None) -> None:
        """Point each run's .grad at its slice of the stacked gradients (the parameters are views already)."""
        for index in range(len(self.runs)) if k is None else (k,):
            run = self.runs[index]
            for name, p in zip(run.names, run.params):
                grad = self.stacked[name].grad
                p.grad = None if grad is None else grad[index]


def _mse(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return ((out - y) ** 2).flatten(1).mean(1)


def _bce(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(out, y.expand_as(out), reduction="none").flatten(1).mean(1)


def _cross_entropy(out: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    k, n, c = out.shape
    return F.cross_entropy(out.reshape(k * n, c), y.repeat(k), reduction="none").reshape(k, n).mean(1)


# each loss as the runs' own loss modules compute it (mean over the batch), one value per run
PER_RUN_LOSS = {"mse": _mse, "bce_with_logits": _bce, "cross_entropy": _cross_entropy}
