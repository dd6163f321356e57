"""The neurons panel's measurement. Every unit's picture: its output over the data's plane (a grid for 2-D data, a row of points for 1-D),
with the weights between layers, for the neurons panel.

One batched forward over the plane's points per frame, never per step: the hidden activations are read off
the same pass the model's output comes from, so the output is exactly the weighted sum the panel draws.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...engine.build import PROBE_SAMPLES, eval_mode
from ...frames import Neurons
from ...scenario.data import padded_ranges

GRID = 15    # 2-D data: GRID × GRID points over the plane per unit
LINE = 48    # 1-D data: points along x per unit
SKIPPED = (nn.Dropout, nn.BatchNorm1d)  # identity in evaluation, or part of the unit before its activation


class Units:
    """A run's model (a Linear, or Linear → activation → … → Linear) seen unit by unit over the data's plane."""

    def __init__(self, run) -> None:
        model, ds, device = run.model, run.variant.dataset, run.device
        self.model = model
        self.logits = run.variant.train.loss == "bce_with_logits"  # the model's output is a logit
        self.layers = list(model) if isinstance(model, nn.Sequential) else [model]
        ranges = padded_ranges(ds)
        if ds.task == "regression":
            self.x_range, self.y_range = ranges[0], ranges[1]
            points = np.linspace(*self.x_range, LINE)[:, None]
        else:
            self.x_range, self.y_range = ranges[0], ranges[1]
            gx, gy = np.meshgrid(np.linspace(*self.x_range, GRID), np.linspace(*self.y_range, GRID))
            points = np.stack([gx.ravel(), gy.ravel()], 1)
        self.shape = (LINE,) if ds.task == "regression" else (GRID, GRID)
        self.inputs = torch.as_tensor(ds.inputs_of(points), device=device)
        self.train = torch.as_tensor(ds.x_train[:PROBE_SAMPLES], device=device)  # for dead units
        self.names = tuple(ds.feature_names)

    def before_update(self) -> None:
        pass

    @torch.no_grad()
    def measure(self) -> dict[str, Neurons]:
        with eval_mode(self.model):
            return {"neurons": self._measure()}

    def _measure(self) -> Neurons:
        columns = [self.inputs]
        seen = [self.train]
        h, t = self.inputs, self.train
        for k, layer in enumerate(self.layers):
            h, t = layer(h), layer(t)
            if isinstance(layer, SKIPPED) or isinstance(layer, nn.Linear) and k + 1 < len(self.layers) \
                    and not isinstance(self.layers[k + 1], nn.Linear):
                continue  # a hidden unit's picture is its output after its activation
            columns.append(h)
            seen.append(t)
        linears = [m for m in self.layers if isinstance(m, nn.Linear)]
        grids = tuple(c.T.reshape(c.shape[1], *self.shape).float().cpu().numpy() for c in columns)
        dead = tuple((s == 0).all(0).cpu().numpy() for s in seen[1:-1])  # a unit 0 on every training sample
        return Neurons(
            x_range=self.x_range, y_range=self.y_range, grids=grids,
            weights=tuple(m.weight.detach().float().cpu().numpy().copy() for m in linears),
            biases=tuple(m.bias.detach().float().cpu().numpy().copy() if m.bias is not None else None for m in linears),
            dead=dead, inputs=self.names, probability=self.logits and len(grids[-1]) == 1)
