"""Convolutional networks: image data, the conv blocks' arithmetic, and the models the engine builds from them."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nntui.engine import Engine
from nntui.engine.build import build_model
from nntui.scenario import conv
from nntui.scenario.loader import load_path

from .test_scenario import errors_of

CNN = """
[scenario]
title = "t"
seed = 2
[data]
kind = "shapes"
n = 60
size = 12
shapes = ["vertical", "horizontal", "ring"]
validation = 0.25
[model]
kind = "cnn"
conv = [{{ channels = 3, kernel = 3, padding = 1, pool = "max" }}, {{ channels = 4, kernel = {kernel}, stride = 2 }}]
layers = [5]
[train]
loss = "cross_entropy"
steps = 3
"""


def test_shapes_are_deterministic_8_bit_images_one_class_per_shape(write_scenario):
    a = load_path(write_scenario(CNN.format(kernel=3))).variants[0].dataset
    b = load_path(write_scenario(CNN.format(kernel=3), "again.toml")).variants[0].dataset
    assert np.array_equal(a.x_train, b.x_train) and a.image == (1, 12, 12) and a.n_classes == 3
    assert a.class_names == ("vertical", "horizontal", "ring")
    levels = a.x_train * 255
    assert np.array_equal(levels, np.round(levels)) and a.x_train.min() >= 0 and a.x_train.max() <= 1


def test_shift_holds_out_shapes_at_places_training_never_saw(write_scenario):
    text = CNN.format(kernel=3).replace("validation = 0.25", "validation = 0.25\nshift = true\nnoise = 0.0")
    ds = load_path(write_scenario(text)).variants[0].dataset
    train, val = ds.x_train.reshape(-1, 12, 12), ds.x_val.reshape(-1, 12, 12)
    assert len(val) == 15 and train[:, :, 6:].max() == 0 and val[:, :, :6].max() == 0


def test_digits_are_the_shipped_1797_images():
    from nntui.scenario.images import digits
    x, y = digits(1797, np.random.default_rng(0))
    assert x.shape == (1797, 8, 8) and sorted(set(y.tolist())) == list(range(10)) and x.max() == 1.0


@pytest.mark.parametrize("change, message", [
    ({}, "conv2: a 9×9 kernel does not fit a 6×6 input"),
    ({'pool = "max" }': 'pool = "max", pool_size = 8 }'}, "conv2: a 9×9 kernel does not fit a 1×1 input"),
    ({"size = 12": "size = 8", "kernel = 9": "kernel = 3", 'pool = "max" }': 'pool = "max", pool_size = 8 }',
      "padding = 1, ": ""}, "conv1: a 8×8 pooling does not fit its 6×6 maps"),
])
def test_a_block_that_does_not_fit_is_named_in_one_line(write_scenario, change, message):
    text = CNN.format(kernel=9)
    for old, new in change.items():
        text = text.replace(old, new)
    lines = errors_of(write_scenario(text))
    assert len(lines) == 1 and message in lines[0] and "model.conv" in lines[0]


@pytest.mark.parametrize("change, message", [
    ({"layers = [5]": "layers = []\ndropout = 0.2"}, "this cnn has none; add layers"),
    ({"shapes = [": 'inputs = ["x1"]\nshapes = ['}, "image data feeds its pixels to the model as they are"),
    ({'shapes = ["vertical", "horizontal", "ring"]': 'shapes = ["vertical", "vertical"]'}, "listed twice"),
    ({"validation = 0.25": "shift = true"}, "`shift` tests on the right half of the images: set `validation`"),
])
def test_bad_cnn_and_image_settings_get_one_line_each(write_scenario, change, message):
    text = CNN.format(kernel=3)
    for old, new in change.items():
        text = text.replace(old, new)
    lines = errors_of(write_scenario(text))
    assert len(lines) == 1 and message in lines[0], lines


def test_a_cnn_without_images_and_conv_without_a_cnn_are_refused(write_scenario):
    moons = CNN.format(kernel=3).replace('kind = "shapes"', 'kind = "moons"').replace(
        'shapes = ["vertical", "horizontal", "ring"]\n', "").replace("size = 12\n", "")
    assert "a cnn reads images" in errors_of(write_scenario(moons))[0]
    mlp = CNN.format(kernel=3).replace('kind = "cnn"', 'kind = "mlp"')
    assert "`conv` blocks need kind = 'cnn'" in errors_of(write_scenario(mlp))[0]


def test_the_loader_counts_what_torch_builds(write_scenario):
    v = load_path(write_scenario(CNN.format(kernel=3))).variants[0]
    model = build_model(v.model, v.dataset.n_features, v.dataset.n_outputs, v.dataset.image)
    assert sum(p.numel() for p in model.parameters()) == v.parameter_count
    shapes = []
    h = torch.zeros(2, v.dataset.n_features)
    for layer in model:
        h = layer(h)
        if isinstance(layer, nn.MaxPool2d | nn.Conv2d):
            shapes.append(tuple(h.shape[1:]))
    blocks = v.conv_blocks
    assert shapes == [blocks[0].conv, blocks[0].out, blocks[1].conv]
    # each output value of a block is a kernel-sized sum over every input channel
    assert blocks[1].multiply_adds == (4 * 3 * 3 * 3) * (2 * 2)  # weights × the 2×2 places the filter goes


def test_receptive_field_grows_with_kernels_pooling_and_stride(write_scenario):
    blocks = load_path(write_scenario(CNN.format(kernel=3))).variants[0].conv_blocks
    assert conv.receptive_field(blocks, 0) == (3, 1)
    assert conv.receptive_field(blocks, 1) == (3 + 1 + 2 * 2, 4)  # the pooling doubles the jump


def test_a_cnn_trains_and_its_panels_measure_every_block(write_scenario):
    text = CNN.format(kernel=3) + '[view]\npanels = ["filters", "feature_maps", "loss"]\n'
    engine = Engine(load_path(write_scenario(text)), "cpu")
    engine.advance(3)
    measured = engine.frame().runs[0].measured or {}
    filters, maps = measured["filters"], measured["feature_maps"]
    assert [w.shape for w in filters.weights] == [(3, 1, 3, 3), (4, 3, 3, 3)]
    assert [m.shape[1:] for m in maps.maps] == [(3, 12, 12), (4, 2, 2)]
    assert maps.pooled[0].shape[1:] == (3, 6, 6) and maps.pooled[1] is None
    assert maps.images.shape[1:] == (1, 12, 12) and len(maps.labels) == len(maps.images)
    assert maps.dead[0].dtype == bool and maps.dead[0].shape == (3,)


def test_edge_ratio_reads_a_filters_preference_for_an_orientation():
    from nntui.claims import edge_responses

    vertical_edge = np.array([[[[1.0, 0.0, -1.0]] * 3]])  # one filter: bright on the left, dark on the right
    along, across = edge_responses(vertical_edge, "vertical")
    assert along[0] == 6.0 and across[0] == 0.0
    along, across = edge_responses(vertical_edge.transpose(0, 1, 3, 2), "vertical")  # the same turned 90°
    assert along[0] == 0.0 and across[0] == 6.0


def test_the_step_through_arithmetic_makes_every_value_of_every_map(write_scenario):
    """The panel's patch × weights + bias, through ReLU, is the model's own map value at every place."""
    from nntui.panels.conv_step.widget import _Step

    text = CNN.format(kernel=3) + '[view]\npanels = ["conv_step", "loss"]\n'
    scenario = load_path(write_scenario(text))
    engine = Engine(scenario, "cpu")
    engine.advance(3)
    maps = engine.frame().runs[0].measured["feature_maps"]
    chain = scenario.variants[0].conv_blocks
    for k, block in enumerate(chain):
        for f in range(block.conv[0]):
            for row in range(block.conv[1]):
                for col in range(block.conv[2]):
                    step = _Step(maps, chain, k, f, row, col, "relu")
                    made = max(float(step.sums.sum()) + step.bias, 0.0)
                    assert made == pytest.approx(float(step.output[row, col]), rel=1e-4, abs=1e-5)
    assert maps.fields == (3, 3 + 1 + 2 * 2)


def test_a_deeper_unit_sees_the_square_its_field_says(write_scenario):
    chain = load_path(write_scenario(CNN.format(kernel=3))).variants[0].conv_blocks
    assert conv.field_of(chain, 0, 0, 0) == (-1, -1, 3)  # the padding's row and column, and two pixels
    # conv2 (stride 2) over the 6×6 pooled maps: unit (1, 1) starts 2 pooled units (4 pixels) further on
    top, left, size = conv.field_of(chain, 1, 1, 1)
    assert size == conv.receptive_field(chain, 1)[0] and (top, left) == (-1 + 4, -1 + 4)


def test_a_cnn_s_record_carries_its_filters(write_scenario, tmp_path):
    import json

    from nntui.cli import main

    path = write_scenario(CNN.format(kernel=3))
    out = tmp_path / "record.json"
    with pytest.raises(SystemExit) as done:
        main(["run", str(path), "--headless", "--out", str(out)])
    assert done.value.code == 0
    run = json.loads(out.read_text())["runs"][0]
    assert list(run["filters"]) == ["conv1", "conv2"]
    assert np.array(run["filters"]["conv2"]).shape == (4, 3, 3, 3)


async def test_every_panel_a_cnn_can_show_draws_it_and_the_step_through_moves_on_keys(write_scenario):
    """The panels an mlp's lessons use (histograms, gradient flow, the graph, the code, …) draw a cnn too, beside
    the cnn's own; the step-through panel starts in the middle of the last block's maps, goes to conv1 on `<` and
    along its row on →."""
    from nntui.panels.conv_step.widget import ConvStepPanel
    from nntui.ui.app import NNTuiApp
    from nntui.ui.panel import StripPanel

    from .conftest import wait_idle

    panels = ["conv_step", "filters", "feature_maps", "histograms", "gradient_flow", "weight_norms", "confusion",
              "accuracy", "graph", "code"]
    text = CNN.format(kernel=3) + f"[view]\npanels = {panels}\n"
    app = NNTuiApp(load_path(write_scenario(text)), device="cpu", run_steps=3, questions=False)
    async with app.run_test(size=(160, 60)) as pilot:
        await wait_idle(app, pilot)
        for panel in app.query(StripPanel):
            assert "waiting" not in "".join(s.text for s in panel._strips), type(panel).__name__
        step = app.query_one(ConvStepPanel)
        assert (step.block, step.row, step.col) == (1, 1, 1)  # the last block, the middle of its 2×2 maps
        app.set_focus(step)
        await pilot.press("less_than_sign", "right")
        await pilot.pause()
        assert (step.block, step.row, step.col) == (0, 6, 7)
        assert "conv1 · filter 1 of 3 · row 7, col 8" in str(step.border_title)
