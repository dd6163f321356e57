"""Backpropagation written out by hand, as in a first course: no autograd.

The forward pass keeps every layer's input; the backward pass walks the
layers in reverse, applying each one's local derivative. The lesson
`manual_vs_autograd` trains one copy of a net with this and one with
loss.backward(), from the same weights on the same batches.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


@torch.no_grad()
def loss_and_gradients(model: nn.Module, loss_name: str, x: torch.Tensor, y: torch.Tensor
                       ) -> tuple[torch.Tensor, list[torch.Tensor]]:
    """The loss and d(loss)/d(parameter) for every parameter of `model`, in named_parameters() order."""
    layers = list(model) if isinstance(model, nn.Sequential) else [model]
    inputs = []  # what each layer received
    h = x
    for layer in layers:
        inputs.append(h)
        h = layer(h)  # plain tensor ops under no_grad: nothing is recorded
    loss, d = _loss_and_delta(loss_name, h, y)

    grads: dict[int, torch.Tensor] = {}
    for layer, a in zip(reversed(layers), reversed(inputs)):
        if isinstance(layer, nn.Linear):  # out = a·Wᵀ + b
            grads[id(layer.weight)] = d.T @ a
            if layer.bias is not None:
                grads[id(layer.bias)] = d.sum(0)
            d = d @ layer.weight
        else:  # an activation: multiply by its derivative at the layer's input
            d = d * _derivative(layer, a)
    return loss, [grads[id(p)] for p in model.parameters()]


def _loss_and_delta(name: str, out: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The mean loss and its derivative with respect to the network's output."""
    n = out.numel() if name != "cross_entropy" else out.shape[0]
    if name == "mse":  # mean((out − y)²) → 2(out − y)/N
        diff = out - y
        return (diff * diff).mean(), 2 * diff / n
    if name == "bce_with_logits":  # the sigmoid and the log cancel: σ(out) − y
        loss = F.softplus(out).mean() - (y * out).mean()  # log(1 + eᶻ) − y·z, written stably
        return loss, (torch.sigmoid(out) - y) / n
    if name == "cross_entropy":  # over logits: softmax(out) − onehot(y)
        log_p = out.log_softmax(1)
        loss = -log_p[torch.arange(len(y), device=y.device), y].mean()
        delta = log_p.exp()
        delta[torch.arange(len(y), device=y.device), y] -= 1
        return loss, delta / n
    raise ValueError(f"no hand-written derivative for the loss '{name}'")


def _derivative(layer: nn.Module, z: torch.Tensor) -> torch.Tensor:
    if isinstance(layer, nn.ReLU):
        return (z > 0).to(z.dtype)
    if isinstance(layer, nn.LeakyReLU):
        return torch.where(z > 0, 1.0, layer.negative_slope).to(z.dtype)
    if isinstance(layer, nn.Sigmoid):
        s = torch.sigmoid(z)
        return s * (1 - s)
    if isinstance(layer, nn.Tanh):
        return 1 - torch.tanh(z) ** 2
    if isinstance(layer, nn.Identity):
        return torch.ones_like(z)
    raise ValueError(f"no hand-written derivative for {type(layer).__name__}")  # the loader refuses these
