"""Scenario parsing and validation: every error names file, line, field and a fix, on one line."""

from __future__ import annotations

import json
import os
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

from nntui.errors import ScenarioError
from nntui.scenario import builtin_dir, json_schema, list_builtin, load
from nntui.scenario.loader import load_path

from .conftest import MINIMAL, wait_idle


def errors_of(path) -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_path(path)
    lines = [str(p) for p in info.value.problems]
    for line in lines:
        assert "\n" not in line and str(path) in line
    return lines


def test_lr_sweep_expands_one_variant_per_lr():
    sc = load("lr_sweep")
    assert [v.train.lr for v in sc.variants] == [0.0005, 0.001, 0.005, 0.025, 0.028, 0.03]
    assert [v.label for v in sc.variants][0] == "lr=0.0005"
    assert sc.sweep_fields == ("train.lr",)
    ds = sc.variants[0].dataset
    assert ds.n_train == 100 and ds.x_train[1, 0] == pytest.approx(0.1) and ds.x_train[-1, 0] == pytest.approx(9.9)
    assert all(v.dataset is ds for v in sc.variants), "variants share one dataset"
    assert sc.max_steps == 300


def test_minimal_file_gets_defaults(write_scenario):
    sc = load_path(write_scenario(MINIMAL))
    (v,) = sc.variants
    assert v.label == "run" and v.train.optimizer == "sgd" and v.batch_size == 20 and v.steps == 5


def test_explicit_variants_override_any_section(write_scenario):
    sc = load_path(write_scenario(MINIMAL.replace('kind = "linear"\n[train]', 'kind = "mlp"\nlayers = [4]\n[train]') + """
[[variant]]
label = "sigmoid"
model = { activation = "sigmoid" }
[[variant]]
label = "tanh, adam"
model.activation = "tanh"
train.optimizer = "adam"
"""))
    assert [(v.label, v.model.activation, v.train.optimizer) for v in sc.variants] == [
        ("sigmoid", "sigmoid", "sgd"), ("tanh, adam", "tanh", "adam")]
    assert sc.variants[1].changed == ("model.activation", "train.optimizer")


def test_sweep_times_variants_and_epochs(write_scenario):
    text = MINIMAL.replace("steps = 5", "epochs = 3\nbatch_size = 8") + """
[sweep]
lr = [0.1, 0.2]
"model.bias" = [true, false]
"""
    sc = load_path(write_scenario(text))
    assert len(sc.variants) == 4
    assert sc.variants[0].label == "lr=0.1, bias=True"
    assert sc.variants[0].steps == 3 * 3  # ceil(20 / 8) batches per epoch


def test_toml_syntax_error_has_line(write_scenario):
    (line,) = errors_of(write_scenario('[scenario]\ntitle = "x"\nseed = = 3\n'))
    assert ":3:" in line and "TOML syntax error" in line


def test_unknown_key_suggests_close_match(write_scenario):
    (line,) = errors_of(write_scenario(MINIMAL.replace("lr = 0.1", "lrr = 0.1")))
    assert "train.lrr" in line and "did you mean 'lr'?" in line and ":12:" in line


def test_unknown_key_in_data_union_suggests_match(write_scenario):
    (line,) = errors_of(write_scenario(MINIMAL.replace("slope = 2.0", "slop = 2.0")))
    assert "data.slop" in line and "did you mean 'slope'?" in line and ":8:" in line


def test_wrong_type_names_field_and_value(write_scenario):
    (line,) = errors_of(write_scenario(MINIMAL.replace("steps = 5", 'steps = "many"')))
    assert "train.steps" in line and "'many'" in line


def test_missing_required_key(write_scenario):
    (line,) = errors_of(write_scenario(MINIMAL.replace('title = "t"', "")))
    assert "scenario.title" in line and "missing" in line


def test_missing_section(write_scenario):
    text = MINIMAL.split("[model]")[0]
    (line,) = errors_of(write_scenario(text))
    assert "model" in line and "missing" in line


def test_bad_choice_suggests_close_match(write_scenario):
    (line,) = errors_of(write_scenario(MINIMAL.replace("steps = 5", 'steps = 5\noptimizer = "adma"')))
    assert "train.optimizer" in line and "did you mean 'adam'?" in line


def test_unknown_data_kind(write_scenario):
    lines = errors_of(write_scenario(MINIMAL.replace('kind = "linear"\nstop', 'kind = "swirl"\nstop')))
    assert any("unknown kind 'swirl'" in line and "data" in line for line in lines)


def test_nonpositive_values_rejected(write_scenario):
    assert any("train.lr" in line for line in errors_of(write_scenario(MINIMAL.replace("lr = 0.1", "lr = -1"))))
    assert any("train.lr" in line for line in errors_of(write_scenario(MINIMAL.replace("lr = 0.1", "lr = nan"))))


def test_cross_field_rule_explains_fix(write_scenario):
    (line,) = errors_of(write_scenario(MINIMAL.replace("lr = 0.1", "lr = 0.1\nnesterov = true")))
    assert "nesterov" in line and "momentum > 0" in line


def test_bad_sweep_key(write_scenario):
    (line,) = errors_of(write_scenario(MINIMAL + "[sweep]\nlrate = [0.1]\n"))
    assert "sweep.lrate" in line and "did you mean 'lr'?" in line


def test_too_many_variants(write_scenario):
    values = ", ".join(str(0.01 * (i + 1)) for i in range(17))
    (line,) = errors_of(write_scenario(MINIMAL + f"[sweep]\nlr = [{values}]\n"))
    assert "17 variants" in line and "at most 16" in line


def test_variant_override_error_points_at_variant(write_scenario):
    lines = errors_of(write_scenario(MINIMAL + '[[variant]]\nlabel = "a"\ntrain = { lr = 0.1 }\n'
                                     '[[variant]]\nlabel = "b"\ntrain = { optimizer = "sgdd" }\n'))
    assert any("variant[1].train.optimizer" in line and "did you mean 'sgd'?" in line for line in lines)


def test_loss_above_its_floor_needs_a_floor_that_is_known(write_scenario):
    load_path(write_scenario(MINIMAL + "[view]\nabove_floor = true\n"))  # least squares: known
    (line,) = errors_of(write_scenario(MINIMAL + '[[variant]]\nlabel = "a"\n[[variant]]\nlabel = "b"\n'
                                       "train = { weight_decay = 0.1 }\n[view]\nabove_floor = true\n"))
    assert "view.above_floor" in line and "run 'b'" in line and "without a penalty" in line


def test_duplicate_labels(write_scenario):
    (line,) = errors_of(write_scenario(MINIMAL + '[[variant]]\nlabel = "a"\n[[variant]]\nlabel = "a"\n'))
    assert "unique label" in line


def test_loss_needs_matching_targets(write_scenario):
    (line,) = errors_of(write_scenario(MINIMAL.replace("lr = 0.1", 'lr = 0.1\nloss = "cross_entropy"')))
    assert "train.loss" in line and "class labels" in line


def test_csv_data(write_scenario, tmp_path):
    (tmp_path / "d.csv").write_text("a,b,y\n1,2,3\n2,3,5\n3,4,7\n4,5,9\n")
    text = MINIMAL.replace('kind = "linear"\nstop = 1.0\nn = 20\nslope = 2.0',
                           'kind = "csv"\npath = "d.csv"\ntarget = "y"\nstandardize = true')
    sc = load_path(write_scenario(text))
    ds = sc.variants[0].dataset
    assert ds.feature_names == ("a", "b") and ds.n_train == 4
    assert abs(ds.x_train.mean()) < 1e-6  # standardized
    assert ds.y_train[:, 0].tolist() == [3, 5, 7, 9]


@pytest.mark.parametrize("content, expect", [
    (None, "not found"),
    ("a,y\n", "at least 2 rows"),
    ("a,y\n1,2\nx,3\n", "'x' is not a number"),
    ("a,y\n1,2\n1,2,3\n", "has 3 cells"),
    ("a,z\n1,2\n2,3\n", "no column 'y'"),
])
def test_csv_errors(write_scenario, tmp_path, content, expect):
    if content is not None:
        (tmp_path / "d.csv").write_text(content)
    text = MINIMAL.replace('kind = "linear"\nstop = 1.0\nn = 20\nslope = 2.0', 'kind = "csv"\npath = "d.csv"\ntarget = "y"')
    (line,) = errors_of(write_scenario(text))
    assert expect in line and "data." in line


def test_csv_path_cannot_escape_scenario_folder(write_scenario, tmp_path):
    outside = tmp_path.parent / "secret.csv"
    outside.write_text("a,y\n1,2\n2,3\n")
    text = MINIMAL.replace('kind = "linear"\nstop = 1.0\nn = 20\nslope = 2.0',
                           f'kind = "csv"\npath = "../{outside.name}"\ntarget = "y"')
    (line,) = errors_of(write_scenario(text))
    assert "outside the scenario's folder" in line


def test_loading_never_executes_code(write_scenario, tmp_path):
    marker = tmp_path / "pwned"
    evil = f"__import__('pathlib').Path('{marker}').touch()"
    lines = errors_of(write_scenario(MINIMAL.replace("lr = 0.1", f'lr = "{evil}"')))
    assert any("train.lr" in line for line in lines)
    assert not marker.exists()


def test_missing_file_and_unknown_builtin():
    with pytest.raises(ScenarioError, match="no such file"):
        load("nowhere/x.toml")
    with pytest.raises(ScenarioError, match="did you mean 'lr_sweep'"):
        load("lr_sweeep")


def test_every_builtin_scenario_loads_and_is_listed():
    names = {p.stem for p in builtin_dir().glob("*.toml")}
    assert {i.name for i in list_builtin()} == names and "lr_sweep" in names
    for name in names:
        sc = load(name)
        assert sc.variants or sc.expression is not None


def test_json_schema_describes_the_format():
    schema = json_schema()
    assert set(schema["properties"]) >= {"scenario", "lesson", "data", "model", "train", "sweep", "variant", "view"}
    assert "Learning rate." in str(schema)


def test_loader_does_not_import_torch():
    import subprocess
    import sys

    code = "import sys; import nntui.scenario as s; s.load('lr_sweep'); import nntui.ui.app; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ---------------------------------------------------------------------------- the fields the lessons added

HEAD = '[scenario]\ntitle = "t"\n'
CIRCLES_MLP = HEAD + '[data]\nkind = "circles"\n[model]\nkind = "mlp"\nlayers = [4]\n[train]\nloss = "bce_with_logits"\n'


@pytest.mark.parametrize("text, field, message", [
    (HEAD + '[data]\nkind = "curve"\nf = "x + y"\n[model]\nkind = "linear"\n', "data.f", "only the variable x"),
    (HEAD + '[data]\nkind = "curve"\nf = "open(x)"\n[model]\nkind = "linear"\n', "data.f", "unknown function 'open'"),
    (HEAD + '[data]\nkind = "curve"\nf = "x"\nstart = 2\nstop = 1\n[model]\nkind = "linear"\n', "data", "`stop`"),
    (HEAD + '[data]\nkind = "plane"\nweights = [1, 2]\nscales = [1]\n[model]\nkind = "linear"\n', "data",
     "one value per feature"),
    (HEAD + '[data]\nkind = "spiral"\nclasses = 9\n[model]\nkind = "linear"\n', "data.classes", "less than or equal"),
    (HEAD + '[data]\nkind = "moons"\n[model]\nkind = "linear"\nbatch_norm = true\n', "model", "needs hidden `layers` of an mlp or a cnn"),
    (CIRCLES_MLP.replace('layers = [4]', 'layers = [4]\nactivation = "gelu"') + 'backprop = "manual"\n',
     "train.backprop", "no hand-written derivative"),
    (CIRCLES_MLP.replace('layers = [4]', 'layers = [4]\nbatch_norm = true') + 'backprop = "manual"\n',
     "train.backprop", "batch norm"),
    (CIRCLES_MLP + 'schedule = "cosine"\nlr = 0.1\nlr_min = 0.2\n', "train", "`lr_min` must be below `lr`"),
    (CIRCLES_MLP + 'schedule = "linear"\n', "train.schedule", "not allowed"),
    (CIRCLES_MLP + 'accumulate = 0\n', "train.accumulate", "greater than or equal to 1"),
    (CIRCLES_MLP + 'device = "tpu"\n', "train.device", "not allowed"),
    (CIRCLES_MLP + '[view]\nsmoothing = 1.0\n', "view.smoothing", "less than 1"),
])
def test_new_fields_are_validated(write_scenario, text, field, message):
    lines = errors_of(write_scenario(text))
    assert any(f": {field}: " in line and message in line for line in lines), lines


def test_manual_backprop_in_a_variant_names_the_variant(write_scenario):
    text = CIRCLES_MLP + '[[variant]]\nlabel = "a"\n[[variant]]\nlabel = "b"\nmodel = { activation = "silu" }\n' \
        'train = { backprop = "manual" }\n'
    lines = errors_of(write_scenario(text))
    assert any("variant[1].train.backprop" in line for line in lines), lines


@pytest.mark.parametrize("data, task, features", [
    ('kind = "moons"\nn = 50', "binary", 2), ('kind = "xor"\nn = 40', "binary", 2),
    ('kind = "spiral"\nn = 60\nclasses = 3', "multiclass", 2),
    ('kind = "curve"\nf = "x**2 + 15*sin(x)**3"\nn = 30', "regression", 1),
    ('kind = "plane"\nweights = [1, 2, 3]\nscales = [1, 10, 100]', "regression", 3),
])
def test_new_data_kinds(write_scenario, data, task, features):
    loss = {"binary": "bce_with_logits", "multiclass": "cross_entropy", "regression": "mse"}[task]
    sc = load_path(write_scenario(HEAD + f'[data]\n{data}\n[model]\nkind = "linear"\n[train]\nloss = "{loss}"\n'))
    ds = sc.variants[0].dataset
    assert (ds.task, ds.n_features) == (task, features)
    again = load_path(write_scenario(HEAD + f'[data]\n{data}\n[model]\nkind = "linear"\n[train]\nloss = "{loss}"\n',
                                     "again.toml")).variants[0].dataset
    assert np.array_equal(ds.x_train, again.x_train)  # deterministic


def test_curve_data_follows_its_formula(write_scenario):
    sc = load_path(write_scenario(HEAD + '[data]\nkind = "curve"\nf = "x**2 + 15*sin(x)**3"\nstart = -4\nstop = 4\n'
                                  'n = 9\n[model]\nkind = "linear"\n'))
    ds = sc.variants[0].dataset
    x = ds.x_train[:, 0].astype(np.float64)
    assert np.allclose(ds.y_train[:, 0], x ** 2 + 15 * np.sin(x) ** 3, atol=1e-4)


def test_schema_lists_the_new_kinds_and_fields():
    text = json.dumps(json_schema())
    for word in ("moons", "xor", "spiral", "curve", "plane", "batch_norm", "accumulate", "schedule", "backprop",
                 "zero_grad", "init_value", "smoothing", "all_layers"):
        assert f'"{word}"' in text, word


def test_builtin_lessons_are_grouped_by_topic_in_teaching_order():
    infos = list_builtin()
    topics = list(dict.fromkeys(i.topic for i in infos))
    assert topics == ["Autograd", "Regression", "Gradient descent", "Classification", "Deep networks", "Optimizers",
                      "Generalization", "Convolutional networks", "Hardware"]
    runs = [t for k, t in enumerate(i.topic for i in infos) if k == 0 or infos[k - 1].topic != t]
    assert runs == topics  # each topic is one contiguous group
    assert len(infos) == 35 and len({i.order for i in infos}) == 35  # an explicit place for every lesson


def test_batch_norm_needs_two_samples_per_batch(write_scenario):
    text = MINIMAL.replace('[model]\nkind = "linear"', '[model]\nkind = "mlp"\nlayers = [4]\nbatch_norm = true')
    (line,) = errors_of(write_scenario(text.replace("lr = 0.1", "lr = 0.1\nbatch_size = 1")))
    assert "train.batch_size" in line and "2 or more samples" in line
    load_path(write_scenario(text.replace("lr = 0.1", "lr = 0.1\nbatch_size = 19")))  # 20 % 19 = 1: skipped, not refused


def test_batch_norm_skips_a_last_batch_of_one_sample(write_scenario):
    from nntui.engine import Engine

    text = MINIMAL.replace('[model]\nkind = "linear"', '[model]\nkind = "mlp"\nlayers = [4]\nbatch_norm = true')
    engine = Engine(load_path(write_scenario(text.replace("lr = 0.1", "lr = 0.1\nbatch_size = 19"))), "cpu")
    engine.advance(5)  # 20 samples in batches of 19: the lone 20th would make BatchNorm1d raise
    assert engine.step == 5


CSV_SCENARIO = '[scenario]\ntitle = "c"\n[data]\nkind = "csv"\npath = "d.csv"\ntarget = "y"\n{extra}[model]\nkind = "linear"\n'


@pytest.mark.parametrize("content, extra, message", [
    ("x,y\n" + "a" * 140_000 + ",1\n", "", "cannot be read as CSV: field larger than field limit"),  # was: internal
    ("x,x,y\n1,2,3\n4,5,6\n", "", "two columns named 'x' (columns 1 and 2)"),  # was: the first x fed twice
    ("x,y\n1,2\n3,4\n", 'features = ["x", "y"]\n', "'y' is the target; it cannot also be a feature"),
    (",".join(f"c{i}" for i in range(100_000)) + ",y\n", "", "CSV has 100,000 feature columns"),  # was: 34 s
])
def test_csv_edge_cases_are_one_line_errors(tmp_path, content, extra, message):
    (tmp_path / "d.csv").write_text(content, encoding="utf-8")
    (tmp_path / "s.toml").write_text(CSV_SCENARIO.format(extra=extra), encoding="utf-8")
    with pytest.raises(ScenarioError, match=re.escape(message)) as info:
        load_path(tmp_path / "s.toml")
    assert len(str(info.value)) < 300


def test_a_byte_order_mark_is_not_part_of_the_first_column(tmp_path):
    (tmp_path / "d.csv").write_bytes(b"\xef\xbb\xbfx,y\n1,2\n2,4\n3,6\n")
    (tmp_path / "s.toml").write_text(CSV_SCENARIO.format(extra=""), encoding="utf-8")
    assert load_path(tmp_path / "s.toml").variants[0].dataset.feature_names == ("x",)


def test_a_fifo_a_device_or_a_folder_is_named_for_what_it_is(tmp_path):
    os.mkfifo(tmp_path / "fifo.toml")  # opening it would block until a writer came
    for path, what in ((tmp_path / "fifo.toml", "is a named pipe (FIFO)"), (Path("/dev/zero"), "is a character device")):
        with pytest.raises(ScenarioError, match=re.escape(what)):
            load_path(path)
    os.mkfifo(tmp_path / "d.csv")
    (tmp_path / "s.toml").write_text(CSV_SCENARIO.format(extra=""), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"'d.csv' is a named pipe \(FIFO\), not a CSV file"):
        load_path(tmp_path / "s.toml")
    (tmp_path / "d.csv").unlink()
    (tmp_path / "d.csv").mkdir()
    with pytest.raises(ScenarioError, match=r"'d.csv' is a folder, not a CSV file"):
        load_path(tmp_path / "s.toml")


LINEAR = '[scenario]\ntitle = "l"\n[data]\nkind = "linear"\n{data}\n[model]\nkind = "linear"\n'


@pytest.mark.parametrize(("name", "text", "message"), [
    # was: a numpy RuntimeWarning on stderr, then every run diverged at step 0 (or standardized to garbage)
    ("c.toml", '[scenario]\ntitle = "c"\n[data]\nkind = "curve"\nf = "exp(x) * 1e300"\nstart = 0\nstop = 10\n'
               'n = 50\n[model]\nkind = "linear"\n', r"data.f: a target reaches 2.2e\+304"),
    # a huge slope: was numpy's overflow RuntimeWarning before the one line (issue 30)
    ("l.toml", LINEAR.format(data="stop = 1.0\nn = 20\nslope = 1e308\nintercept = 1e308"),
     r"data: a target reaches inf, past float32's largest"),
    # a range whose width overflows: linspace makes NaN, which compared false with every limit
    ("w.toml", LINEAR.format(data="start = -1e308\nstop = 1e308\nn = 50"),
     r"data: an input reaches inf, past float32's largest"),
])
def test_data_past_float32_is_refused_with_its_field_and_no_warning(name, text, message, tmp_path):
    (tmp_path / name).write_text(text, encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ScenarioError, match=message):
            load_path(tmp_path / name)


def test_csv_data_past_float32_is_refused_with_its_field(tmp_path):
    (tmp_path / "d.csv").write_text("x,y\n1e308,1\n-1e308,2\n1e307,3\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text(CSV_SCENARIO.format(extra="standardize = true\n"), encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"data.path: an input reaches 1e\+308, past float32's largest"):
        load_path(tmp_path / "s.toml")


def test_errors_quote_oversized_input_briefly(tmp_path, write_scenario):
    long = MINIMAL.replace("lr = 0.1", f"lr = '{'x' * 100_000}'").replace("n = 20", f"n = {2**70}")
    with pytest.raises(ScenarioError) as info:
        load_path(write_scenario(long))
    lines = str(info.value).splitlines()
    assert len(lines) == 2 and all(len(line) < 300 for line in lines), lines  # was: the whole 100,000 characters
    assert "(got 1.18e+21)" in str(info.value) and "(got 'xxxx" in str(info.value)
    (tmp_path / "d.csv").write_text("x,y\n1,0\n2,100000\n3,5\n", encoding="utf-8")
    (tmp_path / "s.toml").write_text(CSV_SCENARIO.format(extra="") + '[train]\nloss = "cross_entropy"\n',
                                     encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"train.loss: the labels go up to 100000; at most 256 classes"):
        load_path(tmp_path / "s.toml")  # was: a 100,001-way output layer, and GBs for the boundary panel


def test_work_a_panel_or_a_step_cannot_bound_is_refused(write_scenario):
    bullets = "\n".join("- a" for _ in range(7_000))  # within 50,000 characters; was: 50 s to paint, 32 s a key
    with pytest.raises(ScenarioError, match=r"lesson.text: has 7,000 lines; at most 150"):
        load_path(write_scenario(MINIMAL + f'[lesson]\ntext = """\n{bullets}"""\n'))

    def table(rows: int, columns: int) -> str:
        head = ["|" + "|".join(f"c{j}" for j in range(columns)) + "|", "|" + "---|" * columns]
        return "\n".join(head + ["|" + "|".join(str(i * j) for j in range(columns)) + "|" for i in range(rows)])

    with pytest.raises(ScenarioError, match=r"lesson.text: has tables of 5,840 cells in all; at most 300"):
        load_path(write_scenario(MINIMAL + f'[lesson]\ntext = """\n{table(145, 40)}"""\n'))  # was: 21 s to paint
    assert load_path(write_scenario(MINIMAL + f'[lesson]\ntext = """\n{table(19, 15)}"""\n', name="fits.toml"))
    slow = MINIMAL.replace("n = 20", "n = 10000").replace('kind = "linear"\n[train]',
                                                          'kind = "mlp"\nlayers = [64, 64]\n[train]')
    slow = slow.replace("steps = 5", "steps = 5\nbatch_size = 1024\naccumulate = 1024")  # was: 15 minutes a step
    with pytest.raises(ScenarioError, match=r"train.accumulate: one step computes [\d,]+ multiply-adds"):
        load_path(write_scenario(slow))


@pytest.mark.parametrize("runs, panels, message", [
    ('{ gradient_flow = ["a", "zz"] }', '["gradient_flow", "loss"]', "view.runs.gradient_flow: no run is labelled 'zz'; the runs are: a, b"),
    ('{ loss = ["a", "b"] }', '["loss"]', "view.runs.loss: the loss panel draws every run at once; view.runs takes"),
    ('{ histograms = ["a"] }', '["loss"]', "view.runs.histograms: 'histograms' is not in view.panels"),
    ('{ gradient_flow = ["a", "a"] }', '["gradient_flow"]', "a run is listed twice for 'gradient_flow'"),
])
def test_small_multiples_name_a_shown_per_run_panel_and_real_runs(write_scenario, runs, panels, message):
    text = MINIMAL + '[[variant]]\nlabel = "a"\n[[variant]]\nlabel = "b"\n' + f"[view]\npanels = {panels}\nruns = {runs}\n"
    with pytest.raises(ScenarioError) as info:
        load_path(write_scenario(text))
    assert message in str(info.value) and "\n" not in str(info.value).strip()


@pytest.mark.parametrize("at, panels, message", [
    ("{ loss = 1 }", '["loss"]', "view.at.loss: the loss panel cannot be held at a step; view.at takes: gradient_flow,"),
    ("{ histograms = 1 }", '["loss"]', "view.at.histograms: 'histograms' is not in view.panels"),
    ("{ gradient_flow = 100000 }", '["gradient_flow"]', "view.at.gradient_flow: step 100000 is after the last step"),
    ("{ gradient_flow = 0 }", '["gradient_flow"]', "view.at.gradient_flow"),
])
def test_a_held_panel_is_one_that_draws_a_step_and_the_step_is_in_the_run(write_scenario, at, panels, message):
    text = MINIMAL + f"[view]\npanels = {panels}\nat = {at}\n"
    with pytest.raises(ScenarioError) as info:
        load_path(write_scenario(text))
    assert message in str(info.value) and "\n" not in str(info.value).strip()


async def test_small_multiples_draw_a_per_run_panel_once_for_each_listed_run():
    from nntui.panels.gradient_flow.widget import GradientFlowPanel
    from nntui.ui.app import NNTuiApp

    app = NNTuiApp(load("vanishing_gradients"), device="cpu", run_steps=2, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        flows = list(app.query(GradientFlowPanel))
        assert [(f.id, f.run_index) for f in flows] == [("gradient_flow-1", 0), ("gradient_flow-2", 1)]
        await wait_idle(app, pilot)
        assert "sigmoid" in str(flows[0].border_title) and "relu" in str(flows[1].border_title)


def test_a_beat_s_focus_names_a_run(write_scenario):
    runs = MINIMAL + '[[variant]]\nlabel = "a"\n[[variant]]\nlabel = "b"\n'
    assert load_path(write_scenario(runs + '[[lesson.beats]]\nat = 0\nsay = "b"\nfocus = "b"\n')).lesson.beats[0].focus == "b"
    with pytest.raises(ScenarioError) as info:
        load_path(write_scenario(runs + '[[lesson.beats]]\nat = 0\nsay = "x"\nfocus = "c"\n'))
    assert "lesson.beats.0.focus: focus 'c' is not a run's label; use one of 'a', 'b'" in str(info.value)


def test_a_beat_shows_a_plot_the_lesson_has(write_scenario):
    panels = '[view]\npanels = ["loss", "gradient_flow", "variants"]\n'
    beat = '[[lesson.beats]]\nat = 0\nsay = "b"\nshow = "{}"\n'
    assert load_path(write_scenario(MINIMAL + panels + beat.format("gradient_flow"))).lesson.beats[0].show == \
        "gradient_flow"
    for shown in ("histograms", "variants"):  # not shown, or not a plot
        with pytest.raises(ScenarioError) as info:
            load_path(write_scenario(MINIMAL + panels + beat.format(shown)))
        assert (f"lesson.beats.0.show: show '{shown}' is not a plot in view.panels; use one of 'loss', "
                "'gradient_flow'") in str(info.value)


def test_a_file_saved_with_a_byte_order_mark_loads(tmp_path):
    # Notepad's "UTF-8 with BOM": was "TOML syntax error: Invalid statement" (issue 30)
    from .conftest import MINIMAL

    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode("utf-8"))
    assert load_path(path).title == "t"
    path.write_bytes(MINIMAL.encode("utf-16"))
    with pytest.raises(ScenarioError, match="is not UTF-8 text; save it as UTF-8"):
        load_path(path)
