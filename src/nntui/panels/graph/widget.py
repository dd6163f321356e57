"""The model's autograd graph (graph panel on a training scenario), the way torchviz walks it.

Operation nodes (Addmm, Relu, …), parameter leaves named by module path with
their shapes and colored by the norm of their gradient (the gradient-flow
scale), and the loss. `t` switches between the layered drawing and a compact
tree (better for big graphs); `[` / `]` switch runs. The layers run left to right
in boxes where that fits, else top to bottom without borders (dag.layout_down):
mlp_graph's ten nodes fit a third of an 80- or 120-column screen that way.
"""

from __future__ import annotations

import math

from rich.color import Color
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.widgets import Static

from ...frames import ModelGraph
from ...runner import RunView, View
from ...ui.draw.dag import Box, layout, layout_down, paint
from ...ui.draw.palette import CONST_STYLE, EDGE_STYLE, LOG_HI, LOG_LO, LOSS_STYLE, OP_STYLE, VAR_STYLE, scale_rgb
from ...ui.draw.raster import border_room, first_fit, wrap_label
from ...ui.panel import RUN_BINDINGS, Panel, run_name

BOX_ROWS = 4
# what PyTorch's backward nodes compute (their names as torchviz shows them, less "Backward0"): said under
# the graph for the ones it holds, so "T" and "Mm" are not left for the student to guess
OP_MEANINGS = {
    "Addmm": "b + x·Wᵀ (a Linear layer)", "Mm": "matrix product", "T": "transpose", "AccumulateGrad": "a leaf",
    "Relu": "max(0, z)", "LeakyRelu": "z or 0.01·z", "Sigmoid": "1/(1 + e⁻ᶻ)", "Tanh": "tanh z", "Elu": "ELU",
    "Gelu": "GELU", "Silu": "z·σ(z)", "Add": "sum", "Sub": "difference", "Mul": "product", "Div": "quotient",
    "Pow": "power", "Mean": "mean", "Sum": "sum", "View": "reshape", "Reshape": "reshape", "Squeeze": "squeeze",
    "Unsqueeze": "unsqueeze", "Neg": "negation", "Exp": "eˣ", "Log": "ln", "MseLoss": "mean squared error",
    "NativeBatchNorm": "batch norm", "NativeDropout": "dropout", "Softmax": "softmax", "LogSoftmax": "log softmax",
    "NllLoss": "negative log-likelihood", "BinaryCrossEntropyWithLogits": "σ then binary cross-entropy",
    "Convolution": "filters slid over the maps (a Conv2d)", "MaxPool2DWithIndices": "largest of each block",
    "AvgPool2D": "mean of each block", "UnsafeView": "reshape",
}


def grad_style(norm: float | None) -> Style:
    if norm is None or not math.isfinite(norm) or norm <= 0:
        return CONST_STYLE
    return Style(color=Color.from_rgb(*scale_rgb(math.log10(norm))), bold=True)


def _shape(shape: tuple[int, ...]) -> str:
    return "×".join(str(d) for d in shape)


def op_legend(graph: ModelGraph, colours: bool = True) -> Text:
    """'Addmm: b + x·Wᵀ · T: transpose · …' for the operations in the graph, in their order, and (`colours`) the
    colour scale of the leaves' ‖∇‖."""
    names = dict.fromkeys(n.label for n in graph.nodes if n.kind != "param")
    text = Text()
    for name in names:
        meaning = OP_MEANINGS.get(name)
        if meaning is not None and name != meaning:
            text.append(" · " if text else "")
            text.append(name, OP_STYLE)
            text.append(f": {meaning}", "dim")
    if colours and any(n.kind == "param" for n in graph.nodes):  # what each ‖∇‖'s colour says (the subtitle names it)
        text.append("\n\n" if text else "")
        text.append("colour of ‖∇‖: 1e-8 ", "dim")
        for k in range(int(LOG_LO), int(LOG_HI) + 1):
            text.append("█", Style(color=Color.from_rgb(*scale_rgb(k))))
        text.append(" 1e2", "dim")
    return text


class ModelGraphPanel(Panel, ScrollableContainer, can_focus=True):
    ALLOW_MAXIMIZE = True  # m zooms it (Textual maximizes no scroll container unless told)

    BINDINGS = [
        Binding("t", "toggle_tree", "Tree / layers", show=False),
        *RUN_BINDINGS,
    ]

    def __init__(self, run_index: int = 0, **kwargs) -> None:
        super().__init__(**kwargs)
        self.tree_view: bool | None = None  # None: decide on first draw (tree when the layers do not fit)
        self.run_index = run_index
        self._view: View | None = None
        self._key: tuple | None = None
        self._shape: tuple | None = None  # the drawing's rows, columns and width last drawn
        self._legend: Text | None = None  # the operations' legend last shown

    def compose(self) -> ComposeResult:
        yield Static(id="canvas")
        yield Static(id="ops")

    def on_mount(self) -> None:
        self.border_subtitle = "t: tree/layers · [ / ]: run · color: ‖∇‖"

    def action_toggle_tree(self) -> None:
        self.tree_view = not self.tree_view
        self._redraw()

    def action_run(self, delta: int) -> None:
        if self._view is not None and self._view.runs:
            self.run_index = (self.run_index + delta) % len(self._view.runs)
        self._redraw()

    def _redraw(self) -> None:
        self._key = None
        if self._view is not None:
            self.show(self._view)

    def on_resize(self) -> None:
        """The drawing (layers or top to bottom) and whether the operations' legend fits depend on the size:
        decided again for the size it has now, not the one it had at the first frame."""
        self._redraw()

    def show(self, view: View) -> None:
        self._view = view
        key = (view.version, self.tree_view, self.run_index)
        if key == self._key or not self.is_mounted:
            return
        self._key = key
        run = view.runs[self.run_index % len(view.runs)] if view.runs else None
        canvas = self.query_one("#canvas", Static)
        if run is None or run.graph is None or not run.graph.nodes:
            canvas.styles.width = "auto"
            canvas.update(Text("waiting for the first step…", style="italic"))
            return
        fit = border_room(self.outer_size.width)
        name, count = run_name(run), len(run.graph.nodes)
        self.border_title = first_fit([f"Autograd graph · {name} · {count} nodes", f"Autograd graph · {name}",
                                       f"Graph · {name}", name], fit)
        self.border_subtitle = first_fit(["t: tree/layers · [ / ]: run · color: ‖∇‖", "t: tree/layers · color: ‖∇‖",
                                          "t: tree · color: ‖∇‖", "t: tree/layers"], fit)
        room = self.scrollable_content_region.width
        if room < 1:  # hidden behind a zoomed panel: nothing to fit (and no tree/layers choice to make)
            return
        layered, width = self._layers(run, run.graph)
        if width > room:  # too wide left to right: top to bottom, without borders, labels wrapped
            down = layout_down(self._compact(run, run.graph, room), room)
            if down is not None:
                layered, width = down[0], down[1]
        if self.tree_view is None:
            self.tree_view = width > room
        text, canvas_width = (self._tree(run, run.graph), None) if self.tree_view else (layered, width)
        canvas.styles.width = canvas_width or "auto"
        # a new step changes the gradients' digits, not the drawing's shape: no layout pass then (each one had
        # the screen laid out again, five times a second)
        shape = (text.plain.count("\n"), max(map(len, text.plain.split("\n"))), canvas_width)
        canvas.update(text, layout=shape != self._shape)
        self._shape = shape
        # under the graph where it fits without scrolling (a scroll bar would take columns the layout counted on)
        rows = len(text.wrap(self.app.console, room)) if isinstance(text, Text) else 0
        spare = self.scrollable_content_region.height - rows - 1
        # the operations' meanings before the colours' scale: at 80x24 both did not fit, and Addmm and T went
        # unexplained under five empty rows
        legend = next((form for form in (op_legend(run.graph), op_legend(run.graph, colours=False))
                       if len(form.wrap(self.app.console, room)) <= spare), Text())
        ops = self.query_one("#ops", Static)
        ops.display = bool(legend)
        if legend != self._legend:
            self._legend = legend
            ops.update(legend)

    def _norm(self, run: RunView, param: int | None) -> float | None:
        if param is None or run.grad_norms is None or param >= len(run.grad_norms) or run.step == 0:
            return None  # no backward pass yet: no gradient to show (not "nan")
        return float(run.grad_norms[param])

    def _layers(self, run: RunView, g: ModelGraph) -> tuple[Text, int]:
        boxes, widths = [], {}
        lines: list[tuple[str, Style | None]]  # None: the box's own style
        for i, n in enumerate(g.nodes):
            if n.kind == "param":
                norm = self._norm(run, n.param)
                lines = [(n.label, VAR_STYLE),
                         (f"{_shape(n.shape)}  ‖∇‖ {norm:.1e}" if norm is not None else _shape(n.shape),
                          grad_style(norm))]
                style = grad_style(norm)
            elif n.kind == "loss":
                lines, style = [(f"loss: {n.label}", LOSS_STYLE), ("", None)], LOSS_STYLE
            else:
                lines, style = [(n.label, OP_STYLE), ("", None)], OP_STYLE
            boxes.append(Box(i, n.inputs, lines, style))
            widths[i] = max(len(text) for text, _ in lines) + 4
        positions, width, height = layout(boxes, widths, BOX_ROWS)
        return paint(boxes, positions, width, height, BOX_ROWS), width

    def _compact(self, run: RunView, g: ModelGraph, width: int) -> list[Box]:
        """The nodes as lines of text for the top-to-bottom drawing: a leaf's name and shape, then its
        gradient's norm; an operation's name; the loss, wrapped to `width`."""
        boxes = []
        for i, n in enumerate(g.nodes):
            if n.kind == "param":
                norm = self._norm(run, n.param)
                lines: list[tuple[str, Style | None]] = [(f"{n.label} {_shape(n.shape)}", VAR_STYLE)]
                if norm is not None:
                    lines.append((f"‖∇‖ {norm:.1e}", grad_style(norm)))
                style = grad_style(norm)
            elif n.kind == "loss":
                lines, style = [(t, LOSS_STYLE) for t in wrap_label(f"loss: {n.label}", width)], LOSS_STYLE
            else:
                lines, style = [(t, OP_STYLE) for t in wrap_label(n.label, width)], OP_STYLE
            boxes.append(Box(i, n.inputs, lines, style))
        return boxes

    def _tree(self, run: RunView, g: ModelGraph) -> Text:
        """From the loss back to the leaves; a node met twice is shown once and then referenced."""
        out = Text(no_wrap=True, overflow="crop")
        shown: set[int] = set()

        def walk(i: int, prefix: str, last: bool, top: bool) -> None:
            n = g.nodes[i]
            branch = "" if top else ("└─ " if last else "├─ ")
            out.append(prefix + branch, EDGE_STYLE)
            if n.kind == "param":
                norm = self._norm(run, n.param)
                out.append(n.label, VAR_STYLE)
                out.append(f"  {_shape(n.shape)}")
                if norm is not None:
                    out.append(f"  ‖∇‖ {norm:.1e}", grad_style(norm))
            else:
                out.append(("loss: " if n.kind == "loss" else "") + n.label, LOSS_STYLE if n.kind == "loss" else OP_STYLE)
            if i in shown and n.inputs:
                out.append("  (see above)\n", Style(dim=True))
                return
            shown.add(i)
            out.append("\n")
            child_prefix = prefix + ("" if top else ("   " if last else "│  "))
            for k, j in enumerate(n.inputs):
                walk(j, child_prefix, k == len(n.inputs) - 1, False)

        walk(g.output, "", True, True)
        return out
