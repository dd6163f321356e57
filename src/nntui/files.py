"""Files nntui writes (a record, a CSV, an edited scenario, a screenshot) are whole or absent.

Each is written to a temporary file in the same folder, then renamed over
its name: a full disk or a kill mid-write leaves the old file (or none),
never a truncated one, and the temporary file is removed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def write_atomically(path: Path, content: str | bytes) -> None:
    """`content` (text as UTF-8, or bytes as they are) in `path`, whole or not at all."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    if path.exists() and not path.is_file():  # /dev/stdout, a FIFO: write through, never replace it
        path.write_bytes(data)
        return
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        mask = os.umask(0)  # mkstemp makes the file private (0600); a record is as readable as any file
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def unused_name(folder: Path, stem: str, suffix: str) -> str:
    """stem + suffix, or stem-2, stem-3 … when taken: a screenshot of a paused run taken twice, or the log of an
    earlier run in the same folder, keeps both."""
    name, n = stem + suffix, 1
    while (folder / name).exists():
        n += 1
        name = f"{stem}-{n}{suffix}"
    return name
