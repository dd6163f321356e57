"""The boundary panel's measurement: what a model predicts over its input space.

2-D classification: the predicted class and its probability on a grid over the
data (one batched forward pass). 1-D regression: the model's output along x.
"""

from __future__ import annotations

import numpy as np
import torch

from ...engine.build import eval_mode
from ...frames import Boundary
from ...scenario.data import Dataset, padded_ranges

GRID = (96, 64)
CURVE_POINTS = 200


class BoundaryProbe:
    """The model's output over a fixed grid of the data's plane, one batched forward pass a frame."""

    def __init__(self, model: torch.nn.Module, ds: Dataset, device: str):
        self.model, self.ds = model, ds
        self.ranges = padded_ranges(ds)
        if ds.task == "regression":
            self.xs = np.linspace(*self.ranges[0], CURVE_POINTS)
            points = self.xs[:, None]
        else:
            gx, gy = np.meshgrid(np.linspace(*self.ranges[0], GRID[0]), np.linspace(*self.ranges[1], GRID[1]))
            points = np.stack([gx.ravel(), gy.ravel()], 1)
        # the plane's points as the model takes them (data.inputs' formulas; standardized)
        self.inputs = torch.as_tensor(ds.inputs_of(points) if ds.inputs else points, dtype=torch.float32, device=device)

    @torch.no_grad()
    def predict(self) -> Boundary:
        out = self.model(self.inputs)
        if self.ds.task == "regression":
            return Boundary(self.ranges[0], self.ranges[1], curve_x=self.xs,
                            curve_y=out[:, 0].double().cpu().numpy())
        if self.ds.task == "binary":
            p1 = torch.sigmoid(out[:, 0])
            probs = torch.stack([1 - p1, p1], 1)
        elif self.ds.task == "multiclass":
            probs = torch.softmax(out, 1)
        else:
            raise ValueError(f"the boundary panel has no rule for the task '{self.ds.task}'")
        conf, cls = probs.max(1)
        shape = (GRID[1], GRID[0])
        return Boundary(self.ranges[0], self.ranges[1], classes=cls.cpu().numpy().reshape(shape),
                        confidence=conf.double().cpu().numpy().reshape(shape))


class Regions:
    """The panel's probe, built per run: the prediction over the plane at each frame, the model in eval mode."""

    def __init__(self, run) -> None:
        self.run = run
        self.probe = BoundaryProbe(run.model, run.variant.dataset, run.device)

    def before_update(self) -> None:
        pass

    def measure(self) -> dict[str, Boundary]:
        with eval_mode(self.run.model):
            return {"boundary": self.probe.predict()}
