"""nntui's performance figures, each measured side by side with its reference in one run.

    python -m benchmarks            # every figure (about 4 minutes on a 2-core laptop)
    python -m benchmarks --quick    # 200,000 steps instead of 1,000,000 for the memory figure (2 minutes)

Each figure is a ratio (or a value) with its target from issue 6. The app is
measured as a user gets it: the real `nntui` command on a pseudo-terminal at
120x40 (TERM=xterm-256color), not a test harness.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from .pty_app import PtyApp
from .render_panels import TARGET_MS, render_times
from .watch_overhead import TARGET as WATCH_TARGET
from .watch_overhead import watch_overhead

ROOT = Path(__file__).resolve().parents[1]
NNTUI = [sys.executable, "-m", "nntui"]


def first_paint() -> tuple[float, float]:
    """Seconds to the first painted frame of `nntui run lr_sweep`, and to `python -c "import torch"`."""
    paints, imports = [], []
    for _ in range(3):
        started = time.monotonic()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        imports.append(time.monotonic() - started)
        with PtyApp([*NNTUI, "run", "lr_sweep", "--paused"]) as app:
            paints.append(app.wait_for(b"Learning rate", timeout=60))
    return statistics.median(paints), statistics.median(imports)


FIRST_STEP = re.compile(rb"step (?:\x1b\[[0-9;]*m)*[1-9]")  # the header's step counter past 0


def lesson_switch(lesson: str = "linear_regression", tries: int = 3) -> float:
    """Seconds from Enter on the home screen to the opened lesson's first step on screen (median of `tries`): the
    home screen starts a trainer process while the user picks, which has PyTorch imported by then."""
    times = []
    for _ in range(tries):
        with PtyApp([*NNTUI]) as app:
            app.wait_for(b"Lessons", timeout=60)
            os.write(app.fd, lesson.replace("_", " ").encode())  # the filter: the lesson alone is highlighted
            time.sleep(6)  # the user reads and picks; the spare trainer imports torch meanwhile
            app.drain()
            app.buffer = b""
            sent = time.monotonic()
            os.write(app.fd, b"\r")
            while not FIRST_STEP.search(app.buffer):
                if time.monotonic() - sent > 60:
                    raise TimeoutError(f"{lesson} never took a step")
                app.buffer += app.drain(0.01)
            times.append(time.monotonic() - sent)
    return statistics.median(times)


def bare_loop_rate(seconds: float = 4.0) -> float:
    """Steps/s of a plain PyTorch loop training lr_sweep's six models one after the other (no nntui)."""
    import torch

    from nntui.scenario import load

    sc = load("lr_sweep")
    ds = sc.variants[0].dataset
    x, y = torch.as_tensor(ds.x_train), torch.as_tensor(ds.y_train)
    runs = []
    for v in sc.variants:
        model = torch.nn.Linear(1, 1)
        torch.nn.init.zeros_(model.weight)
        torch.nn.init.zeros_(model.bias)
        runs.append((model, torch.optim.SGD(model.parameters(), lr=min(v.train.lr, 0.025))))  # none diverges
    loss_fn = torch.nn.MSELoss()
    steps, started = 0, time.perf_counter()
    while time.perf_counter() - started < seconds:
        for model, opt in runs:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            loss.item()
        steps += 1
    return steps / (time.perf_counter() - started)


def tui_rate() -> float:
    """Steps/s the header reports for lr_sweep at full speed in the real app (median of its readings)."""
    with PtyApp([*NNTUI, "run", "lr_sweep", "--steps", "10000000", "--speed", "max", "--device", "cpu"]) as app:
        app.start_playing()
        time.sleep(4)  # warm up: the first frames include the surface
        app.drain()
        readings = []
        for _ in range(6):
            time.sleep(1)
            readings += [int(m.replace(b",", b"")) for m in re.findall(rb"([\d,]+) steps/s", app.drain())]
    return statistics.median(readings) if readings else math.nan


def sweep_ratio(steps: int = 1500) -> float:
    """Wall time of an 8-variant lr sweep ÷ one variant alone (the same steps, headless engine)."""
    from nntui.engine import Engine
    from nntui.scenario import load_text

    def timed(lrs: list[float]) -> float:
        text = (f'[scenario]\ntitle = "sweep"\n[data]\nkind = "linear"\nstop = 10.0\nstep = 0.1\nslope = 3.0\n'
                f'noise = 1.0\n[model]\nkind = "linear"\n[train]\nlr = 0.001\nsteps = {steps}\n'
                f"[sweep]\nlr = {lrs}\n")
        engine = Engine(load_text(text, source="sweep.toml", base_dir=ROOT), "cpu")
        started = time.perf_counter()
        while not engine.finished:
            engine.advance(50)
            engine.frame()
        return time.perf_counter() - started

    timed([0.001])  # warm-up
    one = statistics.median(timed([0.001]) for _ in range(3))
    eight = statistics.median(timed([0.0005 * (k + 1) for k in range(8)]) for _ in range(3))
    return eight / one


def key_latency_p99(presses: int = 200) -> float:
    """ms from a key press to the screen showing its effect, while lr_sweep trains flat out.

    The keys alternate − and +: the header's speed readout goes from "max" to "1000" and back (1000 steps/s is
    above what this machine reaches, so training never slows down). Textual redraws only what changed, so
    the needle is the new speed's text."""
    with PtyApp([*NNTUI, "run", "lr_sweep", "--steps", "10000000", "--speed", "max", "--device", "cpu"]) as app:
        app.start_playing()
        time.sleep(2)
        app.drain()
        delays = []
        for i in range(presses):
            key, want = (b"-", b"speed 1000") if i % 2 == 0 else (b"+", b"speed max")
            delays.append(app.press(key, want) * 1000)
            time.sleep(0.05)
    delays.sort()
    print(f"    key → screen (ms): median {statistics.median(delays):.0f}, p90 {delays[int(0.9 * len(delays))]:.0f}, "
          f"max {delays[-1]:.0f} over {presses} presses", file=sys.stderr)
    return delays[min(len(delays) - 1, math.ceil(0.99 * len(delays)) - 1)]


def rss_growth(steps: int) -> float:
    """MB of resident memory gained between 10,000 and `steps` steps (engine + bounded history)."""
    out = subprocess.run([sys.executable, "-m", "benchmarks.memory", str(steps)], check=True, capture_output=True,
                         text=True, cwd=ROOT).stdout
    return float(out.split()[-1])


def terminal_bytes_per_second() -> float:
    """Bytes/s written to a 120x40 256-color terminal while lr_sweep trains live (300 steps at its 60 steps/s)."""
    with PtyApp([*NNTUI, "run", "lr_sweep", "--device", "cpu"]) as app:
        app.start_playing()
        started, total, seen = time.monotonic(), 0, b""
        while b"done" not in seen and time.monotonic() - started < 30:
            chunk = app.drain(0.2)
            total += len(chunk)
            seen = seen[-64:] + chunk
        return total / (time.monotonic() - started)


def device_rates(steps: int = 60) -> dict[str, float]:
    """Steps/s of the devices lesson (a 2→512→512→512→8 MLP on batches of 1,024) on each device there is.

    cpu always; cuda and mps when torch finds them. Both of the lesson's runs train on the given device."""
    import torch

    from nntui.engine import Engine
    from nntui.scenario import load

    devices = ["cpu"] + [d for d, ok in (("cuda", torch.cuda.is_available()),
                                         ("mps", torch.backends.mps.is_available())) if ok]
    rates = {}
    for device in devices:
        engine = Engine(load("devices").with_steps(steps + 5), device)
        engine.advance(5)  # warm-up: kernels, allocator
        if device == "cuda":
            torch.cuda.synchronize()
        started = time.perf_counter()
        engine.advance(steps)
        engine.frame()  # reads every loss back: the queued GPU work is done
        rates[device] = steps / (time.perf_counter() - started)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200,000 steps for the memory figure")
    args = parser.parse_args()
    steps = 200_000 if args.quick else 1_000_000
    rows: list[tuple[str, str, str, bool]] = []

    def row(name: str, value: float, target: float, fmt: str, lower_is_better: bool = True) -> None:
        ok = value <= target if lower_is_better else value >= target
        rows.append((name, fmt.format(value), ("≤ " if lower_is_better else "≥ ") + fmt.format(target), ok))
        print(f"  {name}: {fmt.format(value)}", file=sys.stderr, flush=True)

    paint, torch_import = first_paint()
    row(f"first paint ÷ import torch ({paint:.2f} s ÷ {torch_import:.2f} s)", paint / torch_import, 0.5, "{:.2f}")
    row("lesson switch: Enter on the home screen → first step on screen (s)", lesson_switch(), 0.3, "{:.2f}")
    bare = bare_loop_rate()
    tui = tui_rate()
    row(f"TUI steps/s ÷ bare loop ({tui:,.0f} ÷ {bare:,.0f})", tui / bare, 0.9, "{:.2f}", lower_is_better=False)
    row("8-variant sweep ÷ 1 variant (wall time)", sweep_ratio(), 2.0, "{:.2f}")
    row("p99 key → screen while training flat out (ms)", key_latency_p99(), 50.0, "{:.0f}")
    row(f"RSS after {steps:,} steps − after 10,000 (MB)", rss_growth(steps), 20.0, "{:.1f}")
    row("bytes/s to a 120x40 256-color terminal (KB/s)", terminal_bytes_per_second() / 1024, 30.0, "{:.1f}")
    for name, median, _worst in render_times():
        row(f"render {name} at 100x30 (median ms)", median, TARGET_MS, "{:.1f}")
    watched = watch_overhead()
    row(f"nntui.watch every=10: steps/s lost on a 1-M-parameter MLP ({watched[10]:,.0f} of {watched['plain']:,.0f})",
        1 - watched[10] / watched["plain"], WATCH_TARGET, "{:.1%}")
    print(f"  (every=1: {1 - watched[1] / watched['plain']:.1%} lost)", file=sys.stderr)
    rates = device_rates()
    print("  devices lesson, steps/s: " + ", ".join(f"{d} {r:,.1f}" for d, r in rates.items()), file=sys.stderr)
    if len(rates) == 1:
        print("  (no CUDA or MPS device here: the GPU comparison is skipped)", file=sys.stderr)
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'measured':>9}  {'target':>9}  verdict")
    for name, value, target, ok in rows:
        print(f"{name:<{width}}  {value:>9}  {target:>9}  {'ok' if ok else 'MISSED'}")
    print("devices lesson steps/s: " + ", ".join(f"{d} {r:,.1f}" for d, r in rates.items())
          + (f" (cuda ÷ cpu = {rates['cuda'] / rates['cpu']:.1f})" if "cuda" in rates else
             " (no GPU here: cuda skipped)"))


if __name__ == "__main__":
    main()
