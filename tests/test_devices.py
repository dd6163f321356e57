"""Device faults: a GPU asked for by name and missing is a one-line error saying how to get it; only
`auto` falls back to what there is. The CUDA and MPS paths run where the hardware exists."""

from __future__ import annotations

import json

import pytest
import torch

from nntui.engine.device import available

from .conftest import MINIMAL
from .test_cli import cli

MISSING = [d for d in ("cuda", "mps") if not available(d)]
PRESENT = [d for d in ("cuda", "mps") if available(d)]


@pytest.mark.parametrize("device", MISSING or [pytest.param("cuda", marks=pytest.mark.skip("every GPU is here"))])
@pytest.mark.parametrize("mode", ["app", "headless"])
def test_a_missing_device_on_the_command_line_is_one_line(device, mode):
    code, _, err = cli("run", "lr_sweep", "--device", device, *(["--headless"] if mode == "headless" else []))
    assert code == 2 and err.strip().count("\n") == 0 and "Traceback" not in err
    assert f"--device: {device} was asked for but is not available" in err and "use --device cpu or auto" in err


@pytest.mark.parametrize("device", MISSING or [pytest.param("cuda", marks=pytest.mark.skip("every GPU is here"))])
@pytest.mark.parametrize("where", ["scenario", "variant"])
def test_a_scenario_that_names_a_missing_device_does_not_fall_back(device, where, write_scenario, tmp_path):
    text = (MINIMAL.replace('title = "t"', f'title = "t"\ndevice = "{device}"') if where == "scenario" else
            MINIMAL + f'[[variant]]\nlabel = "gpu"\ntrain = {{ device = "{device}" }}\n')
    path = write_scenario(text)
    field = "scenario.device" if where == "scenario" else "gpu: train.device"
    for mode in (["--headless"], []):  # the app checks before it opens
        code, _, err = cli("run", str(path), *mode)
        assert code == 2 and err.strip().count("\n") == 0, err
        assert str(path) in err and field in err and f"{device} was asked for" in err
    out = tmp_path / "cpu.json"  # --device overrides the file
    code, _, err = cli("run", str(path), "--headless", "--device", "cpu", "--out", str(out))
    assert code == 0, err
    assert json.loads(out.read_text())["device"] == "cpu"


def test_auto_falls_back_to_what_there_is(write_scenario, tmp_path):
    out = tmp_path / "auto.json"
    code, _, err = cli("run", str(write_scenario(MINIMAL.replace('title = "t"', 'title = "t"\ndevice = "auto"'))),
                       "--headless", "--out", str(out))
    assert code == 0, err
    expected = "cuda" if torch.cuda.is_available() else "mps" if available("mps") else "cpu"
    assert json.loads(out.read_text())["device"] == expected


@pytest.mark.parametrize("device", PRESENT or [pytest.param("cuda", marks=pytest.mark.skip("no CUDA or MPS here"))])
def test_training_on_the_gpu_matches_the_cpu(device, tmp_path):
    records = {}
    for dev in ("cpu", device):
        out = tmp_path / f"{dev}.json"
        code, _, err = cli("run", "lr_sweep", "--headless", "--steps", "50", "--device", dev, "--out", str(out))
        assert code == 0, err
        records[dev] = json.loads(out.read_text())
    assert records[device]["device"] == device
    for cpu_run, gpu_run in zip(records["cpu"]["runs"], records[device]["runs"]):
        assert gpu_run["status"] == cpu_run["status"]
        assert gpu_run["final_loss"] == pytest.approx(cpu_run["final_loss"], rel=1e-3)
