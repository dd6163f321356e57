"""Rewind and branch: a run that is another run up to a step, then goes on with its own settings."""

from __future__ import annotations

import numpy as np
import pytest

from nntui.engine import Engine
from nntui.errors import ScenarioError
from nntui.scenario.edit import explicit_raw, to_toml, with_branch
from nntui.scenario.loader import load_path

BASE = """
[scenario]
title = "branches"
seed = 3
[data]
kind = "blobs"
n = 120
[model]
kind = "mlp"
layers = [8]
[train]
loss = "cross_entropy"
optimizer = "sgd"
lr = 0.1
momentum = 0.9
batch_size = 16
steps = 60
[[variant]]
label = "sgd"
"""


def _losses(engine: Engine, label: str) -> dict[int, float]:
    run = next(r for r in engine.runs if r.label == label)
    return {step: loss for step, loss, _ in run.loss_log}


@pytest.mark.parametrize("branch", ['train = { lr = 0.02 }', 'train = { optimizer = "adam", lr = 0.01 }'])
def test_a_branch_is_its_parent_to_the_step_then_its_own(write_scenario, branch):
    """Step for step the parent's numbers (weights, momentum, batch order) up to the branch step, exactly; then
    its own settings (another lr, or a new optimizer) take it elsewhere."""
    text = BASE + f'[[variant]]\nlabel = "slow"\nfrom = "sgd@25"\n{branch}\n'
    scenario = load_path(write_scenario(text))
    assert scenario.variants[1].branch == ("sgd", 25)
    engine = Engine(scenario, "cpu")
    engine.advance(60)
    parent, child = _losses(engine, "sgd"), _losses(engine, "slow")
    assert [child[s] for s in range(26)] == [parent[s] for s in range(26)]  # exactly, through the step it left at
    assert not np.allclose([child[s] for s in range(27, 60)], [parent[s] for s in range(27, 60)])
    assert engine.runs[1].variant.train.lr in (0.02, 0.01) and engine.runs[1].label == "slow"


def test_a_written_branch_reproduces_itself(write_scenario, tmp_path):
    scenario = load_path(write_scenario(BASE))
    branched = with_branch(scenario, 0, 30, {"train.lr": 0.05, "train.momentum": 0.5}, "sgd @30")
    entry = explicit_raw(branched)["variant"][1]
    assert entry["from"] == "sgd@30" and entry["train"] == {"lr": 0.05, "momentum": 0.5}  # what it changes
    again = tmp_path / "again.toml"
    again.write_text(to_toml(branched), encoding="utf-8")
    reloaded = load_path(again)
    assert reloaded.variants[1].branch == ("sgd", 30)
    assert (reloaded.variants[1].train.lr, reloaded.variants[1].train.momentum) == (0.05, 0.5)
    first, second = Engine(branched, "cpu"), Engine(reloaded, "cpu")
    first.advance(60)
    second.advance(60)
    assert _losses(first, "sgd @30") == _losses(second, "sgd @30")


@pytest.mark.parametrize("variant, message", [
    ('label = "b"\nfrom = "nobody@10"', r"from = 'nobody@10' names no run; the labelled runs are: sgd, b"),
    ('label = "b"\nfrom = "sgd@60"', r"run 'b': its parent runs 60 steps: branch at a step from 1 to 59"),
    ('label = "b"\nfrom = "sgd@10"\ntrain = { batch_size = 8 }', r"run 'b': train.batch_size cannot change at a branch"),
    ('from = "sgd@10"', r"a branch needs a label of its own"),
    ('label = "b"\nfrom = "sgd"', r"from"),
])
def test_a_branch_that_cannot_be_is_refused_with_the_fix(write_scenario, variant, message):
    with pytest.raises(ScenarioError, match=message):
        load_path(write_scenario(BASE + f"[[variant]]\n{variant}\n"))


def test_a_branch_of_a_branch_and_a_swept_branch_are_refused(write_scenario):
    twice = BASE + '[[variant]]\nlabel = "b"\nfrom = "sgd@10"\n[[variant]]\nlabel = "c"\nfrom = "b@20"\n'
    with pytest.raises(ScenarioError, match=r"from = 'b@20' names a branch; branch from the run it came from"):
        load_path(write_scenario(twice))
    swept = BASE + '[[variant]]\nlabel = "b"\nfrom = "sgd@10"\n[sweep]\nlr = [0.1, 0.2]\n'
    with pytest.raises(ScenarioError, match=r"a branch names one run, and \[sweep\] makes several"):
        load_path(write_scenario(swept))


async def test_b_branches_the_focused_run_where_it_is(write_scenario):
    """b opens the edit form with its Branch button ready; pressing it (lr changed) reopens the experiment with a
    run more: the focused run's copy up to its step, named after it and the step."""
    from textual.widgets import Button, Input

    from nntui.ui.app import NNTuiApp

    from .conftest import wait_idle

    app = NNTuiApp(load_path(write_scenario(BASE)), device="cpu", run_steps=20, questions=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("b")
        await pilot.pause()
        form = app.screen
        assert str(form.query_one("#branch", Button).label) == "Branch at 20" and form.focused.id == "branch"
        form.query_one("#train-lr", Input).value = "0.02"
        form.query_one("#branch", Button).press()
        await pilot.pause()
    branched = app.return_value
    assert [v.label for v in branched.variants] == ["sgd", "sgd @20 ✎"]
    assert branched.variants[1].branch == ("sgd", 20) and branched.variants[1].train.lr == 0.02


def test_a_branch_back_to_a_default_setting_is_written_so(write_scenario, tmp_path):
    """lr_sweep's runs have no base lr: a branch of lr=0.03 to lr 0.01 (TrainSpec's default) must still say
    lr = 0.01, or the file would branch it to its parent's 0.03."""
    from nntui.scenario import load

    branched = with_branch(load("lr_sweep"), 5, 30, {"train.lr": 0.01}, "lr=0.03 @30 ✎")
    again = tmp_path / "again.toml"
    again.write_text(to_toml(branched), encoding="utf-8")
    assert load_path(again).variants[-1].train.lr == 0.01
