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
        optimizer = self.run.optimizer
        group, kind = optimizer.param_groups[0], type(optimizer).__name__
        device = self.params[0].device  # (the rows stay there: one transfer a frame)
        nan, one = torch.tensor(float("nan"), device=device), torch.tensor(1.0, device=device)
        values = []
        for p, g in zip(self.params, grads):
            state = optimizer.state.get(p, {})
            if not state and not group.get("momentum"):  # plain SGD keeps nothing: its step is lr·g exactly (a
                values += [one, nan]                      # batched run books its loss before its backward pass:
                continue                                  # no gradient to read yet)
            direction, root = step_direction(kind, state, group, g), effective_root(state, group)
            # ‖the optimizer's step‖ ÷ ‖lr·g‖ (both per unit lr), and the median effective lr, lr/(√v̂+ε)
            values += [nan if direction is None or g is None else
                       torch.linalg.vector_norm(direction.float()) / torch.linalg.vector_norm(g.float()),
                       nan if root is None else (lr / root).median()]
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


def effective_root(state: dict, group: dict) -> torch.Tensor | None:
    """√v̂ + ε: what an adaptive optimizer divides each gradient by, from its state (Adam and its kin's
    exp_avg_sq, bias-corrected with its step count; RMSProp's square_avg; Adagrad's sum); None where it keeps none.
    The effective learning rate is lr over it."""
    eps = group.get("eps", 0.0)
    if "exp_avg_sq" in state:
        return (state["exp_avg_sq"] / (1 - group["betas"][1] ** float(state["step"]))).sqrt() + eps
    for key in ("square_avg", "sum"):
        if key in state:
            return state[key].sqrt() + eps
    return None


def step_direction(kind: str, state: dict, group: dict, grad: torch.Tensor | None) -> torch.Tensor | None:
    """The step ÷ −lr that optimizer `kind` (torch's class name) took from `state` for one tensor, `grad` its last
    gradient: momentum's v, Adam's m̂/(√v̂+ε), RMSProp's g/(√s+ε) (or its momentum buffer of those), Adagrad's
    g/(√Σg²+ε), plain SGD's g. None where the rule is another (Nesterov, NAdam, RAdam) or the state is not there."""
    root = effective_root(state, group)
    if kind in ("Adam", "AdamW") and root is not None:
        return (state["exp_avg"] / (1 - group["betas"][0] ** float(state["step"]))) / root
    if kind == "RMSprop" and root is not None:
        return state["momentum_buffer"] if "momentum_buffer" in state else None if grad is None else grad / root
    if kind == "Adagrad" and root is not None:
        return None if grad is None else grad / root
    if kind == "SGD" and not group.get("nesterov"):
        return state.get("momentum_buffer") if group.get("momentum") else grad
    return None
