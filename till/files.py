"""Writing the till's own files: private from the first byte, and durable.

The database, till.toml, till.log, the anchors and the signing key hold PIN hashes, customers
and unspent credit-note codes (which are cash). A file made with the default mode (0644) and
chmod-ed afterwards can be opened by another local user in between, and an open file stays
readable after the chmod; so each is created with its final mode by ``os.open``. As a safety
net for files made by libraries (SQLite's -wal and -shm, a log rotation), ``till`` and
``till-headoffice`` also run with umask 077 (``private_umask``).

This module imports nothing of the till but the standard library, so the store and head office
may use it too (head office shares it as it shares ``till.sync.protocol``).
"""

from __future__ import annotations

import os
import stat
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

__all__ = ["OWNER_ONLY", "GROUP_READ", "PRIVATE_UMASK", "private_umask", "create_private", "write_private",
           "tighten", "fsync_folder"]

OWNER_ONLY = 0o600
"""Read and write for the till's user only: the mode of every file holding secrets or customers."""
GROUP_READ = 0o640
"""The widest mode a log may have: a monitoring group may read it (codes in it are masked)."""
PRIVATE_FOLDER = 0o700
PRIVATE_UMASK = 0o077
"""Nothing a ``till`` process creates is readable by group or others unless it says so."""


@contextmanager
def private_umask() -> Iterator[None]:
    """Run the body with umask 077 (restored after, for callers that stay in the process)."""
    previous = os.umask(PRIVATE_UMASK)
    try:
        yield
    finally:
        os.umask(previous)


def fsync_folder(folder: Path) -> None:
    """Make a new file's name durable, not only its bytes (no-op where unsupported)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def create_private(path: str | os.PathLike[str], mode: int = OWNER_ONLY) -> bool:
    """Make ``path`` an empty file with ``mode`` if it does not exist yet (True: made now).

    Used before a library opens the file by name (SQLite, ``logging.FileHandler``), so that it
    finds a private file rather than creating a world-readable one. An existing file is left
    as it is (``tighten`` deals with those).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, mode)  # whatever the umask said
    finally:
        os.close(fd)
    return True


def write_private(path: str | os.PathLike[str], data: bytes, exclusive: bool = False) -> None:
    """Write ``data`` to ``path``, mode 0600 from the first byte, fsync-ed, name included.

    By default the file is replaced atomically (a temporary file in the same folder, renamed
    over it): a power cut leaves the old content or the new one, never half a file. With
    ``exclusive`` an existing file is never replaced (``FileExistsError``): a signing key.
    A missing folder is made 0700.
    """
    path = Path(path)
    if not path.parent.exists():
        path.parent.mkdir(mode=PRIVATE_FOLDER, parents=True)
    if exclusive:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, OWNER_ONLY)
        try:
            os.fchmod(fd, OWNER_ONLY)
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
    else:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)  # 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, path)
        except BaseException:
            try:
                os.unlink(temp)
            except FileNotFoundError:
                pass
            raise
    fsync_folder(path.parent)


def tighten(path: str | os.PathLike[str], allowed: int = OWNER_ONLY) -> int | None:
    """Take from ``path`` every permission bit ``allowed`` does not grant; its old mode when it
    changed, None when it was already private enough, missing, or not ours to change."""
    try:
        info = os.stat(path)
        old = stat.S_IMODE(info.st_mode)
        if not old & ~allowed & 0o777 or info.st_uid != os.geteuid():
            return None
        os.chmod(path, old & allowed)
    except OSError:
        return None
    return old
