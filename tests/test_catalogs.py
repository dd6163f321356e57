"""Every closed set of names a scenario can use is handled everywhere it is dispatched on.

spec.py's Literals are made from the catalogs' keys, so a new entry (say "lion"
in catalog.OPTIMIZERS) is a name a scenario may write at once; it fails here
until every other table that handles that set has one, and a name a table
lacks must raise, never fall through to a neighbour (build_optimizer used to
train Adagrad for any name it did not know).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import get_args

import pytest
import torch
from textual.binding import Binding

from nntui import catalog, codegen, schedules
from nntui.engine import Engine, batched, build, device, manual
from nntui.errors import ScenarioError
from nntui.expression import FUNCTIONS, OPERATIONS, operation
from nntui.panels import PANELS, PanelName, panel_probes, probes_for
from nntui.panels.histograms.widget import QUANTITIES, QUANTITY_RGB
from nntui.panels.variants.widget import LIVE_COLUMNS, VariantsTable
from nntui.scenario import data, list_builtin, load, spec
from nntui.scenario.loader import load_path
from nntui.status import STATUSES
from nntui.ui.app import panel_class
from nntui.ui.draw.palette import STATUS_STYLES
from nntui.ui.panel import Panel


def names(literal) -> set[str]:
    return set(get_args(literal))


@pytest.mark.parametrize("literal, table", [
    (spec.Activation, catalog.ACTIVATIONS),
    (spec.Init, catalog.INITS),
    (spec.Optimizer, catalog.OPTIMIZERS),
    (spec.Loss, catalog.LOSSES),
    (spec.Loss, data.TASKS),
    (spec.Loss, batched.PER_RUN_LOSS),
    (spec.Schedule, catalog.SCHEDULES),
    (spec.SurfaceKind, catalog.SURFACES),
], ids=["ACTIVATIONS", "INITS", "OPTIMIZERS", "LOSSES", "data.TASKS", "batched.PER_RUN_LOSS", "SCHEDULES", "SURFACES"])
def test_every_table_covers_its_set_exactly(literal, table):
    assert set(table) == names(literal)


def test_every_catalog_entry_names_a_real_torch_object():
    for name in [*catalog.ACTIVATIONS.values(), *catalog.LOSSES.values()]:
        assert issubclass(getattr(torch.nn, name), torch.nn.Module)
    for init in catalog.INITS.values():
        assert init.function is None or callable(getattr(torch.nn.init, init.function))


@pytest.mark.parametrize("name", catalog.OPTIMIZERS)
def test_an_optimizer_s_unprinted_arguments_are_torch_s_own_defaults(name):
    """export-code leaves out an argument equal to its entry's `defaults`: those must be torch's defaults,
    or the exported script would train another optimizer than the engine (AdamW's weight_decay is 0.01)."""
    entry = catalog.OPTIMIZERS[name]
    signature = inspect.signature(getattr(torch.optim, entry.torch_class))
    for argument, value in entry.defaults.items():
        assert signature.parameters[argument].default == value
    assert set(entry.arguments(spec.TrainSpec())) <= set(signature.parameters)


def test_every_panel_is_declared_once_and_its_widget_keeps_the_panel_contract():
    assert set(PANELS) == names(PanelName)
    for name in PANELS:
        assert issubclass(panel_class(name), Panel)
    with pytest.raises(KeyError, match="no panel 'sparkline'"):
        panel_class("sparkline")  # was: a name missing from PLOT_PANELS was silently dropped
    assert probes_for(["loss", "variants"]) == frozenset()
    assert probes_for(["contour", "histograms", "boundary", "graph"]) == {"path", "graph"}
    assert panel_probes(["boundary", "confusion", "loss"]) == ("panels.boundary.probe:Regions",
                                                               "panels.confusion.probe:Confusion")


def test_every_panel_probe_measures_what_its_panel_declares(write_scenario):
    """A panel's probe is built for each run of a scenario that shows it, and measures exactly the names its
    declaration gives the record (a name it forgot, or one it added, fails here, not in an empty panel)."""
    for name, declared in PANELS.items():
        if declared.probe is None:
            continue
        for data_kind, model in (('kind = "blobs"\nn = 32', 'kind = "mlp"\nlayers = [4]'),  # (a cnn's panels: images)
                            ('kind = "shapes"\nn = 32', 'kind = "cnn"\nconv = [{ channels = 2, kernel = 3, pool = "max" }]')):
            text = (f'[scenario]\ntitle = "t"\n[data]\n{data_kind}\n[model]\n{model}\n'
                    f'[train]\nloss = "cross_entropy"\nsteps = 2\n[view]\npanels = ["{name}"]\n')
            try:
                scenario = load_path(write_scenario(text))
                break
            except ScenarioError:
                continue
        engine = Engine(scenario, "cpu")
        engine.advance(2)
        measured = engine.frame().runs[0].measured or {}
        assert set(measured) == {m.name for m in declared.measures}, name


def test_every_panel_that_shows_one_run_switches_runs_with_brackets():
    for name, declared in PANELS.items():
        keys = {b.key for b in getattr(panel_class(name), "BINDINGS", []) if isinstance(b, Binding)}
        assert not declared.per_run or {"left_square_bracket", "right_square_bracket"} <= keys, name


def test_every_status_has_a_colour_and_every_live_column_a_value():
    assert set(STATUS_STYLES) == set(STATUSES)
    shown = {c for info in list_builtin() if (sc := load(info.name)).expression is None
             for c in VariantsTable.for_scenario(sc).live_columns}
    assert shown == set(LIVE_COLUMNS)


def test_every_histogram_quantity_is_drawn():
    quantities = set(get_args(spec.ViewSpec.model_fields["histogram"].annotation))
    assert set(QUANTITIES) == set(QUANTITY_RGB) == quantities


def test_every_data_kind_but_csv_has_a_generator():
    generated = {get_args(cls.model_fields["kind"].annotation)[0] for cls in data.GENERATORS}
    assert generated | {"csv"} == set(spec.DATA_KINDS)


def test_every_device_and_operation_is_known_to_torch():
    assert set(device.DEVICES) | {"auto"} == names(spec.Device)
    assert all(callable(getattr(torch, op)) for op in OPERATIONS)  # engine/expression calls torch.<op>
    assert set(FUNCTIONS) <= set(OPERATIONS)


def test_every_loss_has_a_batched_form_and_a_hand_written_derivative():
    out, y = torch.zeros(4, 3), torch.tensor([0, 1, 2, 1])
    for name in names(spec.Loss):
        target = y if name == "cross_entropy" else torch.ones(4, 3)
        loss, delta = manual._loss_and_delta(name, out, target)
        assert torch.isfinite(loss) and delta.shape == out.shape
    for name in spec.MANUAL_ACTIVATIONS:
        assert manual._derivative(build.activation(name), torch.zeros(3)).shape == (3,)


@pytest.mark.parametrize("kind", get_args(spec.ModelSpec.model_fields["kind"].annotation))
def test_every_model_kind_builds(kind):
    extra = {"mlp": {"layers": [3]}, "surface": {"surface": "quadratic"},
             "cnn": {"conv": [{"channels": 2, "kernel": 3}]}}.get(kind, {})
    model = build.build_model(spec.ModelSpec(kind=kind, **extra), 16, 1, (1, 4, 4))
    assert sum(p.numel() for p in model.parameters()) > 0


@pytest.mark.parametrize("field, literal", [("optimizer", spec.Optimizer), ("schedule", spec.Schedule)])
def test_every_optimizer_and_schedule_builds_and_exports(field, literal):
    params = [torch.nn.Parameter(torch.zeros(2))]
    for name in names(literal):
        train = spec.TrainSpec(**{field: name}, lr_min=0.0)
        assert isinstance(build.build_optimizer(train, params), torch.optim.Optimizer)
        assert codegen._optimizer_code(train).startswith("torch.optim.")
        assert schedules.learning_rate(train, 3, 10) > 0


def test_every_init_builds_and_exports():
    for name in names(spec.Init):
        model_spec = spec.ModelSpec(kind="mlp", layers=[3], init=name)
        build.build_model(model_spec, 2, 1)
        assert isinstance(codegen._init(model_spec), str)


# ---------------------------------------------------------------------------- a name nobody handles


@dataclass(frozen=True)
class Rogue:
    """A data spec of a kind no generator knows."""

    kind: str = "rogue"
    n: int = 10


def test_a_name_a_table_lacks_raises_instead_of_falling_through():
    params = [torch.nn.Parameter(torch.zeros(2))]
    adamw = spec.TrainSpec().model_copy(update={"optimizer": "lion", "schedule": "warmup", "loss": "hinge"})
    with pytest.raises(KeyError):
        build.build_optimizer(adamw, params)  # was: Adagrad, without a word
    with pytest.raises(KeyError):
        codegen._optimizer_code(adamw)  # was: Adagrad's code
    with pytest.raises(KeyError):
        schedules.learning_rate(adamw, 0, 10)  # was: the constant lr
    with pytest.raises(ValueError, match="no hand-written derivative for the loss 'hinge'"):
        manual._loss_and_delta("hinge", torch.zeros(2, 1), torch.zeros(2, 1))  # was: cross-entropy's
    odd_init = spec.ModelSpec(kind="mlp", layers=[3]).model_copy(update={"init": "orthogonal"})
    with pytest.raises(KeyError):
        build.build_model(odd_init, 2, 1)  # was: PyTorch's default init
    with pytest.raises(KeyError):
        codegen._init(odd_init)  # was: no init line
    with pytest.raises(AssertionError):
        build.build_model(spec.ModelSpec(kind="linear").model_copy(update={"kind": "cnn"}), 2, 1)  # was: an MLP
    with pytest.raises(ValueError, match="no generator"):
        data.planned_values(Rogue())  # was: treated as 2 features, then read as a CSV file
    with pytest.raises(ValueError, match="no operation 'tan'"):
        operation("tan")
    with pytest.raises(KeyError):
        device.available("tpu")  # was: False
