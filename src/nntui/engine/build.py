"""Build torch models, losses, optimizers and schedules from validated specs and the catalog of concepts."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import assert_never

import torch
from torch import nn

from .. import catalog
from ..catalog import entry
from ..scenario import conv
from ..scenario.conv import Shape
from ..scenario.spec import ModelSpec, TrainSpec
from ..schedules import lr_factor

PROBE_SAMPLES = 256  # training inputs a probe passes through the model (histograms, dead units, the traced graph)


def activation(name: str) -> nn.Module:
    return getattr(nn, entry(catalog.ACTIVATIONS, name, "activation"))()


def _init_linear(layer: nn.Linear | nn.Conv2d, spec: ModelSpec) -> None:
    init = entry(catalog.INITS, spec.init, "init")
    if init.function is None:
        return
    with torch.no_grad():
        getattr(nn.init, init.function)(layer.weight, **init.arguments(spec))
        if layer.bias is not None:
            layer.bias.zero_()


# each surface's formula, compiled once from the catalog's text (ours, never a scenario's)
SURFACES: dict[str, Callable[..., torch.Tensor]] = {
    name: eval(f"lambda x, y, k: {formula}", {"__builtins__": {}})  # noqa: S307
    for name, formula in catalog.SURFACES.items()}


class SurfaceModel(nn.Module):
    """Two parameters (x, y) whose 'forward' is the loss itself: an analytic surface to optimize."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.x = nn.Parameter(torch.tensor(float(spec.start[0])))
        self.y = nn.Parameter(torch.tensor(float(spec.start[1])))
        assert spec.surface is not None  # ModelSpec's validator requires it for kind = "surface"
        self.height, self.condition = SURFACES[spec.surface], spec.condition

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:  # the inputs are a placeholder
        return self.height(self.x, self.y, self.condition)


def surface_loss(output: torch.Tensor, _target: torch.Tensor) -> torch.Tensor:
    return output


def build_model(spec: ModelSpec, n_in: int, n_out: int, image: Shape | None = None) -> nn.Module:
    """linear: nn.Linear(n_in, n_out); mlp: Linear → act → … → Linear (in an nn.Sequential); cnn: the flat
    pixels unflattened to `image`, conv blocks, flattened, then an mlp's layers."""
    match spec.kind:
        case "surface":
            return SurfaceModel(spec)
        case "linear":
            linear = nn.Linear(n_in, n_out, bias=spec.bias)
            _init_linear(linear, spec)
            return linear
        case "mlp":
            return _initialized(nn.Sequential(*_dense(spec, n_in, n_out)), spec)
        case "cnn":
            assert image is not None  # the loader refuses a cnn without images
            return _initialized(nn.Sequential(*_convolutions(spec, image), *_dense(spec, conv.flat_size(
                conv.blocks(spec.conv, image), image), n_out)), spec)
        case _:
            assert_never(spec.kind)


def _initialized(model: nn.Sequential, spec: ModelSpec) -> nn.Sequential:
    """Every layer built first, then each weight initialized in order: the draws an exported script makes."""
    for layer in model:
        if isinstance(layer, nn.Linear | nn.Conv2d):
            _init_linear(layer, spec)
    return model


POOLS = {"max": nn.MaxPool2d, "avg": nn.AvgPool2d}


def _convolutions(spec: ModelSpec, image: Shape) -> list[nn.Module]:
    """Unflatten → (Conv2d → activation → pooling?) per block → Flatten."""
    layers: list[nn.Module] = [nn.Unflatten(1, image)]
    for block in conv.blocks(spec.conv, image):
        layers += [nn.Conv2d(block.into[0], block.conv[0], block.kernel, block.stride, block.padding, bias=spec.bias),
                   activation(spec.activation)]
        if block.pool != "none":
            layers.append(POOLS[block.pool](block.pool_size))
    return [*layers, nn.Flatten()]


def _dense(spec: ModelSpec, n_in: int, n_out: int) -> list[nn.Module]:
    """Linear → (batch norm) → activation → (dropout) per hidden layer, then the output Linear."""
    layers: list[nn.Module] = []
    width = n_in
    rates = spec.dropout_rates() or (0.0,) * len(spec.layers)
    for hidden, rate in zip(spec.layers, rates):
        layers.append(nn.Linear(width, hidden, bias=spec.bias))
        if spec.batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(activation(spec.activation))
        if rate:
            layers.append(nn.Dropout(rate))
        width = hidden
    layers.append(nn.Linear(width, n_out, bias=spec.bias))
    return layers


def build_loss(name: str) -> nn.Module:
    return getattr(nn, entry(catalog.LOSSES, name, "loss"))()


def build_optimizer(spec: TrainSpec, params) -> torch.optim.Optimizer:
    optimizer = entry(catalog.OPTIMIZERS, spec.optimizer, "optimizer")
    return getattr(torch.optim, optimizer.torch_class)(params, **optimizer.arguments(spec))


def warm_up() -> None:
    """Pay PyTorch's first-use costs before a scenario comes (a spare trainer process, while the user picks a
    lesson): the first optimizer built imports torch._dynamo, about 1 s on 2 cores, which the first step of the
    lesson opened next had waited for."""
    weight = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([weight], lr=0.1)
    (weight * weight).sum().backward()
    optimizer.step()


def build_scheduler(spec: TrainSpec, optimizer: torch.optim.Optimizer, total: int):
    """None for a constant lr; otherwise a LambdaLR stepped once per optimizer step."""
    if spec.schedule == "constant":
        return None
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(spec, total))


@contextmanager
def eval_mode(model: nn.Module, on: bool = True) -> Iterator[None]:
    """Measure without side effects: batch norm uses its running statistics and leaves them alone, dropout
    keeps every unit. `on` False: as a script that forgets model.eval() measures (train.eval_mode = false)."""
    was_training = model.training
    model.train(not on)
    try:
        yield
    finally:
        model.train(was_training)
