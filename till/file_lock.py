"""One process at a time: an exclusive, non-blocking lock on a file, released when the process
ends however it ends (the kernel drops an ``flock`` with the last descriptor, so a killed
process never leaves a stale lock behind).

Used for ``till sync`` (one run at a time) and for the till's own running program (only it may
resolve the card journal at start: a request in flight belongs to a running till).
"""

from __future__ import annotations

import fcntl
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


@contextmanager
def exclusive(path: Path, busy: Callable[[], Exception]) -> Iterator[None]:
    """Hold ``path`` exclusively (created 0600, our pid written in it), or raise ``busy()`` at once."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise busy() from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield
    finally:
        os.close(fd)  # releases the lock
