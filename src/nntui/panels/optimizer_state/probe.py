"""The optimizer-state panel's measurement: per parameter tensor and every step, how far the optimizer moved it
against plain SGD's lr·g, and the effective learning rate an adaptive optimizer gave it, from its own state."""

from __future__ import annotations

import numpy as np
import torch

FIELDS = 2  # per tensor: step ÷ lr·g, effective lr


class OptimizerState:
    """At each update's start (its gradient computed, the optimizer's state still the last step's) it keeps the
    gradient and the lr; once the update is taken (at the next one, or at the frame) it reads the state the update
    left. The rows stay on the device and go to the frame in one transfer."""

    def __init__(self, run) -> None:
        self.run = run
        self.params = run.params
        self.pending: tuple[int, list[torch.Tensor | None], float] | None = None
        self.rows: list[torch.Tensor] = []
        self.steps: list[int] = []

    @torch.no_grad()
    def before_update(self) -> None:
        self._measure_pending()
        grads = [None if p.grad is None else p.grad.detach().clone() for p in self.params]
        self.pending = (self.run.step, grads, float(self.run.optimizer.param_groups[0]["lr"]))

    @torch.no_grad()
    def _measure_pending(self) -> None:
        if self.pending is None:
            return
        step, grads, lr = self.pending
        self.pending = None
        group = self.run.optimizer.param_groups[0]
        values = []
        for p, g in zip(self.params, grads):
            state = self.run.optimizer.state.get(p, {})
            if not state and not group.get("momentum"):  # plain SGD keeps nothing: its step is lr·g exactly (a
                values += [torch.tensor(1.0, device=p.device), torch.tensor(float("nan"), device=p.device)]
                continue  # batched run books its loss before its backward pass: no gradient to read yet)
            if g is None:
                values += [torch.tensor(float("nan"), device=p.device)] * FIELDS
                continue
            direction, effective = _scaling(state, group, g, lr)
            # ‖the optimizer's step‖ ÷ ‖lr·g‖ (both per unit lr): 1 for plain SGD
            values += [torch.linalg.vector_norm(direction.float()) / torch.linalg.vector_norm(g.float()),
                       effective]
        self.rows.append(torch.stack([v.float().reshape(()) for v in values]))
        self.steps.append(step)

    @torch.no_grad()
    def measure(self) -> dict:
        self._measure_pending()
        width = FIELDS * len(self.params)
        rows = torch.stack(self.rows).double().cpu().numpy() if self.rows else np.zeros((0, width))
        steps = np.asarray(self.steps, np.int64)
        self.rows, self.steps = [], []
        return {"optimizer_state": (steps, rows)}


def _scaling(state: dict, group: dict, g: torch.Tensor, lr: float) -> tuple[torch.Tensor, torch.Tensor]:
    """(the step the optimizer took ÷ lr, as a tensor like g; its median effective lr, NaN where it keeps none),
    from the state it left: SGD's momentum_buffer, Adam's exp_avg / exp_avg_sq (bias-corrected with its step
    count), RMSProp's square_avg, Adagrad's sum."""
    nan = torch.tensor(float("nan"), device=g.device)
    eps = group.get("eps", 0.0)
    if "exp_avg_sq" in state:  # Adam and its kin: lr · m̂ / (√v̂ + ε)
        t = float(state["step"])
        beta1, beta2 = group["betas"]
        root = (state["exp_avg_sq"] / (1 - beta2 ** t)).sqrt() + eps
        return (state["exp_avg"] / (1 - beta1 ** t)) / root, (lr / root).median()
    if "square_avg" in state:  # RMSProp: lr · g / (√s + ε), or its momentum buffer of those
        root = state["square_avg"].sqrt() + eps
        step = state["momentum_buffer"] if "momentum_buffer" in state else g / root
        return step, (lr / root).median()
    if "sum" in state:  # Adagrad: lr · g / (√Σg² + ε)
        root = state["sum"].sqrt() + eps
        return g / root, (lr / root).median()
    if state.get("momentum_buffer") is not None:  # SGD with momentum: lr · v
        return state["momentum_buffer"], nan
    return g, nan  # plain SGD keeps nothing: lr · g
