"""The graph panel: an expression's computation graph, stepped forward then backward node by node.

Nodes are laid out in layers by ui/draw/dag.py (inputs on the left, the output on
the right). Stage 0 shows the bare graph;
stages 1…N reveal values in evaluation order; stages N+1…2N reveal gradients
from the output back, each with the chain-rule step that produced it.
"""

from __future__ import annotations

import math

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import ScrollableContainer
from textual.geometry import Region
from textual.widgets import Static

from ...expression import LEAVES, Graph, Node, local_gradients, local_rule, operation
from ...frames import ExpressionResult
from ...ui.draw.dag import Box, layout, layout_down, paint
from ...ui.draw.palette import CONST_STYLE, CURRENT_STYLE, GRAD_STYLE, OP_STYLE, VALUE_STYLE, VAR_STYLE
from ...ui.draw.raster import border_room, first_fit

BOX_ROWS = 5           # border, formula, value, gradient, border
WALK_SHOWN = 6         # backward steps listed before the current one, at most (fewer where the rows are few)


def fmt(v: float) -> str:
    if not math.isfinite(v):
        return "NaN" if v != v else ("Inf" if v > 0 else "-Inf")
    return f"{v:.4g}"


class GraphPanel(ScrollableContainer, can_focus=True):
    ALLOW_MAXIMIZE = True  # m zooms it (Textual maximizes no scroll container unless told)

    def __init__(self, graph: Graph, output: str, **kwargs):
        super().__init__(**kwargs)
        self.graph = graph
        self.output_name = output
        self.result: ExpressionResult | None = None
        self.stage = 0
        self.layout_cache = _layout(graph, output, None)

    @property
    def stages(self) -> int:
        return 2 * len(self.graph.nodes)

    @property
    def phase(self) -> str:
        if self.stage == 0:
            return "ready"
        return "forward" if self.stage <= len(self.graph.nodes) else "backward"

    def compose(self) -> ComposeResult:
        yield Static(id="canvas")
        yield Static(id="explain")

    def on_mount(self) -> None:
        self._draw()

    def watch_scroll_x(self, old: float, new: float) -> None:
        super().watch_scroll_x(old, new)
        # a graph wider than the panel scrolls sideways; the explanation under it stays put, whole
        self.query_one("#explain").styles.offset = (round(new), 0)

    def set_result(self, result: ExpressionResult | None) -> None:
        if result is not self.result:
            self.result = result
            self.layout_cache = _layout(self.graph, self.output_name, result)  # boxes fit the real numbers
            self._draw()

    def advance(self) -> bool:
        """One node further; False at the end."""
        if self.result is None or self.stage >= self.stages:
            return False
        self.stage += 1
        self._draw()
        return True

    def reset(self) -> None:
        self.stage = 0
        self._draw()

    def walk_to(self, stage: int) -> None:
        """Where another screen's walk is (a lecture's instructor): that many nodes in, within this graph."""
        stage = max(0, min(stage, self.stages if self.result is not None else 0))
        if stage != self.stage:
            self.stage = stage
            self._draw()

    # ------------------------------------------------------------------ drawing

    def _current(self) -> Node | None:
        n = len(self.graph.nodes)
        if self.stage == 0:
            return None
        if self.stage <= n:
            return self.graph.nodes[self.stage - 1]
        return self.graph.nodes[2 * n - self.stage]

    def _shown(self, node: Node) -> tuple[bool, bool]:
        """(value shown, gradient shown) at the current stage."""
        n = len(self.graph.nodes)
        return self.stage >= node.id + 1, self.stage >= 2 * n - node.id

    def on_resize(self) -> None:
        room, formula = border_room(self.outer_size.width), f"{self.output_name} = {self.graph.text}"
        self.border_title = first_fit([f"Computation graph · {formula}", formula, "Computation graph"], room)
        self.border_subtitle = first_fit(["n: next node · r: start over · space: play", "n: next node · r: start over",
                                          "n: next node"], room)
        self._draw()

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        canvas = self.query_one("#canvas", Static)
        room = self.scrollable_content_region.width
        if 0 < room < self.layout_cache[1]:  # too wide left to right: top to bottom without borders, if it fits
            down = layout_down(self._boxes(padded=True), room)
            if down is not None:
                canvas.styles.width = down[1]
                canvas.update(down[0])
                self._explain(self.scrollable_content_region.height - down[2] - 1, room)
                return
        canvas.styles.width = self.layout_cache[1]  # wider than the panel even so: scroll, never wrap
        canvas.update(self._canvas())
        self._explain(self.scrollable_content_region.height - self.layout_cache[2] - 1, room)
        current = self._current()
        if current is not None:  # keep the node being explained in view on a narrow screen
            x, y, w = self.layout_cache[0][current.id]
            self.call_after_refresh(self.scroll_to_region, Region(x, y, w, BOX_ROWS), animate=False)

    def _canvas(self) -> Text:
        positions, width, height = self.layout_cache
        return paint(self._boxes(), positions, width, height, BOX_ROWS)

    def _boxes(self, padded: bool = False) -> list[Box]:
        """Each node's box; `padded`: its first line as wide as the box will get (the drawing without borders
        sizes a node by its text: nodes do not move as their values and gradients appear)."""
        current = self._current()
        positions = self.layout_cache[0]
        boxes = []
        for n in self.graph.nodes:
            lines = self._box_lines(n)
            if padded:
                lines[0] = (lines[0][0].ljust(positions[n.id][2] - 4), lines[0][1])
            boxes.append(Box(n.id, n.inputs, lines, CURRENT_STYLE if n is current else VAR_STYLE if n.op == "var"
                             else CONST_STYLE if n.op == "const" else OP_STYLE))
        return boxes

    def _box_lines(self, node: Node) -> list[tuple[str, Style | None]]:
        value_shown, grad_shown = self._shown(node)
        r = self.result
        title = _formula(node, self.graph, self.output_name)
        value = f"= {fmt(r.values[node.id])}" if r is not None and value_shown else ""
        if r is None or (not grad_shown and r.constant[node.id]):
            grad = ""
        elif not grad_shown:
            grad = self._gathering(node)
        elif r.constant[node.id]:
            grad = "(constant)"
        else:
            grad = f"∂{self.output_name}/∂{_name(node, self.graph, self.output_name)} = {fmt(r.grads[node.id])}"
        # (a gradient still gathering is grey: not yet the one that goes in .grad)
        return [(title, None), (value, VALUE_STYLE), (grad, GRAD_STYLE if grad_shown else CONST_STYLE)]

    def _gathering(self, node: Node) -> str:
        """A node used more than once, mid-walk: what its walked uses have sent back so far, grey: the gradient is
        complete only when every use has sent its part, which is why the walk goes in
        reverse order ("so far: 1" while it waits). "" for a node with one use, or none sent yet."""
        parts = self._parts(node)
        if parts is None:
            return ""
        # (short, in the box's own width: one column more sent 120x40's graph into its boxless layout; the walk's
        # text says whose part it waits for)
        return f"so far: {fmt(parts[0])}"

    def _parts(self, node: Node) -> tuple[float, list[str]] | None:
        """(what node's walked uses have sent back so far, the uses it still waits for), for a node used more than
        once whose first part has come; None otherwise."""
        r = self.result
        assert r is not None
        uses = _users(self.graph, node.id)
        if len(uses) < 2 or self.phase != "backward":
            return None
        sent = [u for u in uses if self._shown(u)[1]]
        if not sent:
            return None
        total = sum(r.grads[u.id] * _local(u, node.id, r) for u in sent)
        return total, [_name(u, self.graph, self.output_name) for u in uses if u not in sent]

    def _explain(self, rows: int, width: int) -> None:
        """The explanation under the graph in `rows` rows where it can: the earlier backward steps go first,
        so the current one stays in view (at 80x24 six listed steps pushed it below the panel's edge)."""
        for earlier in range(WALK_SHOWN, -1, -1):
            text = self._explanation(earlier)
            # (measured two cells narrower and with a row to spare: a text one row too long brings a scroll bar
            # that narrows it further)
            if earlier == 0 or width < 3 or len(text.wrap(self.app.console, width - 2)) < rows:
                break
        self.query_one("#explain", Static).update(text)

    def _explanation(self, walk_shown: int = WALK_SHOWN) -> Text:
        node, r = self._current(), self.result
        out = Text()
        if r is None:
            return Text("torch is evaluating the graph…", style="italic")
        if node is None:
            return Text("Press n to evaluate the first node.", style="italic")
        name = _name(node, self.graph, self.output_name)
        f = self.output_name
        if self.phase == "forward":
            out.append("forward  ", style="bold")
            if node.op == "var":
                out.append(f"{name} = {fmt(r.values[node.id])}  (an input)")
            elif node.op == "const":
                out.append(f"the constant {fmt(r.values[node.id])}")
            else:
                args = ", ".join(fmt(r.values[i]) for i in node.inputs)
                out.append(f"{_formula(node, self.graph, f)}  with inputs ({args})  → {fmt(r.values[node.id])}")
            return _note_non_finite(out, [r.values[node.id]])
        # backward: every step walked so far, the output first, so the order of the chain rule stays on screen
        # (one line at a time showed only the last step: reviewers asked where the walk had been)
        n = len(self.graph.nodes)
        walked = [self.graph.nodes[2 * n - stage] for stage in range(n + 1, self.stage + 1)]
        earlier = walked[:-1][max(0, len(walked) - 1 - walk_shown):] if walk_shown else []
        out.append("backward, the output first", style="bold")
        if len(walked) - 1 > len(earlier):
            out.append(f"  (the first {len(walked) - 1 - len(earlier)} not shown)", style="dim")
        for done in earlier:
            out.append("\n  ")
            out.append(self._backward_step(done)[0], style="dim")
        line, local, shown = self._backward_step(node)
        out.append("\n▶ ", style="bold")
        out.append(line, style="bold")
        for i in dict.fromkeys(node.inputs):  # a part just sent to a node that gathers: what it has, what it waits for
            parts = self._parts(self.graph.nodes[i])
            if parts is not None and not self._shown(self.graph.nodes[i])[1]:
                other = _name(self.graph.nodes[i], self.graph, f)
                part = r.grads[node.id] * _local(node, i, r)
                waits = f"; it waits for {', '.join(parts[1])}" if parts[1] else ": every use is in"
                out.append(f"\n    → {name} sends {fmt(part)} to {other}, used more than once: {other} has "
                           f"{fmt(parts[0])} so far{waits}", style="italic")
        uses = sum(u.inputs.count(node.id) for u in self.graph.nodes)
        if uses > 1:  # (the walk's order is the reason: every use comes later in the graph, so it is walked first;
            # before the local derivatives: at 80x24 the last line is the one a short panel loses)
            out.append(f"\n    {name} is used {uses} times: each use sent its part back first (reverse order), "
                       f"and {name}'s gradient is their sum", style="italic")
        if local:
            out.append(f"\n    local derivatives: {local}", style="dim")
        return _note_non_finite(out, shown)

    def _backward_step(self, node: Node) -> tuple[str, str, list[float]]:
        """One backward step in words: (its chain rule with the numbers in, its local derivatives, the numbers)."""
        r, f = self.result, self.output_name
        assert r is not None
        name = _name(node, self.graph, f)
        if node.id == self.graph.output:
            return f"∂{f}/∂{f} = 1: the gradient starts at the output", "", []
        if r.constant[node.id]:
            return f"{name} = {fmt(r.values[node.id])} is a constant: autograd does not track it", "", []
        terms, parts, shown = [], [], [r.grads[node.id]]
        users = _users(self.graph, node.id)
        for user in users:
            local = _local(user, node.id, r)
            uname = _name(user, self.graph, f)
            # the local factor by its formula where the user is the output: ∂f/∂f·∂(q1 × z)/∂z, not ∂f/∂f·∂f/∂z,
            # which wrote ∂f/∂z in terms of itself
            local_of = f"({_formula(user, self.graph, f).split(' = ', 1)[1]})" if user.id == self.graph.output else uname
            terms.append(f"∂{f}/∂{uname}·∂{local_of}/∂{name}")
            parts.append(f"({fmt(r.grads[user.id])})·({fmt(local)})")
            shown += [r.grads[user.id], local]
        # (the output's local derivative by its formula: "∂f/∂a = 1" beside a's ∂f/∂a = −1 named two things alike)
        output = f"({_formula(self.graph.nodes[self.graph.output], self.graph, f).split(' = ', 1)[1]})"
        rules = "; ".join(local_rule(u, self.graph, {self.graph.output: output}) for u in users)
        return f"∂{f}/∂{name} = {' + '.join(terms)} = {' + '.join(parts)} = {fmt(r.grads[node.id])}", rules, shown


def _users(graph: Graph, node: int) -> list[Node]:
    """The nodes that take `node` as an input, each once, in graph order."""
    return [u for u in graph.nodes if node in u.inputs]


def _local(user: Node, node: int, result: ExpressionResult) -> float:
    """∂user/∂node at the expression's values (summed where `node` is more than one of its inputs: a + a)."""
    # -0.0 starts the sum so that a single term keeps its sign (0 + -0.0 would print 0)
    return sum((g for i, g in zip(user.inputs, local_gradients(user, list(result.values))) if i == node), -0.0)


def _note_non_finite(out: Text, numbers: list[float]) -> Text:
    """Say what an Inf or NaN on the line means: the arithmetic of float64, which torch shares."""
    if not all(math.isfinite(v) for v in numbers):
        out.append("\nInf: beyond float64's largest number (1.8e308), or a division by 0. NaN: no defined value "
                   "(0·Inf, Inf − Inf, sin(Inf), log of a negative…). torch gives the same.", style="dim")
    return out


def _name(node: Node, graph: Graph, output: str) -> str:
    return output if node.id == graph.output else (node.name or node.label)


def _formula(node: Node, graph: Graph, output: str) -> str:
    name = _name(node, graph, output)
    args = [_name(graph.nodes[i], graph, output) for i in node.inputs]
    if node.op in LEAVES:
        return name
    form = operation(node.op).form
    if form == "infix":
        return f"{name} = {args[0]} {node.label} {args[1]}"
    if form == "prefix":
        return f"{name} = {node.label}{args[0]}"
    if form == "call":
        return f"{name} = {node.op}({args[0]})"
    raise ValueError(f"operation '{node.op}' has no written form '{form}'")


def _layout(graph: Graph, output: str, result: ExpressionResult | None):
    """Box positions; each box fits its formula, its value and its gradient line."""

    def box_width(n: Node) -> int:
        grad = fmt(result.grads[n.id]) if result is not None else "-0.0000"  # before torch answers: a guess
        value = fmt(result.values[n.id]) if result is not None else ""
        name = _name(n, graph, output)
        lines = [_formula(n, graph, output), f"= {value}", f"∂{output}/∂{name} = {grad}"]
        users = _users(graph, n.id)
        if len(users) > 1 and result is not None:  # mid-walk, what it has so far (_gathering), each partial sum
            total = 0.0
            for user in users[:0:-1]:  # (the walk sends the parts in reverse order: the last user first)
                total += result.grads[user.id] * _local(user, n.id, result)
                lines.append(f"so far: {fmt(total)}")
        return max(len(line) for line in lines) + 4

    boxes = [Box(n.id, n.inputs, [], OP_STYLE) for n in graph.nodes]
    return layout(boxes, {n.id: box_width(n) for n in graph.nodes}, BOX_ROWS)
