"""The weight-norms panel's measurement: ‖W‖ of each weight matrix at each frame, and ‖ΔW‖ / ‖W‖ of every update."""

from __future__ import annotations

import numpy as np
import torch


class WeightNorms:
    """Keeps a copy of the weight matrices from just before each update (one copy_ per step, on the device), so each
    update's share is exactly its own, whatever the optimizer (momentum, Adam, weight decay, L1). Every update's
    share is kept, on the device, and sent with the next frame in one transfer: one step sampled per frame drew a
    lurching run differently at each speed (at full speed, frames come only where claims are judged)."""

    def __init__(self, run) -> None:
        self.run = run
        self.weights = [p for p in run.params if p.dim() >= 2]  # biases and batch norm's scales left out
        self.before = [torch.empty_like(w) for w in self.weights]
        self.pending: int | None = None  # the step of the update taken whose share is not measured yet
        self.shares: list[torch.Tensor] = []  # every update's share since the last frame, by layer
        self.steps: list[int] = []

    @torch.no_grad()
    def before_update(self) -> None:
        self._measure_pending()
        for copy, weight in zip(self.before, self.weights):
            copy.copy_(weight)
        self.pending = self.run.step

    @torch.no_grad()
    def _measure_pending(self) -> None:
        """The share the last update changed: the weights now against the copy from before it."""
        if self.pending is None or not self.weights:
            return
        moved = torch.stack([torch.linalg.vector_norm((w - b).float()) for w, b in zip(self.weights, self.before)])
        sizes = torch.stack([torch.linalg.vector_norm(b.float()) for b in self.before])
        self.shares.append(moved / sizes)  # (a layer that was all zeros: inf, drawn off the chart)
        self.steps.append(self.pending)
        self.pending = None

    @torch.no_grad()
    def measure(self) -> dict:
        n = len(self.weights)
        if not n:
            return {"weight_norms": np.zeros(0), "update_ratios": (np.zeros(0, np.int64), np.zeros((0, 0)))}
        self._measure_pending()
        norms = torch.stack([torch.linalg.vector_norm(w.float()) for w in self.weights])
        both = torch.cat([norms[None], *(s[None] for s in self.shares)]).double().cpu().numpy()  # one transfer
        steps = np.asarray(self.steps, np.int64)
        self.shares, self.steps = [], []
        return {"weight_norms": both[0], "update_ratios": (steps, both[1:].reshape(len(steps), n))}
