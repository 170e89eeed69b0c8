"""Silence what C libraries write straight to a file descriptor (HiGHS's banner, cddlib's
floating-point pre-solve warnings), which Python's ``sys.stdout``/``sys.stderr`` redirection
cannot catch.

>>> with silenced_fd(2):
...     pass
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

__all__ = ["silenced_fd"]


@contextlib.contextmanager
def silenced_fd(fd: int) -> Iterator[None]:
    """Send file descriptor ``fd`` (1: stdout, 2: stderr) to ``/dev/null`` inside the block.

    >>> with silenced_fd(1):
    ...     os.write(1, b"hidden")
    6
    """
    (sys.stdout if fd == 1 else sys.stderr).flush()
    try:
        saved = os.dup(fd)
    except OSError:  # no such descriptor (some embedded interpreters)
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, fd)
    os.close(devnull)
    try:
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
