"""nntui: watch neural networks learn, live in your terminal.

`nntui.watch(model, optimizer, log_dir=…)` records a training loop of your own for `nntui view` (engine/watch.py).
It is imported when first called: `import nntui` loads no torch (the app paints while torch loads).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from .engine.watch import Watch


def watch(model: Any, optimizer: Any = None, *, log_dir: Any, every: int = 10, name: str | None = None,
          steps: int | None = None) -> Watch:
    """Watch your own training loop: call `run.step(loss)` after each update and `run.close()` at the end; open the
    log with `nntui view LOG_DIR` (live while the script runs). `steps`: how many the loop will take, where known
    (the step axes then end there, and the header says "step N/steps"). See engine/watch.py."""
    from .engine.watch import watch as start

    return start(model, optimizer, log_dir=log_dir, every=every, name=name, steps=steps)
