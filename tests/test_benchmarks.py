"""The benchmark suite's device comparison runs wherever the tests run: cpu always, a GPU when there is one."""

from __future__ import annotations

import torch

from benchmarks.__main__ import device_rates


def test_device_rates_cover_cpu_and_every_gpu_torch_finds():
    rates = device_rates(steps=2)
    assert rates["cpu"] > 0
    assert ("cuda" in rates) == torch.cuda.is_available()
    assert all(rate > 0 for rate in rates.values())
