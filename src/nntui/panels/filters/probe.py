"""The filters panel's measurement: every conv block's kernels and biases, copied at each frame."""

from __future__ import annotations

import torch
from torch import nn

from ...frames import ConvFilters


class Filters:
    def __init__(self, run) -> None:
        self.convs = [m for m in run.model.modules() if isinstance(m, nn.Conv2d)]

    def before_update(self) -> None:
        pass

    @torch.no_grad()
    def measure(self) -> dict[str, ConvFilters]:
        return {"filters": ConvFilters(
            names=tuple(f"conv{k + 1}" for k in range(len(self.convs))),
            weights=tuple(c.weight.detach().float().cpu().numpy() for c in self.convs),
            biases=tuple(c.bias.detach().float().cpu().numpy() if c.bias is not None else None for c in self.convs))}
