"""The histograms panel's measurement: distributions of weights, activations and gradients per layer, on the device.

Activations are captured with forward hooks during one extra forward pass on a
probe batch, at frame time only: training steps never carry hooks.
Each layer's histogram uses a range that only ever grows, so histograms of
different moments can be compared bin for bin.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import torch
from torch import nn

from ...engine.build import PROBE_SAMPLES, eval_mode
from ...frames import HIST_BINS, PERCENTILES, Distributions

QUANTILE_SAMPLES = 100_000  # torch.quantile on more values than this uses a strided subsample


class Histograms:
    """Per-run state: the probe batch and the running ranges of every (quantity, layer). Each frame sends the
    distributions now ("dists") and each quantity's percentiles, every layer's in one row ("<quantity>_bands"),
    which the history keeps over time for the bands chart."""

    def __init__(self, run) -> None:
        model, x = run.model, run.x
        self.model = model
        self.x = x[:PROBE_SAMPLES]
        self.weights = [(name, p) for name, p in model.named_parameters() if p.dim() >= 2]
        self.activation_modules = activation_modules(model)
        self.meter = Meter(x.device)

    def before_update(self) -> None:
        pass

    @torch.no_grad()
    def measure(self) -> dict[str, object]:
        with eval_mode(self.model):
            dists = self._measure()
        bands = {f"{quantity}_bands": d.percentiles.reshape(-1) for quantity, d in dists.items()}
        return {"dists": dists, **bands}

    def _measure(self) -> dict[str, Distributions]:
        captured: list[torch.Tensor] = []
        hooks = [m.register_forward_hook(lambda _m, _i, out: captured.append(out.detach()))
                 for _, m in self.activation_modules]
        try:
            self.model(self.x)
        finally:
            for h in hooks:
                h.remove()
        return self.meter.all(self.weights, self.activation_modules, captured)


def activation_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """The modules whose outputs are a model's activations: each nonlinearity (any leaf module but a Linear or a
    convolution), or each hidden Linear where there is none."""
    mods: list[tuple[str, nn.Module]] = [(n, m) for n, m in model.named_modules() if n and not list(m.children())]
    acts = [(n, m) for n, m in mods if not isinstance(m, nn.Linear | nn.modules.conv._ConvNd)]
    linears: list[tuple[str, nn.Module]] = [(n, m) for n, m in mods if isinstance(m, nn.Linear)]
    return acts or linears[:-1]


class Meter:
    """Distributions of one run's tensors, per quantity, over ranges that only grow."""

    def __init__(self, device: torch.device | str, samples: int = QUANTILE_SAMPLES) -> None:
        """`samples`: the percentiles of a larger tensor are those of an even subsample of about this size."""
        self.samples = samples
        self.ranges: dict[str, np.ndarray] = {}
        self.q = torch.tensor([p / 100 for p in PERCENTILES], device=device)

    def all(self, weights: Sequence[tuple[str, torch.Tensor]], modules: list[tuple[str, nn.Module]],
            captured: list[torch.Tensor]) -> dict[str, Distributions]:
        """Weights and their gradients (NaN where a weight has none), and the activations `captured` from
        `modules`."""
        grads = [p.grad if p.grad is not None else torch.full_like(p, float("nan")) for _, p in weights]
        activations = self.dists("activations", [f"{n}: {type(m).__name__}" for n, m in modules], captured)
        if captured:  # a unit is dead when it outputs exactly 0 for every probe input (a ReLU that never fires)
            dead = torch.stack([(a.reshape(len(a), -1) == 0).all(0).float().mean() for a in captured])
            zeros = torch.stack([(a == 0).float().mean() for a in captured])
            dead_zeros = torch.stack([dead, zeros]).cpu().numpy().astype(np.float64)  # (one transfer)
            activations = replace(activations, dead=dead_zeros[0], zeros=dead_zeros[1])
        return {
            "weights": self.dists("weights", [n for n, _ in weights], [p.detach() for _, p in weights]),
            "activations": activations,
            "gradients": self.dists("gradients", [n for n, _ in weights], grads),
        }

    def dists(self, quantity: str, names: list[str], tensors: list[torch.Tensor]) -> Distributions:
        if not tensors:
            empty = np.zeros((0, HIST_BINS), np.int64)
            return Distributions((), empty, np.zeros((0, 2)), np.zeros((0, len(PERCENTILES))))
        flat = [t.float().reshape(-1) for t in tensors]
        finite = [f[torch.isfinite(f)] for f in flat]
        # percentiles and this frame's min/max, on the device, one transfer
        rows = []
        for f in finite:
            if f.numel() == 0:
                rows.append(torch.full((len(PERCENTILES),), float("nan"), device=f.device))
            else:
                sample = f[:: max(1, f.numel() // self.samples)]
                rows.append(torch.quantile(sample, self.q))
        pct = torch.stack(rows).double().cpu().numpy()
        lo_hi = np.stack([pct[:, 0], pct[:, -1]], 1)  # percentiles 0 and 100 are the min and max
        shared = self.ranges.get(quantity)
        if shared is None or len(shared) != len(lo_hi):
            shared = np.where(np.isfinite(lo_hi), lo_hi, 0.0)
        else:
            shared = np.stack([np.fmin(shared[:, 0], lo_hi[:, 0]), np.fmax(shared[:, 1], lo_hi[:, 1])], 1)
        flat_rows = shared[:, 1] <= shared[:, 0]  # a layer of equal values: centre a unit-wide range
        shared[flat_rows] = shared[flat_rows, :1] + np.array([-0.5, 0.5])
        self.ranges[quantity] = shared
        counts = torch.stack([torch.histc(f, HIST_BINS, float(lo), float(hi)) if f.numel() else
                              torch.zeros(HIST_BINS, device=f.device) for f, (lo, hi) in zip(finite, shared)])
        nonfinite = np.array([int(f.numel() - g.numel()) for f, g in zip(flat, finite)], np.int64)
        std = torch.stack([f.std(correction=0) if f.numel() else torch.tensor(math.nan, device=f.device)
                           for f in finite]).double().cpu().numpy()
        return Distributions(tuple(names), counts.cpu().numpy().astype(np.int64), shared.copy(), pct, nonfinite, std)
