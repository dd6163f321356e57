"""Every module of the package imports on its own, first, in a fresh interpreter; none holds a block too complex
to read.

A circular import shows only when the module on the cycle that starts it is imported first:
`import nntui.data` failed for months while every test passed, because each test reached it through
the scenario package. The layers themselves are import-linter's contracts (`lint-imports` in CI).
"""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path

import nntui

MOST_COMPLEX = 20  # the highest cyclomatic complexity a block may have (radon's grade C ends there)

# One interpreter loads the third-party libraries once, then forks a child per module: each child imports
# its module before any other of nntui's (about 20 ms each, against 0.5-2 s for a fresh interpreter).
CHILDREN = """
import os, sys, traceback
import numpy, pydantic, rich, textual, textual.app, torch  # noqa: F401  (loaded once, before the forks)
failed = []
for name in sys.argv[1:]:
    pid = os.fork()
    if pid == 0:
        try:
            __import__(name)
        except BaseException:
            traceback.print_exc()
            os._exit(1)
        os._exit(0)
    if os.waitpid(pid, 0)[1] != 0:
        failed.append(name)
print(" ".join(failed))
"""


def test_every_module_imports_first_and_alone():
    names = [m.name for m in pkgutil.walk_packages(nntui.__path__, "nntui.")]
    assert len(names) > 70 and "nntui.scenario.data" in names
    done = subprocess.run([sys.executable, "-c", CHILDREN, *names], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", done.stderr


def test_no_block_is_too_complex_to_hold_in_mind():
    """radon's grade D starts at a cyclomatic complexity of 21: split a function before it gets there."""
    from radon.complexity import cc_visit

    worst = []
    for path in sorted(Path(nntui.__file__).parent.rglob("*.py")):
        for block in cc_visit(path.read_text(encoding="utf-8")):
            if block.complexity > MOST_COMPLEX:
                worst.append(f"{path.name}:{block.lineno} {block.fullname} ({block.complexity})")
    assert not worst, worst
