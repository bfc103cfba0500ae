"""The ``till`` command as a technician runs it, and what the files it makes allow."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def till(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """``python -m till ARGS`` in its own process, as a technician's shell starts it: umask 022
    (the usual default), no ``TILL_CONFIG``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("TILL_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "till", *args], cwd=cwd or ROOT, env=env, capture_output=True,
                          text=True, timeout=120, preexec_fn=lambda: os.umask(0o022))


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(os.stat(path).st_mode)
