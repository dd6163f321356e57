"""nntui.watch (a learner's own loop → a log) and nntui view (a log → the panels, the record)."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import nntui
from nntui.cli import main
from nntui.engine import watch as watching
from nntui.errors import NntuiError
from nntui.logview import LogRunner, find_logs
from nntui.runlog import LOG_NAME, LOG_VERSION, RAW_STEPS, LogReader

ROOT = Path(__file__).resolve().parents[1]


def _loop(log_dir: Path, steps: int, every: int = 10, **step_values) -> tuple[float, watching.Watch]:
    """A plain mini-batch loop on a small MLP; returns the last loss the script saw, and the watch."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.5)
    x, y = torch.randn(256, 2), torch.randn(256, 1)
    run = nntui.watch(model, optimizer, log_dir=log_dir, every=every)
    loss = torch.tensor(0.0)
    for step in range(steps):
        batch = torch.randint(0, 256, (32,))
        optimizer.zero_grad()
        loss = nn.functional.mse_loss(model(x[batch]), y[batch])
        loss.backward()
        optimizer.step()
        run.step(loss, **{k: v for k, v in step_values.items() if step % 5 == 4})
    return loss.item(), run


def _viewed(log_dir: Path):
    runner = LogRunner(find_logs([str(log_dir)]))
    runner.load()
    return runner, runner.view()


def test_a_watched_loop_is_recorded_whole_and_its_last_loss_exactly(tmp_path, capsys):
    last, run = _loop(tmp_path / "run", 37, val_loss=0.5, accuracy=0.25)
    run.close()
    run.close()  # (again: nothing)
    runner, view = _viewed(tmp_path / "run")
    (shown,) = view.runs
    assert view.finished and not view.playing and view.step == 37 and shown.step == 37
    assert list(shown.steps) == list(range(37))  # every step's loss, the 7 after the last line's included
    assert shown.losses[-1] == last and shown.loss != last  # compared on their moving average, drawn over them
    with pytest.raises(SystemExit):
        main(["view", str(tmp_path / "run"), "--headless", "--out", str(tmp_path / "r.json")])
    record = json.loads((tmp_path / "r.json").read_text())
    assert record["runs"][0]["final_loss"] == last  # the record's final loss is the script's last loss, to the bit
    printed = capsys.readouterr().out
    assert "last" in printed and "avg" in printed and f"{last:.4g}" in printed  # (and so is the summary's)
    assert list(shown.val_steps) == [4, 9, 14, 19, 24, 29, 34] and shown.val_loss == 0.5
    assert shown.accuracy == 0.25 and math.isnan(shown.val_accuracy)
    assert shown.param_names == ("0.weight", "0.bias", "2.weight", "2.bias")
    assert np.isfinite(shown.grad_norms).all() and shown.grads.shape[1] == 4
    assert shown.settings["optimizer"] == "SGD" and shown.settings["lr"] == 0.1 and shown.settings["batch_size"] == 32
    assert shown.settings["step_noise"] == "batch"  # its lines saw different inputs: mini-batches
    assert shown.status in ("learning", "noisy", "converged")
    dists = shown.measured["dists"]
    assert dists["weights"].names == ("0.weight", "2.weight") and dists["activations"].names == ("1: ReLU",)
    assert dists["activations"].dead is not None
    with pytest.raises(NntuiError, match="after close"):
        run.step(1.0)


def test_a_new_run_in_the_same_folder_keeps_the_old_log_beside_it(tmp_path):
    _loop(tmp_path, 3)[1].close()
    _loop(tmp_path, 4)[1].close()
    assert sorted(p.name for p in tmp_path.iterdir())[-1] == LOG_NAME and len(list(tmp_path.iterdir())) == 2
    assert _viewed(tmp_path)[1].step == 4


@pytest.mark.parametrize(("call", "message"), [
    (lambda d: nntui.watch(nn.ReLU(), log_dir=d), "no trainable parameters"),
    (lambda d: nntui.watch("model", log_dir=d), "not a torch.nn.Module"),
    (lambda d: nntui.watch(nn.Linear(2, 1), object(), log_dir=d), "not a torch.optim.Optimizer"),
    (lambda d: nntui.watch(nn.Linear(2, 1), log_dir=d, every=0), "every=0"),
    (lambda d: nntui.watch(nn.Linear(2, 1), log_dir=d / LOG_NAME / "x"), "cannot write a log there"),
    (lambda d: nntui.watch(nn.Linear(2, 1), log_dir=d / "r").step(torch.ones(3)), r"shape \(3,\)"),
    (lambda d: nntui.watch(nn.Linear(2, 1), log_dir=d / "s").step("0.5"), "got a str"),
])
def test_bad_input_is_one_line_naming_the_fix(tmp_path, call, message):
    (tmp_path / LOG_NAME).write_text("not a folder")  # (a log_dir under a file cannot be made)
    with pytest.raises(NntuiError, match=message) as caught:
        call(tmp_path)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("nntui")


def test_a_log_is_read_while_it_grows_and_a_torn_last_line_waits(tmp_path):
    _, run = _loop(tmp_path, 20)
    reader = LogReader(tmp_path / LOG_NAME)
    assert [f.step for f in reader.poll()] == [10, 20] and reader.ended is None
    with open(tmp_path / LOG_NAME, "a") as fh:  # a line half written (the script killed mid-write)
        fh.write('{"t":"steps","step":30,"loss_st')
    assert reader.poll() == []
    with open(tmp_path / LOG_NAME, "a") as fh:
        fh.write('eps":[20],"loss":[0.5]}\n')
    assert [f.step for f in reader.poll()] == [30]


def test_a_log_from_a_newer_nntui_or_no_log_at_all_is_one_clear_line(tmp_path):
    (tmp_path / LOG_NAME).write_text(json.dumps({"nntui_log": LOG_VERSION + 1}) + "\n")
    with pytest.raises(NntuiError, match="newer nntui"):
        LogReader(tmp_path / LOG_NAME).poll()
    with pytest.raises(NntuiError, match=r"nntui.watch\(model, optimizer, log_dir="):
        find_logs([str(tmp_path / "nothing")])


SCRIPT = """
import os, signal, sys, torch, nntui
from torch import nn
model = nn.Linear(2, 1)
run = nntui.watch(model, torch.optim.SGD(model.parameters(), lr=0.1), log_dir=sys.argv[1], every=10)
for step in range(25):
    model.zero_grad(); loss = model(torch.ones(4, 2)).pow(2).mean(); loss.backward(); run.step(loss)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
raise ValueError("the script's own bug")
"""


@pytest.mark.parametrize("how", ["kill", "raise"])
def test_a_killed_script_loses_only_its_last_interval_and_a_crash_is_said(tmp_path, how):
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path), how], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode != 0
    runner, view = _viewed(tmp_path)
    reader = runner.readers[0]
    if how == "kill":  # the lines of steps 10 and 20 are whole; the 5 steps after them were never written
        assert view.step == 20 and reader.ended is None and not view.finished
    else:  # the end comes from atexit, after the traceback: all 25 steps, and how it ended
        assert view.step == 25 and reader.ended == "error: ValueError" and view.finished


def test_losses_are_kept_every_step_then_bucketed_so_the_log_grows_with_the_log_of_the_steps():
    buckets = watching._LossBuckets()
    steps = np.arange(20 * RAW_STEPS)
    values = np.cos(steps / 50.0) + 2
    values[30_000] = math.nan
    kept, _ = buckets.add(steps.tolist(), values, final=False)
    tail, last = buckets.add([len(steps)], np.array([0.125]), final=True)
    kept += tail
    assert kept[:RAW_STEPS] == list(range(RAW_STEPS))  # every step's loss at first
    assert len(kept) < 6 * RAW_STEPS  # 81,920 steps in about 22,000 points: RAW_STEPS more at each doubling
    assert 30_000 in kept  # a NaN is never bucketed away: the divergence stays where it happened
    assert kept[-1] == len(steps) and last[-1] == 0.125  # the last step's loss, as it is


def test_the_examples_run_headless_and_view_prints_and_records_them(tmp_path, capsys):
    logs = []
    for name, steps in (("mlp_spirals.py", 120), ("cnn_bars.py", 60)):
        log_dir = tmp_path / name.removesuffix(".py")
        done = subprocess.run([sys.executable, str(ROOT / "examples" / name), "--steps", str(steps),
                               "--log-dir", str(log_dir)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        logs.append(str(log_dir))
    out = tmp_path / "record.json"
    with pytest.raises(SystemExit) as ended:
        main(["view", *logs, "--headless", "--out", str(out)])
    assert ended.value.code == 0
    printed = capsys.readouterr().out
    assert "mlp_spirals" in printed and "cnn_bars" in printed and "Loss" in printed
    record = json.loads(out.read_text())
    assert record["source"] == "nntui.watch" and record["ended"] == ["closed", "closed"] and record["complete"]
    assert [r["steps_done"] for r in record["runs"]] == [120, 60]
    assert all(r["final_loss"] is not None and r["status"] for r in record["runs"])


def test_view_without_a_log_is_one_line_and_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as ended:
        main(["view", str(tmp_path / "runs")])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no nntui log here" in err


async def test_the_view_app_draws_a_watched_run_with_the_lessons_panels(tmp_path):
    from nntui.ui.log_app import LogApp

    _, run = _loop(tmp_path / "mine", 60, val_loss=0.5)
    run.close()
    runner = LogRunner(find_logs([str(tmp_path / "mine")]))
    runner.load()
    app = LogApp(runner, "runs/mine")
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.4)
        header = app.query_one("RunHeader")
        assert "step 60" in header.status_text and "done" in header.status_text and "/" not in header.status_text
        table = app.query_one("#variants")
        assert table.cell(0, "status") == runner.view().runs[0].status
        assert {p.id for p in app.query("#plots > *")} >= {"loss", "val_loss", "gradient_flow", "histograms",
                                                            "weight_norms"}


TRAIN = """
import sys, time, torch, nntui
from torch import nn
print("starting", flush=True)
model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
run = nntui.watch(model, optimizer, log_dir=sys.argv[1], every=5)
for step in range(100000):
    optimizer.zero_grad(); loss = model(torch.randn(8, 2)).pow(2).mean(); loss.backward(); optimizer.step()
    run.step(loss)
    time.sleep(0.002)
"""


async def test_nntui_watch_runs_the_script_draws_its_run_as_it_comes_and_q_stops_it(tmp_path):
    from nntui.script import ScriptProcess
    from nntui.ui.log_app import LogApp, ScriptConsole

    (tmp_path / "train.py").write_text(TRAIN)
    script = ScriptProcess(str(tmp_path / "train.py"), [str(tmp_path / "run")])
    script.start()
    app = LogApp(LogRunner([], waiting=True), "train.py", script=script)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(200):  # the script imports torch, then calls nntui.watch: its run joins the screen
                await pilot.pause(0.1)
                if app.runner.view().runs and app.query("#loss"):
                    break
            assert app.query_one("#loss") and app.runner.view().step > 0
            await pilot.pause(0.3)
            assert "starting" in "\n".join(str(line) for line in app.query_one(ScriptConsole).lines)
            await pilot.press("q")  # stops the script as Ctrl+C would, then quits
            await pilot.pause(0.5)
    finally:
        script.stop()
    assert script.stopped_by_us and script.returncode is not None
    reader = LogReader(tmp_path / "run" / LOG_NAME)
    reader.poll()
    assert reader.ended == "interrupted"


DEVICES = ["cpu"] + [d for d, ok in (("cuda", torch.cuda.is_available()),
                                     ("mps", torch.backends.mps.is_available())) if ok]


@pytest.mark.parametrize("device", DEVICES)
def test_a_conv_model_is_watched_on_every_device_there_is(tmp_path, device):
    """conv layers, a model that is not a Sequential, and the device's own tensors (no sync a step)."""

    class Net(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv2d(1, 4, 3, padding=1)
            self.act = nn.ReLU()
            self.head = nn.Linear(4 * 8 * 8, 2)

        def forward(self, x):
            return self.head(self.act(self.conv(x)).flatten(1))

    torch.manual_seed(0)
    model = Net().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    x, y = torch.randn(64, 1, 8, 8, device=device), torch.randint(0, 2, (64,), device=device)
    with nntui.watch(model, optimizer, log_dir=tmp_path, every=4) as run:
        for _ in range(12):
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y)
            loss.backward()
            optimizer.step()
            run.step(loss)
    _, view = _viewed(tmp_path)
    (shown,) = view.runs
    assert view.device == device and shown.step == 12 and shown.losses[-1] == loss.item()
    assert shown.measured["dists"]["weights"].names == ("conv.weight", "head.weight")
    assert shown.measured["dists"]["activations"].names == ("act: ReLU",)
    assert shown.settings["step_noise"] is None  # the same batch at every line: its swings would be oscillation


def test_nntui_watch_without_the_script_is_one_line(tmp_path, capsys):
    with pytest.raises(SystemExit) as ended:
        main(["watch", str(tmp_path / "train.py"), "--epochs", "3"])
    assert ended.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such script" in err


def test_a_run_that_goes_nan_is_marked_where_it_happened(tmp_path):
    model = nn.Linear(2, 1)
    with nntui.watch(model, log_dir=tmp_path, every=4) as run:
        for step in range(10):
            model.zero_grad()
            loss = model(torch.ones(3, 2)).pow(2).mean() * (math.inf if step == 6 else 1.0)
            loss.backward()
            run.step(loss)
    _, view = _viewed(tmp_path)
    (shown,) = view.runs
    assert shown.diverged_at == 6 and shown.status == "diverged"
    assert not math.isfinite(shown.losses[6]) and np.isfinite(shown.losses[:6]).all()  # (JSON: null)
