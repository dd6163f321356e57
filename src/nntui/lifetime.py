"""A browser session of `nntui serve` ends when the server does, however the server dies.

textual-serve starts each session as a child process. Killed with SIGKILL
(the OOM killer, `kill -9`), the server can tell nobody, and every session
lived on under init, training flat out. On Linux the kernel can send a
signal when the parent dies (PR_SET_PDEATHSIG); the session asks for
SIGTERM, which the app takes like `q` (ui/base.py), and its trainer
follows it (the trainer ends when its pipe from the app closes).

A trainer asks for SIGKILL when its app dies: a trainer stopped with its app
(Ctrl+Z) would never see the pipe close, and SIGTERM waits on a stopped process.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

ENV = "NNTUI_DIE_WITH_PARENT"  # set by `nntui serve` in the command of each session
PR_SET_PDEATHSIG = 1


def die_with_parent(number: int = signal.SIGTERM) -> bool:
    """Ask for signal `number` (SIGTERM: quit like q) when the parent process dies; True if the kernel will
    send it."""
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, number, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before we asked: nobody will send it now
        os.kill(os.getpid(), number)
    return True
