"""Per-lesson figures over every built-in lesson, measured as a user gets them: the real `nntui run LESSON` on a
pseudo-terminal (TERM=xterm-256color), at its own speed, questions skipped with Escape as they come.

    python -m benchmarks.lessons                       # every lesson at 120x40 and 200x60 (about 8 minutes)
    python -m benchmarks.lessons --seconds 3 lr_sweep  # one lesson, a shorter window

For each lesson and terminal size it reports the bytes per second the app writes to the terminal over a window
of training (issue 29: at most 30 KB/s on the worst lesson; over SSH on a slow link this is what a student
waits on), and prints the table of lesson × size and the worst of each size.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from nntui.scenario import list_builtin

from .pty_app import PtyApp

NNTUI = [sys.executable, "-m", "nntui"]
SIZES = ((120, 40), (200, 60))
TARGET_KB_S = 30.0
SKIP = b"Esc to skip"  # a question's last line: Escape skips it and training goes on
ESCAPE = b"\x1b"
DONE = "✓ done".encode()  # the header once every run has finished


def bytes_per_second(lesson: str, size: tuple[int, int], seconds: float, warmup: float = 1.5) -> float:
    """Bytes/s written to a terminal of `size` while `lesson` runs at its own speed: over `seconds` after the first
    `warmup` seconds (the first paint is not the steady state), or until training is done if that comes first."""
    cols, rows = size
    with PtyApp([*NNTUI, "run", lesson, "--device", "cpu"], cols=cols, rows=rows) as app:
        app.wait_for(b"step", timeout=60)  # the header: the app is up
        up, tail = time.monotonic(), b""
        while time.monotonic() - up < warmup:
            tail = _skip_questions(app, tail + app.drain(0.1))
        started, total = time.monotonic(), 0
        while time.monotonic() - started < seconds:
            chunk = app.drain(0.1)
            total += len(chunk)
            tail = _skip_questions(app, tail + chunk)
            if DONE in tail:  # a short lesson: its training is over, the rest would be an idle screen
                break
        return total / max(time.monotonic() - started, 1e-9)


def _skip_questions(app: PtyApp, tail: bytes) -> bytes:
    """Escape on a question (so the window measures training, not a dialog); the last bytes seen."""
    if SKIP in tail:
        os.write(app.fd, ESCAPE)
        return b""
    return tail[-64:]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lessons", description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson names (default: every built-in lesson)")
    parser.add_argument("--seconds", type=float, default=6.0, help="the measured window per lesson and size")
    args = parser.parse_args()
    lessons = args.lessons or [info.name for info in list_builtin()]
    rows = []
    for lesson in lessons:
        rates = [bytes_per_second(lesson, size, args.seconds) / 1024 for size in SIZES]
        rows.append((lesson, rates))
        print(f"  {lesson}: " + ", ".join(f"{w}x{h} {r:.1f} KB/s" for (w, h), r in zip(SIZES, rates)),
              file=sys.stderr, flush=True)
    width = max(len(name) for name, _ in rows)
    heads = [f"{w}x{h} KB/s" for w, h in SIZES]
    print(f"{'lesson':<{width}}  " + "  ".join(f"{h:>12}" for h in heads))
    for name, rates in rows:
        print(f"{name:<{width}}  " + "  ".join(f"{r:>12.1f}" for r in rates))
    for k, (w, h) in enumerate(SIZES):
        name, rates = max(rows, key=lambda row: row[1][k])
        verdict = "ok" if rates[k] <= TARGET_KB_S else "MISSED"
        print(f"worst at {w}x{h}: {name} {rates[k]:.1f} KB/s (target ≤ {TARGET_KB_S:g}): {verdict}")


if __name__ == "__main__":
    main()
