"""Build torch models, losses, optimizers and schedules from validated specs."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator

import torch
from torch import nn

from ..scenario.spec import ModelSpec, TrainSpec
from ..schedules import lr_factor

ACTIVATIONS = {
    "relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "leaky_relu": nn.LeakyReLU,
    "elu": nn.ELU, "selu": nn.SELU, "silu": nn.SiLU, "gelu": nn.GELU, "identity": nn.Identity,
}


def _init_linear(layer: nn.Linear, spec: ModelSpec) -> None:
    if spec.init == "default":
        return  # PyTorch's own (Kaiming-uniform with a = √5)
    with torch.no_grad():
        if spec.init == "zeros":
            layer.weight.zero_()
        elif spec.init == "normal":
            layer.weight.normal_(0.0, spec.init_std)
        elif spec.init == "xavier":
            nn.init.xavier_normal_(layer.weight)  # σ = √(2 / (fan_in + fan_out))
        elif spec.init == "he":
            nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")  # σ = √(2 / fan_in)
        elif spec.init == "constant":
            layer.weight.fill_(spec.init_value)  # every unit of a layer computes the same thing
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
    if spec.kind == "surface":
        return SurfaceModel(spec)
    if spec.kind == "linear":
        model: nn.Module = nn.Linear(n_in, n_out, bias=spec.bias)
        _init_linear(model, spec)
        return model
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


def build_loss(name: str) -> nn.Module:
    return {"mse": nn.MSELoss, "bce_with_logits": nn.BCEWithLogitsLoss, "cross_entropy": nn.CrossEntropyLoss}[name]()


def build_optimizer(spec: TrainSpec, params) -> torch.optim.Optimizer:
    if spec.optimizer == "sgd":
        return torch.optim.SGD(params, lr=spec.lr, momentum=spec.momentum, nesterov=spec.nesterov,
                               weight_decay=spec.weight_decay)
    if spec.optimizer == "adam":
        return torch.optim.Adam(params, lr=spec.lr, betas=spec.betas, eps=spec.eps, weight_decay=spec.weight_decay)
    if spec.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=spec.lr, alpha=spec.alpha, eps=spec.eps, momentum=spec.momentum,
                                   weight_decay=spec.weight_decay)
    return torch.optim.Adagrad(params, lr=spec.lr, eps=spec.eps, weight_decay=spec.weight_decay)


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
