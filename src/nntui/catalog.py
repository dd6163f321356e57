"""The ML concepts a scenario can name, each written once. No torch here.

Every entry says which PyTorch object a name means and what it is built
from. The engine builds from these entries (engine/build.py), `export-code`
and the code panel print them (codegen.py), the edit form and the JSON
Schema list their names (spec.py's Literals are made from these keys), and
tests walk them. A name that is not here is an error wherever it is looked
up (`entry`), never a fallthrough to a neighbour.

The other closed sets have their own single catalogs: data kinds in
`scenario.data.GENERATORS`, expression operations in `expression.OPERATIONS`,
devices in `engine.device.DEVICES`, panels in `panels.PANELS`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from .scenario.spec import ModelSpec, TrainSpec

T = TypeVar("T")


def entry(catalog: Mapping[str, T], name: str, what: str) -> T:
    """The catalog's entry for `name`; a name it lacks raises (the loader refuses such names first)."""
    try:
        return catalog[name]
    except KeyError:
        raise KeyError(f"unknown {what} {name!r}; known: {', '.join(catalog)}") from None


@dataclass(frozen=True)
class OptimizerEntry:
    torch_class: str            # in torch.optim
    settings: tuple[str, ...]   # the TrainSpec fields it takes, passed as keywords of the same name
    defaults: dict[str, Any] = field(default_factory=dict)  # torch's own defaults: not printed in exported code
    about: str = ""

    def arguments(self, train: TrainSpec) -> dict[str, Any]:
        """The keywords after the parameters."""
        values = {k: getattr(train, k) for k in self.settings}
        if "betas" in values:
            values["betas"] = tuple(values["betas"])  # an edited spec may hold a list; torch wants a tuple
        return values

    def code_arguments(self, train: TrainSpec) -> dict[str, Any]:
        """The arguments worth writing: those that differ from torch's default (same optimizer either way)."""
        return {k: v for k, v in self.arguments(train).items() if k not in self.defaults or self.defaults[k] != v}


ADAM_LIKE = ("lr", "betas", "eps", "weight_decay")
OPTIMIZERS: dict[str, OptimizerEntry] = {
    "sgd": OptimizerEntry("SGD", ("lr", "momentum", "nesterov", "weight_decay"),
                          dict(momentum=0, nesterov=False, weight_decay=0),
                          "θ ← θ − lr·g (with momentum: a running sum of g)"),
    "adam": OptimizerEntry("Adam", ADAM_LIKE, dict(weight_decay=0), "per-weight steps from running means of g and g²"),
    "adamw": OptimizerEntry("AdamW", ADAM_LIKE, {},
                            "Adam with decoupled weight decay: θ shrinks by lr·weight_decay·θ apart from the gradient step"),
    "rmsprop": OptimizerEntry("RMSprop", ("lr", "alpha", "eps", "momentum", "weight_decay"), dict(weight_decay=0),
                              "steps divided by a running RMS of g"),
    "adagrad": OptimizerEntry("Adagrad", ("lr", "eps", "weight_decay"), dict(weight_decay=0),
                              "steps divided by the root of every g² so far"),
    "nadam": OptimizerEntry("NAdam", ADAM_LIKE, dict(weight_decay=0),
                            "Adam whose momentum looks one step ahead (Nesterov's)"),
    "radam": OptimizerEntry("RAdam", ADAM_LIKE, dict(weight_decay=0),
                            "Adam that takes plain momentum steps until its running mean of g² can be trusted"),
}


def optimizers_taking(setting: str) -> str:
    """The optimizers that read a TrainSpec field, for its description: 'adam, adamw, nadam'."""
    return ", ".join(name for name, e in OPTIMIZERS.items() if setting in e.settings)


LOSSES: dict[str, str] = {  # the torch.nn module of each loss (mean over the batch)
    "mse": "MSELoss", "bce_with_logits": "BCEWithLogitsLoss", "cross_entropy": "CrossEntropyLoss",
}

ACTIVATIONS: dict[str, str] = {  # the torch.nn module of each activation
    "relu": "ReLU", "sigmoid": "Sigmoid", "tanh": "Tanh", "leaky_relu": "LeakyReLU", "elu": "ELU",
    "selu": "SELU", "silu": "SiLU", "gelu": "GELU", "identity": "Identity",
}


@dataclass(frozen=True)
class InitEntry:
    function: str | None  # in torch.nn.init, applied to each Linear weight (biases start at 0); None: PyTorch's own
    arguments: Callable[[ModelSpec], dict[str, Any]] = lambda m: {}
    note: str = ""        # a comment beside it in exported code


INITS: dict[str, InitEntry] = {
    "default": InitEntry(None, note="PyTorch's own: Kaiming-uniform with a = √5, biases included"),
    "zeros": InitEntry("zeros_"),
    "normal": InitEntry("normal_", lambda m: dict(mean=0.0, std=m.init_std)),
    "xavier": InitEntry("xavier_normal_", note="std = sqrt(2 / (fan_in + fan_out))"),
    "he": InitEntry("kaiming_normal_", lambda m: dict(nonlinearity="relu"), "std = sqrt(2 / fan_in)"),
    "constant": InitEntry("constant_", lambda m: dict(val=m.init_value),
                          "every weight the same value: units in a layer stay alike"),
}

# Each surface's height at (x, y), as Python arithmetic on x, y and k (the condition number): the engine
# compiles it (engine/build.py), export-code prints it. The text is ours, never a scenario's.
SURFACES: dict[str, str] = {
    "quadratic": "0.5 * (x * x + k * y * y)",
    "rosenbrock": "(1 - x) ** 2 + 100 * (y - x * x) ** 2",
    "saddle": "x * x - y * y + 0.25 * y ** 4",
    "himmelblau": "(x * x + y - 11) ** 2 + (x + y * y - 7) ** 2",
}


@dataclass(frozen=True)
class ScheduleEntry:
    """The learning rate of step t of a `total`-step run, as Python arithmetic on t, lr, total and `parameters`."""

    formula: str
    parameters: tuple[str, ...] = ()  # TrainSpec fields the formula reads


SCHEDULES: dict[str, ScheduleEntry] = {
    "constant": ScheduleEntry("lr"),
    "step": ScheduleEntry("lr * gamma ** (t // step_size)", ("gamma", "step_size")),
    "exponential": ScheduleEntry("lr * math.exp(-gamma * t)", ("gamma",)),
    "inverse": ScheduleEntry("lr / (1 + gamma * t)", ("gamma",)),
    "polynomial": ScheduleEntry("lr * max(0.0, 1 - t / total) ** power", ("power",)),
    "cosine": ScheduleEntry("lr_min + (lr - lr_min) * (1 + math.cos(math.pi * min(t, total) / total)) / 2",
                            ("lr_min",)),
    # a triangle wave: lr_min → lr in step_size steps, back down in as many
    "cyclic": ScheduleEntry("lr_min + (lr - lr_min) * (p if (p := (t / step_size) % 2) <= 1 else 2 - p)",
                            ("lr_min", "step_size")),
}
