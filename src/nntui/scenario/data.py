"""Datasets as plain numpy arrays (no torch), built deterministically from a data spec.

The engine turns these into tensors on the chosen device; the UI can draw
them without importing torch.
"""

from __future__ import annotations

import csv
import math
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import Problem, ScenarioError, file_kind, printable
from ..expression import forward_array as evaluate_formula
from ..expression import parse as parse_formula
from . import images
from .spec import (
    MAX_FEATURES,
    MAX_SAMPLES,
    BlobsData,
    CirclesData,
    CsvData,
    CurveData,
    DigitsData,
    LinearData,
    MoonsData,
    PlaneData,
    ShapesData,
    SpiralData,
    XorData,
)

Task = str  # "regression" | "binary" | "multiclass"
TASKS: dict[str, Task] = {"mse": "regression", "bce_with_logits": "binary", "cross_entropy": "multiclass"}  # by loss
MAX_CSV_BYTES = 100 * 1024 * 1024
MAX_DATA_VALUES = 20_000_000  # samples × features (+ target) of one dataset: 160 MB as float64 while it is made


@dataclass(frozen=True, eq=False)
class Dataset:
    x_train: np.ndarray  # (N, F) float32
    y_train: np.ndarray  # (N, 1) float32 for regression/binary, (N,) int64 for multiclass
    x_val: np.ndarray
    y_val: np.ndarray
    task: Task
    n_classes: int = 0
    feature_names: tuple[str, ...] = ("x",)
    target_name: str = "y"
    stats: dict[str, list[float]] = field(default_factory=dict)  # standardization mean/std
    # data.inputs: the model's inputs are formulas of the data's own features, which stay the plane the data
    # and the boundary are drawn on (None: the inputs are those features)
    inputs: tuple[str, ...] = ()
    plane_train: np.ndarray | None = None
    plane_val: np.ndarray | None = None
    plane_names: tuple[str, ...] = ()
    image: tuple[int, int, int] | None = None  # image data: each sample's features are (channels, height, width)
    class_names: tuple[str, ...] = ()  # where the classes have names (shapes: "vertical", …), one per class
    pixel_levels: int = 0  # image data whose pixels are whole multiples of 1/pixel_levels (export-code: bytes)

    @property
    def n_train(self) -> int:
        return len(self.x_train)

    @property
    def n_features(self) -> int:
        return self.x_train.shape[1]

    @property
    def n_outputs(self) -> int:
        """The model's outputs: one logit per class (multiclass), else one per target column."""
        return self.n_classes if self.task == "multiclass" else self.y_train.shape[1]

    def plane(self, split: str) -> np.ndarray:
        """The data's own features of the "train" or "val" split: where points and boundaries are drawn."""
        own = self.plane_train if split == "train" else self.plane_val
        return own if own is not None else (self.x_train if split == "train" else self.x_val)

    def inputs_of(self, points: np.ndarray) -> np.ndarray:
        """The model's inputs (float32) at points of the data's plane: the inputs' formulas, then the same
        standardization as the data."""
        # (the plane reaches past the data, where a formula such as exp(9·x1) may overflow: that cell is drawn
        # from an infinite input, without numpy's warning on the terminal)
        with np.errstate(over="ignore", invalid="ignore"):
            x = computed_inputs(self.inputs, points, self.plane_names) if self.inputs else np.asarray(points, np.float64)
            if self.stats:
                x = (x - np.asarray(self.stats["mean"])) / np.asarray(self.stats["std"])
            return x.astype(np.float32)

    @property
    def drawable(self) -> bool:
        """The boundary panel can draw it: 2-D classification, or 1-D regression (in the data's own plane)."""
        n = self.plane("train").shape[1]
        return (self.task != "regression" and n == 2) or (self.task == "regression" and n == 1)


def surface_dataset() -> Dataset:
    """Surface models have no data: one dummy sample keeps the training loop uniform."""
    zero = np.zeros((1, 1), np.float32)
    return Dataset(zero, zero, np.zeros((0, 1), np.float32), np.zeros((0, 1), np.float32), "regression")


def _linear(spec: LinearData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if spec.step is not None:
        count = math.ceil((spec.stop - spec.start) / spec.step - 1e-9)
        x = spec.start + spec.step * np.arange(count, dtype=np.float64)
    else:
        assert spec.n is not None  # LinearData's validator: exactly one of `step` or `n`
        x = np.linspace(spec.start, spec.stop, spec.n)
    y = spec.slope * x + spec.intercept + spec.noise * rng.standard_normal(len(x))
    return x[:, None], y


def _circles(spec: CirclesData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_out = spec.n // 2
    n_in = spec.n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], 1)
    inner = spec.factor * np.stack([np.cos(t_in), np.sin(t_in)], 1)
    x = np.concatenate([outer, inner]) + spec.noise * rng.standard_normal((spec.n, 2))
    y = np.concatenate([np.zeros(n_out), np.ones(n_in)])
    order = rng.permutation(spec.n)
    return x[order], y[order]


def _blobs(spec: BlobsData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(spec.centers, int):
        centers = rng.uniform(spec.box[0], spec.box[1], size=(spec.centers, spec.dim))
    else:
        centers = np.asarray(spec.centers, dtype=np.float64)
    k = len(centers)
    y = np.arange(spec.n) % k
    rng.shuffle(y)
    x = centers[y] + spec.std * rng.standard_normal((spec.n, spec.dim))
    return x, y


def _moons(spec: MoonsData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    n_a = spec.n // 2
    n_b = spec.n - n_a
    t_a, t_b = np.linspace(0, np.pi, n_a), np.linspace(0, np.pi, n_b)
    upper = np.stack([np.cos(t_a), np.sin(t_a)], 1)
    lower = np.stack([1 - np.cos(t_b), 0.5 - np.sin(t_b)], 1)
    x = np.concatenate([upper, lower]) + spec.noise * rng.standard_normal((spec.n, 2))
    y = np.concatenate([np.zeros(n_a), np.ones(n_b)])
    order = rng.permutation(spec.n)
    return x[order], y[order]


def _xor(spec: XorData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # |coordinate| uniform in [margin, 1], random signs: no point sits on an axis
    x = rng.uniform(spec.margin, 1.0, (spec.n, 2)) * rng.choice([-1.0, 1.0], (spec.n, 2))
    y = (x[:, 0] * x[:, 1] > 0).astype(np.float64)
    return x + spec.noise * rng.standard_normal(x.shape), y


def _spiral(spec: SpiralData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    y = np.arange(spec.n) % spec.classes
    r = np.concatenate([np.linspace(0.1, 1.0, int(np.sum(y == k))) for k in range(spec.classes)])
    y = np.sort(y)
    angle = 2 * np.pi * (spec.turns * r + y / spec.classes)
    x = np.stack([r * np.cos(angle), r * np.sin(angle)], 1) + spec.noise * rng.standard_normal((spec.n, 2))
    order = rng.permutation(spec.n)
    return x[order], y[order]


def _shapes(spec: ShapesData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    held_out = int(round(spec.validation * spec.n)) if spec.shift else 0
    x, y = images.shapes(list(spec.shapes), spec.n, spec.size, spec.length, spec.noise, held_out, rng)
    return x.reshape(spec.n, -1), y


def _digits(spec: DigitsData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    x, y = images.digits(spec.n, rng)
    return x.reshape(spec.n, -1), y


def computed_inputs(formulas: tuple[str, ...] | list[str], x: np.ndarray, names: tuple[str, ...]) -> np.ndarray:
    """(N, len(formulas)) float64: each formula (the expression grammar, never eval'd) over the features `x`."""
    values = {name: np.asarray(x[:, i], np.float64) for i, name in enumerate(names)}
    return np.stack([evaluate_formula(parse_formula(f), values) for f in formulas], 1)


def _inputs(spec, x: np.ndarray, names: tuple[str, ...], source: str) -> np.ndarray:
    """data.inputs over the data's features, checked: known variables, finite values."""
    for k, text in enumerate(spec.inputs):
        unknown = [v for v in parse_formula(text).variables if v not in names]
        if unknown:
            raise ScenarioError([Problem(source, f"'{text}' uses '{unknown[0]}', which is not a feature of this data; "
                                         f"its features are {', '.join(names)}", f"data.inputs.{k}")])
    with np.errstate(all="ignore"):
        out = computed_inputs(spec.inputs, x, names)
    for k, text in enumerate(spec.inputs):
        bad = np.flatnonzero(~np.isfinite(out[:, k]))
        if len(bad):
            raise ScenarioError([Problem(source, f"'{text}' is {out[bad[0], k]} at sample {bad[0]}; use a formula "
                                         "that is finite on the data", f"data.inputs.{k}")])
    return out


class CurveError(ValueError):
    """The curve's formula is not finite somewhere in its range."""


def _curve(spec: CurveData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    graph = parse_formula(spec.f)  # the safe grammar (validated when the file was loaded)
    x = np.linspace(spec.start, spec.stop, spec.n)
    y = evaluate_formula(graph, {"x": x})
    bad = np.flatnonzero(~np.isfinite(y))
    if len(bad):
        raise CurveError(f"f gives {y[bad[0]]} at x = {x[bad[0]]:g}; choose `start` and `stop` where it is finite")
    return x[:, None], y + spec.noise * rng.standard_normal(spec.n)


def _plane(spec: PlaneData, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    k = len(spec.weights)
    scales = np.asarray(spec.scales or [1.0] * k)
    means = np.asarray(spec.means or [0.0] * k)
    x = means + scales * rng.standard_normal((spec.n, k))
    y = x @ np.asarray(spec.weights) + spec.intercept + spec.noise * rng.standard_normal(spec.n)
    return x, y


def _read_csv(spec: CsvData, base_dir: Path, source: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    def fail(msg: str, fld: str = "data.path") -> ScenarioError:
        return ScenarioError([Problem(source, msg, fld)])

    base = base_dir.resolve()
    path = (base / spec.path).resolve()  # symlinks and .. resolved first: the file must really be inside
    if not path.is_relative_to(base):
        raise fail(f"'{spec.path}' points outside the scenario's folder; put the CSV next to the scenario file")
    if not path.exists():
        raise fail(f"CSV file '{spec.path}' not found (looked in {base}); fix the path, relative to the scenario file")
    if not path.is_file():
        raise fail(f"'{spec.path}' is {file_kind(path.stat().st_mode)}, not a CSV file; give the path of a .csv file")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise fail(f"CSV file '{spec.path}' is larger than {MAX_CSV_BYTES // 2**20} MB; use a sample of its rows")
    try:
        return _read_csv_rows(spec, path, fail)
    except csv.Error as exc:  # e.g. a field over the csv module's 131,072-character limit
        raise fail(f"'{spec.path}' cannot be read as CSV: {exc}") from None


def _read_csv_rows(spec: CsvData, path: Path, fail) -> tuple[np.ndarray, np.ndarray, list[str]]:
    # utf-8-sig: a byte-order mark (Excel writes one) is not part of the first column's name
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        # streamed row by row into a flat array: a big file never becomes a list of Python strings
        reader = csv.reader(fh)
        rows = ((reader.line_num, row) for row in reader if any(cell.strip() for cell in row))
        header = [printable(h.strip()) for h in next(rows, (0, []))[1]]  # names are shown: no escapes
        if not header:
            raise fail(f"CSV file '{spec.path}' is empty; it needs a header line and at least 2 rows of data")
        position = _column_positions(spec, header, fail)
        features = _feature_columns(spec, header, position, fail)
        cols = [position[f] for f in features] + [position[spec.target]]
        values = _read_values(spec, rows, header, cols, fail)
    if len(values) < 2 * len(cols):
        raise fail(f"CSV file '{spec.path}' needs a header line and at least 2 rows of data")
    table = np.frombuffer(values, dtype=np.float64).reshape(-1, len(cols))
    return table[:, :-1], table[:, -1], features


def _column_positions(spec: CsvData, header: list[str], fail) -> dict[str, int]:
    """Each column's index by name; two columns of one name, or no target column, fail."""
    position: dict[str, int] = {}
    for i, name in enumerate(header):
        if name in position:
            raise fail(f"'{spec.path}' has two columns named '{name[:40]}' (columns {position[name] + 1} and "
                       f"{i + 1}); give each column its own name")
        position[name] = i
    if spec.target not in position:
        raise fail(f"no column '{spec.target}' in '{spec.path}' (columns: {_names(header)})", "data.target")
    return position


def _feature_columns(spec: CsvData, header: list[str], position: dict[str, int], fail) -> list[str]:
    """The feature columns: those listed, else every column but the target (at most MAX_FEATURES)."""
    if not spec.features and len(header) - 1 > MAX_FEATURES:
        raise fail(f"CSV has {len(header) - 1:,} feature columns; at most {MAX_FEATURES}: list some in "
                   "`features`", "data.features")
    features = spec.features or [h for h in header if h != spec.target]
    missing = [f for f in features if f not in position]
    if missing:
        raise fail(f"no column '{missing[0]}' in '{spec.path}' (columns: {_names(header)})", "data.features")
    if spec.target in features:
        raise fail(f"'{spec.target}' is the target; it cannot also be a feature", "data.features")
    if not features:
        raise fail("no feature columns left besides the target", "data.features")
    if len(features) > MAX_FEATURES:
        raise fail(f"CSV has {len(features)} feature columns; at most {MAX_FEATURES}: list some in `features`",
                   "data.features")
    return features


def _read_values(spec: CsvData, rows, header: list[str], cols: list[int], fail) -> array:
    """The `cols` cells of every row, one flat array; a row of the wrong length, a cell that is not a finite
    number, or more rows than MAX_SAMPLES (or values than MAX_DATA_VALUES) fail, naming the line."""
    max_rows = min(MAX_SAMPLES, MAX_DATA_VALUES // len(cols))
    values = array("d")
    for count, (line, row) in enumerate(rows, start=1):
        if count > max_rows:
            raise fail(f"'{spec.path}' has more than {max_rows:,} rows of data (at most {MAX_SAMPLES:,} rows "
                       f"and {MAX_DATA_VALUES:,} values); use a sample of its rows")
        if len(row) != len(header):
            raise fail(f"'{spec.path}' line {line} has {len(row)} cells, the header has {len(header)}; "
                       "give every row one cell per column")
        values.extend(_cell(spec, line, header, row, col, fail) for col in cols)
    return values


def _cell(spec: CsvData, line: int, header: list[str], row: list[str], col: int, fail) -> float:
    try:
        value = float(row[col])
    except ValueError:
        raise fail(f"'{spec.path}' line {line}, column '{header[col]}': '{row[col][:40]}' is not a "
                   "number; fix or remove that row") from None
    if not math.isfinite(value):
        raise fail(f"'{spec.path}' line {line}, column '{header[col]}' is {row[col].strip()}; "
                   "give finite numbers only")
    return value


def _names(header: list[str], shown: int = 12) -> str:
    """The column names for an error message: the first few, and how many more."""
    names = ", ".join(h[:40] for h in header[:shown])
    return names + (f", … ({len(header) - shown:,} more)" if len(header) > shown else "")


@dataclass(frozen=True)
class DataGenerator:
    """How one kind of generated data is made, and its size before it is made."""

    make: Callable[[Any, np.random.Generator], tuple[np.ndarray, np.ndarray]]  # (x (N, F), y (N,))
    features: Callable[[Any], int]
    samples: Callable[[Any], int] = lambda spec: spec.n
    image: Callable[[Any], tuple[int, int, int]] | None = None  # images: (channels, height, width) of a sample
    class_names: Callable[[Any], tuple[str, ...]] = lambda spec: ()
    pixel_levels: int = 0
    # the generator put the validation samples last (apart from the rest, e.g. shapes at other places)
    validation_last: Callable[[Any], bool] = lambda spec: False


def _linear_samples(spec: LinearData) -> int:
    if spec.n is not None:
        return spec.n
    assert spec.step is not None  # LinearData's validator: exactly one of `step` or `n`
    return math.ceil((spec.stop - spec.start) / spec.step - 1e-9)


# every data kind but csv (read from a file, not generated): a kind missing here is an error, never a default
GENERATORS: dict[type, DataGenerator] = {
    LinearData: DataGenerator(_linear, lambda spec: 1, _linear_samples),
    CirclesData: DataGenerator(_circles, lambda spec: 2),
    BlobsData: DataGenerator(_blobs, lambda spec: spec.dim),
    MoonsData: DataGenerator(_moons, lambda spec: 2),
    XorData: DataGenerator(_xor, lambda spec: 2),
    SpiralData: DataGenerator(_spiral, lambda spec: 2),
    CurveData: DataGenerator(_curve, lambda spec: 1),
    PlaneData: DataGenerator(_plane, lambda spec: len(spec.weights)),
    ShapesData: DataGenerator(_shapes, lambda spec: spec.size ** 2, image=lambda spec: (1, spec.size, spec.size),
                              class_names=lambda spec: tuple(spec.shapes), validation_last=lambda spec: spec.shift,
                              pixel_levels=images.SHAPE_LEVELS),
    DigitsData: DataGenerator(_digits, lambda spec: 64, image=lambda spec: (1, 8, 8), pixel_levels=images.DIGIT_LEVELS),
}


def generator(spec) -> DataGenerator:
    try:
        return GENERATORS[type(spec)]
    except KeyError:
        raise ValueError(f"data kind '{spec.kind}' has no generator in data.GENERATORS") from None


def planned_values(spec) -> tuple[int, int]:
    """(samples, features) a generated data spec will make, before making it (CSV files are counted as read)."""
    if isinstance(spec, CsvData):
        return 0, 0
    gen = generator(spec)
    return gen.samples(spec), gen.features(spec)


FLOAT32_MAX = float(np.finfo(np.float32).max)
MAX_CLASSES = 256  # one output per class, and the boundary panel keeps a grid per class


def _check_range(x: np.ndarray, y: np.ndarray, spec, source: str) -> None:
    """Training runs in float32: a value past its range would become Inf (and the run diverge at step 0)."""
    for values, what in ((x, "an input"), (y, "a target")):
        with np.errstate(invalid="ignore"):
            magnitude = np.abs(values)
        # (NaN compares false with everything: a range that overflowed to inf − inf is past float32 too)
        biggest = float(np.nanmax(np.where(np.isnan(magnitude), np.inf, magnitude), initial=0.0))
        if biggest > FLOAT32_MAX:
            field = {"csv": "data.path", "curve": "data.f"}.get(spec.kind, "data")
            raise ScenarioError([Problem(source, f"{what} reaches {biggest:.3g}, past float32's largest number "
                                         f"({FLOAT32_MAX:.3g}) that training uses; scale the data down", field)])


def make_dataset(spec, *, loss: str, seed: int, base_dir: Path, source: str) -> Dataset:
    """Build the dataset for `spec`; `loss` decides how targets are typed."""
    n, features = planned_values(spec)
    if n * features > MAX_DATA_VALUES:
        knob = "step" if getattr(spec, "step", None) is not None else "n"
        raise ScenarioError([Problem(source, f"{n:,} samples × {features:,} features is {n * features:,} values; at "
                                     f"most {MAX_DATA_VALUES:,} ({'raise' if knob == 'step' else 'lower'} `{knob}`)",
                                     f"data.{knob}")])
    rng = np.random.default_rng(spec.seed if spec.seed is not None else seed)
    x, y, names, target = _samples(spec, rng, base_dir, source)
    plane: np.ndarray | None = None
    plane_names: tuple[str, ...] = ()
    if spec.inputs is not None:  # the model sees formulas of the features; plots keep the features' plane
        plane, plane_names = x, names
        x, names = _inputs(spec, x, names, source), tuple(spec.inputs)
    _check_range(x, y, spec, source)
    task = TASKS[loss]
    n_classes = _classes(y, loss, task, source)
    gen = None if isinstance(spec, CsvData) else generator(spec)
    val_idx, train_idx = _split(spec, len(x), rng, gen is not None and gen.validation_last(spec), source)

    stats: dict[str, list[float]] = {}
    if spec.standardize:
        mean = x[train_idx].mean(0)
        std = x[train_idx].std(0)
        std[std == 0] = 1.0
        x = (x - mean) / std
        stats = {"mean": mean.tolist(), "std": std.tolist()}

    x = x.astype(np.float32)
    if task == "multiclass":
        y = y.astype(np.int64)
    else:
        y = y.astype(np.float32)[:, None]
    return Dataset(x[train_idx], y[train_idx], x[val_idx], y[val_idx], task, n_classes, names, target, stats,
                   inputs=tuple(spec.inputs or ()), plane_names=plane_names,
                   plane_train=plane[train_idx] if plane is not None else None,
                   plane_val=plane[val_idx] if plane is not None else None,
                   image=gen.image(spec) if gen is not None and gen.image is not None else None,
                   class_names=gen.class_names(spec) if gen is not None else (),
                   pixel_levels=gen.pixel_levels if gen is not None and not spec.standardize else 0)


def _split(spec, n: int, rng: np.random.Generator, last: bool, source: str) -> tuple[np.ndarray, np.ndarray]:
    """The validation and training samples' indices: a random `validation` share held out, or the last ones where
    the generator made them apart (`last`)."""
    order = rng.permutation(n)
    n_val = int(round(spec.validation * n))
    if spec.validation > 0 and (n_val < 1 or n - n_val < 1):
        raise ScenarioError([Problem(source, f"a validation split of {spec.validation} leaves no samples on one side",
                                     "data.validation")])
    if last:
        return np.arange(n - n_val, n), np.arange(n - n_val)
    return np.sort(order[:n_val]), np.sort(order[n_val:])


def _samples(spec, rng: np.random.Generator, base_dir: Path, source: str) -> tuple[np.ndarray, np.ndarray,
                                                                               tuple[str, ...], str]:
    """The data's features and targets, read (CSV) or generated, with the features' and the target's names."""
    if isinstance(spec, CsvData):
        x, y, feats = _read_csv(spec, base_dir, source)
        return x, y, tuple(feats), spec.target
    try:
        with np.errstate(over="ignore", invalid="ignore"):  # a huge slope overflows: _check_range says so
            x, y = generator(spec).make(spec, rng)
    except CurveError as exc:
        raise ScenarioError([Problem(source, str(exc), "data.f")]) from None
    names = ("x",) if x.shape[1] == 1 else tuple(f"x{i + 1}" for i in range(x.shape[1]))
    return x, y, names, "y"


def _classes(y: np.ndarray, loss: str, task: str, source: str) -> int:
    """How many classes the labels `y` have (0 for regression); labels the loss cannot take fail."""
    if task == "regression":
        return 0
    if not np.all(y == np.round(y)) or y.min() < 0:
        raise ScenarioError([Problem(source, f"loss '{loss}' needs class labels 0, 1, 2, … as targets", "train.loss")])
    if y.max() >= MAX_CLASSES:
        raise ScenarioError([Problem(source, f"the labels go up to {y.max():.6g}; at most {MAX_CLASSES} classes "
                                     f"(labels 0 to {MAX_CLASSES - 1})", "train.loss")])
    n_classes = int(y.max()) + 1
    if task == "binary":
        if n_classes > 2:
            raise ScenarioError([Problem(source, f"bce_with_logits needs labels 0/1, the data has {n_classes} classes; use cross_entropy", "train.loss")])
        return 2
    return n_classes


PAD = 0.1  # a drawn plane reaches this share of each feature's span beyond the data


def padded_ranges(ds: Dataset) -> list[tuple[float, float]]:
    """Padded range of every feature of the data's plane, and of the target for regression: the window the
    boundary and neurons panels draw the model over."""
    x = np.concatenate([ds.plane("train"), ds.plane("val")]) if len(ds.x_val) else ds.plane("train")
    cols = [x[:, i] for i in range(x.shape[1])]
    if ds.task == "regression":
        cols.append(np.concatenate([ds.y_train[:, 0], ds.y_val[:, 0]]) if len(ds.y_val) else ds.y_train[:, 0])
    ranges = []
    for c in cols:
        lo, hi = float(c.min()), float(c.max())
        pad = max(hi - lo, 1e-6) * PAD
        ranges.append((lo - pad, hi + pad))
    return ranges
