"""Evaluate an expression graph with torch autograd: real tensors, a real backward()."""

from __future__ import annotations

import math

import torch

from ..expression import Graph, operation
from ..frames import ExpressionResult


def evaluate(graph: Graph, values: dict[str, float], device: str = "cpu") -> ExpressionResult:
    """Every node's value and d(output)/d(node), computed by torch (float64, on `device`)."""
    tensors: list[torch.Tensor] = []
    for n in graph.nodes:
        if n.op == "var":
            t = torch.tensor(float(values[n.name]), dtype=torch.float64, device=device, requires_grad=True)
        elif n.op == "const":
            t = torch.tensor(n.value, dtype=torch.float64, device=device)
        else:
            operation(n.op)  # a name outside the catalog raises
            t = getattr(torch, n.op)(*(tensors[i] for i in n.inputs))  # each operation is named as torch names it
            if t.requires_grad:
                t.retain_grad()  # keep the gradient of intermediate nodes too, to show them
        tensors.append(t)
    out = tensors[graph.output]
    if out.requires_grad:
        out.backward()
    grads, constant = [], []
    for n, t in zip(graph.nodes, tensors):
        constant.append(not t.requires_grad)
        if not t.requires_grad:
            grads.append(math.nan)  # constants, and parts built only of constants, get no gradient
        elif n.id == graph.output:
            grads.append(1.0)
        else:
            grads.append(float(t.grad) if t.grad is not None else 0.0)
    return ExpressionResult(tuple(float(t.detach()) for t in tensors), tuple(grads), tuple(constant))
