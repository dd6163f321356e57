"""Load a scenario file: TOML → validated spec → expanded variants → frozen Scenario.

Loading is pure data handling (tomllib + pydantic + numpy for the data):
nothing from the file is ever executed.
"""

from __future__ import annotations

import difflib
import itertools
import math
import re
import stat
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from ..claims import QUANTITIES, Check
from ..claims import parse as parse_claim
from ..errors import Problem, ScenarioError, file_kind
from ..expression import ExpressionError, Graph
from ..expression import parse as parse_expression
from ..panels import GRAPH_LESSON_PANELS, moment_problem, multiples_problem, panel
from . import conv
from .data import Dataset, make_dataset, surface_dataset
from .live import BRANCH_FIELDS, changed_fields
from .locate import locate
from .spec import (
    DATA_KINDS,
    MANUAL_ACTIVATIONS,
    MAX_ACTIVATIONS,
    MAX_PARAMETERS,
    MAX_STEP_WORK,
    MAX_VARIANTS,
    DataSpec,
    ExpressionSpec,
    Lesson,
    ModelSpec,
    ScenarioFile,
    ScenarioMeta,
    TrainSpec,
    ViewSpec,
)

_DATA = TypeAdapter(DataSpec)
_SECTIONS: dict[str, Any] = {"data": _DATA, "model": ModelSpec, "train": TrainSpec}
MAX_FILE_BYTES = 1024 * 1024


@dataclass(frozen=True, eq=False)
class Variant:
    """One run to train: fully resolved settings and its dataset."""

    label: str
    data: Any  # one of the DataSpec classes
    model: ModelSpec
    train: TrainSpec
    dataset: Dataset
    changed: tuple[str, ...] = ()  # fields this variant sets, e.g. ("train.lr",)
    branch: tuple[str, int] | None = None  # from = "label@step": run `label` up to `step`, then its own settings

    @property
    def steps(self) -> int:
        """Training length in steps (epochs are converted with the train-split size)."""
        if self.train.steps is not None:
            return self.train.steps
        if self.train.epochs is not None:
            return self.train.epochs * math.ceil(self.dataset.n_train / self.batch_size)
        return 100

    @property
    def conv_blocks(self) -> tuple[conv.Block, ...]:
        """A cnn's conv blocks as they apply to its images (() for other models); the loader has checked they fit."""
        if self.model.kind != "cnn" or self.dataset.image is None:
            return ()
        return conv.blocks(self.model.conv, self.dataset.image)

    @property
    def dense_widths(self) -> list[int]:
        """The widths the Linear layers join: the inputs (a cnn's flattened maps), the hidden layers, the outputs."""
        ds, m = self.dataset, self.model
        first = conv.flat_size(self.conv_blocks, ds.image) if m.kind == "cnn" and ds.image else ds.n_features
        return [first, *m.layers, ds.n_outputs]

    @property
    def parameter_count(self) -> int:
        """Trainable parameters of the model, computed from its spec (no torch)."""
        m = self.model
        if m.kind == "surface":
            return 2
        widths = self.dense_widths
        norms = 2 * sum(m.layers) if m.batch_norm else 0  # batch norm's scale γ and shift β per hidden unit
        filters = sum(b.weights + (b.conv[0] if m.bias else 0) for b in self.conv_blocks)
        return sum(a * b + (b if m.bias else 0) for a, b in zip(widths, widths[1:])) + norms + filters

    @property
    def multiply_adds(self) -> int:
        """One sample's forward pass, in multiply-adds: a weight each, and a filter's at every place it goes."""
        blocks = self.conv_blocks
        return self.parameter_count - sum(b.weights for b in blocks) + sum(b.multiply_adds for b in blocks)

    @property
    def unit_count(self) -> int:
        """The values one sample's forward pass holds: inputs, every feature map, hidden units and outputs."""
        maps = sum(math.prod(b.conv) + (math.prod(b.out) if b.pool != "none" else 0) for b in self.conv_blocks)
        return self.dataset.n_features + maps + sum(self.model.layers) + self.dataset.n_outputs

    @property
    def batch_size(self) -> int:
        b = self.train.batch_size
        return self.dataset.n_train if b == "full" else min(b, self.dataset.n_train)

    @property
    def step_noise(self) -> str | None:
        """Why a step's loss differs from the loss on the whole training split, or None where it is that loss:
        "batch" (mini-batches, or gradients accumulated over them), "dropout" or "batch norm" (a full batch in
        training mode). The engine evaluates the whole split apart where it differs; the loss panel names it."""
        if self.batch_size < self.dataset.n_train or self.train.accumulate > 1:
            return "batch"
        return "dropout" if self.model.dropout_rates() else "batch norm" if self.model.batch_norm else None

    def settings(self) -> dict[str, Any]:
        """The settings a record or a table shows for this run."""
        t = self.train
        settings = {"lr": t.lr, "batch_size": t.batch_size, "optimizer": t.optimizer, "loss": t.loss,
                    "momentum": t.momentum, "model": self.model.kind, "activation": self.model.activation,
                    "init": self.model.init, "steps": self.steps, "step_noise": self.step_noise}
        if self.branch is not None:  # (the record says where it came from, as the file does)
            settings["from"] = f"{self.branch[0]}@{self.branch[1]}"
        return settings


@dataclass(frozen=True, eq=False)
class ExpressionLesson:
    """A computation-graph lesson: the parsed expression and its variables' values."""

    graph: Graph
    values: dict[str, float]
    output: str


@dataclass(frozen=True, eq=False)
class Scenario:
    name: str
    path: Path
    meta: ScenarioMeta
    lesson: Lesson
    variants: tuple[Variant, ...]
    view: ViewSpec
    sweep_fields: tuple[str, ...]  # e.g. ("train.lr",): columns worth showing
    expression: ExpressionLesson | None = None  # graph lessons have this instead of variants
    raw: dict | None = None  # the parsed file: live edits start from it and `w` writes it back
    base_dir: Path | None = None  # where relative CSV paths are resolved
    checks: tuple[Check, ...] = ()  # the lesson's claims, judged as training reaches them

    @property
    def title(self) -> str:
        return self.meta.title

    @property
    def max_steps(self) -> int:
        return max((v.steps for v in self.variants), default=0)

    @property
    def measured_panels(self) -> tuple[str, ...]:
        """The panels whose probes run: those shown, and those whose numbers the claims read."""
        return tuple(dict.fromkeys((*self.view.panels, *(p for c in self.checks for p in c.claim.panels))))

    def run_seed(self, variant: Variant) -> int:
        """The seed of a run's initial weights and batch order: its own `train.seed`, else the scenario's."""
        return variant.train.seed if variant.train.seed is not None else self.meta.seed

    def with_steps(self, steps: int) -> Scenario:
        """The same scenario with every variant trained for `steps` steps."""
        variants = tuple(replace(v, train=v.train.model_copy(update={"steps": steps, "epochs": None}))
                         for v in self.variants)
        return replace(self, variants=variants)


# ---------------------------------------------------------------------------
# error formatting


def _allowed_keys(loc: tuple[Any, ...]) -> list[str]:
    """Field names valid at `loc` (the path of an unknown key's parent)."""
    node: Any = ScenarioFile
    for part in loc:
        if isinstance(part, int):
            continue
        if isinstance(node, type) and issubclass(node, BaseModel):
            if part not in node.model_fields:
                return []
            node = node.model_fields[part].annotation
        else:
            # a discriminated union: pydantic puts the tag (e.g. 'linear') in the path
            for arg in _flatten(node):
                if isinstance(arg, type) and issubclass(arg, BaseModel):
                    kind = arg.model_fields.get("kind")
                    if kind is not None and part in get_args(kind.annotation):
                        node = arg
                        break
            else:
                return []
        args = [a for a in _flatten(node) if isinstance(a, type) and issubclass(a, BaseModel)]
        if get_origin(node) is list and args:
            node = args[0]
    if isinstance(node, type) and issubclass(node, BaseModel):
        return list(node.model_fields)
    return []


def _flatten(tp: Any) -> list[Any]:
    out = []
    for a in get_args(tp) or [tp]:
        out.extend(_flatten(a) if get_args(a) and get_origin(a) is not list else [a])
    return out


def _path(loc: tuple[Any, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _close(word: str, options: list[str]) -> str:
    match = difflib.get_close_matches(word, options, n=1, cutoff=0.6) or [
        o for o in options if len(o) >= 2 and (word.startswith(o) or o.startswith(word))][:1]
    return f"; did you mean '{match[0]}'?" if match else (f"; expected one of: {', '.join(options)}" if options else "")


def _shown(value: Any, limit: int = 60) -> str:
    """A value from the file, as an error quotes it: never a 100,000-character string or a 300-digit number."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**15:
        return f"{value:.3g}"
    text = repr(value)
    return text if len(text) <= limit else f"{text[:limit - 2]}…{text[-1]}"


def _problems(err: ValidationError, source: str, text: str, prefix: tuple[Any, ...] = ()) -> list[Problem]:
    problems = []
    for e in err.errors():
        raw = prefix + tuple(e["loc"])
        # drop discriminator tags ('linear') and pydantic's union branch names ('int', 'literal[...]')
        loc = tuple(p for i, p in enumerate(raw) if not _is_tag(raw, i))
        kind = e["type"]
        if kind == "extra_forbidden":
            parent = tuple(p for p in raw[:-1])
            msg = f"unknown key {_shown(str(loc[-1]))}{_close(str(loc[-1])[:100], _allowed_keys(parent))}"
        elif kind == "missing" and len(loc) == 1:
            msg = f"the [{loc[0]}] table is missing; add it"
        elif kind == "missing":
            msg = f"required key '{loc[-1]}' is missing; add it"
        elif kind == "literal_error":
            options = [str(o).strip("'") for o in str(e.get("ctx", {}).get("expected", "")).replace(" or ", ", ").split(", ")]
            got = e.get("input")
            msg = f"{_shown(got)} is not allowed{_close(str(got)[:100], options)}"
        elif kind == "union_tag_invalid":
            msg = f"unknown kind {e['input'].get('kind')!r}; expected one of: {e['ctx']['expected_tags']}"
        elif kind == "union_tag_not_found":
            msg = "needs a `kind`, e.g. kind = 'linear'"
        else:
            msg = e["msg"][0].lower() + e["msg"][1:]
            if kind == "value_error":
                msg = msg.removeprefix("value error, ")
            if "input" in e and not isinstance(e["input"], (dict, list)):
                msg += f" (got {_shown(e['input'])})"
        if not loc:  # a rule across tables: name the first table the message mentions
            loc = tuple(re.findall(r"\[(\w+)\]", msg)[:1])
        problems.append(Problem(source, msg, _path(loc), locate(text, tuple(p for p in loc))))
    # pydantic reports one error per union branch; keep each message once per field
    unique: dict[tuple[str, str], Problem] = {}
    for p in problems:
        unique.setdefault((p.field, p.message), p)
    return list(unique.values())


def _is_tag(loc: tuple[Any, ...], i: int) -> bool:
    part = loc[i]
    if not isinstance(part, str):
        return False
    if part in ("int", "str", "float", "bool", "list[...]") or part.startswith(("literal[", "list[", "tuple[", "function-")):
        return True
    return i > 0 and loc[i - 1] in ("data",) and part in DATA_KINDS


# ---------------------------------------------------------------------------
# loading


def parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        line = None
        if "(at line " in msg:
            head, _, tail = msg.partition(" (at line ")
            line = int(tail.split(",")[0])
            msg = head
        elif msg.endswith(" (at end of document)"):  # something left open: the last line is where to look
            msg, line = msg.removesuffix(" (at end of document)") + " at the end of the file", text.count("\n") + 1
        raise ScenarioError([Problem(source, f"TOML syntax error: {msg}; fix the syntax", "", line)]) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ScenarioError([Problem(source, "arrays or inline tables are nested hundreds deep; a scenario needs "
                                     "two levels at most")]) from None


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    # changing the data kind replaces the whole section (other kinds have other fields)
    if "kind" in override and override["kind"] != base.get("kind"):
        return dict(override)
    return {**base, **override}


def _sweep_targets(raw_sweep: dict[str, Any], source: str, text: str) -> list[tuple[str, str, list[Any]]]:
    targets = []
    for key, values in raw_sweep.items():
        section, _, fld = key.rpartition(".")
        section = section or "train"
        valid = list(TrainSpec.model_fields) if section == "train" else (
            list(ModelSpec.model_fields) if section == "model" else None)
        if section not in _SECTIONS or (valid is not None and fld not in valid):
            options = [*TrainSpec.model_fields, *(f"model.{f}" for f in ModelSpec.model_fields)]
            raise ScenarioError([Problem(source, f"cannot sweep '{key}'{_close(key, options)}",
                                         f"sweep.{key}", locate(text, ("sweep", key)))])
        if not values:
            raise ScenarioError([Problem(source, "needs at least one value", f"sweep.{key}", locate(text, ("sweep", key)))])
        targets.append((section, fld, values))
    return targets


def load_text(text: str, *, source: str, base_dir: Path, name: str = "scenario", seed: int | None = None) -> Scenario:
    """Validate and expand a scenario; `seed` overrides the file's (data, weights, batch order)."""
    return load_raw(parse_toml(text, source), source=source, base_dir=base_dir, name=name, seed=seed, text=text)


def load_raw(raw: dict[str, Any], *, source: str, base_dir: Path, name: str = "scenario", seed: int | None = None,
             text: str = "") -> Scenario:
    """Validate and expand parsed TOML (`text`, when there is one, gives errors their line numbers)."""
    try:
        spec = ScenarioFile.model_validate(raw)
    except ValidationError as err:
        raise ScenarioError(_problems(err, source, text)) from None
    if seed is not None:
        spec = spec.model_copy(update={"scenario": spec.scenario.model_copy(update={"seed": seed})})
    if spec.expression is not None:
        return _expression_scenario(spec, spec.expression, raw, source=source, text=text, name=name)
    sweeps = _sweep_targets(spec.sweep, source, text)
    n_variants = max(1, len(spec.variant or [])) * math.prod(len(v) for _, _, v in sweeps)
    if n_variants > MAX_VARIANTS:
        raise ScenarioError([Problem(source, f"{n_variants} variants; at most {MAX_VARIANTS} can train side by side",
                                     "sweep" if sweeps else "variant")])
    variants, problems = _variants(spec, raw, sweeps, source=source, text=text, base_dir=base_dir)
    problems += [p for v in variants for p in _run_problems(v, source, text)]
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    seen: set[str] = set()
    for v in variants:
        if v.label in seen:
            raise ScenarioError([Problem(source, f"two variants are labelled '{v.label}'; give each a unique label", "variant")])
        seen.add(v.label)
    problem = _view_problem(spec, variants, source, text)
    if problem is not None:
        raise ScenarioError([problem])
    size_problems = _size_problems(variants, source)
    if size_problems:
        raise ScenarioError(size_problems)
    checks = tuple(_check(spec, k, variants, source, text) for k in range(len(spec.check)))
    sweep_fields = tuple(dict.fromkeys(f"{s}.{f}" for s, f, _ in sweeps))
    return Scenario(name, Path(source), spec.scenario, spec.lesson, tuple(variants), spec.view, sweep_fields,
                    raw=raw, base_dir=base_dir, checks=checks)


def _variants(spec: ScenarioFile, raw: dict[str, Any], sweeps: list, *, source: str, text: str,
              base_dir: Path) -> tuple[list[Variant], list[Problem]]:
    """Every run: each explicit [[variant]] (or the scenario itself) crossed with every combination of the sweep's
    values, each section validated; runs on the same data share one dataset. The problems of every run, together."""
    bases = {s: raw.get(s, {}) for s in _SECTIONS}
    explicit = spec.variant or []
    datasets: dict[str, Dataset] = {}
    variants: list[Variant] = []
    problems: list[Problem] = []
    rows = list(enumerate(explicit)) if explicit else [(None, None)]
    branch_problems = _branch_problems(explicit, sweeps, source, text)
    if branch_problems:
        return [], branch_problems
    parents = {o.label: o for o in explicit if o.label}
    for (idx, override), combo in itertools.product(rows, itertools.product(*(v for _, _, v in sweeps))):
        branch = _branch_of(override)
        sections, changed, labels = _variant_sections(bases, _over_parent(override, parents), sweeps, combo)
        resolved, found = _resolved(sections, idx, override is not None, source, text)
        problems += found if found or problems else _manual_problems(resolved, source, text, idx)
        if problems:
            continue
        surface = resolved["data"] is None
        data_key = "surface" if surface else resolved["data"].model_dump_json() + resolved["train"].loss
        if data_key not in datasets:
            datasets[data_key] = surface_dataset() if surface else make_dataset(
                resolved["data"], loss=resolved["train"].loss, seed=spec.scenario.seed, base_dir=base_dir,
                source=source)
        label = ", ".join(labels) or (f"variant {idx + 1}" if idx is not None else "run")
        variants.append(Variant(label, resolved["data"], resolved["model"], resolved["train"],
                                datasets[data_key], tuple(dict.fromkeys(changed)), branch))
    if not problems:
        problems += [p for v in variants if (p := _branch_fit(v, variants, source)) is not None]
    return variants, problems


def _over_parent(override, parents: dict):
    """A branch's [[variant]]: its parent's settings, then its own over them (any other: as it is)."""
    branch = _branch_of(override)
    if branch is None:
        return override
    parent = parents[branch[0]]
    return override.model_copy(update={s: _merge(getattr(parent, s), getattr(override, s)) for s in _SECTIONS})


def _branch_of(override) -> tuple[str, int] | None:
    """(parent label, step) of a [[variant]] with `from = "label@step"`, or None."""
    if override is None or override.from_ is None:
        return None
    label, _, step = override.from_.rpartition("@")
    return label, int(step)


def _branch_problems(explicit: list, sweeps: list, source: str, text: str) -> list[Problem]:
    """A branch names one explicit run, itself no branch, and has a label of its own."""
    labels = [o.label for o in explicit]
    problems = []
    for idx, override in enumerate(explicit):
        branch = _branch_of(override)
        if branch is None:
            continue
        where = locate(text, ("variant", idx, "from"))
        parent = next((o for o in explicit if o.label == branch[0]), None)
        problem = ("a branch names one run, and [sweep] makes several of each: write the sweep as [[variant]]s"
                   if sweeps else "a branch needs a label of its own" if not override.label else
                   f"from = '{override.from_}' names no run; the labelled runs are: "
                   f"{', '.join(label for label in labels if label)}" if parent is None else
                   f"from = '{override.from_}' names a branch; branch from the run it came from"
                   if parent.from_ is not None else None)
        if problem is not None:
            problems.append(Problem(source, f"variant {idx + 1}: {problem}", f"variant.{idx + 1}.from", where))
    return problems


def _branch_fit(v: Variant, variants: list[Variant], source: str) -> Problem | None:
    """A branch leaves its parent inside its run, changing only what can change mid-run."""
    if v.branch is None:
        return None
    parent = next(p for p in variants if p.label == v.branch[0])
    step = v.branch[1]
    problem = (f"its parent runs {parent.steps} steps: branch at a step from 1 to {parent.steps - 1}"
               if not 0 < step < parent.steps else None)
    fixed = [f for f in changed_fields(parent, v) if f not in BRANCH_FIELDS]
    if problem is None and fixed:
        problem = (f"{fixed[0]} cannot change at a branch (the run goes on with its weights and batch order); "
                   f"what can: {', '.join(sorted(f.partition('.')[2] for f in BRANCH_FIELDS))}")
    return None if problem is None else Problem(source, f"run '{v.label}': {problem}", "variant.from")


def _variant_sections(bases: dict[str, dict], override, sweeps: list,
                      combo: tuple) -> tuple[dict[str, dict], list[str], list[str]]:
    """One run's raw sections (the scenario's, its [[variant]]'s fields over them, then its sweep values), the
    fields it changes and the parts of its label."""
    sections = {s: dict(bases[s]) for s in _SECTIONS}
    changed: list[str] = []
    labels: list[str] = []
    if override is not None:
        for s in _SECTIONS:
            sections[s] = _merge(sections[s], getattr(override, s))
            changed += [f"{s}.{k}" for k in getattr(override, s)]
        if override.label:
            labels.append(override.label)
    for (section, fld, _), value in zip(sweeps, combo):
        sections[section] = {**sections[section], fld: value}
        changed.append(f"{section}.{fld}")
        labels.append(f"{fld}={value}")
    return sections, changed, labels


def _resolved(sections: dict[str, dict], idx: int | None, explicit: bool, source: str,
              text: str) -> tuple[dict[str, Any], list[Problem]]:
    """Each section validated (an analytic surface has no data: None), and the problems, named after the
    [[variant]] or the sweep that made them."""
    resolved: dict[str, Any] = {"data": None}
    problems: list[Problem] = []
    surface = sections["model"].get("kind") == "surface"
    for s, adapter in _SECTIONS.items():
        if s == "data" and surface:
            continue
        prefix: tuple[Any, ...] = ("variant", idx, s) if idx is not None else (s,)
        try:
            resolved[s] = (adapter.validate_python(sections[s]) if isinstance(adapter, TypeAdapter)
                           else adapter.model_validate(sections[s]))
        except ValidationError as err:
            problems += _problems(err, source, text, prefix if explicit else ("sweep",))
    return resolved, problems


def _run_problems(v: Variant, source: str, text: str) -> list[Problem]:
    """What one run's settings ask for that its data or model cannot give."""
    problems = []
    if v.model.batch_norm and v.batch_size < 2:
        problems.append(Problem(source, f"run '{v.label}': batch norm needs mini-batches of 2 or more samples; "
                                "raise batch_size or turn batch_norm off", "train.batch_size"))
    if v.train.early_stop is not None and not len(v.dataset.x_val):
        problems.append(Problem(source, f"run '{v.label}': early stopping watches the validation loss, and this "
                                "data has no validation split; set data.validation (e.g. 0.3)",
                                "train.early_stop", locate(text, ("train", "early_stop"))))
    if v.model.kind == "cnn":
        problems += _cnn_problems(v, source, text)
    if v.train.l1 and v.model.kind == "surface":
        problems.append(Problem(source, f"run '{v.label}': a surface model has no weight matrices for L1 to act "
                                "on; remove train.l1", "train.l1", locate(text, ("train", "l1"))))
    return problems


def _cnn_problems(v: Variant, source: str, text: str) -> list[Problem]:
    """A cnn reads images, and each of its blocks must fit what the one before leaves."""
    if v.dataset.image is None:
        return [Problem(source, f"run '{v.label}': a cnn reads images, and data.kind = '{v.data.kind}' gives none; "
                        "use image data (shapes, digits) or kind = 'mlp'", "model.kind", locate(text, ("model", "kind")))]
    try:
        conv.blocks(v.model.conv, v.dataset.image)
    except conv.ConvShapeError as exc:
        return [Problem(source, f"run '{v.label}': {exc}", "model.conv", locate(text, ("model", "conv")))]
    return []


def _view_problem(spec: ScenarioFile, variants: list[Variant], source: str, text: str) -> Problem | None:
    """The first thing [view] or the lesson's beats ask of these runs that they cannot show, or None."""
    return _panel_problem(spec, variants, source, text) or _placement_problem(spec, variants, source, text)


def _panel_problem(spec: ScenarioFile, variants: list[Variant], source: str, text: str) -> Problem | None:
    """A shown panel these runs cannot fill, or a loss floor they do not have."""
    for shown in dict.fromkeys(spec.view.panels):
        check = panel(shown).check
        problem = check(tuple(variants)) if check is not None else None
        if problem:
            return Problem(source, problem, "view.panels", locate(text, ("view", "panels")))
    floorless = next((v for v in variants if v.model.kind != "linear" or v.train.loss != "mse" or v.train.l1
                      or v.train.weight_decay), None)
    if spec.view.above_floor and floorless is not None:
        return Problem(source, f"run '{floorless.label}': the lowest loss is known only for a linear model fitted "
                       "by mean squared error without a penalty (least squares); remove view.above_floor",
                       "view.above_floor", locate(text, ("view", "above_floor")))
    return None


def _placement_problem(spec: ScenarioFile, variants: list[Variant], source: str, text: str) -> Problem | None:
    """A beat's focus or plot, a panel drawn per run (view.runs) or held at a step (view.at) that names what is
    not there."""
    run_labels = [v.label for v in variants]
    plots = [name for name in spec.view.panels if not panel(name).frame]
    for k, beat in enumerate(spec.lesson.beats):
        if beat.focus is not None and beat.focus not in run_labels:
            return Problem(source, f"focus '{beat.focus}' is not a run's label; use one of "
                           f"{', '.join(repr(label) for label in run_labels)}", f"lesson.beats.{k}.focus",
                           locate(text, ("lesson", "beats", k, "focus")))
        if beat.show is not None and beat.show not in plots:
            return Problem(source, f"show '{beat.show}' is not a plot in view.panels; use one of "
                           f"{', '.join(repr(name) for name in plots)}", f"lesson.beats.{k}.show",
                           locate(text, ("lesson", "beats", k, "show")))
    for shown, labels in spec.view.runs.items():
        problem = multiples_problem(shown, labels, list(spec.view.panels), run_labels)
        if problem:
            return Problem(source, problem, f"view.runs.{shown}", locate(text, ("view", "runs", shown)))
    for shown, step in spec.view.at.items():
        problem = moment_problem(shown, step, list(spec.view.panels), max(v.steps for v in variants))
        if problem:
            return Problem(source, problem, f"view.at.{shown}", locate(text, ("view", "at", shown)))
    return None


# claim quantities read from the validation split
VALIDATION_QUANTITIES = ("val_loss", "min_val_loss", "val_accuracy", "val_min_step", "loss_at_val_min", "gap",
                         "best_step")


def _check(spec: ScenarioFile, k: int, variants: list[Variant], source: str, text: str) -> Check:
    """A [[check]] whose claim names existing runs and quantities they have."""
    entry = spec.check[k]
    claim = parse_claim(entry.that)
    by_label = {v.label: v for v in variants}

    def fail(message: str, fld: str = "that") -> ScenarioError:
        return ScenarioError([Problem(source, message, f"check[{k}].{fld}", locate(text, ("check", k, fld)))])

    for label in claim.runs:
        if label not in by_label:
            raise fail(f"no run is labelled '{label}'; the runs are: {', '.join(repr(v.label) for v in variants)}")
    for m in claim.measures:
        if QUANTITIES[m.name].expression:
            raise fail(f"{m.name} reads a graph lesson's expression, and this scenario trains runs; compare them "
                       "with the quantities of runs (nntui check --help lists them)")
        for label in m.runs:
            ds = by_label[label].dataset
            if m.name.endswith("accuracy") and ds.task == "regression":
                raise fail(f"{m.name}: '{label}' fits a regression, which has no accuracy; compare its loss")
            if m.name in VALIDATION_QUANTITIES and not len(ds.x_val):
                raise fail(f"{m.name}: '{label}' has no validation split; set data.validation (e.g. 0.2)")
    steps = max(by_label[label].steps for label in claim.runs)
    if entry.at is not None and entry.at > steps:
        raise fail(f"step {entry.at} is after the last step of its runs ({steps}); lower `at` or omit it", "at")
    return Check(entry.say, entry.at, claim)


def _expression_scenario(spec: ScenarioFile, expr: ExpressionSpec, raw: dict, *, source: str, text: str,
                         name: str) -> Scenario:
    def fail(message: str, fld: str) -> ScenarioError:
        return ScenarioError([Problem(source, message, fld, locate(text, tuple(fld.split("."))))])

    try:
        graph = parse_expression(expr.text)
    except ExpressionError as exc:
        raise fail(str(exc), "expression.text") from None
    missing = [v for v in graph.variables if v not in expr.values]
    if missing:
        raise fail(f"variable '{missing[0]}' has no value; add it, e.g. values = {{ {missing[0]} = 1.0, … }}",
                   "expression.values")
    unused = [v for v in expr.values if v not in graph.variables]
    if unused:
        raise fail(f"'{unused[0]}' is not in the expression{_close(unused[0], list(graph.variables))}",
                   "expression.values")
    view = spec.view
    if "panels" not in raw.get("view", {}):
        view = view.model_copy(update={"panels": list(GRAPH_LESSON_PANELS)})
    if any(b.ask for b in spec.lesson.beats):
        raise fail("questions pause training, and a graph lesson has none; remove `ask` from its beats",
                   "lesson.beats")
    if view.runs:
        raise fail("a graph lesson has no runs to show side by side; remove view.runs", "view.runs")
    if view.at:
        raise fail("a graph lesson has no training steps to hold a panel at; remove view.at", "view.at")
    training = [p for p in view.panels if panel(p).training]
    if training:
        raise fail(f"'{training[0]}' needs training; an expression scenario shows 'graph' and 'lesson'", "view.panels")
    checks = tuple(_expression_check(spec, k, graph, source, text) for k in range(len(spec.check)))
    return Scenario(name, Path(source), spec.scenario, spec.lesson, (), view, (),
                    ExpressionLesson(graph, dict(expr.values), expr.output), raw=raw,  # (raw: a lecture sends it)
                    checks=checks)


def _expression_check(spec: ScenarioFile, k: int, graph: Graph, source: str, text: str) -> Check:
    """A graph lesson's [[check]]: about its expression's variables (derivative("a")), judged once it is
    evaluated."""
    entry = spec.check[k]
    claim = parse_claim(entry.that)

    def fail(message: str, fld: str = "that") -> ScenarioError:
        return ScenarioError([Problem(source, message, f"check[{k}].{fld}", locate(text, ("check", k, fld)))])

    if entry.at is not None:
        raise fail("a graph lesson trains nothing: its claims are judged once; remove `at`", "at")
    for m in claim.measures:
        if not QUANTITIES[m.name].expression:
            known = ", ".join(n for n, q in QUANTITIES.items() if q.expression)
            raise fail(f"{m.name} is measured on training runs, and a graph lesson has none; it can check: {known}")
        name = m.extra[0]
        if name not in graph.variables:
            raise fail(f"'{name}' is not a variable of the expression{_close(name, list(graph.variables))}")
    return Check(entry.say, None, claim)


def _manual_problems(resolved: dict[str, Any], source: str, text: str, idx: int | None) -> list[Problem]:
    """Hand-written backprop knows Linear layers and a few activations; refuse anything else up front."""
    train, model = resolved["train"], resolved["model"]
    if train.backprop != "manual":
        return []
    reason = ("a surface model has no layers" if model.kind == "surface" else
              "batch norm has no hand-written backward here" if model.batch_norm else
              "dropout has no hand-written backward here" if model.dropout_rates() else
              "the L1 penalty has no hand-written backward here" if train.l1 else
              f"activation '{model.activation}' has no hand-written derivative here (use one of "
              f"{', '.join(MANUAL_ACTIVATIONS)})" if model.kind == "mlp" and model.activation not in MANUAL_ACTIVATIONS
              else "")
    if not reason:
        return []
    where = ("variant", idx, "train", "backprop") if idx is not None else ("train", "backprop")
    return [Problem(source, f"backprop = 'manual': {reason}; use backprop = 'autograd'", _path(where),
                    locate(text, where))]


def _size_problems(variants: list[Variant], source: str) -> list[Problem]:
    """Models too big to train side by side, refused before torch allocates anything."""
    problems = []
    weights = sum(v.parameter_count for v in variants)
    if weights > MAX_PARAMETERS:
        problems.append(Problem(source, f"the runs have {weights:,} weights together; at most {MAX_PARAMETERS:,} "
                                "(make the layers narrower or fewer, or train fewer variants)", "model.layers"))
    work = sum(v.batch_size * v.train.accumulate * v.multiply_adds for v in variants)
    if work > MAX_STEP_WORK:  # a step cannot be paused, reset or quit in the middle: keep each one short
        many = max(variants, key=lambda v: v.train.accumulate)
        field = "train.accumulate" if many.train.accumulate > 1 else "train.batch_size"
        problems.append(Problem(source, f"one step computes {work:,} multiply-adds (batch × accumulate × a sample's "
                                f"forward pass × runs); at most {MAX_STEP_WORK:,}, about a second (lower accumulate or batch_size)",
                                field))
    activations = sum(v.batch_size * v.unit_count for v in variants)
    if activations > MAX_ACTIVATIONS:
        problems.append(Problem(source, f"one step holds {activations:,} activations (batch × units × runs); at "
                                f"most {MAX_ACTIVATIONS:,} (use a smaller batch_size or narrower layers)",
                                "train.batch_size"))
    return problems


def load_path(path: Path, seed: int | None = None) -> Scenario:
    source = str(path)
    try:
        kind = path.stat().st_mode
        if stat.S_ISDIR(kind):
            raise IsADirectoryError
        if not stat.S_ISREG(kind):  # a FIFO would block and /dev/zero never ends: neither is opened
            raise ScenarioError([Problem(source, f"is {file_kind(kind)}, not a file; give a .toml scenario file")])
        with path.open("rb") as fh:
            data = fh.read(MAX_FILE_BYTES + 1)  # the size as read, not as stat says (0 for /proc files)
        if len(data) > MAX_FILE_BYTES:
            raise ScenarioError([Problem(source, "file is over 1 MB; scenario files are limited to 1 MB")])
        text = data.decode("utf-8-sig")  # a byte-order mark (Windows editors save one) is not TOML
    except FileNotFoundError:
        raise ScenarioError([Problem(source, "no such file; check the path")]) from None
    except IsADirectoryError:
        raise ScenarioError([Problem(source, "is a folder; give a .toml scenario file")]) from None
    except UnicodeDecodeError:
        raise ScenarioError([Problem(source, "is not UTF-8 text; save it as UTF-8")]) from None
    except OSError as exc:
        raise ScenarioError([Problem(source, f"cannot read: {exc.strerror}")]) from None
    return load_text(text, source=source, base_dir=path.parent, name=path.stem, seed=seed)
