"""Frames: what the engine publishes. Plain numbers and numpy arrays, never torch objects.

A Frame carries every loss since the previous frame (so histories are
complete however rarely frames are taken) plus what the shown panels
measure of each run at the frame's step (panels/: each panel's probes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

HIST_BINS = 30
# TensorBoard's distribution bands: min, ±1.5σ, ±1σ, ±0.5σ, median (for a normal distribution), max
PERCENTILES = (0.0, 6.68, 15.87, 30.85, 50.0, 69.15, 84.13, 93.32, 100.0)


@dataclass(frozen=True, eq=False)
class Distributions:
    """One quantity (weights, activations or gradients) of every layer of one run, at one moment."""

    names: tuple[str, ...]
    counts: np.ndarray        # (layers, HIST_BINS) histogram over `ranges`
    ranges: np.ndarray        # (layers, 2) [low, high]: only ever grows during a run
    percentiles: np.ndarray   # (layers, len(PERCENTILES)), NaN for a layer with no finite values
    nonfinite: np.ndarray | None = None  # (layers,) count of NaN/Inf values left out
    std: np.ndarray | None = None        # (layers,) standard deviation of the finite values
    dead: np.ndarray | None = None       # activations: (layers,) fraction of units that are 0 on every probe input
    zeros: np.ndarray | None = None      # activations: (layers,) fraction of values that are exactly 0 (counted in
    #                                      the bin holding 0: a ReLU's spike is these; a Leaky ReLU's is small values)


@dataclass(frozen=True, eq=False)
class RunFrame:
    label: str
    step: int                   # updates done so far
    loss_steps: np.ndarray      # int64: step index of each new loss (loss of θ before that update)
    losses: np.ndarray          # float64, may hold NaN/Inf at the step where the run diverged
    val_steps: np.ndarray
    val_losses: np.ndarray
    diverged_at: int | None
    finished: bool
    param_names: tuple[str, ...]
    param_shapes: tuple[tuple[int, ...], ...]
    grad_norms: np.ndarray      # per parameter tensor (NaN before the first backward)
    train_steps: np.ndarray | None = None   # step of each new loss on the whole training split …
    train_losses: np.ndarray | None = None  # … the loss of θ at that step: the loss runs are compared on
    baseline_loss: float = math.nan         # the loss of the best constant prediction (learning nothing)
    floor_loss: float = math.nan            # the lowest loss the model can reach, where known (least squares)
    acc_steps: np.ndarray | None = None       # classification: step of each new accuracy …
    accuracies: np.ndarray | None = None      # … on the whole training split (0–1) …
    val_accuracies: np.ndarray | None = None  # … and on the validation split (NaN: none)
    scalars: np.ndarray | None = None       # every parameter, flattened, for a model of at most 16 numbers
    zero_weights: int = 0                   # entries of the weight matrices that are exactly 0 (L1's zeros) …
    weight_count: int = 0                   # … of this many
    stopped_at: int | None = None           # early stopping: the step patience ran out (best weights restored)
    best_step: int | None = None            # early stopping: the step of the best validation loss so far
    grad_gaps: dict[str, float] | None = None  # claims: another run's label → largest gradient difference so far
    lrs: np.ndarray | None = None         # lr panel: the learning rate each of those steps used
    path_steps: np.ndarray | None = None  # contour: step of each new point of the parameter path
    path: np.ndarray | None = None        # contour: (k, 2) parameters θ_step (before that update)
    position: np.ndarray | None = None    # contour: (2,) parameters now
    graph: ModelGraph | None = None       # graph panel: sent once (the structure does not change)
    lr: float = math.nan                  # the learning rate of the next step (schedules change it)
    train_seconds: float = 0.0            # wall time spent training so far (steps/s per device)
    device: str = "cpu"
    measured: dict[str, Any] | None = None  # what the panels' probes measured, by name (panels/declare.py)


@dataclass(frozen=True, eq=False)
class Boundary:
    """What the model predicts over the input space: class regions (2-D inputs) or a fit curve (1-D)."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]
    classes: np.ndarray | None = None     # (ny, nx) predicted class per grid point; row 0 is y_range[0]
    confidence: np.ndarray | None = None  # (ny, nx) probability of that class
    curve_x: np.ndarray | None = None     # 1-D regression: inputs …
    curve_y: np.ndarray | None = None     # … and the model's outputs


@dataclass(frozen=True, eq=False)
class Neurons:
    """Every unit of one run over the data's plane (panels/neurons/probe.py): columns are the inputs, each hidden layer
    and the output."""

    x_range: tuple[float, float]
    y_range: tuple[float, float]           # 2-D data: the second feature's range; 1-D: the target's
    grids: tuple[np.ndarray, ...]          # per column: (units, ny, nx) over the plane (row 0: y_range[0]), or
                                           # (units, n) along x for 1-D data
    weights: tuple[np.ndarray, ...]        # between columns k and k+1: (units of k+1, units of k)
    biases: tuple[np.ndarray | None, ...]  # of column k+1's units
    dead: tuple[np.ndarray, ...]           # per hidden layer: (units,) True where the unit is 0 on every training input
    inputs: tuple[str, ...]                # the input features' names (data.inputs' formulas)
    probability: bool = False              # the output is one logit (bce_with_logits): drawn as the probability it
    #                                        gives, so a tile is faint where the model is unsure


@dataclass(frozen=True, eq=False)
class ConvFilters:
    """A cnn's filters now, block by block (panels/filters/probe.py)."""

    names: tuple[str, ...]                 # conv1, conv2, …
    weights: tuple[np.ndarray, ...]        # per block: (out channels, in channels, k, k)
    biases: tuple[np.ndarray | None, ...]  # per block: (out channels,)
    initial: tuple[np.ndarray, ...] = ()   # per block: the weights before the first step (what training changed)


@dataclass(frozen=True, eq=False)
class FeatureMaps:
    """A few held-out images and what each conv block of a cnn makes of them (panels/feature_maps/probe.py)."""

    images: np.ndarray                     # (m, channels, h, w): the images as the model reads them
    labels: np.ndarray                     # (m,) their true classes
    predicted: np.ndarray                  # (m,) the classes the model gives them …
    confidence: np.ndarray                 # (m,) … with this probability
    names: tuple[str, ...]                 # conv1, conv2, …
    maps: tuple[np.ndarray, ...]           # per block: (m, channels, h, w) after the activation
    pooled: tuple[np.ndarray | None, ...]  # per block: (m, channels, h', w') after its pooling (None: no pooling)
    dead: tuple[np.ndarray, ...]           # per block: (channels,) True where a channel is 0 on every probe image
    classes: tuple[str, ...] = ()          # the classes' names (shapes: "vertical", …; else their numbers)
    held_out: bool = True                  # the images are validation images (else training ones: none held out)
    weights: tuple[np.ndarray, ...] = ()   # per block: (out, in, k, k), the filters that made these maps …
    biases: tuple[np.ndarray | None, ...] = ()  # … and their biases (the convolution step-through's arithmetic)
    fields: tuple[int, ...] = ()           # per block: the width of the input square one of its units sees

    def block_input(self, k: int) -> np.ndarray:
        """What block k reads, for every image: the images, or the maps the block before left (after its
        pooling)."""
        if k == 0:
            return self.images
        pooled = self.pooled[k - 1]
        return pooled if pooled is not None else self.maps[k - 1]


@dataclass(frozen=True, eq=False)
class Surface:
    """The loss over a 2-D grid of parameter values, for the contour panel."""

    x_name: str
    y_name: str
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    z: np.ndarray               # (ny, nx) loss; row 0 is y_range[0]; may hold NaN/Inf
    version: int                # bumps whenever the grid is recomputed
    members: tuple[int, ...]    # indices of the runs whose paths live on this surface
    # a random-direction slice moves with the weights: it carries its members' paths projected onto it
    paths: tuple[np.ndarray, ...] | None = None
    # an exact surface (two parameters) is a true picture: equal scale on both axes, in a window that holds
    # `focus` (the start, the minimum and the paths, padded); the grid covers more, so any panel shape fits
    focus: tuple[tuple[float, float], tuple[float, float]] | None = None
    minimum: tuple[float, float] | None = None     # θ*, the minimum gradient descent heads for (None: not found)
    curvatures: tuple[float, float] | None = None  # the Hessian's eigenvalues at θ*: (λmax, λmin)
    steepest: tuple[float, float] | None = None    # its top eigenvector v (unit; the start lies at t < 0)
    profile: np.ndarray | None = None              # (2, n): t, and the loss L(θ* + t·v) along the steepest line


@dataclass(frozen=True)
class GraphNode:
    label: str                 # the operation (Addmm, Relu, MseLoss, …) or the parameter's name
    kind: str                  # "op", "param" (a leaf that gets .grad) or "loss"
    inputs: tuple[int, ...]
    param: int | None = None   # index into the run's parameters (for its gradient norm)
    shape: tuple[int, ...] = ()


@dataclass(frozen=True)
class ModelGraph:
    """The autograd graph of one training step, walked from loss.grad_fn; nodes listed inputs first."""

    nodes: tuple[GraphNode, ...]
    output: int


@dataclass(frozen=True)
class ExpressionResult:
    """An expression graph evaluated by torch: every node's value and gradient, in node order."""

    values: tuple[float, ...]
    grads: tuple[float, ...]     # d(output)/d(node); NaN for constants
    constant: tuple[bool, ...]   # the node depends on no variable (autograd does not track it)


@dataclass(frozen=True, eq=False)
class Frame:
    step: int
    runs: tuple[RunFrame, ...]
    surfaces: tuple[Surface, ...] = ()  # only those (re)computed since the last frame; one per group of runs

    @property
    def surface(self) -> Surface | None:
        """The first group's surface, if it changed (most scenarios have one group)."""
        return self.surfaces[0] if self.surfaces else None

    @property
    def finished(self) -> bool:
        return all(r.finished for r in self.runs)
