"""The scenario format: pydantic models of one TOML scenario file.

These models are the single source of truth for validation, defaults, the
JSON Schema (`nntui schema`) and the docs. No torch here: the UI loads
scenarios before torch has finished importing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..catalog import ACTIVATIONS, INITS, LOSSES, OPTIMIZERS, SCHEDULES, SURFACES, optimizers_taking
from ..claims import parse as parse_claim
from ..expression import parse as parse_expression
from ..panels import DEFAULT_PANELS, PanelName
from .images import DIGIT_COUNT, SHAPES

Device = Literal["auto", "cpu", "cuda", "mps"]
Backprop = Literal["autograd", "manual"]
MAX_SEED = 2**32 - 1  # numpy's and torch's seeds both take it
MANUAL_ACTIVATIONS = ("relu", "leaky_relu", "sigmoid", "tanh", "identity")
# The names each field admits are its catalog's keys: a new catalog entry is a new name here, nothing else.
if TYPE_CHECKING:
    Activation: TypeAlias = str
    Init: TypeAlias = str
    Schedule: TypeAlias = str
    Loss: TypeAlias = str
    Optimizer: TypeAlias = str
    SurfaceKind: TypeAlias = str
    ShapeName: TypeAlias = str
else:
    Activation = Literal[tuple(ACTIVATIONS)]
    Init = Literal[tuple(INITS)]
    Schedule = Literal[tuple(SCHEDULES)]
    Loss = Literal[tuple(LOSSES)]
    Optimizer = Literal[tuple(OPTIMIZERS)]
    SurfaceKind = Literal[tuple(SURFACES)]
    ShapeName = Literal[tuple(SHAPES)]

# Limits that keep a typo from asking for a multi-GB run (documented in the README).
MAX_SAMPLES = 1_000_000
MAX_FEATURES = 1_024
MAX_LAYER_WIDTH = 4_096
MAX_LAYERS = 64
MAX_STEPS = 10_000_000
MAX_VARIANTS = 16
MAX_PARAMETERS = 20_000_000   # weights of every run together (×4 with Adam's state and the gradients: 320 MB)
MAX_LESSON_LINES = 150
MAX_TABLE_CELLS = 300  # Markdown table cells in a lesson's text (about 0.5 s to paint)
MAX_STEP_WORK = 4_000_000_000  # multiply-adds of one step's forward passes over every run: about a second
MAX_ACTIVATIONS = 50_000_000  # batch × (inputs + hidden units + outputs), summed over runs: one step's activations


# Invisible characters that reorder or hide text on a terminal (bidi overrides and isolates, zero-width
# spaces, a stray byte-order mark): a title could show something other than what the file says. The
# joiners U+200C/U+200D stay allowed: some scripts and emoji need them.
_INVISIBLE = frozenset([0x061C, 0x200B, 0x200E, 0x200F, 0xFEFF, *range(0x202A, 0x202F), *range(0x2060, 0x2065),
                        *range(0x2066, 0x206A)])


def _is_control(ch: str) -> bool:
    """C0 and C1 control characters (ESC, BEL, CSI…) other than newline, tab and carriage return, and the
    invisible characters above."""
    code = ord(ch)
    return (code < 32 and ch not in "\n\t\r") or 127 <= code < 160 or code in _INVISIBLE


class Strict(BaseModel):
    """Unknown keys are errors (with a close match), values are never coerced silently."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False, allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any) -> Any:
        """Text reaches the terminal: an escape character in a title could clear the screen or retitle
        the window. Newlines and tabs are fine (lesson text has them); other control characters are not."""
        for text in (value if isinstance(value, (list, tuple)) else [value]):
            bad = next((ch for ch in text if _is_control(ch)), None) if isinstance(text, str) else None
            if bad is not None:
                kind = "invisible" if ord(bad) in _INVISIBLE else "control"
                raise ValueError(f"contains the {kind} character U+{ord(bad):04X}; remove it")
        return value


class ScenarioMeta(Strict):
    title: str = Field(min_length=1, max_length=120, description="Shown in the header and in `nntui list`.")
    summary: str = Field("", max_length=200, description="One line for `nntui list`.")
    topic: str = Field("Basics", max_length=60, description="Group in `nntui list`.")
    order: int = Field(100, description="Teaching order within all lessons (smaller first).")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seeds data, initial weights and batch order.")
    device: Device = Field("auto", description="auto picks cuda, then mps, then cpu. `--device` overrides.")


class Beat(Strict):
    at: int = Field(ge=0, description="Training step at which this beat becomes current.")
    say: str = Field(min_length=1, max_length=2_000, description="Markdown shown in the lesson panel.")
    ask: str | None = Field(None, min_length=1, max_length=500, description="A question: training pauses at "
                            "`at` until it is answered (training scenarios only).")
    choices: list[Annotated[str, Field(min_length=1, max_length=120)]] = Field(
        default_factory=list, description="The question's choices (2 to 6).")
    answer: str | None = Field(None, description="The right choice, written exactly as in `choices`.")
    why: str = Field("", max_length=2_000, description="Shown after the answer: why it is right.")
    focus: str | None = Field(None, description="The label of the run this beat is about: the loss panel draws "
                              "its curve on top of the others while the beat is current.")
    show: PanelName | None = Field(None, description="The plot this beat talks about: on a screen that shows one "
                                   "plot at a time (80x24), it comes into view when the beat does (p still pages).")

    @model_validator(mode="after")
    def _question(self) -> Beat:
        if self.ask is None:
            if self.choices or self.answer is not None or self.why:
                raise ValueError("`choices`, `answer` and `why` belong to a question: add `ask`")
            return self
        if not 2 <= len(self.choices) <= 6:
            raise ValueError("a question needs 2 to 6 `choices`")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("the `choices` must differ from each other")
        if self.answer not in self.choices:
            raise ValueError(f"`answer` must be one of the choices: {', '.join(repr(c) for c in self.choices)}")
        return self


class Lesson(Strict):
    text: str = Field("", max_length=50_000, description=f"Markdown lesson text, at most {MAX_LESSON_LINES} lines.")
    beats: list[Beat] = Field(default_factory=list, description="Guided beats, shown as training reaches them.")

    @field_validator("text")
    @classmethod
    def _short_enough_to_draw(cls, text: str) -> str:
        # each Markdown block is a widget the panel lays out again on every key: 300 bullets took 3.5 s to
        # paint and 2 s a key, 7,000 took 50 s and 32 s (the built-in lessons have at most 35 lines)
        lines = text.count("\n") + 1
        if lines > MAX_LESSON_LINES:
            raise ValueError(f"has {lines:,} lines; at most {MAX_LESSON_LINES} (the panel draws each as widgets): "
                             "shorten it, or move steps into beats")
        # a table's every cell is a widget too: 146 rows × 40 columns took 15–21 s to first paint
        cells = sum(row.strip().strip("|").count("|") + 1 for row in text.splitlines()
                    if row.lstrip().startswith("|") and not set(row.strip()) <= set("|-: "))
        if cells > MAX_TABLE_CELLS:
            raise ValueError(f"has tables of {cells:,} cells in all; at most {MAX_TABLE_CELLS} (the panel draws "
                             "each cell as a widget): keep the rows and columns that make the point")
        return text

    @model_validator(mode="after")
    def _sorted(self) -> Lesson:
        ats = [b.at for b in self.beats]
        if ats != sorted(ats):
            raise ValueError("beats must be listed in increasing order of `at`")
        return self


MAX_INPUTS = 16  # computed input features (data.inputs)


class DataCommon(Strict):
    inputs: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        None, min_length=1, max_length=MAX_INPUTS, description="The model's inputs as formulas of the data's "
        "features (x1, x2, … or x), e.g. [\"x1\", \"x2\", \"x1*x2\"]: feature crosses, squares, sin(x1)… in the "
        "[expression] grammar, never eval'd. Default: the features as they are. Plots keep the data's own plane.")
    standardize: bool = Field(False, description="Standardize features to mean 0, std 1 (train-split statistics).")
    validation: float = Field(0.0, ge=0.0, lt=0.9, description="Fraction of samples held out for validation.")
    seed: int | None = Field(None, ge=0, description="Data seed; defaults to the scenario seed.")

    @field_validator("inputs")
    @classmethod
    def _formulas(cls, formulas: list[str] | None) -> list[str] | None:
        for text in formulas or []:
            parse_expression(text)  # an ExpressionError is a ValueError: pydantic reports it with the field
        if formulas is not None and len(set(formulas)) != len(formulas):
            raise ValueError("an input is listed twice")
        return formulas


class LinearData(DataCommon):
    """y = slope·x + intercept + N(0, noise²) on a 1-D grid."""

    kind: Literal["linear"]
    start: float = 0.0
    stop: float = Field(description="End of the x grid (excluded with `step`, included with `n`).")
    step: float | None = Field(None, gt=0, description="Grid spacing, like arange(start, stop, step).")
    n: int | None = Field(None, ge=2, le=MAX_SAMPLES, description="Number of points, like linspace(start, stop, n).")
    slope: float = 1.0
    intercept: float = 0.0
    noise: float = Field(0.0, ge=0, description="Standard deviation of the Gaussian noise on y.")

    @model_validator(mode="after")
    def _grid(self) -> LinearData:
        if (self.step is None) == (self.n is None):
            raise ValueError("give exactly one of `step` or `n` for the x grid")
        if self.stop <= self.start:
            raise ValueError("`stop` must be greater than `start`")
        if self.step is not None:
            count = math.ceil((self.stop - self.start) / self.step - 1e-9)
            if count < 2 or count > MAX_SAMPLES:
                raise ValueError(f"the grid has {count} points; it needs 2 to {MAX_SAMPLES:,}")
        return self


class CsvData(DataCommon):
    """Rows of a CSV file with a header line; the target column is what the model predicts."""

    kind: Literal["csv"]
    path: str = Field(min_length=1, description="Relative to the scenario file, inside its folder.")
    target: str = Field(min_length=1, description="Name of the target column.")
    features: list[str] | None = Field(None, min_length=1, description="Feature columns; default: all others.")


class CirclesData(DataCommon):
    """Two noisy concentric circles (binary classification)."""

    kind: Literal["circles"]
    n: int = Field(300, ge=4, le=MAX_SAMPLES)
    noise: float = Field(0.1, ge=0)
    factor: float = Field(0.5, gt=0, lt=1, description="Inner radius ÷ outer radius.")


class BlobsData(DataCommon):
    """Gaussian blobs, one class per center (multiclass classification)."""

    kind: Literal["blobs"]
    n: int = Field(200, ge=2, le=MAX_SAMPLES)
    centers: int | list[list[float]] = Field(4, description="Number of random centers, or their coordinates.")
    std: float = Field(0.15, gt=0, description="Standard deviation of each blob.")
    box: tuple[float, float] = Field((-1.2, 1.2), description="Range of random centers.")
    dim: int = Field(2, ge=1, le=MAX_FEATURES)

    @model_validator(mode="after")
    def _centers(self) -> BlobsData:
        if isinstance(self.centers, int):
            if not 2 <= self.centers <= 64:
                raise ValueError("`centers` must be 2 to 64 classes")
        else:
            if not 2 <= len(self.centers) <= 64:
                raise ValueError("`centers` must list 2 to 64 points")
            if any(len(c) != self.dim for c in self.centers):
                raise ValueError(f"every center needs `dim` = {self.dim} coordinates")
        if self.box[0] >= self.box[1]:
            raise ValueError("`box` must be [low, high] with low < high")
        return self


class MoonsData(DataCommon):
    """Two interleaving half circles (binary classification)."""

    kind: Literal["moons"]
    n: int = Field(200, ge=4, le=MAX_SAMPLES)
    noise: float = Field(0.1, ge=0)


class XorData(DataCommon):
    """Points in the square [-1, 1]²; the class is 1 where x1·x2 > 0 (binary, not linearly separable)."""

    kind: Literal["xor"]
    n: int = Field(200, ge=4, le=MAX_SAMPLES)
    noise: float = Field(0.05, ge=0, description="Gaussian noise added to the points after labelling.")
    margin: float = Field(0.1, ge=0, lt=1, description="Keep points at least this far from both axes.")


class SpiralData(DataCommon):
    """Interleaved spiral arms, one class per arm (multiclass)."""

    kind: Literal["spiral"]
    n: int = Field(300, ge=4, le=MAX_SAMPLES)
    classes: int = Field(3, ge=2, le=8)
    turns: float = Field(1.0, gt=0, le=5, description="How many times each arm winds around.")
    noise: float = Field(0.05, ge=0)


class CurveData(DataCommon):
    """y = f(x) + N(0, noise²) for n points evenly spread over [start, stop] (1-D regression)."""

    kind: Literal["curve"]
    f: str = Field(min_length=1, max_length=200, description="A formula in x, e.g. 'x**2 + 15*sin(x)**3'; "
                   "the same small grammar as [expression], never eval'd.")
    start: float = -3.0
    stop: float = 3.0
    n: int = Field(200, ge=2, le=MAX_SAMPLES)
    noise: float = Field(0.0, ge=0)

    @field_validator("f")
    @classmethod
    def _formula(cls, text: str) -> str:
        names = parse_expression(text).variables
        if any(v != "x" for v in names):
            raise ValueError(f"the formula may use only the variable x, not '{next(v for v in names if v != 'x')}'")
        return text

    @model_validator(mode="after")
    def _range(self) -> CurveData:
        if self.stop <= self.start:
            raise ValueError("`stop` must be greater than `start`")
        return self


class PlaneData(DataCommon):
    """y = weights·x + intercept + N(0, noise²), with feature i drawn from N(means[i], scales[i]²)."""

    kind: Literal["plane"]
    n: int = Field(200, ge=2, le=MAX_SAMPLES)
    weights: list[float] = Field(min_length=1, max_length=MAX_FEATURES, description="True weight of each feature.")
    scales: list[Annotated[float, Field(gt=0)]] | None = Field(None, description="Std of each feature (default 1).")
    means: list[float] | None = Field(None, description="Mean of each feature (default 0).")
    intercept: float = 0.0
    noise: float = Field(0.0, ge=0)

    @model_validator(mode="after")
    def _lengths(self) -> PlaneData:
        for name in ("scales", "means"):
            value = getattr(self, name)
            if value is not None and len(value) != len(self.weights):
                raise ValueError(f"`{name}` needs one value per feature ({len(self.weights)}, like `weights`)")
        return self


class ImageData(DataCommon):
    """Images: each sample's pixels are its features, row by row; a cnn reads them as an image."""

    @field_validator("inputs")
    @classmethod
    def _pixels(cls, formulas: list[str] | None) -> list[str] | None:
        if formulas is not None:
            raise ValueError("image data feeds its pixels to the model as they are; remove `inputs`")
        return formulas


class ShapesData(ImageData):
    """Small greyscale images, each one shape (its class) at a random place, with noise."""

    kind: Literal["shapes"]
    n: int = Field(600, ge=4, le=100_000)
    size: int = Field(12, ge=8, le=28, description="Each image is size × size pixels.")
    shapes: list[ShapeName] = Field(default_factory=lambda: ["vertical", "horizontal"], min_length=2,
                                    max_length=len(SHAPES), description="The classes: the shapes drawn, one a "
                                    f"class, in order. Known: {', '.join(SHAPES)}.")
    length: int = Field(5, ge=2, le=28, description="Each shape spans length × length pixels.")
    noise: float = Field(0.1, ge=0, le=1, description="Standard deviation of the Gaussian noise on every pixel "
                         "(pixels are then clipped to [0, 1]).")
    shift: bool = Field(False, description="Training images have their shape in the left half and validation "
                        "images in the right half: a test at places training never saw (needs `validation`).")

    @model_validator(mode="after")
    def _fits(self) -> ShapesData:
        if len(set(self.shapes)) != len(self.shapes):
            raise ValueError("a shape is listed twice in `shapes`")
        room = self.size // 2 if self.shift else self.size
        if self.length > room:
            where = "half the image (shift = true)" if self.shift else "the image"
            raise ValueError(f"a {self.length}-pixel shape does not fit {where}: {room} pixels; lower `length` "
                             "or raise `size`")
        if self.shift and not self.validation:
            raise ValueError("`shift` tests on the right half of the images: set `validation` (e.g. 0.3)")
        return self


class DigitsData(ImageData):
    """Handwritten digits 0–9 as 8×8 greyscale images (UCI, shipped with nntui: no download)."""

    kind: Literal["digits"]
    n: int = Field(DIGIT_COUNT, ge=10, le=DIGIT_COUNT, description=f"How many of the {DIGIT_COUNT:,} images.")


DataSpec = Annotated[LinearData | CsvData | CirclesData | BlobsData | MoonsData | XorData | SpiralData | CurveData
                     | PlaneData | ShapesData | DigitsData, Field(discriminator="kind")]
DATA_KINDS = tuple(get_args(cls.model_fields["kind"].annotation)[0] for cls in get_args(get_args(DataSpec)[0]))


MAX_CONV_BLOCKS = 8
MAX_CHANNELS = 256


class ConvLayer(Strict):
    """One block of a cnn: Conv2d → the model's activation → an optional pooling."""

    channels: int = Field(ge=1, le=MAX_CHANNELS, description="Output channels: the filters of this layer.")
    kernel: int = Field(3, ge=1, le=15, description="Each filter is kernel × kernel (× the input's channels).")
    stride: int = Field(1, ge=1, le=8, description="How far the filter moves between outputs.")
    padding: int = Field(0, ge=0, le=7, description="Zeros added around the input on every side.")
    pool: Literal["none", "max", "avg"] = Field("none", description="Pooling after the activation.")
    pool_size: int = Field(2, ge=2, le=8, description="The pooling window and its stride.")


class ModelSpec(Strict):
    kind: Literal["linear", "mlp", "cnn", "surface"] = Field(
        description="linear: one Linear layer; mlp: hidden layers + activation; cnn: conv blocks, then hidden "
        "layers as an mlp's (image data); surface: two parameters (x, y) whose loss is an analytic function "
        "(no data).")
    conv: list[ConvLayer] = Field(default_factory=list, max_length=MAX_CONV_BLOCKS, description="A cnn's "
                                  "convolutional blocks, in order, e.g. [{ channels = 6, kernel = 5, pool = \"max\" }]; "
                                  "their maps are flattened into the hidden `layers`.")
    layers: list[Annotated[int, Field(ge=1, le=MAX_LAYER_WIDTH)]] = Field(
        default_factory=list, max_length=MAX_LAYERS, description="Hidden layer widths of an mlp."
    )
    activation: Activation = "relu"
    init: Init = Field("default", description="default is PyTorch's own; normal uses `init_std`; constant gives "
                       "every weight `init_value` (the symmetry that never breaks).")
    init_std: float = Field(0.01, gt=0, description="Standard deviation for init = 'normal'.")
    init_value: float = Field(0.1, ge=-10, le=10, description="Every weight's value for init = 'constant'.")
    bias: bool = True
    batch_norm: bool = Field(False, description="mlp: BatchNorm1d after each hidden Linear, before the activation.")
    dropout: float | list[Annotated[float, Field(ge=0, lt=1)]] = Field(
        0.0, description="mlp: the probability each hidden unit is zeroed in a training step (nn.Dropout after "
        "each hidden activation; the survivors scaled by 1/(1−p)), one value or one per hidden layer. Off in "
        "evaluation: the losses on the whole splits use model.eval().")
    surface: SurfaceKind | None = Field(
        None, description="surface models: quadratic ½(x² + κy²), rosenbrock (1−x)² + 100(y−x²)², "
        "saddle x² − y² + y⁴/4, himmelblau (x² + y − 11)² + (x + y² − 7)².")
    condition: float = Field(10.0, ge=1, le=1e6, description="quadratic: κ, the Hessian's condition number.")
    start: tuple[float, float] = Field((-1.5, 1.5), description="surface models: where (x, y) starts.")

    @model_validator(mode="after")
    def _shape(self) -> ModelSpec:
        problem = self._surface_problem() if self.kind == "surface" else self._layers_problem()
        if problem is not None:
            raise ValueError(problem)
        return self

    def _surface_problem(self) -> str | None:
        rules = [(self.surface is None, "a surface model needs `surface`: quadratic, rosenbrock, saddle or himmelblau"),
                 (bool(self.layers or self.conv), "a surface model has no `layers` or `conv` blocks")]
        return next((message for broken, message in rules if broken), None)

    def _layers_problem(self) -> str | None:
        hidden = self.kind in ("mlp", "cnn")
        rules = [
            (self.surface is not None, "`surface` needs kind = 'surface'"),
            (self.kind == "cnn" and not self.conv, "a cnn needs `conv` blocks, e.g. conv = [{ channels = 4, kernel = 3 }]"),
            (self.kind != "cnn" and bool(self.conv), "`conv` blocks need kind = 'cnn'"),
            (bool(self.dropout_rates()) and not hidden, "`dropout` needs kind = 'mlp' or 'cnn' (it goes after each "
             "hidden layer)"),
            (self.kind == "cnn" and not self.layers and bool(self.dropout), "`dropout` goes after hidden `layers`, "
             "and this cnn has none; add layers, e.g. [32]"),
            (isinstance(self.dropout, list) and len(self.dropout) != len(self.layers),
             f"`dropout` lists {len(self.dropout) if isinstance(self.dropout, list) else 1} rates for "
             f"{len(self.layers)} hidden layers; give one per layer, or one number for all"),
            (isinstance(self.dropout, float) and not 0 <= self.dropout < 1, "`dropout` must be at least 0 and below 1"),
            (self.batch_norm and (not hidden or not self.layers), "`batch_norm` needs hidden `layers` of an mlp or a "
             "cnn (it goes between them)"),
            (self.kind == "linear" and bool(self.layers), "a linear model has no hidden `layers`; use kind = 'mlp'"),
            (self.kind == "mlp" and not self.layers, "an mlp needs at least one hidden layer, e.g. layers = [16]"),
        ]
        return next((message for broken, message in rules if broken), None)

    def dropout_rates(self) -> tuple[float, ...]:
        """Each hidden layer's dropout probability; () where there is none."""
        rates = self.dropout if isinstance(self.dropout, list) else [self.dropout] * len(self.layers)
        return tuple(rates) if any(rates) else ()


class EarlyStop(Strict):
    """Stop when the validation loss has not improved for `patience` steps, and keep the best weights."""

    patience: int = Field(ge=1, le=MAX_STEPS, description="Steps without a new best validation loss before the run "
                          "stops (checked at each evaluation, every eval_every steps).")
    min_delta: float = Field(0.0, ge=0, description="How much lower than the best a validation loss must be to "
                             "count as a new best.")


class TrainSpec(Strict):
    loss: Loss = "mse"
    optimizer: Optimizer = "sgd"
    lr: float = Field(0.01, gt=0, le=1e6, description="Learning rate.")
    momentum: float = Field(0.0, ge=0, lt=1, description=f"{optimizers_taking('momentum')}.")
    nesterov: bool = Field(False, description="sgd with momentum > 0 only.")
    l1: float = Field(0.0, ge=0, le=1e3, description="L1 penalty λ·Σ|w| on the weight matrices (not the biases) "
                      "added to the loss: a weight it pushes across zero is set to exactly 0, and stays there while "
                      "its loss gradient is smaller than λ.")
    # (bounded like lr: torch keeps these in float32, and 1e39 overflows it mid-training)
    weight_decay: float = Field(0.0, ge=0, le=1e6, description="L2 penalty added to the gradient; adamw: decoupled decay "
                                "(θ shrinks by lr·weight_decay·θ each step, apart from the gradient step).")
    betas: tuple[float, float] = Field((0.9, 0.999), description=f"{optimizers_taking('betas')}.")
    eps: float = Field(1e-8, gt=0, le=1e6, description=f"{optimizers_taking('eps')}.")
    alpha: float = Field(0.99, gt=0, lt=1, description=f"{optimizers_taking('alpha')}: smoothing constant.")
    batch_size: int | Literal["full"] = Field("full", description="Samples per step, or 'full' for the whole train split.")
    steps: int | None = Field(None, ge=1, le=MAX_STEPS, description="Training length in steps.")
    epochs: int | None = Field(None, ge=1, le=MAX_STEPS, description="Training length in epochs (instead of steps).")
    diverge_factor: float = Field(
        1e4, gt=1, description="A run is diverged once its loss is NaN/Inf or exceeds this × its first loss."
    )
    eval_every: int = Field(10, ge=1, description="Steps between evaluations of the loss on the whole training "
                                                  "and validation splits (full-batch runs: every step).")
    schedule: Schedule = Field(
        "constant", description="Learning-rate schedule over the run's T steps: step lr·γ^⌊t/step_size⌋, "
        "exponential lr·e^(−γt), inverse lr/(1 + γt), polynomial lr·(1 − t/T)^power, cosine "
        "lr_min + (lr − lr_min)·(1 + cos(πt/T))/2, cyclic: a triangle between lr_min and lr every 2·step_size.")
    gamma: float = Field(0.5, gt=0, le=1e3, description="step: factor per drop; exponential and inverse: decay rate.")
    step_size: int = Field(100, ge=1, le=MAX_STEPS, description="step: steps between drops; cyclic: half a cycle.")
    power: float = Field(1.0, gt=0, le=100, description="polynomial schedule's exponent.")
    lr_min: float = Field(0.0, ge=0, le=1e6, description="cosine and cyclic: the lowest learning rate.")
    accumulate: int = Field(1, ge=1, le=1_024, description="Gradient accumulation: mini-batches whose gradients "
                            "are summed (each loss ÷ accumulate) before one optimizer step.")
    early_stop: EarlyStop | None = Field(None, description="{ patience = N, min_delta = d }: stop when the "
                                         "validation loss stops improving and restore the weights of its best step.")
    eval_mode: bool = Field(True, description="false reproduces a classic bug: the losses on the whole splits are "
                            "measured without model.eval(), so dropout still drops units there.")
    zero_grad: bool = Field(True, description="false reproduces a classic bug: without optimizer.zero_grad() "
                            "every step's gradient is added to the ones before it.")
    backprop: Backprop = Field("autograd", description="manual: gradients from a hand-written backward pass "
                               "(Linear layers with relu, leaky_relu, sigmoid, tanh or identity) instead of autograd.")
    seed: int | None = Field(None, ge=0, le=MAX_SEED, description="This variant's seed for its initial weights "
                             "and batch order; default: the scenario's (the data keep the scenario's seed).")
    device: Device | None = Field(None, description="This variant's device; default: the scenario's. "
                                  "`--device` overrides both.")

    @model_validator(mode="after")
    def _consistent(self) -> TrainSpec:
        if self.steps is not None and self.epochs is not None:
            raise ValueError("give `steps` or `epochs`, not both")
        if isinstance(self.batch_size, int) and self.batch_size < 1:
            raise ValueError("`batch_size` must be at least 1")
        if self.nesterov and (self.optimizer != "sgd" or self.momentum == 0):
            raise ValueError("`nesterov` needs optimizer = 'sgd' and momentum > 0")
        if not all(0 <= b < 1 for b in self.betas):
            raise ValueError("`betas` must both be in [0, 1)")
        if self.schedule in ("cosine", "cyclic") and self.lr_min >= self.lr:
            raise ValueError("`lr_min` must be below `lr`")
        return self


class VariantOverride(Strict):
    """One explicit variant: a label and any fields of data / model / train to change."""

    label: str | None = Field(None, min_length=1, max_length=40)
    data: dict[str, Any] = Field(default_factory=dict)
    model: dict[str, Any] = Field(default_factory=dict)
    train: dict[str, Any] = Field(default_factory=dict)
    from_: str | None = Field(
        None, alias="from", pattern=r"^.+@[0-9]+$",
        description="A branch: 'label@step' — this run is run 'label' up to that step (same weights, optimizer "
                    "state and batch order), then goes on with its own settings: those that can change mid-run "
                    "(lr, momentum, schedule, …) and the optimizer (a new one). It needs a label.")


class ExpressionSpec(Strict):
    """A scalar expression whose computation graph is the lesson (instead of data, model and train)."""

    text: str = Field(min_length=1, max_length=500, description="e.g. '(x + y) * z': numbers, variables, "
                      "+ - * / **, parentheses, exp log tanh sigmoid relu sin cos. Parsed by a small grammar, never eval'd.")
    values: dict[str, float] = Field(description="A value for every variable, e.g. { x = -2, y = 5, z = -4 }.")
    output: str = Field("f", min_length=1, max_length=20, description="Name of the result.")


class ViewSpec(Strict):
    panels: list[PanelName] = Field(default_factory=lambda: list(DEFAULT_PANELS), min_length=1,
                               description="What the screen shows (panels.PANELS declares each).")
    log_y: bool = Field(False, description="Start the loss panel on a log scale.")
    above_floor: bool = Field(False, description="The loss panel draws each run's loss minus the lowest loss the "
                              "model can reach (the least-squares fit's: a linear model fitted by mean squared "
                              "error, without a penalty), so on a log axis the error a run has left reads down to 0.")
    smoothing: float = Field(0.0, ge=0, lt=1, description="Start with the loss curves smoothed: a debiased EMA "
                             "with this weight, as TensorBoard's slider. Key ~ toggles it (0.9 when not set).")
    speed: int | Literal["max"] = Field(50, description="Initial training speed in steps per second, or 'max'.")
    autoplay: bool = Field(True, description="Start training as soon as the app opens.")
    histogram: Literal["weights", "activations", "gradients"] = Field(
        "weights", description="The quantity the histograms panel opens on.")
    all_layers: bool = Field(False, description="The histograms panel opens with one row per layer (key a toggles).")
    runs: dict[PanelName, list[Annotated[str, Field(min_length=1, max_length=40)]]] = Field(
        default_factory=dict, description="Small multiples: a panel that shows one run drawn once for each of "
        "these runs (their labels), side by side, e.g. { gradient_flow = [\"sigmoid\", \"relu + he\"] }.")
    wide: list[PanelName] = Field(default_factory=list, description="Plots that take a whole row of the grid, e.g. "
                              "[\"contour\"] for a narrow valley: a surface drawn with square pixels in a tall "
                              "half-width panel spends most of its rows far from the paths.")
    at: dict[PanelName, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict, description="A panel that shows one run's state drawn as it was at this step, all run "
        "long (its title says so), e.g. { gradient_flow = 1 }: the moment a lesson is about stays on screen.")


class CheckSpec(Strict):
    """A claim of the lesson that training checks: shown with ✓ / ✗ in the lesson panel, run by `nntui check`."""

    say: str = Field(min_length=1, max_length=100, description="What the lesson claims, in a few words (the "
                     "lesson panel shows it with ✓ / ✗ and the measured values).")
    that: str = Field(min_length=1, max_length=300, description="The claim: quantities of runs (named by label, in "
                      "quotes) compared, e.g. 'grad(\"sigmoid\", 1) / grad(\"sigmoid\", 10) < 1e-3' or "
                      "'diverged(\"lr=0.03\")'. `nntui check --help` lists the quantities.")
    at: int | None = Field(None, ge=0, description="The step at which it is judged; omitted: at the end.")

    @field_validator("that")
    @classmethod
    def _parses(cls, text: str) -> str:
        parse_claim(text)  # a ClaimError is a ValueError: pydantic reports it with the field
        return text


class ScenarioFile(Strict):
    """A whole scenario file, as written."""

    scenario: ScenarioMeta
    lesson: Lesson = Field(default_factory=Lesson)
    expression: ExpressionSpec | None = None
    data: DataSpec | None = None
    model: ModelSpec | None = None
    train: TrainSpec = Field(default_factory=TrainSpec)
    sweep: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="One variant per value (several keys: every combination). Keys: a train field "
        "such as lr, or section.field such as model.activation.",
    )
    variant: list[VariantOverride] = Field(default_factory=list, description="Explicit variants.")
    view: ViewSpec = Field(default_factory=ViewSpec)
    check: list[CheckSpec] = Field(default_factory=list, description="The lesson's claims, checked as it trains.")

    @model_validator(mode="after")
    def _training_or_expression(self) -> ScenarioFile:
        surface = self.model is not None and self.model.kind == "surface"
        if self.expression is None and (self.model is None or (self.data is None and not surface)):
            missing = " and ".join(t for t, v in (("[data]", self.data or surface), ("[model]", self.model)) if not v)
            raise ValueError(f"the {missing} table is missing; add it (or an [expression] table for a graph lesson)")
        if self.expression is not None and (self.data or self.model or self.sweep or self.variant):
            raise ValueError("an [expression] scenario has no [data], [model], [sweep] or [[variant]]; remove them")
        return self
