"""Image data: small synthetic shapes and the shipped handwritten digits, as 8-bit greyscale in [0, 1].

A dataset of images is still a matrix of samples × features (each image's pixels, row by row), so batching,
splits and the training loop stay as they are; `Dataset.image` gives the (channels, height, width) a
convolutional model and the image panels read them as. Pixels are whole 255ths (the digits: 16ths), as a
camera's are: `export-code` writes them back exactly as bytes.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

DIGITS = Path(__file__).parent / "datasets" / "digits.npz"  # source and licence: datasets/README.md
DIGIT_LEVELS = 16  # the digits' pixels count 0–16 "on" pixels of a 4×4 block
SHAPE_LEVELS = 255  # the shapes' pixels: 8-bit greyscale


def _bar(length: int, vertical: bool) -> np.ndarray:
    mask = np.zeros((length, length), bool)
    mask[:, length // 2] = True
    return mask if vertical else mask.T


def _diagonal(length: int, rising: bool) -> np.ndarray:
    mask = np.eye(length, dtype=bool)
    return mask[::-1] if rising else mask


def _ring(length: int) -> np.ndarray:
    centre = (length - 1) / 2
    r = np.hypot(*np.mgrid[:length, :length] - centre)
    return np.abs(r - (length - 1) / 2) < 0.6


def _square(length: int) -> np.ndarray:
    mask = np.zeros((length, length), bool)
    mask[[0, -1], :] = mask[:, [0, -1]] = True
    return mask


# every shape a `shapes` dataset can draw, as a mask of length × length pixels (its class is its place in the
# scenario's list)
SHAPES = {
    "vertical": lambda n: _bar(n, True),
    "horizontal": lambda n: _bar(n, False),
    "diagonal": lambda n: _diagonal(n, False),
    "antidiagonal": lambda n: _diagonal(n, True),
    "cross": lambda n: _bar(n, True) | _bar(n, False),
    "ring": _ring,
    "square": _square,
}


def shapes(names: list[str], n: int, size: int, length: int, noise: float, held_out: int,
           rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` images of size × size, shape k of `names` (class k) at a random place, N(0, noise²) added and the
    pixels clipped to [0, 1] in 255ths. `held_out` > 0: the first n − held_out shapes lie in the left half
    of the image and the last held_out in the right half (a test at places training never saw)."""
    masks = [SHAPES[name](length) for name in names]
    labels = np.arange(n) % len(names)
    rng.shuffle(labels)
    half = size // 2
    images = np.zeros((n, size, size))
    for i, label in enumerate(labels):
        right = i >= n - held_out if held_out else None
        lo, hi = (0, size - length) if right is None else (half, size - length) if right else (0, half - length)
        row, col = rng.integers(0, size - length + 1), rng.integers(lo, hi + 1)
        images[i, row:row + length, col:col + length] = masks[label]
    images += noise * rng.standard_normal(images.shape)
    return pixels(np.round(np.clip(images, 0, 1) * SHAPE_LEVELS), SHAPE_LEVELS), labels


def pixels(levels: np.ndarray, denominator: int) -> np.ndarray:
    """Whole levels as pixels in [0, 1], divided in float32 as `export-code`'s script divides its bytes."""
    return levels.astype(np.float32) / np.float32(denominator)


@cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    with np.load(DIGITS) as f:
        return f["images"], f["labels"]


def digits(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`n` of the 1,797 shipped digit images (all of them in a random order), pixels in 16ths of [0, 1]."""
    images, labels = _digits()
    pick = rng.permutation(len(images))[:n]
    return pixels(images[pick], DIGIT_LEVELS), labels[pick].astype(np.int64)


DIGIT_COUNT = 1_797
