"""Build torch models, losses, optimizers and schedules from validated specs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import assert_never

import torch
from torch import nn

from ..scenario.spec import ModelSpec, TrainSpec
from ..schedules import lr_factor

ACTIVATIONS = {
    "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU, "selu": nn.SELU, "silu": nn.SiLU, "gelu": nn.GELU, "identity": nn.Identity,
}


INITS: dict[str, Callable[[torch.Tensor, ModelSpec], object] | None] = {
    "default": None,  # PyTorch's own (Kaiming-uniform with a = √5), biases included
    "zeros": lambda w, spec: w.zero_(),
    "normal": lambda w, spec: w.normal_(0.0, spec.init_std),
    "xavier": lambda w, spec: nn.init.xavier_normal_(w),  # σ = √(2 / (fan_in + fan_out))
    "he": lambda w, spec: nn.init.kaiming_normal_(w, nonlinearity="relu"),  # σ = √(2 / fan_in)
    "constant": lambda w, spec: w.fill_(spec.init_value),  # every unit of a layer computes the same thing
}


def _init_linear(layer: nn.Linear, spec: ModelSpec) -> None:
    init = INITS[spec.init]
    if init is None:
        return
    with torch.no_grad():
        init(layer.weight, spec)
        if layer.bias is not None:
            layer.bias.zero_()


SURFACES = {
    "quadratic": lambda x, y, k: 0.5 * (x * x + k * y * y),
    "rosenbrock": lambda x, y, k: (1 - x) ** 2 + 100 * (y - x * x) ** 2,
    "saddle": lambda x, y, k: x * x - y * y + 0.25 * y ** 4,
    "himmelblau": lambda x, y, k: (x * x + y - 11) ** 2 + (x + y * y - 7) ** 2,
}


class SurfaceModel(nn.Module):
    """Two parameters (x, y) whose 'forward' is the loss itself: an analytic surface to optimize."""

    def __init__(self, spec: ModelSpec):
        super().__init__()
        self.x = nn.Parameter(torch.tensor(float(spec.start[0])))
        self.y = nn.Parameter(torch.tensor(float(spec.start[1])))
        self.kind, self.condition = spec.surface, spec.condition

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:  # the inputs are a placeholder
        return SURFACES[self.kind](self.x, self.y, self.condition)


def surface_loss(output: torch.Tensor, _target: torch.Tensor) -> torch.Tensor:
    return output


def build_model(spec: ModelSpec, n_in: int, n_out: int) -> nn.Module:
    """linear: nn.Linear(n_in, n_out); mlp: Linear → act → … → Linear (in an nn.Sequential)."""
    match spec.kind:
        case "surface":
            return SurfaceModel(spec)
        case "linear":
            model: nn.Module = nn.Linear(n_in, n_out, bias=spec.bias)
            _init_linear(model, spec)
            return model
        case "mlp":
            return _mlp(spec, n_in, n_out)
        case _:
            assert_never(spec.kind)


def _mlp(spec: ModelSpec, n_in: int, n_out: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    width = n_in
    for hidden in spec.layers:
        layers.append(nn.Linear(width, hidden, bias=spec.bias))
        if spec.batch_norm:
            layers.append(nn.BatchNorm1d(hidden))
        layers.append(ACTIVATIONS[spec.activation]())
        width = hidden
    layers.append(nn.Linear(width, n_out, bias=spec.bias))
    for layer in layers:
        if isinstance(layer, nn.Linear):
            _init_linear(layer, spec)
    return nn.Sequential(*layers)


LOSSES = {"mse": nn.MSELoss, "bce_with_logits": nn.BCEWithLogitsLoss, "cross_entropy": nn.CrossEntropyLoss}


def build_loss(name: str) -> nn.Module:
    return LOSSES[name]()


OPTIMIZERS: dict[str, Callable[[TrainSpec, object], torch.optim.Optimizer]] = {
    "sgd": lambda t, params: torch.optim.SGD(params, lr=t.lr, momentum=t.momentum, nesterov=t.nesterov,
                                             weight_decay=t.weight_decay),
    "adam": lambda t, params: torch.optim.Adam(params, lr=t.lr, betas=t.betas, eps=t.eps,
                                               weight_decay=t.weight_decay),
    "rmsprop": lambda t, params: torch.optim.RMSprop(params, lr=t.lr, alpha=t.alpha, eps=t.eps, momentum=t.momentum,
                                                     weight_decay=t.weight_decay),
    "adagrad": lambda t, params: torch.optim.Adagrad(params, lr=t.lr, eps=t.eps, weight_decay=t.weight_decay),
}


def build_optimizer(spec: TrainSpec, params) -> torch.optim.Optimizer:
    return OPTIMIZERS[spec.optimizer](spec, params)


def build_scheduler(spec: TrainSpec, optimizer: torch.optim.Optimizer, total: int):
    """None for a constant lr; otherwise a LambdaLR stepped once per optimizer step."""
    if spec.schedule == "constant":
        return None
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(spec, total))


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Measure without side effects: batch norm uses its running statistics and leaves them alone."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)
