"""Claims: what a lesson says will happen, as data that training checks. No torch here, never eval.

A scenario's `[[check]]` entries each hold one claim, a comparison of
quantities measured on named runs, at a step or at the end:

    claim    := 'not'? sum (CMP sum)?        (no comparison: a yes/no quantity such as diverged("x"))
    sum      := term (('+' | '-') term)*
    term     := unary (('*' | '/') unary)*
    unary    := '-' unary | atom
    atom     := NUMBER | QUANTITY '(' STRING (',' (STRING | NUMBER))* ')' | 'abs' '(' sum ')' | '(' sum ')'
    CMP      := '<' | '<=' | '>' | '>='

e.g. `grad("sigmoid", 1) / grad("sigmoid", 10) < 1e-3` or `not diverged("batch norm")`.
A run is named by its label, in quotes. QUANTITIES lists every quantity; a
name it lacks is an error at load time with the list of names, never a
guess. The parsed claim is a small tree that `evaluate` walks over the
record's run histories (record.py), so the app, headless runs and
`nntui check` judge a claim the same way.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .tokens import Cursor, grammar, tokenize

if TYPE_CHECKING:
    from .record import RunHistory

MAX_LENGTH = 300
_TOKENS = grammar(r""""[^"]*"|'[^']*'""", r"<=|>=|[<>+\-*/(),]")  # quoted run labels, comparisons, arithmetic
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


class ClaimError(ValueError):
    """A malformed claim; the message names the column and what is allowed."""


class Unmeasured(Exception):
    """A quantity that cannot be read from this run now (e.g. no validation split): the claim fails, saying why."""


class NotYet(Unmeasured):
    """A quantity not measured yet (the first full-data loss comes a frame after step 0): judged again later."""


# ---------------------------------------------------------------------------- quantities


def _layer(run: RunHistory, k: int) -> int:
    """The parameter index of the k-th weight matrix (1 = nearest the input), as the gradient-flow panel counts."""
    latest = run.latest
    assert latest is not None  # (evaluated only once a frame has arrived)
    layers = [i for i, shape in enumerate(latest.param_shapes) if len(shape) >= 2]
    if not 1 <= k <= len(layers):
        raise Unmeasured(f"'{run.label}' has {len(layers)} weight layers, not {k}")
    return layers[k - 1]


def _dist(run: RunHistory, quantity: str, k: int, field: str) -> float:
    dists = (run.latest.measured or {}).get("dists") if run.latest is not None else None
    if not dists or quantity not in dists:
        raise Unmeasured("not measured (the engine probes layers only for the histograms panel or a claim)")
    d = dists[quantity]
    values = getattr(d, field)
    if values is None or not 1 <= k <= len(values):
        raise Unmeasured(f"'{run.label}' has {0 if values is None else len(values)} layers of {quantity}, not {k}")
    return float(values[k - 1])


def _last(series_last: tuple[int, float] | None, what: str) -> float:
    if series_last is None:
        raise NotYet(f"no {what} yet")
    return series_last[1]


def _lowest(run: RunHistory, attr: str, what: str) -> float:
    _, values = getattr(run, attr).points()
    if not len(values):
        raise NotYet(f"no {what} yet")
    return float(np.nanmin(values)) if np.isfinite(values).any() else math.inf


def _excess(run: RunHistory) -> float:
    """The training-split loss now minus the lowest the model can reach (the loss panel's view.above_floor)."""
    if math.isnan(run.floor):
        raise Unmeasured(f"'{run.label}': the lowest loss is known only for a linear model fitted by mean squared "
                         "error (least squares)")
    return _last(run.train_loss.last, "loss") - run.floor


def late_mean(steps: np.ndarray, values: np.ndarray) -> float:
    """The mean of a loss series over the last half of its steps: where a run sits while it bounces (one step's
    loss is a sample of the noise). NaN for an empty series, inf where a value in that half is not finite."""
    if not len(values):
        return math.nan
    late = values[steps >= steps[-1] / 2]
    return float(np.mean(late)) if np.isfinite(late).all() else math.inf


def _late_mean(run: RunHistory) -> float:
    """The mean training-split loss over the last half of the steps so far (2,048 buckets keep every step of a
    lesson's length)."""
    steps, values = run.train_loss.points()
    if not len(values):
        raise NotYet("no loss yet")
    return late_mean(steps, values)


def _steps_to(run: RunHistory, target: float) -> float:
    steps, values = run.train_loss.points()
    hit = np.flatnonzero(values <= target)
    return float(steps[hit[0]]) if len(hit) else math.inf


def _param(run: RunHistory, name: str) -> float:
    latest = run.latest
    if latest is None or latest.scalars is None:
        raise Unmeasured("parameters are read only from models with at most 16 of them")
    names = [n for n, shape in zip(latest.param_names, latest.param_shapes) if math.prod(shape) == 1]
    if name not in names:
        raise Unmeasured(f"no one-number parameter '{name}'; there are: {', '.join(names) or 'none'}")
    offsets = np.cumsum([0, *(math.prod(s) for s in latest.param_shapes)])
    return float(latest.scalars[offsets[list(latest.param_names).index(name)]])


def _accuracy(run: RunHistory, validation: bool) -> float:
    series = run.val_accuracy if validation else run.accuracy
    return _last(series.last, "accuracy (the data is not a classification task, or nothing was evaluated yet)")


def _val_min_step(run: RunHistory) -> float:
    low = run.lowest_val()
    if low is None:
        raise NotYet("no validation loss yet")
    return float(low[0])


def _loss_at_val_min(run: RunHistory) -> float:
    """The training-split loss at the step of the lowest validation loss (the last one booked at or before it)."""
    held_out = run.held_out()
    if held_out is None:
        raise NotYet("no validation loss yet")
    return held_out[3]


def _early(run: RunHistory, attr: str) -> float:
    latest = run.latest
    if latest is None:
        raise NotYet("no frame yet")
    if attr == "best_step" and latest.best_step is None:
        raise Unmeasured(f"'{run.label}' does not stop early (set train.early_stop)")
    value = getattr(latest, attr)
    return math.inf if value is None else float(value)


def _latest(run: RunHistory, attr: str) -> float:
    if run.latest is None:
        raise NotYet("no frame yet")
    return float(getattr(run.latest, attr))


def _sum_error(run: RunHistory) -> float:
    """The largest |output − (Σ weight · unit + bias)| over the plane now, for a model with one output: the
    output is the weighted sum of the last hidden layer's units (float rounding apart)."""
    n = (run.latest.measured or {}).get("neurons") if run.latest is not None else None
    if n is None:
        raise NotYet("no neurons measured yet")
    if len(n.grids) < 3 or len(n.grids[-1]) != 1:
        raise Unmeasured(f"'{run.label}' needs a hidden layer and one output")
    bias = n.biases[-1][0] if n.biases[-1] is not None else 0.0
    hidden = np.asarray(n.grids[-2], np.float64)
    weighted = np.tensordot(np.asarray(n.weights[-1][0], np.float64), hidden, axes=1) + float(bias)
    return float(np.max(np.abs(np.asarray(n.grids[-1][0], np.float64) - weighted)))


EDGES = ("vertical", "horizontal")


def edge_pattern(k: int, orientation: str) -> np.ndarray:
    """A k×k step from −1 to +1: across the columns (a vertical edge) or across the rows (a horizontal one)."""
    step = np.zeros((k, k))
    step[:, :k // 2], step[:, k - k // 2:] = -1.0, 1.0
    return step if orientation == "vertical" else step.T


def edge_responses(kernels: np.ndarray, orientation: str) -> tuple[np.ndarray, np.ndarray]:
    """Each filter's |response| (its weights · the pattern, summed over the channels it reads) to an edge of this
    orientation, and to one turned 90°: (filters,) each."""
    other = EDGES[1 - EDGES.index(orientation)]
    k = kernels.shape[-1]
    along = np.abs((kernels * edge_pattern(k, orientation)).sum(axis=(1, 2, 3)))
    across = np.abs((kernels * edge_pattern(k, other)).sum(axis=(1, 2, 3)))
    return along, across


def _edge_ratio(run: RunHistory, orientation: str) -> float:
    """For the first conv block's filter that responds most to an edge of `orientation`: that response ÷ its
    response to an edge turned 90°."""
    if orientation not in EDGES:
        raise Unmeasured(f"an edge is 'vertical' or 'horizontal', not '{orientation}'")
    filters = (run.latest.measured or {}).get("filters") if run.latest is not None else None
    if filters is None:
        raise NotYet("no filters measured yet")
    if not filters.names:
        raise Unmeasured(f"'{run.label}' has no conv blocks")
    along, across = edge_responses(np.asarray(filters.weights[0], np.float64), orientation)
    best = int(np.argmax(along))
    return float(along[best] / across[best]) if across[best] > 0 else math.inf


def _field(run: RunHistory, k: int) -> float:
    """The width in pixels of the input square a unit of conv block k sees."""
    maps = (run.latest.measured or {}).get("feature_maps") if run.latest is not None else None
    if maps is None:
        raise NotYet("no feature maps measured yet")
    if not 1 <= k <= len(maps.fields):
        raise Unmeasured(f"'{run.label}' has {len(maps.fields)} conv blocks, not {k}")
    return float(maps.fields[k - 1])


def _sharpness(run: RunHistory) -> float:
    """λmax now: the top eigenvalue of the Hessian of the training split's loss, at the last estimate."""
    series = run.over_time.get("sharpness")
    if series is None or not len(series):
        raise NotYet("no sharpness estimated yet")
    return float(series.view()[1][-1, 0])


EXPRESSION = ""  # the key a graph lesson's evaluated expression goes under in `runs` (its quantities name no run)


def _grad(expression, name: str) -> float:
    """∂output/∂name of a graph lesson's expression (an object with `grad(name)`: runner.ExpressionValues)."""
    return float(expression.grad(name))


def _status(name: str) -> Callable[..., float]:
    return lambda run: float(run.status == name)


@dataclass(frozen=True)
class Quantity:
    doc: str
    read: Callable[..., float]   # (run histories…, extra arguments…) → a number
    runs: int = 1                # how many run labels it takes first
    extra: tuple[type, ...] = ()  # the arguments after them: int (a layer, 1 = nearest the input), str, float
    panel: str | None = None     # the panel whose probe measures it: the engine runs that probe, shown or not
    truth: bool = False          # yes (1) or no (0): may stand alone, `diverged("x")`
    shown: str = ""              # how a verdict names it, {} for its argument ("‖∇W{}‖"); "": its name in words
    expression: bool = False     # a graph lesson's: read from its evaluated expression (runs[EXPRESSION]), no run


QUANTITIES: dict[str, Quantity] = {
    "loss": Quantity("the loss on the whole training split now (the loss runs are compared on)",
                     lambda r: _last(r.train_loss.last, "loss")),
    "first_loss": Quantity("that loss before the first update",
                           lambda r: _last(None if math.isnan(r.first_loss) else (0, r.first_loss), "loss")),
    "min_loss": Quantity("the lowest training-split loss so far", lambda r: _lowest(r, "train_loss", "loss"),
                         shown="lowest loss"),
    "mean_loss": Quantity("the mean training-split loss over the last half of the steps so far (a noisy run's "
                          "level: one step's loss is a sample of its noise)", _late_mean, shown="mean loss"),
    "excess_loss": Quantity("the loss now minus the lowest loss the model can reach (least squares: a linear "
                            "model fitted by mean squared error): the error the run has left",
                            _excess, shown="loss − best possible"),
    "val_loss": Quantity("the validation loss now", lambda r: _last(r.val_loss.last, "validation split"),
                         shown="val loss"),
    "min_val_loss": Quantity("the lowest validation loss so far", lambda r: _lowest(r, "val_loss", "validation split"),
                             shown="lowest val loss"),
    "val_min_step": Quantity("the step of the lowest validation loss so far",
                             _val_min_step,
                             shown="step of lowest val loss"),
    "loss_at_val_min": Quantity("the training-split loss at the step of the lowest validation loss",
                                _loss_at_val_min, shown="loss at lowest val"),
    "gap": Quantity("the generalization gap now: validation loss − training-split loss",
                    lambda r: _last(r.val_loss.last, "validation split") - _last(r.train_loss.last, "loss")),
    "stopped_at": Quantity("the step early stopping ended the run at (inf: it did not stop early)",
                           lambda r: _early(r, "stopped_at"), shown="stopped at step"),
    "best_step": Quantity("the step of the best validation loss early stopping kept (its weights are restored)",
                          lambda r: _early(r, "best_step"), shown="best step"),
    "sum_error": Quantity("the largest |output − (Σ weight·unit + bias)| over the data's plane now (a model with "
                          "one hidden layer before its one output; the neurons panel's numbers)", _sum_error,
                          panel="neurons", shown="largest |output − Σ weight·unit − bias|"),
    "zero_weights": Quantity("how many entries of the weight matrices are exactly 0 now (L1 makes them)",
                             lambda r: _latest(r, "zero_weights"), shown="zero weights"),
    "accuracy": Quantity("the fraction of the training split classified right now (0–1)",
                         lambda r: _accuracy(r, False)),
    "val_accuracy": Quantity("the fraction of the validation split classified right now (0–1)",
                             lambda r: _accuracy(r, True)),
    "steps_to": Quantity("the first step whose training-split loss is at or below the number (inf: never)",
                         _steps_to, extra=(float,), shown="steps to loss {}"),
    "grad": Quantity("the gradient norm ‖∇W‖ of weight layer k now (1 = nearest the input)",
                     lambda r, k: float(r.latest.grad_norms[_layer(r, k)]), extra=(int,), shown="‖∇W{}‖"),
    "dead": Quantity("the fraction of hidden layer k's units that output 0 on every probe input",
                     lambda r, k: _dist(r, "activations", k, "dead"), extra=(int,), panel="histograms",
                     shown="dead in layer {}"),
    "act_std": Quantity("the standard deviation of hidden layer k's activations",
                        lambda r, k: _dist(r, "activations", k, "std"), extra=(int,), panel="histograms",
                        shown="σ of layer {}"),
    "weight_std": Quantity("the standard deviation of weight layer k's weights",
                           lambda r, k: _dist(r, "weights", k, "std"), extra=(int,), panel="histograms",
                           shown="σ of W{}"),
    "param": Quantity("a one-number parameter by name, e.g. param(\"run\", \"weight\") (models of ≤ 16 numbers)",
                      _param, extra=(str,), shown="{}"),
    "grad_diff": Quantity("the largest |difference| between two runs' gradients so far, relative to the largest "
                          "gradient (runs that start from the same weights)",
                          lambda a, b: a.grad_gaps.get(b.label, math.nan), runs=2,
                          shown="largest gradient gap"),
    "edge_ratio": Quantity("for the conv1 filter that responds most to a \"vertical\" or \"horizontal\" edge (dark to "
                           "bright, either way round): that response ÷ its response to an edge turned 90° (1: no "
                           "preference; the filters panel draws the filter)", _edge_ratio, extra=(str,),
                           panel="filters", shown="{} edge ÷ turned 90°"),
    "field": Quantity("the width in pixels of the input square that one unit of conv block k sees (its receptive "
                      "field: each kernel widens it, each pooling multiplies what the next kernel adds)", _field,
                      extra=(int,), panel="feature_maps", shown="conv{} sees"),
    "sharpness": Quantity("λmax, the top eigenvalue of the Hessian of the training split's loss, at its last "
                          "estimate (every 10 steps): gradient descent is stable along it while λmax < 2/lr",
                          _sharpness, panel="sharpness", shown="λmax"),
    "derivative": Quantity("a graph lesson's ∂output/∂variable, as autograd leaves it in the variable's .grad "
                           "(all its uses added up: a variable used twice gathers both)", _grad, runs=0, extra=(str,),
                           expression=True, shown="{}.grad"),
    "diverged_at": Quantity("the step the run diverged at (inf: it did not)",
                            lambda r: math.inf if r.diverged_at is None else float(r.diverged_at), shown="diverged at step"),
    "diverged": Quantity("yes when the run diverged (its loss hit NaN/Inf or diverge_factor)",
                         lambda r: float(r.diverged_at is not None), truth=True),
    **{name: Quantity(f"yes when the run's status is '{name}'", _status(name), truth=True)
       for name in ("converged", "learning", "stuck", "oscillating", "noisy", "overfitting", "stopped", "diverging")},
}


# ---------------------------------------------------------------------------- the parsed claim


@dataclass(frozen=True)
class Number:
    value: float


@dataclass(frozen=True)
class Measure:
    name: str
    runs: tuple[str, ...]
    extra: tuple[Any, ...]


@dataclass(frozen=True)
class Apply:
    op: str            # + - * / neg abs
    args: tuple[Term, ...]


Term = Number | Measure | Apply


@dataclass(frozen=True)
class Claim:
    text: str
    left: Term
    op: str | None          # a comparison, or None: `left` is a yes/no quantity
    right: Term | None
    negated: bool = False

    @property
    def measures(self) -> tuple[Measure, ...]:
        return tuple(m for side in (self.left, self.right) if side is not None for m in _walk(side))

    @property
    def runs(self) -> tuple[str, ...]:
        """Every run label the claim names, once each, in order."""
        return tuple(dict.fromkeys(label for m in self.measures for label in m.runs))

    @property
    def panels(self) -> tuple[str, ...]:
        """The panels whose probes measure what the claim reads (measured whether or not the lesson shows them)."""
        return tuple(dict.fromkeys(p for m in self.measures if (p := QUANTITIES[m.name].panel) is not None))


def _walk(term: Term):
    if isinstance(term, Measure):
        yield term
    elif isinstance(term, Apply):
        for arg in term.args:
            yield from _walk(arg)


def parse(text: str) -> Claim:
    if len(text) > MAX_LENGTH:
        raise ClaimError(f"the claim is {len(text)} characters; at most {MAX_LENGTH}")
    parser = _Parser(text, _tokenize(text))
    negated = parser.accept("not")
    left = parser.sum()
    op = right = None
    if parser.peek() in COMPARISONS:
        op = parser.take()
        right = parser.sum()
    if parser.pos < len(parser.tokens):
        col, tok = parser.tokens[parser.pos]
        raise ClaimError(f"unexpected '{tok}' at column {col + 1}; a claim is one comparison, e.g. "
                         "loss(\"a\") < loss(\"b\")")
    if op is None and not (isinstance(left, Measure) and QUANTITIES[left.name].truth):
        truths = ", ".join(n for n, q in QUANTITIES.items() if q.truth)
        raise ClaimError(f"a claim compares two sides with <, <=, > or >=, or is a yes/no quantity ({truths})")
    if op is not None and negated:
        raise ClaimError("'not' goes before a yes/no quantity only; flip the comparison instead")
    claim = Claim(text, left, op, right, negated)
    if not claim.runs and not any(QUANTITIES[m.name].expression for m in claim.measures):  # ('1 > 0': of nothing)
        raise ClaimError("the claim measures no run; name one, e.g. loss(\"a\") < 0.1")
    return claim


def _tokenize(text: str) -> list[tuple[int, str]]:
    return tokenize(text, _TOKENS,
                    lambda col: ClaimError(f"unexpected '{text[col]}' at column {col + 1}; run labels go in quotes"))


class _Parser(Cursor):
    def ended(self) -> ClaimError:
        return ClaimError(f"the claim ends too soon: '{self.text}'")

    def missing(self, token: str, column: int) -> ClaimError:
        return ClaimError(f"expected '{token}' at column {column}")

    def sum(self) -> Term:
        left = self.term()
        while self.peek() in ("+", "-"):
            left = Apply(self.take(), (left, self.term()))
        return left

    def term(self) -> Term:
        left = self.unary()
        while self.peek() in ("*", "/"):
            left = Apply(self.take(), (left, self.unary()))
        return left

    def unary(self) -> Term:
        if self.accept("-"):
            return Apply("neg", (self.unary(),))
        return self.atom()

    def atom(self) -> Term:
        col = self.column()
        tok = self.take()
        if tok[0].isdigit() or tok[0] == ".":
            return Number(float(tok))
        if tok == "(":
            inner = self.sum()
            self.expect(")")
            return inner
        if tok == "abs":
            self.expect("(")
            inner = self.sum()
            self.expect(")")
            return Apply("abs", (inner,))
        if tok in ("inf",):
            return Number(math.inf)
        if tok[0].isalpha() or tok[0] == "_":
            return self.measure(tok, col)
        raise ClaimError(f"unexpected '{tok}' at column {col}")

    def measure(self, name: str, col: int) -> Measure:
        quantity = QUANTITIES.get(name)
        if quantity is None:
            raise ClaimError(f"no quantity '{name}' (column {col}); the quantities are: {', '.join(QUANTITIES)}")
        shape = ['"run"'] * quantity.runs + [t.__name__ for t in quantity.extra]
        usage = f"{name}({', '.join(shape)})"
        self.expect("(")
        args: list[Any] = []
        while self.peek() != ")":
            if args:
                self.expect(",")
            neg = self.accept("-")
            tok = self.take()
            if tok[0] in "\"'":
                args.append(tok[1:-1])
            elif tok[0].isdigit() or tok[0] == ".":
                args.append(-float(tok) if neg else float(tok))
            else:
                raise ClaimError(f"{name} at column {col} takes {usage} (run labels go in quotes)")
        self.expect(")")
        runs, extra = args[:quantity.runs], args[quantity.runs:]
        if len(runs) != quantity.runs or len(extra) != len(quantity.extra) or \
                not all(isinstance(r, str) for r in runs):
            raise ClaimError(f"{name} at column {col} takes {usage}")
        for value, kind in zip(extra, quantity.extra):
            if (kind is str) != isinstance(value, str) or (kind is int and value != int(value)):
                raise ClaimError(f"{name} at column {col} takes {usage}")
        return Measure(name, tuple(runs), tuple(int(v) if k is int else v for v, k in zip(extra, quantity.extra)))


def renamed(text: str, old: str, new: str) -> str:
    """The claim with run label `old` written as `new` (an edit renamed the run): only whole quoted labels."""
    quote = "'" if '"' in new else '"'
    out, last = [], 0
    for col, tok in _tokenize(text):
        if tok[:1] in "\"'" and tok[1:-1] == old:
            out += [text[last:col], f"{quote}{new}{quote}"]
            last = col + len(tok)
    return "".join(out) + text[last:]


# ---------------------------------------------------------------------------- judging


@dataclass(frozen=True)
class Check:
    """One `[[check]]` of a scenario: what the lesson says, and the claim that tests it."""

    say: str
    at: int | None      # the step it is judged at; None: when its runs have finished
    claim: Claim


@dataclass(frozen=True)
class Verdict:
    passed: bool
    shown: str          # the measured sides, e.g. "2.1e-05 < 0.001", or why it could not be measured
    step: int           # the step it was judged at


def evaluate(claim: Claim, runs: dict[str, RunHistory], step: int, wait: bool = False) -> Verdict | None:
    """The claim judged on `runs` at `step`; None when `wait` and a quantity is not measured yet."""
    try:
        left = _value(claim.left, runs)
        if claim.op is None:  # a yes/no quantity: the verdict says what was seen ("diverged: no")
            assert isinstance(claim.left, Measure)  # (the parser allows only a truth quantity alone)
            return Verdict((left == 1.0) != claim.negated, f"{_name(claim.left, claim)}: {'yes' if left == 1.0 else 'no'}",
                           step)
        assert claim.right is not None
        right = _value(claim.right, runs)
    except NotYet as why:
        return None if wait else Verdict(False, str(why), step)
    except Unmeasured as why:
        return Verdict(False, str(why), step)
    passed = COMPARISONS[claim.op](left, right) and not (math.isnan(left) or math.isnan(right))
    if isinstance(claim.left, Measure) and isinstance(claim.right, Number):  # one quantity against a number
        return Verdict(passed, f"{_name(claim.left, claim)}: {fmt(left)} {claim.op} {fmt(right)}", step)
    near = _off_by(claim, runs, left)
    if near is not None:
        return Verdict(passed, near, step)
    return Verdict(passed, _worked(claim, runs, left, right), step)


def _worked(claim: Claim, runs: dict[str, RunHistory], left: float, right: float) -> str:
    """The comparison with its numbers, each saying what it is: a side that is one quantity is named in place
    ('xavier: val loss = 0.188'); a side that is arithmetic shows it with the numbers in ('10 × 4 = 40'), and
    the quantities in it are named after the comparison. ('58.47 > 25.18 (a = 58.47, b = 25.18)' said each
    number twice, and the claims took the lesson text's rows at 120x40.)"""
    assert claim.right is not None  # (a comparison)
    sides = [_side(side, value, claim, runs) for side, value in ((claim.left, left), (claim.right, right))]
    parts = dict.fromkeys(m for side in (claim.left, claim.right) if isinstance(side, Apply) for m in _walk(side))
    inside = ", ".join(f"{_name(m, claim)} = {fmt(_value(m, runs))}" for m in parts)
    return f"{sides[0]} {claim.op} {sides[1]}" + (f" ({inside})" if inside else "")


def _side(side: Term, value: float, claim: Claim, runs: dict[str, RunHistory]) -> str:
    if isinstance(side, Apply):
        return f"{_arithmetic(side, runs, _digits(side, runs, value))} = {fmt(value)}"
    if isinstance(side, Measure):
        return f"{_name(side, claim)} = {fmt(value)}"
    return fmt(value)


def _off_by(claim: Claim, runs: dict[str, RunHistory], distance: float) -> str | None:
    """A claim that one quantity lies within (or beyond) a distance of a number, `abs(q - 1.8922) < 1e-3`, in
    words: 'weight = 1.89212: 8.262e-05 from 1.8922, under 0.001' (its '|1.89211738 − 1.8922| = 8.262e-05 < 0.001
    (weight = 1.892)' showed the weight three ways, the first unnamed); None for any other claim."""
    left, right = claim.left, claim.right
    if not (isinstance(left, Apply) and left.op == "abs" and isinstance(right, Number)):
        return None
    inner = left.args[0]
    if not (isinstance(inner, Apply) and inner.op in "+-" and len(inner.args) == 2):
        return None
    quantity, number = inner.args
    if not (isinstance(quantity, Measure) and isinstance(number, Number)):
        return None
    target = number.value if inner.op == "-" else -number.value
    value, tolerance = _value(quantity, runs), abs(right.value)
    # to two decimals finer than the tolerance: 1.89212 beside 1.8922 and 0.001 (the distance says the rest)
    decimals = max(0, 2 - math.floor(math.log10(tolerance))) if tolerance > 0 else 4
    fixed = f"{value:.{decimals}f}" if math.isfinite(value) and abs(value) < 1e6 else ""
    # (never fewer than fmt's four digits: a loss of 8.5e-05 within 1 of 0.01 is not '0.00')
    shown = fixed if len(fixed.lstrip("-0.")) >= 4 else fmt(value)
    bound = _BOUND_WORDS[claim.op or "<"]
    return f"{_name(quantity, claim)} = {shown}: {fmt(distance)} from {target:.12g}, {bound} {fmt(right.value)}"


# a distance's bound in words: "8.262e-05 from 1.8922, under 0.001" ("…from 1.8922 < 0.001" read as a log line)
_BOUND_WORDS = {"<": "under", "<=": "at most", ">": "over", ">=": "at least"}


def _digits(term: Term, runs: dict[str, RunHistory], value: float) -> int:
    """The fewest significant digits (4 to 10) for a side's numbers whose sum, worked out from the numbers as
    shown, comes to the result as shown: '0.5 × 2.387 = 1.193', but '|1.098603 − 1.0986| = 3.1e-06', where 4
    digits would show two equal numbers and a difference (at 7, grad_accumulation's '|0.2601367 − 0.2601366|
    = 2.98e-08' did not add up)."""
    return next((d for d in range(4, 10) if fmt(_value(term, runs, d)) == fmt(value)), 10)


def _arithmetic(term: Term, runs: dict[str, RunHistory], digits: int = 7, inner: bool = False) -> str:
    """A side of a claim with each quantity's value in its place, to `digits` digits: '10 × 4', '|1.099 − 1.099|'."""
    if isinstance(term, Number):  # as the lesson wrote it: 5 × 1.0986, not 5 × 1.099
        return fmt(term.value) if not math.isfinite(term.value) or term.value == int(term.value) else f"{term.value:.12g}"
    if not isinstance(term, Apply):
        value = _value(term, runs)
        return fmt(value) if not math.isfinite(value) or value == int(value) else f"{value:.{digits}g}"
    args = [_arithmetic(a, runs, digits, inner=True) for a in term.args]
    match term.op:
        case "neg":
            text = f"−{args[0]}"
        case "abs":
            return f"|{_arithmetic(term.args[0], runs, digits)}|"
        case op:
            text = f" {SYMBOLS[op]} ".join(args)
    return f"({text})" if inner else text


SYMBOLS = {"+": "+", "-": "−", "*": "×", "/": "/"}


def _name(m: Measure, claim: Claim) -> str:
    """A quantity as the verdict names it, in words ('‖∇W1‖', 'steps to loss 0.1'), after its run when the
    claim names several ('sigmoid: ‖∇W1‖')."""
    shown = QUANTITIES[m.name].shown or m.name.replace("_", " ")
    name = shown.format(*m.extra) if "{}" in shown else " ".join([shown, *map(str, m.extra)])
    return f"{m.runs[0]}: {name}" if len(claim.runs) > 1 and len(m.runs) == 1 else name  # (a gap between two
    # runs is named by the claim's own words)


def _value(term: Term, runs: dict[str, RunHistory], digits: int | None = None) -> float:
    """A term's value; with `digits`, each quantity in it rounded to that many significant digits first."""
    if isinstance(term, Number):
        return term.value
    if isinstance(term, Measure):
        quantity = QUANTITIES[term.name]
        sources = [runs[EXPRESSION]] if quantity.expression else [runs[label] for label in term.runs]
        value = float(quantity.read(*sources, *term.extra))
        return float(f"{value:.{digits}g}") if digits is not None and math.isfinite(value) else value
    values = [_value(arg, runs, digits) for arg in term.args]
    with np.errstate(all="ignore"):
        match term.op:
            case "+":
                return values[0] + values[1]
            case "-":
                return values[0] - values[1]
            case "*":
                return values[0] * values[1]
            case "/":
                if values[1] == 0:  # (numpy says inf, and 'inf > 1' would pass)
                    raise Unmeasured(f"{fmt(values[0])} / 0: the claim divides by zero")
                return float(np.float64(values[0]) / np.float64(values[1]))
            case "neg":
                return -values[0]
            case "abs":
                return abs(values[0])
    raise AssertionError(f"no operation '{term.op}'")


def fmt(value: float) -> str:
    """A measured number, short: 0.9603, 2.1e-05, 3.01e+05, inf."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if value == int(value) and abs(value) < 1e6:
        return str(int(value))
    return f"{value:.4g}"


def due(at: int | None, runs: Sequence[RunHistory]) -> bool:
    """A claim about these runs can be judged: each has reached step `at` (None: the end) or stopped."""
    return all(r.latest is not None and (r.latest.finished or (at is not None and r.latest.step >= at))
               for r in runs)
