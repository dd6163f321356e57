"""Scalar expressions for the computation-graph lessons: a small, safe grammar, never eval.

    expr  := term (('+' | '-') term)*
    term  := unary (('*' | '/') unary)*
    unary := '-' unary | power
    power := atom ('**' unary)?                 (right-associative, binds tighter than unary minus)
    atom  := NUMBER | NAME | FUNC '(' expr ')' | '(' expr ')'
    FUNC  := exp | log | tanh | sigmoid | relu | sin | cos

Anything else is an ExpressionError that names the column. The parsed graph
lists its nodes in evaluation order; `forward` and `backward` compute every
node's value and gradient by the chain rule (numpy, no torch), which the tests
check against torch.autograd.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from .tokens import Cursor, grammar, tokenize

MAX_LENGTH = 500
MAX_NODES = 200
MAX_DEPTH = 50  # parentheses, calls, signs and powers inside each other (the parser recurses on each)
_TOKENS = grammar(r"\*\*|[-+*/()]")


class ExpressionError(ValueError):
    """A malformed expression; the message names the column and what is allowed."""


@dataclass(frozen=True)
class Node:
    id: int
    op: str                       # var, const, add, sub, mul, div, pow, neg, exp, log, tanh, sigmoid, relu, sin, cos
    inputs: tuple[int, ...]
    name: str = ""                # the variable's name, or a generated one (q1, q2, …) for intermediates
    value: float = math.nan       # constants only, before evaluation

    @property
    def label(self) -> str:
        if self.op == "var":
            return self.name
        if self.op == "const":
            return _num(self.value)
        return operation(self.op).symbol


@dataclass(frozen=True)
class Graph:
    text: str
    nodes: tuple[Node, ...]       # evaluation order: every input comes before its user
    output: int

    @property
    def variables(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(n.name for n in self.nodes if n.op == "var"))


def parse(text: str) -> Graph:
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is {len(text)} characters; at most {MAX_LENGTH}")
    tokens = _tokenize(text)
    parser = _Parser(text, tokens)
    out = parser.expr()
    if parser.pos < len(tokens):
        col, tok = tokens[parser.pos]
        raise ExpressionError(f"unexpected '{tok}' at column {col + 1}; {HELP}")
    # name the intermediate results q1, q2, … in evaluation order (variables keep their names)
    nodes, count = [], 0
    for node in parser.nodes:
        if node.op not in ("var", "const"):
            count += 1
            node = Node(node.id, node.op, node.inputs, f"q{count}")
        nodes.append(node)
    return Graph(text, tuple(nodes), out)


def _tokenize(text: str) -> list[tuple[int, str]]:
    def unexpected(col: int) -> ExpressionError:
        return ExpressionError(f"unexpected '{text[col]}' at column {col + 1}; {HELP}")

    tokens = tokenize(text, _TOKENS, unexpected)
    if not tokens:
        raise ExpressionError(f"the expression is empty; {HELP}")
    return tokens


class _Parser(Cursor):
    def __init__(self, text: str, tokens: list[tuple[int, str]]):
        super().__init__(text, tokens)
        self.nodes: list[Node] = []
        self.vars: dict[str, int] = {}
        self.depth = 0

    def nested(self, parse, *args) -> int:
        """Parse one level deeper; refuse nesting that would exhaust Python's stack."""
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(f"the expression nests more than {MAX_DEPTH} levels deep "
                                  "(parentheses, functions, signs, powers); simplify it")
        try:
            return parse(*args)
        finally:
            self.depth -= 1

    def ended(self) -> ExpressionError:
        return ExpressionError(f"the expression ends too early (after column {len(self.text)}); {HELP}")

    def missing(self, token: str, column: int) -> ExpressionError:
        return ExpressionError(f"expected '{token}' at column {column}; {HELP}")

    def add(self, op: str, inputs: tuple[int, ...] = (), name: str = "", value: float = math.nan) -> int:
        if len(self.nodes) >= MAX_NODES:
            raise ExpressionError(f"the expression has more than {MAX_NODES} nodes")
        self.nodes.append(Node(len(self.nodes), op, inputs, name, value))
        return len(self.nodes) - 1

    def expr(self) -> int:
        left = self.term()
        while self.peek() in ("+", "-"):
            op = "add" if self.take() == "+" else "sub"
            left = self.add(op, (left, self.term()))
        return left

    def term(self) -> int:
        left = self.unary()
        while self.peek() in ("*", "/"):
            op = "mul" if self.take() == "*" else "div"
            left = self.add(op, (left, self.unary()))
        return left

    def unary(self) -> int:
        if self.accept("-"):
            return self.add("neg", (self.nested(self.unary),))
        return self.power()

    def power(self) -> int:
        base = self.atom()
        if self.accept("**"):
            return self.add("pow", (base, self.nested(self.unary)))
        return base

    def atom(self) -> int:
        col = self.column() - 1
        tok = self.take()
        if tok == "(":
            inner = self.nested(self.expr)
            self.expect(")")
            return inner
        if tok[0].isdigit() or tok[0] == ".":
            return self.add("const", value=float(tok))
        if tok[0].isalpha() or tok[0] == "_":
            if self.peek() == "(":
                if tok not in FUNCTIONS:
                    raise ExpressionError(f"unknown function '{tok}' at column {col + 1}; {HELP}")
                self.take()
                arg = self.nested(self.expr)
                self.expect(")")
                return self.add(tok, (arg,))
            if tok in FUNCTIONS:
                raise ExpressionError(f"'{tok}' at column {col + 1} is a function: write {tok}(…)")
            if tok.startswith("__"):  # harmless here (a name is only a label), but never what a lesson means
                raise ExpressionError(f"'{tok}' at column {col + 1}: names may not start with __; rename it")
            if tok not in self.vars:
                self.vars[tok] = self.add("var", name=tok)
            return self.vars[tok]
        raise ExpressionError(f"unexpected '{tok}' at column {col + 1}; {HELP}")


# ---------------------------------------------------------------------------- the operations

Numbers = float | np.ndarray  # float64 scalars or arrays; every operation is elementwise


@dataclass(frozen=True)
class Operation:
    """One operation of the grammar: how it is written, its value, and its local derivatives.

    `local(inputs…, out)` gives ∂out/∂input for each input, as torch's backward computes it
    (tests/test_expression.py checks them against torch.autograd), and `rule(names…, out)` the same
    derivatives as a learner writes them."""

    form: str                                  # infix (a + b), prefix (−a) or call (exp(a))
    symbol: str
    value: Callable[..., Numbers]
    local: Callable[..., tuple[Numbers, ...]]
    rule: Callable[..., tuple[str, ...]]


def _pow_local(a, b, v):
    d_base = np.where(b == 0, 0.0, b * np.power(a, b - 1))  # torch masks the exponent-0 case to 0
    d_exp = np.where((a == 0) & (b >= 0), 0.0, v * np.log(a))  # and 0**b for b ≥ 0 (log 0 = −inf)
    return d_base, d_exp


OPERATIONS: dict[str, Operation] = {
    "add": Operation("infix", "+", np.add, lambda a, b, v: (1.0, 1.0), lambda a, b, v: ("1", "1")),
    "sub": Operation("infix", "−", np.subtract, lambda a, b, v: (1.0, -1.0), lambda a, b, v: ("1", "−1")),
    "mul": Operation("infix", "×", np.multiply, lambda a, b, v: (b, a), lambda a, b, v: (b, a)),
    "div": Operation("infix", "÷", np.divide, lambda a, b, v: (1 / b, -(a / b) / b),  # torch's order: a = b = 1e-170 gives −1e170 (−a/b² would be −Inf)
                     lambda a, b, v: (f"1/{b}", f"−{a}/{b}²")),
    "pow": Operation("infix", "**", np.power, _pow_local, lambda a, b, v: (f"{b}·{a}^({b}−1)", f"{v}·log {a}")),
    "neg": Operation("prefix", "−", np.negative, lambda a, v: (-1.0,), lambda a, v: ("−1",)),
    "exp": Operation("call", "exp", np.exp, lambda a, v: (v,), lambda a, v: (v,)),
    "log": Operation("call", "log", np.log, lambda a, v: (1 / a,), lambda a, v: (f"1/{a}",)),
    "tanh": Operation("call", "tanh", np.tanh, lambda a, v: (1 - v * v,), lambda a, v: (f"1 − {v}²",)),
    "sigmoid": Operation("call", "sigmoid", lambda a: 1 / (1 + np.exp(-a)), lambda a, v: (v * (1 - v),),
                         lambda a, v: (f"{v}·(1 − {v})",)),
    "relu": Operation("call", "relu", lambda a: np.maximum(a, 0.0), lambda a, v: (np.where(a <= 0, 0.0, 1.0),),
                      lambda a, v: (f"1 if {a} > 0 else 0",)),
    "sin": Operation("call", "sin", np.sin, lambda a, v: (np.cos(a),), lambda a, v: (f"cos {a}",)),
    "cos": Operation("call", "cos", np.cos, lambda a, v: (-np.sin(a),), lambda a, v: (f"−sin {a}",)),
}
FUNCTIONS = tuple(name for name, op in OPERATIONS.items() if op.form == "call")
HELP = f"use numbers, variables, + - * / **, parentheses and {', '.join(FUNCTIONS)}"
LEAVES = ("var", "const")  # a node with no inputs: a variable's value, or a number from the text


def operation(op: str) -> Operation:
    """The catalog entry of `op`; a name the catalog lacks is a bug, never a silent default."""
    try:
        return OPERATIONS[op]
    except KeyError:
        raise ValueError(f"no operation '{op}' in expression.OPERATIONS") from None


# ---------------------------------------------------------------------------- evaluation


def _values(graph: Graph, values: Mapping[str, float | np.ndarray]) -> list[Numbers]:
    """Every node's value, elementwise in float64. Out-of-domain inputs give NaN or ±Inf, as in torch:
    never an exception, never a warning."""
    out: list[Numbers] = []
    with np.errstate(all="ignore"):
        for n in graph.nodes:
            if n.op == "var":
                out.append(np.asarray(values[n.name], dtype=np.float64))
            elif n.op == "const":
                out.append(np.float64(n.value))
            else:
                out.append(np.asarray(operation(n.op).value(*(out[i] for i in n.inputs)), dtype=np.float64))
    return out


def forward(graph: Graph, values: dict[str, float]) -> list[float]:
    """Every node's value, in node order."""
    return [float(v) for v in _values(graph, values)]


def forward_array(graph: Graph, values: dict[str, np.ndarray]) -> np.ndarray:
    """The output for arrays of values, elementwise (curve data: a million points at numpy speed)."""
    out = _values(graph, values)[graph.output]
    return np.broadcast_to(out, np.shape(next(iter(values.values()), 0.0))).astype(np.float64)


def backward(graph: Graph, values: list[float]) -> list[float]:
    """d(output)/d(node) for every node, by the chain rule from the output back."""
    grads = [0.0] * len(graph.nodes)
    grads[graph.output] = 1.0
    with np.errstate(all="ignore"):
        for n in reversed(graph.nodes):
            for i, local in zip(n.inputs, local_gradients(n, values)):
                grads[i] += float(np.float64(grads[n.id]) * local)
    return grads


def local_gradients(n: Node, values: list[float]) -> list[float]:
    """∂n/∂input for each input of node n, given every node's value. Any value, finite or not,
    gives a number (Inf or NaN where the derivative is not finite), never an exception."""
    if n.op in LEAVES:
        return []
    with np.errstate(all="ignore"):
        args = [np.float64(values[i]) for i in n.inputs]
        return [float(d) for d in operation(n.op).local(*args, np.float64(values[n.id]))]


def local_rule(n: Node, graph: Graph, rename: dict[int, str] | None = None) -> str:
    """The local derivatives as a learner would write them, e.g. '∂f/∂q1 = z, ∂f/∂z = q1'.

    `rename` gives some nodes another name (the output is usually called f)."""
    if n.op in LEAVES:
        return ""
    rename = rename or {}
    names = [rename.get(i) or graph.nodes[i].name or graph.nodes[i].label for i in n.inputs]
    out = rename.get(n.id) or n.name
    rules = operation(n.op).rule(*names, out)
    return ", ".join(f"∂{out}/∂{name} = {rule}" for name, rule in zip(names, rules))


def _num(v: float) -> str:
    return f"{v:g}"
