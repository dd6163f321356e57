"""The engine: trains every variant of a scenario side by side with a plain PyTorch loop.

Each step of each run is the textbook loop — zero_grad → forward → loss →
backward → step — on the chosen device. The engine publishes Frames
(numpy only) and never imports Textual.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

from ..frames import HIST_BINS, Frame, RunFrame
from ..scenario import Scenario, Variant
from .build import build_loss, build_model, build_optimizer
from .device import resolve_device


class RunState:
    """One variant's model, optimizer, batches and bookkeeping."""

    def __init__(self, variant: Variant, device: str, seed: int, tensors: dict[int, tuple[torch.Tensor, ...]]):
        self.variant = variant
        self.label = variant.label
        ds = variant.dataset
        key = id(ds)
        if key not in tensors:  # variants on the same data share its tensors
            tensors[key] = tuple(torch.as_tensor(a, device=device) for a in (ds.x_train, ds.y_train, ds.x_val, ds.y_val))
        self.x, self.y, self.x_val, self.y_val = tensors[key]

        n_out = ds.n_classes if ds.task == "multiclass" else ds.y_train.shape[1]
        # Same seed + same architecture → same initial weights in every variant.
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.model = build_model(variant.model, ds.n_features, n_out).to(device)
        self.names = tuple(name for name, _ in self.model.named_parameters())
        self.params = [p for _, p in self.model.named_parameters()]
        self.optimizer = build_optimizer(variant.train, self.params)
        self.loss_fn = build_loss(variant.train.loss)

        self.batch_size = variant.batch_size
        self.total = variant.steps
        self.generator = torch.Generator().manual_seed(seed)  # batch order, same in every variant
        self.order: torch.Tensor | None = None
        self.cursor = 0

        self.step = 0
        self.first_loss: float | None = None
        self.diverged_at: int | None = None
        self.limit_factor = variant.train.diverge_factor
        self.eval_every = variant.train.eval_every
        self.loss_log: list[tuple[int, float]] = []
        self.val_log: list[tuple[int, float]] = []
        self.last_update: torch.Tensor | None = None
        self.update_cos = math.nan
        self._evaluate()

    @property
    def active(self) -> bool:
        return self.diverged_at is None and self.step < self.total

    def _batch(self) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self.x)
        if self.batch_size >= n:
            return self.x, self.y
        if self.order is None or self.cursor >= n:  # a new epoch: reshuffle
            self.order = torch.randperm(n, generator=self.generator).to(self.x.device)
            self.cursor = 0
        idx = self.order[self.cursor:self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return self.x[idx], self.y[idx]

    def _flat(self) -> torch.Tensor:
        return torch.cat([p.detach().reshape(-1) for p in self.params]).clone()

    def train_step(self, track_update: bool) -> None:
        xb, yb = self._batch()
        self.optimizer.zero_grad(set_to_none=True)
        loss = self.loss_fn(self.model(xb), yb)
        value = loss.item()
        self.loss_log.append((self.step, value))
        if self.first_loss is None:
            self.first_loss = value
        if not math.isfinite(value) or value > self.limit_factor * max(self.first_loss, 1.0):
            self.diverged_at = self.step  # stop here; the parameters stay those that gave this loss
            return
        before = self._flat() if track_update else None
        loss.backward()
        self.optimizer.step()
        self.step += 1
        if before is not None:
            update = self._flat() - before
            if self.last_update is not None:
                denom = float(update.norm() * self.last_update.norm())
                self.update_cos = float(update @ self.last_update) / denom if denom > 0 else math.nan
            self.last_update = update
        if self.step % self.eval_every == 0:
            self._evaluate()

    @torch.no_grad()
    def _evaluate(self) -> None:
        if len(self.x_val):
            self.val_log.append((self.step, float(self.loss_fn(self.model(self.x_val), self.y_val))))

    @torch.no_grad()
    def frame(self) -> RunFrame:
        weights = [p.detach().float().reshape(-1) for p in self.params]
        grads = [p.grad.detach().float() if p.grad is not None else None for p in self.params]
        nan = torch.tensor(math.nan, device=weights[0].device)
        finite = [w[torch.isfinite(w)] for w in weights]
        norms = torch.stack([torch.linalg.vector_norm(w) for w in weights]
                            + [torch.linalg.vector_norm(g) if g is not None else nan for g in grads])
        bounds = torch.stack([torch.stack([f.min(), f.max()]) if f.numel() else torch.zeros(2, device=f.device)
                              for f in finite]).cpu().numpy().astype(np.float64)
        flat = bounds[:, 1] <= bounds[:, 0]  # all weights equal (e.g. zero init): centre a unit-wide range
        bounds[flat, 0] -= 0.5
        bounds[flat, 1] = bounds[flat, 0] + 1.0
        hists = torch.stack([torch.histc(f, bins=HIST_BINS, min=float(lo), max=float(hi))
                             for f, (lo, hi) in zip(finite, bounds)])
        norms_np = norms.cpu().numpy().astype(np.float64)
        k = len(weights)
        loss_steps, losses = _split(self.loss_log)
        val_steps, val_losses = _split(self.val_log)
        self.loss_log, self.val_log = [], []
        return RunFrame(
            label=self.label, step=self.step, loss_steps=loss_steps, losses=losses,
            val_steps=val_steps, val_losses=val_losses, diverged_at=self.diverged_at,
            finished=not self.active, update_cos=self.update_cos, param_names=self.names,
            weight_norms=norms_np[:k], grad_norms=norms_np[k:],
            hist_counts=hists.cpu().numpy().astype(np.int64), hist_ranges=bounds,
        )

    def parameters(self) -> dict[str, list]:
        return {name: p.detach().cpu().double().tolist() for name, p in zip(self.names, self.params)}


def _split(log: list[tuple[int, float]]) -> tuple[np.ndarray, np.ndarray]:
    if not log:
        return np.zeros(0, np.int64), np.zeros(0, np.float64)
    steps, values = zip(*log)
    return np.asarray(steps, np.int64), np.asarray(values, np.float64)


class Engine:
    """All variants of one scenario, stepped together on one device."""

    def __init__(self, scenario: Scenario, device: str | None = None):
        self.scenario = scenario
        self.device = resolve_device(device or scenario.meta.device,
                                     source="--device" if device else f"{scenario.path}: scenario.device")
        tensors: dict[int, tuple[torch.Tensor, ...]] = {}
        self.runs = [RunState(v, self.device, scenario.meta.seed, tensors) for v in scenario.variants]

    @property
    def step(self) -> int:
        return max(r.step for r in self.runs)

    @property
    def finished(self) -> bool:
        return not any(r.active for r in self.runs)

    def advance(self, n: int, should_stop: Callable[[], bool] | None = None) -> int:
        """Train up to `n` steps (every active run steps once per step); returns the steps taken."""
        done = 0
        for i in range(n):
            if should_stop is not None and should_stop():
                break
            active = [r for r in self.runs if r.active]
            if not active:
                break
            track = i >= n - 2  # updates are compared only around frame boundaries (cheap)
            for run in active:
                run.train_step(track)
            done += 1
        return done

    def frame(self) -> Frame:
        """The latest statistics plus every loss since the previous frame."""
        return Frame(self.step, tuple(r.frame() for r in self.runs))

    def final_parameters(self) -> list[dict[str, list]]:
        return [r.parameters() for r in self.runs]
