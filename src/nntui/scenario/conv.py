"""The arithmetic of a convolutional model's layers, without torch: each block's output size, its weights and
multiply-adds, and what one of its units sees of the input (its receptive field).

The loader checks a model against its images here (one line naming the layer that does not fit), counts
its size for the limits, and the engine and the panels read the same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass

Shape = tuple[int, int, int]  # (channels, height, width)


class ConvShapeError(ValueError):
    """A layer that does not fit its input: the message names it ("conv2: …")."""


@dataclass(frozen=True)
class Block:
    """One conv block as the model computes it: Conv2d → activation → an optional pooling."""

    name: str            # conv1, conv2, …
    into: Shape          # its input
    conv: Shape          # the convolution's output (the feature maps, before pooling)
    out: Shape           # after pooling (= conv without it)
    kernel: int
    stride: int
    padding: int
    pool: str            # "none", "max" or "avg"
    pool_size: int

    @property
    def weights(self) -> int:
        return self.conv[0] * self.into[0] * self.kernel ** 2

    @property
    def multiply_adds(self) -> int:
        """Per image, forward: every output value is a kernel-sized weighted sum over every input channel."""
        return self.weights * self.conv[1] * self.conv[2]


def _size(n: int, kernel: int, stride: int, padding: int) -> int:
    return (n + 2 * padding - kernel) // stride + 1


def blocks(layers, image: Shape) -> tuple[Block, ...]:
    """Each conv block of `layers` (spec.ConvLayer) applied in turn to an image of shape `image`."""
    out: list[Block] = []
    shape = image
    for k, layer in enumerate(layers):
        name = f"conv{k + 1}"
        _, h, w = shape
        if layer.kernel > min(h, w) + 2 * layer.padding:
            padded = f" (padded to {h + 2 * layer.padding}×{w + 2 * layer.padding})" if layer.padding else ""
            raise ConvShapeError(f"{name}: a {layer.kernel}×{layer.kernel} kernel does not fit a {h}×{w} "
                                 f"input{padded}; use a smaller kernel, more padding, or fewer layers before it")
        conv = (layer.channels, _size(h, layer.kernel, layer.stride, layer.padding),
                _size(w, layer.kernel, layer.stride, layer.padding))
        pooled = conv
        if layer.pool != "none":
            if layer.pool_size > min(conv[1], conv[2]):
                raise ConvShapeError(f"{name}: a {layer.pool_size}×{layer.pool_size} pooling does not fit its "
                                     f"{conv[1]}×{conv[2]} maps; use a smaller pool_size, or no pooling there")
            pooled = (conv[0], conv[1] // layer.pool_size, conv[2] // layer.pool_size)
        out.append(Block(name, shape, conv, pooled, layer.kernel, layer.stride, layer.padding, layer.pool,
                         layer.pool_size))
        shape = pooled
    return tuple(out)


def flat_size(chain: tuple[Block, ...], image: Shape) -> int:
    c, h, w = chain[-1].out if chain else image
    return c * h * w


def _walk(chain: tuple[Block, ...], upto: int) -> tuple[int, int, int]:
    """(start, jump, size) of block `upto`'s units (before its pooling) on the input: unit i covers `size` input
    pixels from start + i·jump. Each layer maps a unit to a window of its own input (a convolution unit i to units
    i·stride − padding … + kernel − 1, a pooling unit to its q×q block), composed down to the image."""
    start, jump, size = 0, 1, 1
    for k, b in enumerate(chain[:upto + 1]):
        start, size, jump = start - b.padding * jump, size + (b.kernel - 1) * jump, jump * b.stride
        if k < upto and b.pool != "none":
            size, jump = size + (b.pool_size - 1) * jump, jump * b.pool_size
    return start, jump, size


def receptive_field(chain: tuple[Block, ...], upto: int) -> tuple[int, int]:
    """(size, jump) of a unit of block `upto`'s feature maps (before its pooling) on the input: the width of
    the input square it depends on, and how far apart in the input its neighbours' squares start."""
    _, jump, size = _walk(chain, upto)
    return size, jump


def field_of(chain: tuple[Block, ...], upto: int, row: int, col: int) -> tuple[int, int, int]:
    """(top, left, size) of the input square that unit (row, col) of block `upto`'s maps (before its pooling)
    depends on, in the input's pixels: it may reach past the edge into the padding (negative, or past the end)."""
    start, jump, size = _walk(chain, upto)
    return start + row * jump, start + col * jump, size
