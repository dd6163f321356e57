"""Exact loss surfaces over two parameters, evaluated in one batched call on the device.

For a model with exactly two scalar parameters (e.g. ŷ = w·x + b) the loss is
a function of (p0, p1): we evaluate it on a whole grid at once with
torch.func.vmap over functional_call — no Python loop per grid point.

An exact surface is drawn as a true picture: equal scale on both axes (the
panel picks its window from `focus` and its own shape; the grid covers every
shape up to ASPECT:1), framed around the start and the minimum, which damped
Newton steps find. The Hessian there gives the steepest direction, along which
the curvature panel draws the loss as a 1-D parabola.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence

import numpy as np
import torch
from torch.func import functional_call, vmap

from ..panels.contour import SLICE_GRID, SURFACE_ASPECT, SURFACE_SAMPLES  # noqa: F401  (SLICE_GRID: engine.py's)

GRID = (96, 64)      # samples along x and y of a surface drawn without equal scale
PAD = 0.25           # margin around the region of interest, as a fraction of its span
SAMPLES = SURFACE_SAMPLES  # equal scale: grid samples across the longer side of the focus (square samples)
ASPECT = SURFACE_ASPECT    # equal scale: the grid covers the focus in any window up to 5:1 (either way)
PROFILE = 161        # samples of the loss along the steepest direction (odd: one lands on the minimum)
# Grid points per batched call: each holds its own copy of every sample's activations, so the points per
# call shrink as the data and the layers grow (40,000 samples in one call of all 6,144 points: 2.3 GB).
WORK_PER_CALL = 4_000_000  # grid points × samples × activations per sample


def points_per_call(model: torch.nn.Module, x: torch.Tensor, most: int) -> int:
    width = x.shape[1] + sum(m.out_features for m in model.modules() if isinstance(m, torch.nn.Linear))
    return max(1, min(most, WORK_PER_CALL // max(1, len(x) * max(width, 1))))


def flat_names(model: torch.nn.Module) -> list[str]:
    """Names of the scalar parameters: 'weight' for a 1-element tensor, 'weight[1]' otherwise."""
    names = []
    for name, p in model.named_parameters():
        names += [name] if p.numel() == 1 else [f"{name}[{i}]" for i in range(p.numel())]
    return names


def loss_of_flat(model, loss_fn, x, y):
    """The loss as a function of one flat parameter vector (the model's parameters, concatenated)."""
    shapes = [(name, p.shape) for name, p in model.named_parameters()]

    def loss_at(flat: torch.Tensor) -> torch.Tensor:
        params, start = {}, 0
        for name, shape in shapes:
            n = math.prod(shape)
            params[name] = flat[start:start + n].reshape(shape)
            start += n
        return loss_fn(functional_call(model, params, (x,)), y)

    return loss_at


@torch.no_grad()
def loss_grid(model, loss_fn, x, y, xs: np.ndarray, ys: np.ndarray) -> np.ndarray:
    """Loss at every (xs[j], ys[i]) as an array of shape (len(ys), len(xs))."""
    gx, gy = np.meshgrid(xs, ys)
    return loss_at(model, loss_fn, x, y, np.stack([gx.ravel(), gy.ravel()], 1)).reshape(len(ys), len(xs))


@torch.no_grad()
def loss_at(model, loss_fn, x, y, points: np.ndarray) -> np.ndarray:
    """Loss at each row of `points` (n, 2), in batched calls on the model's device."""
    device = next(model.parameters()).device
    flat = torch.as_tensor(points, dtype=torch.float32, device=device)
    batched = vmap(loss_of_flat(model, loss_fn, x, y))
    return _in_chunks(batched, flat, points_per_call(model, x, len(flat))).double().cpu().numpy()


def _in_chunks(batched, inputs: torch.Tensor, chunk: int) -> torch.Tensor:
    """batched(inputs) a chunk at a time, written into one tensor made up front: keeping each chunk's
    result and concatenating them kept ~0.1 MB per call alive (40,000 samples: 820 MB against 316)."""
    out = torch.empty(len(inputs), dtype=inputs.dtype, device=inputs.device)
    for i in range(0, len(inputs), chunk):
        out[i:i + chunk] = batched(inputs[i:i + chunk])
    return out


def region(boxes: Sequence[Sequence[float]]) -> tuple[tuple[float, float], tuple[float, float]]:
    """A padded (x_range, y_range) around the union of boxes (xmin, xmax, ymin, ymax)."""
    x0 = min(b[0] for b in boxes)
    x1 = max(b[1] for b in boxes)
    y0 = min(b[2] for b in boxes)
    y1 = max(b[3] for b in boxes)
    ranges = []
    for lo, hi in ((x0, x1), (y0, y1)):
        span = max(hi - lo, 0.1 * max(abs(lo), abs(hi)), 0.5)
        mid = (lo + hi) / 2
        half = span * (0.5 + PAD)
        ranges.append((mid - half, mid + half))
    return ranges[0], ranges[1]


def around(minimum: Sequence[float] | np.ndarray, start: Sequence[float] | np.ndarray) -> tuple[float, ...]:
    """A box centred on the minimum, reaching half the start's distance from it along each axis: framed with it,
    the minimum sits inside the picture, its rings whole (framed to the start and the minimum alone, the minimum sat
    at the frame's edge, and input_normalization's round bowl showed as diagonal bands, the arcs of rings centred
    off the picture). Per axis, so a narrow valley's picture is not made taller than its paths need."""
    rx, ry = (0.5 * abs(s - m) for s, m in zip(start, minimum))
    return (minimum[0] - rx, minimum[0] + rx, minimum[1] - ry, minimum[1] + ry)


def equal_scale_grid(focus: tuple[tuple[float, float], tuple[float, float]]) -> tuple[np.ndarray, np.ndarray]:
    """Grid samples (xs, ys), equally spaced on both axes, covering every equal-scale window that holds
    `focus` in a panel of up to ASPECT:1 (either way): the panel crops its own window, so a resize stays true."""
    (x0, x1), (y0, y1) = focus
    fx, fy = x1 - x0, y1 - y0
    step = max(fx, fy) / SAMPLES
    axes = []
    for (lo, hi), span in (((x0, x1), max(fx, ASPECT * fy)), ((y0, y1), max(fy, ASPECT * fx))):
        n = int(math.ceil(span / step / 2))  # samples each side of the centre
        mid = (lo + hi) / 2
        axes.append(mid + step * np.arange(-n, n + 1))
    return axes[0], axes[1]


def contains(outer: tuple[tuple[float, float], tuple[float, float]],
             inner: tuple[tuple[float, float], tuple[float, float]]) -> bool:
    (ox, oy), (ix, iy) = outer, inner
    return ox[0] <= ix[0] and ix[1] <= ox[1] and oy[0] <= iy[0] and iy[1] <= oy[1]


# ---------------------------------------------------------------------------- the minimum and its curvature
NEWTON_STEPS = 60


def curvature_at(model, loss_fn, x, y, start: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(θ*, eigenvalues ascending, eigenvectors as columns) of the Hessian at the minimum gradient descent
    heads for from `start`, or None if none is found (no minimum, or a flat valley).

    Damped Newton (Levenberg–Marquardt) in float64 on the CPU: it only accepts steps that lower the loss, so
    it ends in a minimum, not a saddle; on a quadratic (linear MSE: least squares) the first step is exact."""
    try:
        twin = copy.deepcopy(model).double().cpu()  # float64 on the CPU; the training model is untouched
        loss = loss_of_flat(twin, loss_fn, x.detach().double().cpu(), y.detach().double().cpu())
        theta = torch.as_tensor(start, dtype=torch.float64)
        value, damping = float(loss(theta)), 1e-6
        for _ in range(NEWTON_STEPS):
            grad = torch.autograd.functional.jacobian(loss, theta)
            hess = torch.autograd.functional.hessian(loss, theta)
            scale = float(hess.diagonal().abs().max()) or 1.0
            step = None
            while damping < 1e12 and step is None:
                trial = torch.linalg.solve(hess + damping * scale * torch.eye(2, dtype=torch.float64), -grad)
                new = float(loss(theta + trial))
                if math.isfinite(new) and new <= value:
                    step, theta, value, damping = trial, theta + trial, new, max(damping / 10, 1e-9)
                else:
                    damping *= 10
            if step is None or float(step.norm()) <= 1e-10 * (1 + float(theta.norm())):
                break
        hess = torch.autograd.functional.hessian(loss, theta)
        eigenvalues, vectors = torch.linalg.eigh((hess + hess.T) / 2)
    except (RuntimeError, ValueError):  # a model that does not run in float64 on the CPU: no minimum shown
        return None
    if not (torch.isfinite(theta).all() and torch.isfinite(eigenvalues).all()) or float(eigenvalues[0]) <= 0:
        return None
    return theta.numpy(), eigenvalues.numpy(), vectors.numpy()


# ---------------------------------------------------------------------------- random-direction slices
# SLICE_GRID (panels/contour) is coarser than the exact grid: every point is a full pass over the training data
SLICE_EXTENT = 1.0     # α, β ∈ [−1, 1]: one unit is the size of the weights themselves (filter normalization)


def filter_normalized(raw: list[torch.Tensor], params: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Li et al. (2018): scale each filter (row) of a random direction to the norm of the same filter
    of the weights; biases and other 1-D parameters are left out (zero), as in the paper."""
    out = []
    for d, p in zip(raw, params):
        if p.dim() <= 1:
            out.append(torch.zeros_like(p))
            continue
        rows_p = p.detach().reshape(p.shape[0], -1).norm(dim=1)
        rows_d = d.reshape(d.shape[0], -1).norm(dim=1).clamp_min(1e-12)
        out.append(d * (rows_p / rows_d).reshape(-1, *([1] * (p.dim() - 1))))
    return out


@torch.no_grad()
def slice_grid(model, loss_fn, x, y, center: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor,
               alphas: np.ndarray, betas: np.ndarray) -> np.ndarray:
    """Loss at center + α·d1 + β·d2 (flat parameter vectors) for every (alphas[j], betas[i])."""
    ga, gb = np.meshgrid(alphas, betas)
    a = torch.as_tensor(ga.ravel(), dtype=center.dtype, device=center.device)
    b = torch.as_tensor(gb.ravel(), dtype=center.dtype, device=center.device)
    chunk = points_per_call(model, x, max(1, min(256, 20_000_000 // max(center.numel(), 1))))  # big models too
    batched = vmap(loss_of_flat(model, loss_fn, x, y))
    out = torch.empty(len(a), dtype=center.dtype, device=center.device)
    for i in range(0, len(a), chunk):  # (as _in_chunks: the points are made a chunk at a time too)
        out[i:i + chunk] = batched(center[None] + a[i:i + chunk, None] * d1[None] + b[i:i + chunk, None] * d2[None])
    return out.reshape(len(betas), len(alphas)).double().cpu().numpy()


def project(points: torch.Tensor, center: torch.Tensor, d1: torch.Tensor, d2: torch.Tensor) -> np.ndarray:
    """Coordinates (α, β) of parameter vectors in the plane spanned by d1, d2 around the center."""
    diff = points - center[None]
    return torch.stack([diff @ d1 / (d1 @ d1).clamp_min(1e-30),
                        diff @ d2 / (d2 @ d2).clamp_min(1e-30)], 1).double().cpu().numpy()
