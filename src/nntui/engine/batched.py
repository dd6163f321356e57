"""Runs that differ only in SGD's hyper-parameters, trained as one batched computation.

A learning-rate sweep trains the same architecture on the same batches with
different lr (or momentum). Stepping eight small models one by one costs
eight times Python's per-step overhead; here their parameters are stacked
along a leading axis and one `torch.func.vmap` of `functional_call` gives
all K losses in one forward and one backward. The SGD update (weight decay,
momentum, Nesterov) is torch.optim.SGD's, with a per-run lr, written out
for the stacked tensors. A run that diverges stops updating; the others go
on. The numbers equal training the runs one by one, to float rounding
(tests/test_batched.py).

Each run's own model is the one every measurement reads (histograms,
boundary, validation loss, final parameters): its parameters are views into
the stacked tensors, so they are always current; `sync()` points their
.grad at the stacked gradients before frames.
"""

from __future__ import annotations

import copy
import time

import torch
from torch.func import functional_call, vmap

from ..scenario import Variant


def batch_key(variant: Variant, seed: int, device: str) -> tuple | None:
    """Runs with equal keys can be batched; None: this run trains on its own."""
    t, m = variant.train, variant.model
    plain_sgd = (t.optimizer == "sgd" and t.schedule == "constant" and t.accumulate == 1
                 and t.backprop == "autograd" and t.zero_grad)
    if not plain_sgd or m.kind not in ("linear", "mlp") or m.batch_norm:
        return None
    run_seed = t.seed if t.seed is not None else seed
    return (id(variant.dataset), variant.batch_size, t.loss, run_seed, device, t.diverge_factor, t.eval_every,
            m.kind, tuple(m.layers), m.activation, m.init, m.init_std, m.init_value, m.bias)


class BatchedRuns:
    """K runs (RunState) stepped together; they keep their own bookkeeping (losses, step, divergence)."""

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
        self.nesterov = [r.variant.train.nesterov for r in runs]
        self.any_decay = any(r.variant.train.weight_decay for r in runs)  # decided once, not per step
        self.any_momentum = any(r.variant.train.momentum for r in runs)
        self.buffers: dict[str, torch.Tensor] | None = None
        self.template = copy.deepcopy(first.model)  # functional_call needs a module; its own weights are unused
        loss_fn = first.loss_fn

        def loss_of(params, x, y):
            return loss_fn(functional_call(self.template, params, (x,)), y)

        self.losses = vmap(loss_of, in_dims=(0, None, None))
        self.generator, self.order, self.cursor = first.generator, None, 0  # the runs share one batch order

    def drop(self, k: int) -> None:
        """Run k leaves the group (an edit restarts it on its own); the others keep their state."""
        keep = [i for i in range(len(self.runs)) if i != k]
        self.sync()
        self.stacked = {n: p.detach()[keep].clone().requires_grad_(True) for n, p in self.stacked.items()}
        if self.buffers is not None:
            self.buffers = {n: b[keep].clone() for n, b in self.buffers.items()}
        self.lr, self.momentum, self.weight_decay = (v[keep] for v in (self.lr, self.momentum, self.weight_decay))
        self.nesterov = [self.nesterov[i] for i in keep]
        self.runs = [self.runs[i] for i in keep]
        self._bind()

    def _bind(self) -> None:
        """Make each run's parameters views into the stacked tensors: the update moves them too."""
        for k, run in enumerate(self.runs):
            for name, p in zip(run.names, run.params):
                p.data = self.stacked[name].detach()[k]

    def _shape(self, values: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return values.reshape(-1, *([1] * (like.dim() - 1)))

    def train_step(self, track_update: bool) -> None:
        started = time.perf_counter()
        taking = [run for run in self.runs if run.active]  # the runs this step is for
        first = self.runs[0]
        xb, yb = first._batch()  # every run's generator has the same seed: one batch serves all
        for p in self.stacked.values():
            p.grad = None
        losses = self.losses(self.stacked, xb, yb)
        values = losses.detach().tolist()  # one device sync for all K runs
        live = []
        for k, (run, value) in enumerate(zip(self.runs, values)):
            if not run.active:
                continue
            run.loss_log.append((run.step, value))
            if run.first_loss is None:
                run.first_loss = value
            if run.track_path:
                run._record_position(value, self._flat(k))
            if run._diverging(value):
                run.diverged_at = run.step  # it keeps the parameters that gave this loss
                continue
            live.append(k)
        if not live:
            self._spent(started, taking)
            return
        losses.sum().backward()  # the runs are independent: each gets the gradient of its own loss
        before = self._flats() if track_update else None
        mask = torch.zeros(len(self.runs), dtype=self.lr.dtype, device=self.lr.device)
        mask[live] = 1.0
        self._sgd(mask)
        for k in live:
            run = self.runs[k]
            run.step += 1
            if before is not None:
                run._note_update(self._flat(k) - before[k])
            if run.step % run.eval_every == 0:
                run._evaluate()
        self._spent(started, taking)

    @staticmethod
    def _spent(started: float, runs: list) -> None:
        """Each run that took part in this step is charged its whole time (for steps/s per run)."""
        elapsed = time.perf_counter() - started
        for run in runs:
            run.train_seconds += elapsed

    @torch.no_grad()
    def _sgd(self, mask: torch.Tensor) -> None:
        """torch.optim.SGD's update for each run (lr 0 for runs that stopped), on the stacked tensors."""
        first_step = self.buffers is None
        if first_step:
            self.buffers = {}
        for name, p in self.stacked.items():
            d_p = p.grad
            if self.any_decay:
                d_p = d_p + self._shape(self.weight_decay, p) * p
            if self.any_momentum:
                m = self._shape(self.momentum, p)
                if first_step:
                    buf = self.buffers[name] = d_p.clone()
                else:
                    buf = self.buffers[name]
                    # a stopped run's buffer stays as it was, as its optimizer would
                    buf.copy_(torch.where(self._shape(mask, p) > 0, buf * m + d_p, buf))
                nesterov = torch.tensor(self.nesterov, device=p.device).reshape(self._shape(mask, p).shape)
                d_p = torch.where(m > 0, torch.where(nesterov, d_p + m * buf, buf), d_p)
            p.sub_(self._shape(self.lr * mask, p) * d_p)

    def _flat(self, k: int) -> torch.Tensor:
        return torch.cat([p.detach()[k].reshape(-1) for p in self.stacked.values()]).clone()

    def _flats(self) -> list[torch.Tensor]:
        return [self._flat(k) for k in range(len(self.runs))]

    @torch.no_grad()
    def sync(self, k: int | None = None) -> None:
        """Point each run's .grad at its slice of the stacked gradients (the parameters are views already)."""
        for index in range(len(self.runs)) if k is None else (k,):
            run = self.runs[index]
            for name, p in zip(run.names, run.params):
                grad = self.stacked[name].grad
                p.grad = None if grad is None else grad[index]

