"""The convolution step-through panel's widget: how one value of a feature map is made.

Three pictures side by side: the block's input for the first held-out image (the image itself for conv1,
its zero padding drawn darker), with the patch under the filter tinted yellow; the filter's weights; and the
filter's output map with the value being made tinted. Under them the arithmetic, written out: each pixel ×
its weight, their sum, the bias, the activation, and the value the model's own map holds, which it must equal.
Deeper blocks read several maps: the patch and its products are those of one input channel, the sum adds
the others' sums. For a deeper block's unit, the image is drawn too, the square of it the unit depends on
(its receptive field) tinted blue. ← → ↑ ↓ move the filter one place (by its stride), `,` `.` pick the filter,
`<` `>` the block, `[` `]` the run.
"""

from __future__ import annotations

import math

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.binding import Binding
from textual.strip import Strip

from ...frames import FeatureMaps
from ...scenario import conv
from ...ui.draw.pixels import HALF, NUMBER_W, TILE_RGB, PixelPainter, number_cells, size_in_cells
from ...ui.draw.raster import border_room, centered_message, first_fit
from ...ui.panel import RUN_BINDINGS, StripPanel, run_name

PATCH_RGB = (255, 200, 0)   # the pixels under the filter now, and the value they make
FIELD_RGB = (60, 150, 255)  # the square of the image a deeper unit depends on
PADDING_RGB = (22, 22, 26)  # the zeros added around the input (darker than a 0 pixel)
MAX_ZOOM = 3
GAP = 3
ACTIVATED = {"relu": lambda z: max(z, 0.0), "identity": lambda z: z}  # shown by name; others: the map's value


class ConvStepPanel(StripPanel):
    BINDINGS = [*RUN_BINDINGS,
                Binding("left", "move(0, -1)", "Filter ←", show=False),
                Binding("right", "move(0, 1)", "Filter →", show=False),
                Binding("up", "move(-1, 0)", "Filter ↑", show=False),
                Binding("down", "move(1, 0)", "Filter ↓", show=False),
                Binding("comma", "filter(-1)", "Previous filter", key_display=",", show=False),
                Binding("full_stop", "filter(1)", "Next filter", key_display=".", show=False),
                Binding("less_than_sign", "block(-1)", "Previous block", key_display="<", show=False),
                Binding("greater_than_sign", "block(1)", "Next block", key_display=">", show=False)]
    PAINTS_BACKGROUND = True

    @classmethod
    def for_scenario(cls, scenario, **kwargs):
        return cls([v.conv_blocks for v in scenario.variants], [v.model.activation for v in scenario.variants],
                   **kwargs)

    def __init__(self, chains: list[tuple[conv.Block, ...]] | None = None, activations: list[str] | None = None,
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.chains = chains or []        # per run: its conv blocks (the scenario's arithmetic, no torch)
        self.activations = activations or []
        # the last block (what the deepest units see), at the middle of its maps, until the keys move them
        self.block, self.filter = -1, 0
        self.row: int | None = None
        self.col: int | None = None

    def state_key(self) -> tuple:
        return (*super().state_key(), self.block, self.filter, self.row, self.col)

    def action_move(self, rows: int, cols: int) -> None:
        """One place along the row (wrapping to the next row at its end), or one row up or down."""
        chain = self._chain()
        if chain and self.row is not None and self.col is not None:
            _, h, w = chain[self.block % len(chain)].conv
            place = (self.row * w + self.col + cols) % (h * w) if cols else None
            self.row, self.col = (divmod(place, w) if place is not None else ((self.row + rows) % h, self.col))
        self.redraw()

    def action_run(self, delta: int) -> None:
        """Another run: its maps may be another size, so the middle of them again."""
        self.row = self.col = None
        super().action_run(delta)

    def action_filter(self, delta: int) -> None:
        self.filter += delta
        self.redraw()

    def action_block(self, delta: int) -> None:
        self.block += delta
        self.row = self.col = None
        self.redraw()

    def on_mount(self) -> None:
        self.set_titles(title="Convolution, step by step")

    def _chain(self) -> tuple[conv.Block, ...]:
        return self.chains[self.run_index % len(self.chains)] if self.chains else ()

    def _rebuild(self) -> None:
        width, height = self.size.width, self.size.height
        base = self.rich_style
        run = self.shown_run()
        maps: FeatureMaps | None = run.measured.get("feature_maps") if run is not None else None
        chain = self._chain()
        if run is None or maps is None or width < 20 or height < 6:
            self._strips = centered_message("waiting for the first step…", width, height, base)
            return
        if not chain or not maps.weights:
            self._strips = centered_message(f"'{run.label}' has no conv blocks ([ / ]: another run)", width, height,
                                            base)
            return
        self.block %= len(chain)
        block = chain[self.block]
        self.filter %= block.conv[0]
        _, h, w = block.conv
        self.row = h // 2 if self.row is None else self.row % h
        self.col = w // 2 if self.col is None else self.col % w
        room = border_room(self.outer_size.width)
        where = f"{block.name} · filter {self.filter + 1} of {block.conv[0]} · row {self.row + 1}, col {self.col + 1}"
        self.set_titles(title=first_fit([f"Convolution · {run_name(run)} · {where}", f"{run_name(run)} · {where}",
                                         where], room),
                        subtitle=first_fit(["← → ↑ ↓ move · , . filter · < > block", "←→↑↓ , . < >", ""], room))
        activation = self.activations[self.run_index % len(self.activations)] if self.activations else "relu"
        self._strips = _Step(maps, chain, self.block, self.filter, self.row, self.col, activation).draw(
            width, height, base)


class _Step:
    """One output value of one filter: the pictures and the arithmetic that make it."""

    def __init__(self, maps: FeatureMaps, chain: tuple[conv.Block, ...], k: int, f: int, row: int, col: int,
                 activation: str):
        self.chain, self.k, self.f, self.row, self.col = chain, k, f, row, col
        self.block = b = chain[k]
        self.activation = activation
        self.inputs = np.asarray(maps.block_input(k)[0], np.float64)          # (channels, h, w): image 0
        self.padded = np.pad(self.inputs, ((0, 0), (b.padding, b.padding), (b.padding, b.padding)))
        self.kernel = np.asarray(maps.weights[k][f], np.float64)            # (channels, k, k)
        bias = maps.biases[k]
        self.bias = float(bias[f]) if bias is not None else 0.0
        self.output = np.asarray(maps.maps[k][0, f], np.float64)             # after the activation
        self.image = np.asarray(maps.images[0, 0], np.float64)
        top, left = row * b.stride, col * b.stride
        self.patch = self.padded[:, top:top + b.kernel, left:left + b.kernel]
        self.window = (top, left)
        sums = (self.patch * self.kernel).sum(axis=(1, 2))
        self.channel = int(np.argmax(np.abs(sums)))  # the channel whose products are written out
        self.sums = sums
        self.rows = 0  # the rows the pictures have (set when drawn)

    def draw(self, width: int, height: int, base: Style) -> list[Strip]:
        painter = PixelPainter(TILE_RGB)
        arithmetic = self._arithmetic(width, base)
        self.rows = height - 1 - len(arithmetic)  # what the pictures have above the arithmetic
        zoom = self._zoom(width, self.rows)
        pictures = self._pictures(painter, zoom, base)
        drawn = [sum(len(s.text) for s in picture[0]) for _, picture in pictures]
        columns = [max(w, len(name)) for (name, _), w in zip(pictures, drawn)]  # (a name wider than its picture)
        # (input, filter, map[, field]): a narrow panel drops the map, then the filter, and keeps the input and what
        # the unit sees: the arithmetic under them says the map's value and writes out the filter's weights
        for k in (2, 1):
            if len(pictures) > 2 and sum(columns) + GAP * (len(columns) - 1) > width:
                del pictures[k], drawn[k], columns[k]
        tall = max(len(p) for _, p in pictures)
        strips: list[Strip] = []
        strips.append(Strip([Segment(f"{name:<{w}}" + " " * GAP, base + Style(bold=True))
                             for (name, _), w in zip(pictures, columns)]))
        for line in range(tall):
            segments: list[Segment] = []
            for (_, picture), w, column in zip(pictures, drawn, columns):
                segments += (picture[line] if line < len(picture) else [Segment(" " * w, base)])
                segments.append(Segment(" " * (column - w + GAP), base))
            strips.append(Strip(segments))
        # too tall: the pictures' bottom rows, then the products go before the result lines (the value made)
        result = 2 if len(self.sums) > 1 else 1
        products = arithmetic[:-result][:max(0, height - len(strips) - result)]
        strips = strips[:height - result - len(products)] + products + arithmetic[-result:]
        return [s.adjust_cell_length(width, base) for s in strips[:height]]

    def _zoom(self, width: int, body: int) -> float:
        """The largest pixel size at which the pictures fit beside each other and above the arithmetic (half
        size where even 1 is too tall: the products under them stay whole, so the sum can be checked)."""
        for zoom in (*range(MAX_ZOOM, 0, -1), HALF):
            sizes = [size_in_cells(shape, zoom) for shape in (self.padded.shape[1:], self.output.shape)]
            used = sum(w for w, _ in sizes) + self._kernel_width() + GAP * len(sizes)
            if used <= width and max(h for _, h in sizes) <= body:  # (the field's picture may halve: _pictures)
                return zoom
        return HALF

    def _canvas_shape(self) -> tuple[int, int]:
        top, left, size = conv.field_of(self.chain, self.k, self.row, self.col)
        h, w = self.image.shape
        return max(h, top + size) - min(top, 0), max(w, left + size) - min(left, 0)

    def _kernel_width(self) -> int:
        return NUMBER_W * self.block.kernel

    def _pictures(self, painter: PixelPainter, zoom: float, base: Style) -> list[tuple[str, list[list[Segment]]]]:
        b = self.block
        channel = self.padded[self.channel]
        inside = np.zeros(channel.shape, bool)
        inside[b.padding:b.padding + self.inputs.shape[1], b.padding:b.padding + self.inputs.shape[2]] = True
        patch = np.zeros(channel.shape, bool)
        top, left = self.window
        patch[top:top + b.kernel, left:left + b.kernel] = True
        scale = float(np.abs(self.inputs[self.channel]).max()) or 1.0
        before = self.chain[self.k - 1] if self.k else None
        name = ("image" if before is None else
                f"{'pool' if before.pool != 'none' else 'conv'}{self.k} map {self.channel + 1}")
        half = " ½ size" if zoom == HALF else ""
        pictures = [((f"{name} +{b.padding} padding" if b.padding and self.k == 0 else
                      f"{name} +{b.padding} pad" if b.padding else name) + half,
                     painter.rows(channel, zoom, scale, bool((channel < 0).any()),
                                  ((~inside, PADDING_RGB, 1.0), (patch, PATCH_RGB, 0.45))))]
        reads = f" · on map {self.channel + 1}" if len(self.kernel) > 1 else ""
        pictures.append((f"filter {self.f + 1}{reads}", number_cells(painter, self.kernel[self.channel],
                                                                     float(np.abs(self.kernel).max()) or 1.0)))
        cell = np.zeros(self.output.shape, bool)
        cell[self.row, self.col] = True
        out_scale = float(np.abs(self.output).max()) or 1.0
        pictures.append((f"{b.name} map {self.f + 1}{half}", painter.rows(self.output, zoom, out_scale,
                                                                  bool((self.output < 0).any()),
                                                                  ((cell, PATCH_RGB, 0.6),))))
        if self.k:
            fits = [z for z in range(int(zoom), 0, -1) if size_in_cells(self._canvas_shape(), z)[1] <= self.rows]
            pictures.append(self._field(painter, fits[0] if fits else HALF))
        return pictures

    def _field(self, painter: PixelPainter, zoom: float) -> tuple[str, list[list[Segment]]]:
        """The image, on a canvas as large as the unit's square where it reaches past the image (over the zero
        padding, drawn darker), the square tinted."""
        top, left, size = conv.field_of(self.chain, self.k, self.row, self.col)
        h, w = self.image.shape
        y0, x0 = min(top, 0), min(left, 0)
        canvas = np.zeros((max(h, top + size) - y0, max(w, left + size) - x0))
        canvas[-y0:-y0 + h, -x0:-x0 + w] = self.image
        outside = np.ones(canvas.shape, bool)
        outside[-y0:-y0 + h, -x0:-x0 + w] = False
        field = np.zeros(canvas.shape, bool)
        field[top - y0:top - y0 + size, left - x0:left - x0 + size] = True
        past = (field & outside).any()  # (the square reaches into the padding: drawn darker under the tint too)
        name = f"sees {size}×{size}" + (" (½ size)" if zoom == HALF else "") + (", dark: padding" if past else "")
        return (name, painter.rows(canvas, zoom, 1.0, False,
                                                                ((outside, PADDING_RGB, 1.0), (field, FIELD_RGB, 0.5),
                                                              (field & outside, PADDING_RGB, 0.55))))


    def _arithmetic(self, width: int, base: Style) -> list[Strip]:
        """Each pixel × its weight, a row of the patch a line, then the sum, the bias, the activation and the
        map's own value."""
        pixel_style = base + Style(color="#F0C000")
        strips = []
        patch, kernel = self.patch[self.channel], self.kernel[self.channel]
        per_term = 13
        fits = len(patch[0]) * per_term + 2 <= width
        for r, (pixels, weights) in enumerate(zip(patch.tolist(), kernel.tolist())):
            if not fits:
                break
            segments = [Segment("  " if r else "Σ ", base)]
            for c, (p, w) in enumerate(zip(pixels, weights)):
                segments += [Segment(" + " if c else "", base), Segment(f"{p:.2f}", pixel_style),
                             Segment(f"×{w:+.2f}", base)]
            strips.append(Strip(segments))
        return strips + self._result(width, base)

    def _result(self, width: int, base: Style) -> list[Strip]:
        """The products' sum (a deeper block's other maps added on a line of their own, so every number on
        screen adds up), the bias, the activation and the value the model's own map holds."""
        total = float(self.sums.sum())
        own = float(self.sums[self.channel])
        z = total + self.bias
        held = float(self.output[self.row, self.col])
        act = ACTIVATED.get(self.activation)
        after = f" → {self.activation} {act(z):.4g}" if act is not None else f" → {self.activation}"
        check = "✓" if math.isclose(act(z) if act else held, held, rel_tol=1e-3, abs_tol=1e-4) else "≠"
        bias = f"+ bias {self.bias:+.4g}"
        bold = base + Style(bold=True)
        others = len(self.sums) - 1
        lines = []
        if others:  # the products above are one map's: the other maps' sums are added, not hidden in a total
            lines.append(first_fit([f"= {own:.4g} (these) + {total - own:.4g} (the same sums on the other {others} "
                                    f"maps) = {total:.4g}", f"= {own:.4g} + {total - own:.4g} (other {others} maps) "
                                    f"= {total:.4g}", f"= {own:.4g} + {total - own:.4g} = {total:.4g}"], width))
        start = f"{total:.4g} " if others else f"= {total:.4g} "
        lines.append(first_fit([f"{start}{bias} = {z:.4g}{after} · the map holds {held:.4g} {check}",
                                f"{start}{bias} = {z:.4g}{after} · map {held:.4g} {check}",
                                f"{bias} = {z:.4g}{after} · map {held:.4g} {check}"], width))
        return [Strip([Segment(line, bold)]) for line in lines]
