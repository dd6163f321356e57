"""The command line: headless runs, the JSON record, list/check/schema, one-line errors."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nntui.cli import main
from nntui.headless import run_headless
from nntui.scenario import load

from .conftest import MINIMAL


def cli(*args: str) -> tuple[int, str, str]:
    proc = subprocess.run([sys.executable, "-m", "nntui", *args], capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)
    return proc.returncode, proc.stdout, proc.stderr


def test_headless_run_writes_json_record(tmp_path):
    out = tmp_path / "run.json"
    code, stdout, stderr = cli("run", "lr_sweep", "--headless", "--out", str(out), "--device", "cpu")
    assert code == 0, stderr
    assert "Traceback" not in stderr and "diverged @229" in stdout and "Loss" in stdout
    rec = json.loads(out.read_text())
    assert rec["scenario"] == "lr_sweep" and rec["device"] == "cpu" and rec["seed"] == 0 and rec["complete"]
    assert rec["title"].startswith("Learning rate")
    runs = {r["label"]: r for r in rec["runs"]}
    assert len(runs) == 6
    bad, good = runs["lr=0.03"], runs["lr=0.028"]
    assert bad["diverged_at"] == 229 and bad["status"] == "diverged"
    assert good["diverged_at"] is None and good["steps"] == list(range(300)) and len(good["loss"]) == 300
    assert good["settings"]["lr"] == 0.028 and good["settings"]["batch_size"] == "full"
    assert good["settings"]["optimizer"] == "sgd"
    # full batch: the loss of each step's batch is the training split's; final_loss is that of the final θ
    assert good["train_steps"] == list(range(301)) and good["train_loss"][:300] == good["loss"]
    assert good["final_loss"] == good["train_loss"][-1] < good["loss"][-1]
    assert rec["nntui_record"] == 4
    assert set(good["parameters"]) == {"weight", "bias"} and good["parameters"]["weight"][0][0] == pytest.approx(3, abs=0.1)


def test_headless_is_deterministic(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    for path in (a, b):
        assert cli("run", "lr_sweep", "--headless", "--steps", "60", "--out", str(path))[0] == 0
    assert a.read_bytes() == b.read_bytes()
    rec = json.loads(a.read_text())
    assert all(r["steps_done"] == 60 for r in rec["runs"])


def test_seed_override_changes_data(tmp_path):
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    assert cli("run", "lr_sweep", "--headless", "--steps", "5", "--out", str(a))[0] == 0
    assert cli("run", "lr_sweep", "--headless", "--steps", "5", "--seed", "7", "--out", str(b))[0] == 0
    ra, rb = json.loads(a.read_text()), json.loads(b.read_text())
    assert rb["seed"] == 7 and ra["runs"][0]["loss"][0] != rb["runs"][0]["loss"][0]


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(args))
    captured = capsys.readouterr()
    return info.value.code, captured.out, captured.err


def test_list_names_builtin_scenarios(capsys):
    code, out, _ = run_main(capsys, "list")
    assert code == 0 and "lr_sweep" in out and "Gradient descent" in out


def test_schema_is_json(capsys):
    code, out, _ = run_main(capsys, "schema")
    assert code == 0 and json.loads(out)["title"] == "nntui scenario file"


def test_check_valid_and_invalid(capsys, write_scenario):
    good = write_scenario(MINIMAL, "good.toml")
    bad = write_scenario(MINIMAL.replace("lr = 0.1", "lr = 'fast'"), "bad.toml")
    assert run_main(capsys, "check", str(good))[0] == 0
    code, out, err = run_main(capsys, "check", str(good), str(bad))
    assert code == 2 and "ok: " in out
    assert err.strip().count("\n") == 0 and "bad.toml:12: train.lr" in err


@pytest.mark.parametrize("args, expect", [
    (("run", "lr_sweep", "--device", "gpu"), "'gpu' is not one of"),
    (("run", "lr_sweep", "--steps", "0"), "--steps"),
    (("run", "lr_sweep", "--headless", "--seed", str(2**64)), "--seed"),  # was: internal error, from torch
    (("export-code", "lr_sweep", "--seed", str(2**32)), "less than or equal to 4294967295"),  # was: a failing script
    (("run", "lr_sweep", "--out", "x.json"), "needs --headless"),
    (("run", "lr_sweep", "--headless", "--out", "/nonexistent/x.json"), "folder '/nonexistent' does not exist"),
    (("run", "lr_sweep", "--headless", "--csv", "README.md/x.csv"), "'README.md' is not a folder"),
    (("run", "lr_sweep", "--csv", "x.csv"), "needs --headless"),
    (("run", "lr_sweeep"), "did you mean 'lr_sweep'?"),
    (("run", "lr_sweep", "--speed", "²"), "'²' is not a speed"),  # was: internal error ('²'.isdigit() is true)
    (("run",), "Missing argument"),
    (("frobnicate",), "No such command"),
])
def test_bad_arguments_are_one_line(capsys, args, expect):
    code, _, err = run_main(capsys, *args)
    assert code == 2 and expect in err and err.strip().count("\n") == 0 and "Traceback" not in err


def test_a_file_that_cannot_be_written_after_training_costs_neither_the_other_nor_the_summary(tmp_path, monkeypatch):
    # the CLI checks --out and --csv before training; a write can still fail (a disk that fills at the end).
    # Was: exit 2 at the record, before the CSV (on a disk with room) and before the summary (issue 30)
    import errno

    import nntui.headless as headless

    write = headless.write_atomically

    def full_disk(path, text):  # the record fills the disk; the smaller CSV still fits
        if path.suffix == ".json":
            raise OSError(errno.ENOSPC, "No space left on device")
        write(path, text)

    monkeypatch.setattr(headless, "write_atomically", full_disk)
    out, err = io.StringIO(), io.StringIO()
    code = run_headless(load("lr_sweep").with_steps(2), device="cpu", out=tmp_path / "r.json",
                        csv=tmp_path / "l.csv", stdout=out, stderr=err)
    assert code == 2 and not (tmp_path / "r.json").exists() and (tmp_path / "l.csv").read_text().count("\n") > 6
    assert f"nntui: --out: could not write '{tmp_path / 'r.json'}': No space left on device" in err.getvalue()
    assert f"wrote {tmp_path / 'l.csv'}" in err.getvalue() and "Final state" in out.getvalue()


def test_a_stopping_signal_while_pytorch_loads_still_leaves_a_record(tmp_path, monkeypatch):
    # was: exit 130, no message, no record (the interrupt came before the engine existed)
    import nntui.engine as engine

    def interrupted(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGTERM)
        raise AssertionError("the signal ends training first")

    monkeypatch.setattr(engine, "Engine", interrupted)
    err, out = io.StringIO(), io.StringIO()
    code = run_headless(load("lr_sweep"), device="cpu", out=tmp_path / "r.json", stdout=out, stderr=err)
    record = json.loads((tmp_path / "r.json").read_text())
    assert code == 128 + signal.SIGTERM and record["complete"] is False
    assert record["runs"][0]["steps_done"] == 0 and "trained 0 steps on cpu (interrupted)" in err.getvalue()
    assert "no step was trained" in out.getvalue()  # (not "every run diverged at once")


def test_a_hung_up_session_keeps_the_headless_record(tmp_path):
    # a dropped SSH session sends SIGHUP: was exit 129 with no JSON (issue 30)
    out = tmp_path / "r.json"
    proc = subprocess.Popen([sys.executable, "-m", "nntui", "run", "lr_sweep", "--headless", "--steps", "10000000",
                             "--out", str(out), "--device", "cpu"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(8)  # torch imports in 2–3 s here; hang up once training is surely under way
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGHUP and "Traceback" not in err, err
    record = json.loads(out.read_text())
    assert record["complete"] is False and record["runs"][0]["steps_done"] > 0


def test_a_progress_reader_that_goes_away_never_costs_the_run(tmp_path):
    # `nntui run … --headless 2>&1 | head -1`: was exit 1 although the record was complete (issue 30)
    read, write = os.pipe()
    os.close(read)
    with os.fdopen(write, "w") as gone:
        code = run_headless(load("lr_sweep").with_steps(5), device="cpu", out=tmp_path / "a.json",
                            stdout=io.StringIO(), stderr=gone)
    assert code == 0 and json.loads((tmp_path / "a.json").read_text())["complete"]


def test_a_reader_that_goes_away_or_cannot_encode_the_chart_never_costs_the_record(tmp_path):
    sc = load("lr_sweep").with_steps(5)
    read, write = os.pipe()
    os.close(read)  # `| head -1` that has already gone: every write to stdout is a broken pipe
    with os.fdopen(write, "w") as gone:
        code = run_headless(sc, device="cpu", out=tmp_path / "a.json", stdout=gone, stderr=io.StringIO())
    assert code == 0 and json.loads((tmp_path / "a.json").read_text())["complete"]  # was: exit 1, no JSON
    latin1 = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")  # PYTHONIOENCODING=latin-1, a C locale
    code = run_headless(sc, device="cpu", out=tmp_path / "b.json", stdout=latin1, stderr=io.StringIO())
    latin1.flush()
    printed = latin1.buffer.getvalue().decode("latin-1")
    assert code == 0 and (tmp_path / "b.json").exists()  # was: internal error (UnicodeEncodeError), no JSON
    assert "lr=0.03" in printed and "+-----" in printed and "Loss" in printed  # the chart, its box in ASCII


def test_runs_that_all_diverge_at_once_get_a_line_instead_of_a_chart(write_scenario, tmp_path):
    # a weight of 2.6e20 in the data (a hypothesis-mutated lr_schedules): every loss is inf from step 0, and
    # plotext, given no point on a log axis, raised TypeError ('internal error', no summary)
    text = Path("scenarios/lr_schedules.toml").read_text().replace("1.2, -0.7, 0.4,", "1.2, -0.7, 2.6e20,")
    out = io.StringIO()
    code = run_headless(load(str(write_scenario(text))).with_steps(3), device="cpu", out=tmp_path / "a.json",
                        stdout=out, stderr=io.StringIO())
    assert code == 0 and "Loss: no finite loss to chart" in out.getvalue() and (tmp_path / "a.json").exists()


def test_sigterm_mid_run_writes_what_was_trained(tmp_path):
    sc = load("lr_sweep").with_steps(10_000_000)
    timer = threading.Timer(1.5, os.kill, (os.getpid(), signal.SIGTERM))  # as `kill` or a scheduler would
    timer.start()
    try:
        code = run_headless(sc, device="cpu", out=tmp_path / "r.json", stdout=io.StringIO(), stderr=io.StringIO())
    finally:
        timer.cancel()
    record = json.loads((tmp_path / "r.json").read_text())
    assert code == 128 + signal.SIGTERM and record["complete"] is False  # was: killed, nothing written
    assert 0 < record["runs"][0]["steps_done"] < 10_000_000


def test_a_dumb_terminal_is_told_what_to_do(capsys, monkeypatch):
    monkeypatch.setenv("TERM", "dumb")  # was: alternate screen, truecolor and mouse escapes it cannot show
    monkeypatch.delenv("TEXTUAL_DRIVER", raising=False)
    code, _, err = run_main(capsys, "run", "lr_sweep")
    assert code == 2 and "TERM=dumb cannot show the app" in err and "--headless" in err and err.count("\n") == 1


def test_the_app_without_a_terminal_says_to_use_headless():
    # `nntui run lr_sweep < /dev/null > out.txt` (cron, nohup): was a busy loop at ~90 % CPU, forever (issue 30)
    code, out, err = cli("run", "lr_sweep")  # (stdin is /dev/null, stdout a pipe)
    assert code == 2 and out == "" and err.strip().count("\n") == 0 and "--headless" in err, err


def test_missing_device_is_one_line():
    import torch

    if torch.cuda.is_available():
        pytest.skip("a CUDA device is present")
    code, _, err = cli("run", "lr_sweep", "--device", "cuda")
    assert code == 2 and err.strip().count("\n") == 0 and "cuda was asked for but is not available" in err


def test_ctrl_c_in_headless_keeps_the_record(tmp_path):
    import signal
    import time

    out = tmp_path / "partial.json"
    proc = subprocess.Popen([sys.executable, "-m", "nntui", "run", "lr_sweep", "--headless", "--steps", "10000000",
                             "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(10)  # torch imports in 2–3 s here; interrupt once training is surely under way
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "incomplete" in err
    rec = json.loads(out.read_text())
    assert rec["complete"] is False and rec["runs"][0]["steps_done"] > 0


def test_headless_csv_has_every_step_and_the_divergence(tmp_path):
    path = tmp_path / "losses.csv"
    code, _, stderr = cli("run", "lr_sweep", "--headless", "--csv", str(path), "--device", "cpu")
    assert code == 0 and f"wrote {path}" in stderr
    import csv

    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    by_run: dict[str, list[dict]] = {}
    for row in rows:
        by_run.setdefault(row["variant"], []).append(row)
    assert list(by_run) == ["lr=0.0005", "lr=0.001", "lr=0.005", "lr=0.025", "lr=0.028", "lr=0.03"]
    splits = {split: [r for r in by_run["lr=0.0005"] if r["split"] == split] for split in ("batch", "train")}
    assert len(splits["batch"]) == 300 and len(splits["train"]) == 301  # and the final θ's
    assert {r["split"] for r in rows} == {"batch", "train"}  # lr_sweep holds no data out
    diverged = [r for r in by_run["lr=0.03"] if r["split"] == "train"]
    assert int(diverged[-1]["step"]) == 229 and float(diverged[-1]["loss"]) > 1e5


def test_serve_runs_nntui_per_browser_and_binds_localhost(capsys, monkeypatch):
    import textual_serve.server

    made = {}

    class FakeServer:
        def __init__(self, command, host, port, title, public_url):
            made.update(command=command, host=host, port=port)

        def serve(self):
            made["served"] = True

    monkeypatch.setattr(textual_serve.server, "Server", FakeServer)
    code, _, err = run_main(capsys, "serve", "dead_relu", "--port", "8123")
    assert code == 0 and made["served"] and (made["host"], made["port"]) == ("127.0.0.1", 8123)
    assert made["command"].endswith("-m nntui run dead_relu") and "localhost:8123" in err
    code, _, err = run_main(capsys, "serve", "--host", "0.0.0.0")
    assert code == 0 and made["command"].endswith("-m nntui") and "anyone who can reach" in err
    code, _, err = run_main(capsys, "serve", "no_such_lesson")
    assert code == 2 and "no built-in scenario" in err and err.count("\n") == 1


def test_serve_answers_a_browser(tmp_path):
    import socket
    import time
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "nntui", "serve", "lr_sweep", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None, "the server did not answer"
                time.sleep(0.3)
        assert "<html" in page and "textual.js" in page
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_256_color_terminal_gets_256_colors_only():
    """On a pty that says xterm-256color (no COLORTERM), no truecolor escape is ever written."""
    import fcntl
    import os
    import pty
    import select
    import signal
    import struct
    import termios
    import time

    env = dict(os.environ, TERM="xterm-256color")
    env.pop("COLORTERM", None)
    env.pop("NO_COLOR", None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real command, on the pty
        os.execvpe(sys.executable, [sys.executable, "-m", "nntui", "run", "lr_sweep", "--paused"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    out, deadline, drawn = b"", time.monotonic() + 60, None
    try:
        # until the trainer is ready and the panels have drawn its first frame, and two seconds more
        while time.monotonic() < (deadline if drawn is None else min(deadline, drawn + 2.0)):
            if drawn is None and b"0/300" in out:  # the header once the trainer is ready
                drawn = time.monotonic()
            if select.select([fd], [], [], 0.2)[0]:
                try:
                    out += os.read(fd, 65536)
                except OSError:
                    break
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    # every panel in 256 colours (the count varies with how much of the first frame has been sent)
    assert drawn is not None and out.count(b"38;5;") >= 300
    assert b"38;2;" not in out and b"48;2;" not in out


@pytest.mark.parametrize("name", ["binary_classification", "multiclass", "overfitting", "early_stopping",
                                  "regularization", "batch_size", "linear_regression"])
def test_the_summary_keeps_every_number_whole_in_an_80_column_pipe(name):
    # was: "0.12…", "97.…" (issue 30): settings every run shares move to the title, no cell is cut
    from rich.console import Console

    from nntui.headless import summary_table, train

    _, history, _ = train(load(name).with_steps(3), "cpu")
    history.runs[0].train_loss.extend(np.array([4]), np.array([1.23456e-05]))  # the longest a number gets
    out = io.StringIO()
    Console(file=out, width=80).print(summary_table(history))
    text = out.getvalue()
    assert "…" not in text and max(map(len, text.splitlines())) <= 80, text
    assert text.splitlines()[0].startswith("Final state") and "optimizer" in text.splitlines()[0]  # one line
    for h in history.runs:
        assert f"{h.current_loss:.4g}" in text and h.label in text


def test_the_headless_log_chart_is_ticked_at_round_decades():
    # was: "34.6049995422361007513245567679405212402", "0.0000000000000352041527377920645408563" (issue 30)
    import re

    from nntui.headless import loss_chart, train

    _, history, _ = train(load("optimizers"), "cpu")
    chart = loss_chart(history, log_y=True, color=False, width=80, height=22)
    labels = re.findall(r"^\s*(\S+)┤", chart, flags=re.MULTILINE)
    assert len(labels) >= 3 and all(re.fullmatch(r"1(0*|e-?\d+)|0\.0*1", label) for label in labels), labels
    assert re.search(r"^\s+0\s+50\s+100\s+150\s*$", chart, flags=re.MULTILINE), chart  # whole steps


def test_check_shows_a_file_name_with_an_escape_sequence_escaped(capsys, tmp_path):
    from .conftest import MINIMAL

    path = tmp_path / "a\x1b[2Jb.toml"  # was printed raw on the "ok:" line: the terminal cleared
    path.write_text(MINIMAL, encoding="utf-8")
    code, out, _ = run_main(capsys, "check", str(path))
    assert code == 0 and "\x1b" not in out and "a\\x1b[2Jb.toml" in out
    err = io.StringIO()  # nor in a headless run's lines, nor in an exported script (the second attack, issue 30)
    run_headless(load(str(path)), device="cpu", out=tmp_path / "o\x1b[1m.json", stdout=io.StringIO(), stderr=err)
    assert "\x1b" not in err.getvalue() and "trained 5 steps" in err.getvalue()
    code, out, _ = run_main(capsys, "export-code", str(path))
    assert code == 0 and "\x1b" not in out


def test_an_ascii_stream_is_made_utf8_where_the_locale_takes_it_or_said_plainly(monkeypatch):
    # PYTHONIOENCODING=ascii drew every box character as '\u2502' (issue 30); Textual draws on stderr
    from nntui import cli as cli_module
    from nntui.errors import NntuiError

    ascii_stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    monkeypatch.setattr(sys, "__stderr__", ascii_stream)
    monkeypatch.setenv("LC_ALL", "en_GB.UTF-8")
    cli_module._unicode_output()
    assert ascii_stream.encoding == "utf-8"
    monkeypatch.setattr(sys, "__stderr__", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    monkeypatch.setenv("LC_ALL", "POSIX")
    with pytest.raises(NntuiError, match="terminal's encoding is ascii; use a UTF-8 locale"):
        cli_module._unicode_output()


def test_check_run_goes_on_past_a_file_whose_training_fails(capsys, monkeypatch):
    # weight_decay = 1e39 crashed training and ended `check --run a b c` at a: b and c went unchecked (issue 30)
    import nntui.headless as headless

    judge = headless.judge

    def first_fails(scenario, device):
        if scenario.name == "lr_sweep":
            raise RuntimeError("value cannot be converted to type float without overflow")
        return judge(scenario.with_steps(3), device)

    monkeypatch.setattr(headless, "judge", first_fails)
    code, out, err = run_main(capsys, "check", "--run", "lr_sweep", "gd_contours")
    assert code == 1 and "lr_sweep: internal error while training: RuntimeError" in err and err.count("\n") == 1
    assert "ok: gd_contours" in out and "step" in out.split("ok: gd_contours")[1]  # its claims were judged


def test_a_terminal_too_narrow_for_the_summary_gets_it_whole_and_an_ascii_one_without_a_crash(monkeypatch):
    # 40 columns cut "2.805e-09" to "2.805e"; PYTHONIOENCODING=ascii raised on the title's "·" (issue 30)
    monkeypatch.setenv("COLUMNS", "40")
    out = io.StringIO()
    assert run_headless(load("optimizers"), device="cpu", out=None, stdout=out,
                        stderr=io.StringIO()) == 0
    table = out.getvalue().split("Loss")[0]
    assert "e-" in table and not any(line.rstrip().endswith("e") for line in table.splitlines()), table
    ascii_out = io.TextIOWrapper(io.BytesIO(), encoding="ascii")
    assert run_headless(load("lr_sweep").with_steps(3), device="cpu", out=None, stdout=ascii_out,
                        stderr=io.StringIO()) == 0
    ascii_out.flush()
    assert "Final state - batch full" in ascii_out.buffer.getvalue().decode("ascii")


def test_the_headless_linear_chart_is_ticked_at_round_steps():
    # was: "1.44 1.20 0.96 0.72 0.49 0.25 0.01", unevenly spaced (the second attack, issue 30)
    import re

    from nntui.headless import loss_chart, train

    _, history, _ = train(load("linear_regression").with_steps(60), "cpu")
    chart = loss_chart(history, log_y=False, color=False, width=80, height=22)
    values = [float(v) for v in re.findall(r"^\s*(\S+)┤", chart, flags=re.MULTILINE)]
    steps = np.diff(sorted(values))
    assert len(values) >= 3 and np.allclose(steps, steps[0]) and min(values) == 0, chart
    assert all(float(f"{v:.2g}") == v for v in values), values  # round: at most two significant digits
