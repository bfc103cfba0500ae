"""Small real file systems for the full-disk and read-only tests: a size-limited tmpfs that the
test mounts (as root, as CI runs) and always unmounts; skipped with the reason where mounting
is not allowed (not root, no mount command, a container without the capability)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30)


@contextmanager
def small_tmpfs(folder: Path, size: str = "4m") -> Iterator[Path]:
    """``folder`` as a tmpfs of ``size``; the test is skipped when it cannot be mounted."""
    if os.geteuid() != 0:
        pytest.skip("mounting a small tmpfs needs root (CI runs the tests as root)")
    if shutil.which("mount") is None:
        pytest.skip("no mount command on this machine")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        remount(folder, read_only=False)
        if _run("umount", str(folder)).returncode != 0:
            _run("umount", "-l", str(folder))  # something still open: detached, freed when closed


def remount(folder: Path, read_only: bool) -> None:
    """The tmpfs at ``folder`` made read-only (no file may be open for writing) or writable again."""
    done = _run("mount", "-o", f"remount,{'ro' if read_only else 'rw'}", str(folder))
    if read_only and done.returncode != 0:
        raise AssertionError(f"cannot remount {folder} read-only: {done.stderr.strip()}")


def fill(folder: Path, leave_bytes: int = 0) -> Path:
    """A dummy file that takes the free space of ``folder``'s file system but ``leave_bytes``."""
    dummy = folder / "filler.bin"
    usage = os.statvfs(folder)
    room = usage.f_bavail * usage.f_frsize - leave_bytes
    chunk = b"\0" * 65536
    fd = os.open(dummy, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while room > 0:
            room -= os.write(fd, chunk[:min(room, len(chunk))])
    except OSError as error:  # the last bytes: the disk is as full as it gets
        if error.errno != errno.ENOSPC:
            raise
    finally:
        os.close(fd)
    return dummy
