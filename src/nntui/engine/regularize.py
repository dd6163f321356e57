"""L1 regularization with exact zeros, and early stopping with the best weights kept.

L1 adds λ·Σ|w| over the weight matrices (not the biases, as TensorFlow Playground and most texts do) to the
loss that is backpropagated. Autograd's gradient of |w| is λ·sign(w), which is 0 at w = 0; a plain gradient
step then only ever overshoots zero, so no weight would sit at exactly 0. Two rules make the zeros real,
as the proximal (soft-thresholding) step of L1 does:

- a weight the step carries across zero is set to 0 (the Playground's rule);
- a weight at 0 whose loss gradient is smaller than λ has the subgradient that cancels it (any value in
  [−λ, λ] is a subgradient of λ|w| at 0; the one of least norm is chosen): it stays at 0.

Early stopping follows the checkpoint loop of the course notes: remember the weights at each new best
validation loss; stop once `patience` steps pass without one; put the best weights back.
"""

from __future__ import annotations

import copy
import math

import torch
from torch import nn


def weight_matrices(model: nn.Module) -> list[torch.Tensor]:
    """The parameters L1 acts on and zero weights are counted in: the weight matrices, not biases or norms."""
    return [p for name, p in model.named_parameters() if p.ndim >= 2 and name.endswith("weight")]


class L1:
    """λ·Σ|w|: the penalty to add to the loss, and the two rules around the optimizer's step."""

    def __init__(self, model: nn.Module, strength: float):
        self.weights = weight_matrices(model)
        self.strength = strength
        self._signs: list[torch.Tensor] = []
        self._held: list[torch.Tensor] = []

    def penalty(self) -> torch.Tensor:
        return self.strength * torch.stack([w.abs().sum() for w in self.weights]).sum()

    @torch.no_grad()
    def before_step(self) -> None:
        """At w = 0, the least-norm subgradient: the gradient g becomes 0 where |g| ≤ λ, else g − λ·sign(g)."""
        self._signs, self._held = [], []
        for w in self.weights:
            self._signs.append(w.sign())
            zero = w == 0
            held = zero & (w.grad.abs() <= self.strength) if w.grad is not None else zero
            if w.grad is not None:
                w.grad.sub_(torch.where(zero & ~held, self.strength * w.grad.sign(), 0.0))
                w.grad.masked_fill_(held, 0.0)
            self._held.append(held)

    @torch.no_grad()
    def after_step(self) -> None:
        """Weights carried across zero, and those held at zero (momentum would move them), are 0."""
        for w, sign, held in zip(self.weights, self._signs, self._held):
            w.masked_fill_((w.sign() * sign < 0) | held, 0.0)


def zero_weights(model: nn.Module) -> int:
    """How many entries of the weight matrices are exactly 0."""
    return int(sum(int((w == 0).sum()) for w in weight_matrices(model)))


class EarlyStopping:
    """The best validation loss so far, the step and the weights it was reached with, and when to stop."""

    def __init__(self, patience: int, min_delta: float):
        self.patience, self.min_delta = patience, min_delta
        self.best = math.inf
        self.best_step: int | None = None
        self._state: dict[str, torch.Tensor] | None = None

    def observe(self, step: int, val_loss: float, model: nn.Module) -> bool:
        """Book the validation loss of the weights at `step`; True when patience has run out."""
        if math.isfinite(val_loss) and val_loss < self.best - self.min_delta:
            self.best, self.best_step = val_loss, step
            self._state = copy.deepcopy(model.state_dict())
            return False
        return self.best_step is not None and step - self.best_step >= self.patience

    def restore(self, model: nn.Module) -> None:
        """Put the best step's weights (and batch norm's statistics) back."""
        if self._state is not None:
            model.load_state_dict(self._state)
