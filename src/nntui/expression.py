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
import re

import numpy as np
from dataclasses import dataclass

FUNCTIONS = ("exp", "log", "tanh", "sigmoid", "relu", "sin", "cos")
MAX_LENGTH = 500
MAX_NODES = 200
MAX_DEPTH = 50  # parentheses, calls, signs and powers inside each other (the parser recurses on each)
_TOKEN = re.compile(r"\s*(?:(\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z_0-9]*)|(\*\*|[-+*/()]))")
HELP = "use numbers, variables, + - * / **, parentheses and exp, log, tanh, sigmoid, relu, sin, cos"


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
        symbol = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "**", "neg": "−"}.get(self.op, self.op)
        if self.op == "var":
            return self.name
        if self.op == "const":
            return _num(self.value)
        return symbol


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
    tokens, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            col = pos + len(text[pos:]) - len(text[pos:].lstrip())
            raise ExpressionError(f"unexpected '{text[col]}' at column {col + 1}; {HELP}")
        start = m.start(m.lastindex)
        tokens.append((start, m.group(m.lastindex)))
        pos = m.end()
    if not tokens:
        raise ExpressionError(f"the expression is empty; {HELP}")
    return tokens


class _Parser:
    def __init__(self, text: str, tokens: list[tuple[int, str]]):
        self.text, self.tokens, self.pos = text, tokens, 0
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

    def peek(self) -> str | None:
        return self.tokens[self.pos][1] if self.pos < len(self.tokens) else None

    def take(self) -> str:
        tok = self.peek()
        if tok is None:
            raise ExpressionError(f"the expression ends too early (after column {len(self.text)}); {HELP}")
        self.pos += 1
        return tok

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
        if self.peek() == "-":
            self.take()
            return self.add("neg", (self.nested(self.unary),))
        return self.power()

    def power(self) -> int:
        base = self.atom()
        if self.peek() == "**":
            self.take()
            return self.add("pow", (base, self.nested(self.unary)))
        return base

    def atom(self) -> int:
        col = self.tokens[self.pos][0] if self.pos < len(self.tokens) else len(self.text)
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

    def expect(self, tok: str) -> None:
        if self.peek() != tok:
            col = self.tokens[self.pos][0] + 1 if self.pos < len(self.tokens) else len(self.text) + 1
            raise ExpressionError(f"expected '{tok}' at column {col}; {HELP}")
        self.take()


# ---------------------------------------------------------------------------- evaluation


def forward(graph: Graph, values: dict[str, float]) -> list[float]:
    """Every node's value, in node order."""
    out: list[float] = []
    for n in graph.nodes:
        a = [out[i] for i in n.inputs]
        out.append(float(_FORWARD[n.op](n, values, *a)))
    return out


def forward_array(graph: Graph, values: dict[str, np.ndarray]) -> np.ndarray:
    """The output for arrays of values, elementwise (curve data: a million points at numpy speed).
    Out-of-domain inputs give NaN or Inf, as `forward` does, with no warnings."""
    out: list[np.ndarray] = []
    with np.errstate(all="ignore"):
        for n in graph.nodes:
            if n.op == "var":
                out.append(np.asarray(values[n.name], dtype=np.float64))
            elif n.op == "const":
                out.append(np.float64(n.value))
            else:
                out.append(_NUMPY[n.op](*(out[i] for i in n.inputs)))
    return np.broadcast_to(out[graph.output], np.shape(next(iter(values.values()), 0.0))).astype(np.float64)


def backward(graph: Graph, values: list[float]) -> list[float]:
    """d(output)/d(node) for every node, by the chain rule from the output back."""
    grads = [0.0] * len(graph.nodes)
    grads[graph.output] = 1.0
    for n in reversed(graph.nodes):
        for i, local in zip(n.inputs, local_gradients(n, values)):
            grads[i] += grads[n.id] * local
    return grads


def local_gradients(n: Node, values: list[float]) -> list[float]:
    """∂n/∂input for each input of node n, given every node's value."""
    a = [values[i] for i in n.inputs]
    v = values[n.id]
    if n.op == "add":
        return [1.0, 1.0]
    if n.op == "sub":
        return [1.0, -1.0]
    if n.op == "mul":
        return [a[1], a[0]]
    if n.op == "div":
        return [1 / a[1] if a[1] else math.inf, -a[0] / a[1] ** 2 if a[1] else math.inf]
    if n.op == "pow":
        base, exp_ = a
        d_exp = v * math.log(base) if base > 0 else (0.0 if base == 0 else math.nan)
        return [exp_ * _pow(base, exp_ - 1) if exp_ else 0.0, d_exp]
    if n.op == "neg":
        return [-1.0]
    if n.op == "exp":
        return [v]
    if n.op == "log":
        return [1 / a[0] if a[0] else math.inf]
    if n.op == "tanh":
        return [1 - v * v]
    if n.op == "sigmoid":
        return [v * (1 - v)]
    if n.op == "relu":
        return [1.0 if a[0] > 0 else 0.0]
    if n.op == "sin":
        return [math.cos(a[0])]
    if n.op == "cos":
        return [-math.sin(a[0])]
    return []


def local_rule(n: Node, graph: Graph, rename: dict[int, str] | None = None) -> str:
    """The local derivatives as a learner would write them, e.g. '∂f/∂q1 = z, ∂f/∂z = q1'.

    `rename` gives some nodes another name (the output is usually called f)."""
    rename = rename or {}
    names = [rename.get(i) or graph.nodes[i].name or graph.nodes[i].label for i in n.inputs]
    if not names:
        return ""
    n = Node(n.id, n.op, n.inputs, rename.get(n.id) or n.name, n.value)
    a, b = names[0], names[1] if len(names) > 1 else ""
    rules = {
        "add": ["1", "1"], "sub": ["1", "−1"], "mul": [b, a], "div": [f"1/{b}", f"−{a}/{b}²"],
        "pow": [f"{b}·{a}^({b}−1)", f"{n.name}·log {a}"], "neg": ["−1"], "exp": [n.name], "log": [f"1/{a}"],
        "tanh": [f"1 − {n.name}²"], "sigmoid": [f"{n.name}·(1 − {n.name})"], "relu": [f"1 if {a} > 0 else 0"],
        "sin": [f"cos {a}"], "cos": [f"−sin {a}"],
    }[n.op]
    return ", ".join(f"∂{n.name}/∂{name} = {rule}" for name, rule in zip(names, rules))


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x)) if x >= 0 else math.exp(x) / (1 + math.exp(x))


def _pow(base: float, exp_: float) -> float:
    """Real powers only: a negative base with a fractional exponent is NaN, overflow is Inf (as in torch)."""
    if base < 0 and exp_ != int(exp_):
        return math.nan
    if base == 0 and exp_ < 0:
        return math.inf
    try:
        return float(base ** exp_)
    except OverflowError:
        return math.inf


_FORWARD = {
    "var": lambda n, values: float(values[n.name]),
    "const": lambda n, values: n.value,
    "add": lambda n, values, a, b: a + b,
    "sub": lambda n, values, a, b: a - b,
    "mul": lambda n, values, a, b: a * b if math.isfinite(a * b) or not (a == 0 or b == 0) else math.nan,
    "div": lambda n, values, a, b: a / b if b else (math.copysign(math.inf, a) if a else math.nan),
    "pow": lambda n, values, a, b: _pow(a, b),
    "neg": lambda n, values, a: -a,
    "exp": lambda n, values, a: math.exp(a) if a < 709 else math.inf,
    "log": lambda n, values, a: math.log(a) if a > 0 else (-math.inf if a == 0 else math.nan),
    "tanh": lambda n, values, a: math.tanh(a),
    "sigmoid": lambda n, values, a: _sigmoid(a),
    "relu": lambda n, values, a: max(a, 0.0),
    "sin": lambda n, values, a: math.sin(a) if math.isfinite(a) else math.nan,
    "cos": lambda n, values, a: math.cos(a) if math.isfinite(a) else math.nan,
}


_NUMPY = {
    "add": np.add, "sub": np.subtract, "mul": np.multiply, "div": np.divide, "pow": np.power,
    "neg": np.negative, "exp": np.exp, "log": np.log, "tanh": np.tanh, "sin": np.sin, "cos": np.cos,
    "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
    "relu": lambda a: np.maximum(a, 0.0),
}


def _num(v: float) -> str:
    return f"{v:g}"
