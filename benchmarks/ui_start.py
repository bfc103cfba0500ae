"""How long the till takes from `python -m till --config FILE` to a usable login screen, and
how much memory it holds then: measured in a real terminal (a private tmux server).

Twice: with the database in the page cache (``ui_cold_start_s``: a till started again), and
with the database file dropped from it first (``ui_cold_start_cold_cache_s``: the first start
of the morning, every page read from disk). The second shows what start-up reads: a query that
walks a table grows with the shop's history there, however fast it looks on a warm cache."""

from __future__ import annotations

import importlib.util
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from till.people.customers import fold

ROOT = Path(__file__).resolve().parent.parent


def _rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def drop_from_page_cache(database: Path) -> None:
    """Have the kernel forget the cached pages of the database file and its WAL and shared
    memory files, as after a reboot. ``POSIX_FADV_DONTNEED`` on one file needs no root; it drops
    only clean pages, so the files are flushed first."""
    for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            continue
        try:
            os.fsync(descriptor)
            os.posix_fadvise(descriptor, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            os.close(descriptor)


def bench_ui(config_path: Path, language: str, till_id: str, runs: int,
             database: Path | None = None) -> dict[str, Any]:
    """Start ``python -m till --config FILE`` in a tmux pane of a private tmux server and read
    the pane until the login screen's title and PIN label are both drawn: ``runs`` times with
    the database in the page cache, then (given the SQLite ``database`` file) ``runs`` times
    with it dropped from the page cache just before each start."""
    def unavailable(reason: str) -> dict[str, Any]:
        return {"ui_cold_start_s": None, "ui_cold_start_cold_cache_s": None, "ui_rss_mb": None, "ui_note": reason}

    if importlib.util.find_spec("till.ui.app") is None:
        return unavailable("till.ui.app is not there yet")
    if shutil.which("tmux") is None:
        return unavailable("tmux is not installed: the UI start cannot be watched")
    from till.i18n import translate

    markers = [fold(translate("Till {till_id}: log in", language, till_id=till_id)), fold(translate("PIN", language))]
    socket = f"till-bench-{os.getpid()}"
    tmux = ["tmux", "-L", socket, "-f", os.devnull]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, (str(ROOT), os.environ.get("PYTHONPATH")))),
               TERM="xterm-256color")
    env.pop("TMUX", None)
    starts, cold_starts, memories, problems = [], [], [], []
    cold_runs = runs if database is not None and hasattr(os, "posix_fadvise") else 0
    try:
        for run in range(runs + cold_runs):
            cold = run >= runs
            if cold:
                drop_from_page_cache(database)
            name = f"ui{run}"
            command = f"exec {shlex.quote(sys.executable)} -m till --config {shlex.quote(str(config_path))}"
            started = time.perf_counter()
            subprocess.run(tmux + ["new-session", "-d", "-s", name, "-x", "120", "-y", "40", command, ";",
                                   "set-option", "-t", name, "remain-on-exit", "on"],
                           env=env, check=True, capture_output=True)
            pid = int(subprocess.run(tmux + ["display-message", "-p", "-t", name, "#{pane_pid}"],
                                     capture_output=True, text=True, check=True).stdout.strip())
            shown = None
            screen = ""
            while time.perf_counter() - started < 20:
                screen = subprocess.run(tmux + ["capture-pane", "-p", "-t", name], capture_output=True,
                                        text=True).stdout
                if all(marker in fold(screen) for marker in markers):
                    shown = time.perf_counter() - started
                    break
                dead = subprocess.run(tmux + ["display-message", "-p", "-t", name, "#{pane_dead}"],
                                      capture_output=True, text=True).stdout.strip()
                if dead == "1":
                    break
                time.sleep(0.01)
            if shown is None:
                last = " | ".join(line.strip() for line in screen.splitlines() if line.strip())[-300:]
                problems.append(f"run {run + 1}{' (cold cache)' if cold else ''}: no login screen within 20 s "
                                f"({last or 'empty screen'})")
            else:
                (cold_starts if cold else starts).append(shown)
                time.sleep(0.2)  # let the first frame settle: memory once the screen is usable
                memory = _rss_mb(pid)
                if memory is not None:
                    memories.append(memory)
            subprocess.run(tmux + ["kill-session", "-t", name], capture_output=True)
    finally:
        subprocess.run(tmux + ["kill-server"], capture_output=True)
    if not starts:
        return unavailable("; ".join(problems) or "the UI did not start")
    result: dict[str, Any] = {
        "ui_cold_start_s": round(statistics.median(starts), 3),
        "ui_start_runs_s": [round(s, 3) for s in starts],
        "ui_cold_start_cold_cache_s": round(statistics.median(cold_starts), 3) if cold_starts else None,
        "ui_start_cold_cache_runs_s": [round(s, 3) for s in cold_starts],
        "ui_rss_mb": max(memories) if memories else None,
    }
    if problems:
        result["ui_note"] = "; ".join(problems)
    return result
