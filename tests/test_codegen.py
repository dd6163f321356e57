"""export-code: the generated standalone script trains like the engine, number for number (CPU)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from nntui import catalog
from nntui.codegen import PHASES, lines, script
from nntui.engine import Engine
from nntui.panels.code.widget import CodePanel
from nntui.scenario import load
from nntui.ui.app import NNTuiApp

from .conftest import wait_idle
from .test_cli import run_main


def engine_losses(sc, index: int) -> list[float]:
    # one run alone, as the script trains it (batched runs equal these to float rounding: test_batched.py)
    engine = Engine(sc, "cpu", batched=False)
    run = engine.runs[index]
    while not engine.finished:
        engine.advance(25)  # no frame() in between: the run's loss log stays complete
    return [value for _, value, _ in run.loss_log]


@pytest.mark.parametrize("name, index, steps", [
    ("lr_sweep", 5, 300),                # full batch, diverges at step 229
    ("binary_classification", 0, 30),   # mini-batches, Adam, He init, BCE with logits
    ("optimizers", 1, 40),               # an analytic surface, SGD with momentum
    ("grad_accumulation", 1, 30),        # 4 accumulated mini-batches per step
    ("lr_schedules", 6, 60),             # the cyclic schedule
    ("autograd_basics", 1, 20),          # zero_grad() forgotten, constant init
    ("batch_norm", 2, 20),               # BatchNorm1d
    ("multiclass", 0, 30),               # cross-entropy over class indices
    ("features_vs_depth", 1, 30),        # computed inputs (x1·x2): the script embeds them
    ("lenet_digits", 0, 20),             # a cnn on images written as bytes
    ("conv_vs_mlp", 0, 20),              # shapes held out at other places
])
def test_exported_script_prints_the_engines_losses(tmp_path, name, index, steps):
    assert_script_trains_like_the_engine(tmp_path, load(name).with_steps(steps), index, diverges=name == "lr_sweep")


def assert_script_trains_like_the_engine(tmp_path, sc, index: int, diverges: bool) -> None:
    path = tmp_path / "train.py"
    path.write_text(script(sc, index), encoding="utf-8")
    proc = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 0, proc.stderr
    printed = proc.stdout.splitlines()
    got = [float(line.split()[1]) for line in printed if line[:1].isdigit()]
    want = engine_losses(sc, index)
    assert len(got) == len(want)
    assert got == pytest.approx(want, rel=1e-6, abs=1e-9)
    assert (printed[-1] == "diverged") == diverges  # it stops where the engine stops


SMALL_BATCHES = """
[scenario]
title = "t"
seed = 3
[data]
kind = "linear"
n = 64
stop = 3.0
slope = 2.0
noise = 0.5
[model]
kind = "linear"
[train]
lr = 0.05
batch_size = 8
steps = 20
"""


GENERALIZATION = """
[scenario]
title = "t"
seed = 5
[data]
kind = "moons"
n = 80
noise = 0.35
validation = 0.5
[model]
kind = "mlp"
layers = [32, 32]
dropout = [0.2, 0.3]
[train]
loss = "bce_with_logits"
optimizer = "adam"
lr = 0.02
batch_size = 16
steps = 400
l1 = 0.002
eval_every = 5
early_stop = { patience = 40 }
"""


@pytest.mark.parametrize("text, index, diverges", [
    # a run with its own seed: its own initial weights and batch order (the script used the scenario's)
    (SMALL_BATCHES + '[[variant]]\nlabel = "a"\n[[variant]]\nlabel = "b"\ntrain = { seed = 7 }\n', 1, False),
    # batch norm, 65 samples in batches of 8: the engine skips the last batch of one (the script crashed)
    (SMALL_BATCHES.replace("n = 64", "n = 65").replace('kind = "linear"\n[train]',
                                                         'kind = "mlp"\nlayers = [4]\nbatch_norm = true\n[train]'),
     0, False),
    # 4 accumulated mini-batches blow up: the step's loss is their mean, and it decides divergence
    (SMALL_BATCHES.replace("lr = 0.05", "lr = 0.5\naccumulate = 4").replace("steps = 20", "steps = 60"), 0, True),
    # AdamW's decoupled weight decay (torch's default decay is 0.01: the script must pass the scenario's)
    (SMALL_BATCHES.replace("lr = 0.05", 'optimizer = "adamw"\nlr = 0.05\nweight_decay = 0.1'), 0, False),
    # dropout's masks, L1's exact zeros (644 of 1,120 by the end) and early stopping's restore (stops at 75, keeps
    # step 35), over mini-batches with Adam
    (GENERALIZATION, 0, False),
], ids=["variant-seed", "batch-norm-last-batch-of-one", "accumulation-diverges", "adamw",
        "dropout-l1-early-stop"])
def test_exported_script_of_edge_cases_trains_like_the_engine(tmp_path, write_scenario, text, index, diverges):
    assert_script_trains_like_the_engine(tmp_path, load(str(write_scenario(text))), index, diverges)


@pytest.mark.parametrize("optimizer", catalog.OPTIMIZERS)
def test_every_optimizer_s_exported_script_trains_like_the_engine(tmp_path, write_scenario, optimizer):
    """torch's own defaults are left out of the script (AdamW's weight decay is 0.01, not 0): each optimizer the
    catalog has, with the scenario's settings, must be the one the engine trained."""
    text = SMALL_BATCHES.replace("lr = 0.05", f'optimizer = "{optimizer}"\nlr = 0.05')
    assert_script_trains_like_the_engine(tmp_path, load(str(write_scenario(text))), 0, False)


def test_code_lines_tag_every_phase_in_order():
    code = lines(load("binary_classification"))
    phases = [line.phase for line in code if line.phase]
    assert list(dict.fromkeys(phases)) == list(PHASES)
    assert not any(line.text.lstrip().startswith("[") for line in code)  # the panel's code has no data rows


def test_export_code_cli(capsys, tmp_path):
    code, out, _ = run_main(capsys, "export-code", "lr_sweep", "--variant", "lr=0.03", "--steps", "5")
    assert code == 0 and "torch.optim.SGD(model.parameters(), lr=0.03)" in out
    code, _, err = run_main(capsys, "export-code", "lr_sweep", "--variant", "7")
    assert code == 2 and "give 1 to 6" in err and "Traceback" not in err
    code, _, err = run_main(capsys, "export-code", "computation_graph")
    assert code == 2 and "graph lesson" in err


async def test_code_panel_walks_one_step_phase_by_phase():
    app = NNTuiApp(load("autograd_basics"), device="cpu", autoplay=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_idle(app, pilot)
        panel = app.query_one(CodePanel)
        panel.focus()
        seen = []
        for _ in range(4):  # zero_grad, forward, loss, backward: highlighted, no step taken yet
            await pilot.press("n")
            seen.append(PHASES[panel.phase])
            assert app.runner.view().step == 0
        assert seen == ["zero_grad", "forward", "loss", "backward"] and "backward" in panel.border_title
        await pilot.press("n")  # optimizer.step(): now the engine takes the step
        await wait_idle(app, pilot)
        assert PHASES[panel.phase] == "step" and app.runner.view().step == 1
        await pilot.press("right_square_bracket")  # the other run's code has no zero_grad() call
        code = "\n".join(line.text for line in panel._code)
        assert "forgotten on purpose" in code and panel.run_index == 1


async def test_between_walks_the_code_panel_shows_the_training_loop():
    # autograd_basics: the panel titled "zero_grad() every step" showed its setup lines, the loop below the fold
    # (at 80x24 too, where the lines above it wrap: four wrapped rows of next_batch() had kept it below the fold)
    from rich.text import Text

    for size in ((120, 40), (80, 24)):
        app = NNTuiApp(load("autograd_basics"), device="cpu", run_steps=2)
        async with app.run_test(size=size) as pilot:
            await wait_idle(app, pilot)
            await pilot.pause(0.2)
            panel = app.query_one(CodePanel)
            code = panel.query_one("#code")
            rows = [line.plain for line in Text(str(code.render())).wrap(app.console, code.size.width)]
            first = int(panel.scroll_y)
            visible = rows[first:first + panel.scrollable_content_region.height]
            assert first > 0 and any("zero_grad()" in row for row in visible), (size, visible)


def test_code_panel_snapshot(snap_compare):
    app = NNTuiApp(load("autograd_basics"), device="cpu", run_steps=1)

    async def run_before(pilot):
        await wait_idle(pilot.app, pilot)
        pilot.app.query_one(CodePanel).focus()
        await pilot.press("n", "n", "n", "n")  # at loss.backward()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 40), run_before=run_before)
