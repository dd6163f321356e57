"""How fast heavy-ball momentum converges on a quadratic, exactly, from the Hessian's eigenvalues. numpy only.

PyTorch's SGD with momentum β and learning rate α keeps a velocity v and steps along it:

    v ← β·v + ∇L(θ),   θ ← θ − α·v

On a quadratic every eigen-direction of the Hessian (eigenvalue λ) moves on its own: its error x and its
velocity v follow the 2×2 iteration

    (x, v) ← [[1 − αλ, −αβ], [λ, β]] · (x, v)

whose eigenvalues z are the roots of z² − (1 − αλ + β)·z + β = 0 (Goh, "Why Momentum Really Works", Distill
2017). After k steps the error shrinks like |z|^k, for the larger root: its modulus ρ is the direction's rate.
The roots also say how the error moves: real and positive, it shrinks smoothly; complex (|z| = √β), it
spirals in, overshooting and coming back (ripples); real and negative, it flips sign every step (zig-zag);
ρ ≥ 1, it grows (diverges). The run's rate is its slowest direction's ρ; its path shows every direction's kind
(rate() says which wins).
"""

from __future__ import annotations

import math

import numpy as np

KINDS = ("smooth", "ripples", "zig-zag", "diverges")  # how the slowest direction's error moves, by code 0–3
SMOOTH, RIPPLES, ZIGZAG, DIVERGES = range(4)


def roots(lr: np.ndarray | float, beta: np.ndarray | float, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """The two roots of z² − (1 − lr·λ + β)·z + β = 0, complex, the one of larger modulus first (its sign
    picked: of two real roots of equal modulus, the negative one, whose flips are what a reader sees)."""
    trace = 1 - np.asarray(lr, dtype=float) * lam + np.asarray(beta, dtype=float)
    root = np.sqrt(trace.astype(complex) ** 2 - 4 * np.asarray(beta, dtype=float))
    a, b = (trace + root) / 2, (trace - root) / 2
    first = (np.abs(a) > np.abs(b)) | ((np.abs(a) == np.abs(b)) & (a.real <= b.real))
    return np.where(first, a, b), np.where(first, b, a)


def direction(lr, beta, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """(ρ, kind) of one eigen-direction: the modulus of its larger root, and how its error moves."""
    z, _ = roots(lr, beta, lam)
    rho = np.abs(z)
    tol = 1e-12 * np.maximum(1.0, rho)
    kind = np.where(np.abs(z.imag) > tol, RIPPLES, np.where(z.real < 0, ZIGZAG, SMOOTH))
    return rho, np.where(rho >= 1 - 1e-12, DIVERGES, kind)


def rate(lr, beta, curvatures: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(ρ, kind) of the whole quadratic: the slowest eigen-direction's ρ (it sets the speed), and how the path
    moves, which every direction shows: it diverges if one grows; it ripples if one spirals; it zig-zags if one
    flips sign every step; else it slides in smoothly. (Named after the slowest direction alone, plain SGD at
    its best lr sat in "smooth" while its path zig-zagged across the valley.)"""
    rhos, kinds = zip(*(direction(lr, beta, lam) for lam in curvatures))
    kinds_now = np.stack(np.broadcast_arrays(*kinds))
    visible = np.select([(kinds_now == DIVERGES).any(0), (kinds_now == RIPPLES).any(0), (kinds_now == ZIGZAG).any(0)],
                        [DIVERGES, RIPPLES, ZIGZAG], SMOOTH)
    return np.max(np.stack(np.broadcast_arrays(*rhos)), axis=0), visible


def steps_per_tenth(rho: np.ndarray | float) -> np.ndarray:
    """Steps for the error to shrink 10×: ln 10 / −ln ρ (inf where ρ ≥ 1; 0 where ρ = 0)."""
    rho = np.asarray(rho, dtype=float)
    with np.errstate(divide="ignore"):
        return np.where(rho < 1, math.log(10) / -np.log(np.maximum(rho, 1e-300)), np.inf)


def best(curvatures: tuple[float, ...]) -> tuple[float, float, float]:
    """(lr*, β*, ρ*): the fastest heavy ball for eigenvalues between min and max (Polyak):
    lr* = (2 / (√λmax + √λmin))², β* = ((√κ − 1) / (√κ + 1))², and ρ* = √β*."""
    high, low = math.sqrt(max(curvatures)), math.sqrt(min(curvatures))
    beta = ((high - low) / (high + low)) ** 2
    return (2 / (high + low)) ** 2, beta, math.sqrt(beta)


def best_plain(curvatures: tuple[float, ...]) -> tuple[float, float]:
    """(lr, ρ) of the fastest plain gradient descent: lr = 2 / (λmax + λmin), ρ = (κ − 1) / (κ + 1)."""
    high, low = max(curvatures), min(curvatures)
    return 2 / (high + low), (high - low) / (high + low)


def stable_lr(beta: float, lam: float) -> float:
    """The largest stable lr for momentum β along curvature λ: lr·λ < 2·(1 + β)."""
    return 2 * (1 + beta) / lam
