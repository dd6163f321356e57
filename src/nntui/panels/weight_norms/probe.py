"""The weight-norms panel's measurement: ‖W‖ of each weight matrix, and ‖ΔW‖ / ‖W‖ of the update before the frame."""

from __future__ import annotations

import math

import numpy as np
import torch


class WeightNorms:
    """Keeps a copy of the weight matrices from just before each update (one copy_ per step, on the device), so
    the update's size is exactly the last step's, whatever the optimizer (momentum, Adam, weight decay, L1)."""

    def __init__(self, run) -> None:
        self.weights = [p for p in run.params if p.dim() >= 2]  # biases and batch norm's scales left out
        self.before = [torch.empty_like(w) for w in self.weights]
        self.updated = False

    @torch.no_grad()
    def before_update(self) -> None:
        for copy, weight in zip(self.before, self.weights):
            copy.copy_(weight)
        self.updated = True

    @torch.no_grad()
    def measure(self) -> dict[str, np.ndarray]:
        if not self.weights:
            return {"weight_norms": np.zeros(0), "update_ratios": np.zeros(0)}
        norms = torch.stack([torch.linalg.vector_norm(w.float()) for w in self.weights])
        if self.updated:
            moved = torch.stack([torch.linalg.vector_norm((w - b).float()) for w, b in zip(self.weights, self.before)])
            sizes = torch.stack([torch.linalg.vector_norm(b.float()) for b in self.before])
            ratios = moved / sizes  # (a layer that was all zeros: inf, drawn off the chart)
        else:
            ratios = torch.full_like(norms, math.nan)
        both = torch.stack([norms, ratios]).double().cpu().numpy()  # one transfer
        return {"weight_norms": both[0], "update_ratios": both[1]}
