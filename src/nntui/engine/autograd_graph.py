"""The autograd graph of a training step, as torchviz draws it: walk grad_fn.next_functions from the loss."""

from __future__ import annotations

import torch

from ..frames import GraphNode, ModelGraph


def trace(model: torch.nn.Module, loss_fn, x: torch.Tensor, y: torch.Tensor) -> ModelGraph:
    """Build the graph of loss_fn(model(x), y) and read its structure (nothing is backpropagated)."""
    params = list(model.named_parameters())
    index_of = {id(p): (i, name, tuple(p.shape)) for i, (name, p) in enumerate(params)}
    loss = loss_fn(model(x), y)
    nodes: list[GraphNode] = []
    seen: dict[int, int] = {}

    def visit(fn) -> int | None:
        if fn is None:
            return None
        if id(fn) in seen:
            return seen[id(fn)]
        inputs = tuple(i for i in (visit(next_fn) for next_fn, _ in fn.next_functions) if i is not None)
        variable = getattr(fn, "variable", None)  # AccumulateGrad: where a parameter's .grad is written
        if variable is not None and id(variable) in index_of:
            i, name, shape = index_of[id(variable)]
            node = GraphNode(name, "param", (), i, shape)
        else:
            node = GraphNode(_op_name(fn), "op", inputs)
        seen[id(fn)] = len(nodes)
        nodes.append(node)
        return seen[id(fn)]

    out = visit(loss.grad_fn)
    if out is None:
        return ModelGraph((), 0)
    nodes[out] = GraphNode(nodes[out].label, "loss", nodes[out].inputs)
    return ModelGraph(tuple(nodes), out)


def _op_name(fn) -> str:
    name = type(fn).__name__
    for suffix in ("Backward0", "Backward1", "Backward"):
        name = name.removesuffix(suffix)
    return name
