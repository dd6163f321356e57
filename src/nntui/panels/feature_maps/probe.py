"""The feature-maps panel's measurement: a few held-out images (training images where none are held out) through
the model, each conv block's maps read off the same forward pass that gives the prediction."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from ...engine.build import PROBE_SAMPLES, eval_mode
from ...engine.run import predictions
from ...frames import FeatureMaps
from ...scenario.conv import receptive_field

IMAGES = 12  # the images a student can step through (← →)


class Maps:
    def __init__(self, run) -> None:
        ds = run.variant.dataset
        self.model = run.model
        self.convs = [m for m in run.model.modules() if isinstance(m, nn.Conv2d)]
        chain = run.variant.conv_blocks
        self.fields = tuple(receptive_field(chain, k)[0] for k in range(len(chain)))
        self.held_out = held_out = len(run.x_val) > 0
        x, y = (run.x_val, ds.y_val) if held_out else (run.x, ds.y_train)
        shown = x[:IMAGES]
        self.count = len(shown)
        self.images = shown.float().cpu().numpy().reshape(self.count, *ds.image)  # (they do not change)
        self.labels = np.asarray(y[:IMAGES]).reshape(self.count, -1)[:, 0].astype(np.int64)
        # one forward pass a frame: the images shown, then the training samples that tell a dead channel
        self.x = torch.cat([shown, run.x[:PROBE_SAMPLES]])
        self.classes = ds.class_names or tuple(str(k) for k in range(max(ds.n_classes, 2)))

    def before_update(self) -> None:
        pass

    def _blocks(self, x: torch.Tensor) -> tuple[list[torch.Tensor], list[torch.Tensor | None], torch.Tensor]:
        """Each block's maps after its activation and after its pooling (None: none), and the model's output."""
        maps: list[torch.Tensor] = []
        pooled: list[torch.Tensor | None] = []
        layers = list(self.model) if isinstance(self.model, nn.Sequential) else [self.model]
        h = x
        for k, layer in enumerate(layers):
            h = layer(h)
            if k and isinstance(layers[k - 1], nn.Conv2d):  # the activation after a convolution
                maps.append(h)
                pooled.append(None)
            elif isinstance(layer, nn.MaxPool2d | nn.AvgPool2d):
                pooled[-1] = h
        return maps, pooled, h

    @torch.no_grad()
    def measure(self) -> dict[str, FeatureMaps]:
        with eval_mode(self.model):  # (no batch statistics: the training samples leave the images' maps alone)
            every, pooled_every, out_every = self._blocks(self.x)
        m = self.count
        maps, pooled, out = [a[:m] for a in every], [None if p is None else p[:m] for p in pooled_every], out_every[:m]
        probabilities = torch.softmax(out, 1) if out.shape[1] > 1 else torch.cat(
            [1 - torch.sigmoid(out), torch.sigmoid(out)], 1)
        predicted = predictions(out)

        def host(t: torch.Tensor) -> np.ndarray:  # (a copy: on the CPU `.numpy()` shares a weight's memory)
            return t.detach().float().cpu().numpy().copy()

        return {"feature_maps": FeatureMaps(
            images=self.images, labels=self.labels,
            predicted=host(predicted).astype(np.int64),
            confidence=host(probabilities.gather(1, predicted[:, None])[:, 0]),
            names=tuple(f"conv{k + 1}" for k in range(len(maps))),
            maps=tuple(host(m) for m in maps), pooled=tuple(None if p is None else host(p) for p in pooled),
            dead=tuple((a[m:] == 0).all(3).all(2).all(0).cpu().numpy() for a in every), classes=self.classes,
            held_out=self.held_out,
            weights=tuple(host(c.weight) for c in self.convs),
            biases=tuple(None if c.bias is None else host(c.bias) for c in self.convs), fields=self.fields)}
