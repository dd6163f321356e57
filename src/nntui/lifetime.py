"""A browser session of `nntui serve` ends when the server does, however the server dies.

textual-serve starts each session as a child process. Killed with SIGKILL
(the OOM killer, `kill -9`), the server can tell nobody, and every session
lived on under init, training flat out. On Linux the kernel can send a
signal when the parent dies (PR_SET_PDEATHSIG); the session asks for
SIGTERM, which the app takes like `q` (ui/base.py), and its trainer
follows it (the trainer ends when its pipe from the app closes).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

ENV = "NNTUI_DIE_WITH_PARENT"  # set by `nntui serve` in the command of each session
PR_SET_PDEATHSIG = 1


def die_with_parent() -> bool:
    """Ask for SIGTERM when the parent process dies; True if the kernel will send it."""
    if not sys.platform.startswith("linux"):
        return False
    parent = os.getppid()
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) != 0:
            return False
    except (OSError, AttributeError):
        return False
    if os.getppid() != parent:  # the parent died before we asked: nobody will send it now
        os.kill(os.getpid(), signal.SIGTERM)
    return True
