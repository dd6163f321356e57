"""What nntui.watch costs a plain PyTorch loop: a 1-M-parameter MLP on CPU, steps/s with and without it.

    python -m benchmarks.watch_overhead

Three loops live side by side (plain, watched every 10 steps, watched every step), each with its own model, and
take turns of TURN_SECONDS for `seconds` each: a machine whose speed drifts (other tenants, clocks) slows each
alike, which separate runs of a few seconds did not (the same code measured 2 % and 21 %). Each watched run is one
run, opened before and closed after its turns, as a script's would be. Target (issue 31): every=10 costs at most
5 % of the plain loop's steps/s.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

import nntui

TARGET = 0.05  # the largest share of steps/s every=10 may cost
TURN_SECONDS = 0.25
PARAMETERS = 784 * 1024 + 1024 + 1024 * 256 + 256 + 256 * 10 + 10


def _loop(every: int | None, log_dir: Path) -> tuple[Callable[[float], int], Callable[[], None]]:
    """(train for some seconds → steps taken, close) of a plain mini-batch loop, watched every `every` steps
    (None: not watched)."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 256), nn.ReLU(), nn.Linear(256, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x, y = torch.randn(4096, 784), torch.randint(0, 10, (4096,))
    run = nntui.watch(model, optimizer, log_dir=log_dir / str(every), every=every) if every else None

    def train(seconds: float) -> int:
        steps, started = 0, time.perf_counter()
        while time.perf_counter() - started < seconds:
            batch = torch.randint(0, 4096, (64,))
            optimizer.zero_grad()
            loss = nn.functional.cross_entropy(model(x[batch]), y[batch])
            loss.backward()
            optimizer.step()
            if run is not None:
                run.step(loss)
            steps += 1
        return steps

    return train, (run.close if run is not None else lambda: None)


def watch_overhead(seconds: float = 12.0) -> dict[str | int, float]:
    """Steps/s of each loop over its turns: "plain", and watched with every=10 and every=1."""
    kinds: tuple[str | int, ...] = ("plain", 10, 1)
    with tempfile.TemporaryDirectory() as folder:
        loops = {kind: _loop(None if kind == "plain" else int(kind), Path(folder)) for kind in kinds}
        for train, _ in loops.values():
            train(0.3)  # (warm: the first steps pay for torch's lazy set-up)
        steps = dict.fromkeys(kinds, 0)
        spent = dict.fromkeys(kinds, 0.0)
        for _ in range(round(seconds / TURN_SECONDS)):
            for kind, (train, _close) in loops.items():
                started = time.perf_counter()
                steps[kind] += train(TURN_SECONDS)
                spent[kind] += time.perf_counter() - started
        for kind, (_train, close) in loops.items():  # (closing writes the last line and probe: part of the cost)
            started = time.perf_counter()
            close()
            spent[kind] += time.perf_counter() - started
    return {kind: steps[kind] / spent[kind] for kind in kinds}


def main() -> None:
    rates = watch_overhead()
    print(f"nntui.watch on a {PARAMETERS:,}-parameter MLP (CPU, batch 64): plain {rates['plain']:,.0f} steps/s")
    for every in (10, 1):
        cost = 1 - rates[every] / rates["plain"]
        verdict = ("ok" if cost <= TARGET else "MISSED") if every == 10 else "(reported)"
        print(f"  every={every:<3} {rates[every]:,.0f} steps/s: overhead {cost:+.1%}  {verdict}")
    sys.exit(0)


if __name__ == "__main__":
    main()
