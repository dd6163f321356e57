"""The filters panel's measurement: every conv block's kernels and biases, copied at each frame."""

from __future__ import annotations

import torch
from torch import nn

from ...frames import ConvFilters


class Filters:
    def __init__(self, run) -> None:
        self.convs = [m for m in run.model.modules() if isinstance(m, nn.Conv2d)]
        self.initial = tuple(_copy(c.weight) for c in self.convs)  # (the probe is built before the first step)

    def before_update(self) -> None:
        pass

    @torch.no_grad()
    def measure(self) -> dict[str, ConvFilters]:
        return {"filters": ConvFilters(
            names=tuple(f"conv{k + 1}" for k in range(len(self.convs))),
            weights=tuple(_copy(c.weight) for c in self.convs),
            biases=tuple(_copy(c.bias) if c.bias is not None else None for c in self.convs),
            initial=self.initial)}


def _copy(tensor: torch.Tensor):
    """The values now, in an array of their own (on the CPU, `.numpy()` shares the parameter's memory, and the
    next step would change the frame's numbers)."""
    return tensor.detach().float().cpu().numpy().copy()
