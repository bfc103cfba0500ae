"""ECDSA signature checks on every core: the one place the verifiers hand their checks to.

Checking a signature is pure (public key, digest, signature -> bool) and is the largest single
cost of verifying a journal (about two fifths of the calling process's time); threads could not share it out, because the Python around each
OpenSSL call holds the GIL. So head office's ingest and ``verify`` send these checks, in chunks
of plain strings and bytes, to worker processes (the till's ``journal verify`` sends them whole
pages of records instead, ``till.fiscal.verify_records``), while everything that depends on order (links, sequences, key order, payloads) stays in the calling
process, which then reads the verdicts back in record order: the findings are the same with
any number of workers.

Workers are started by "spawn", never "fork": forking a process holding an open database
connection or running threads copies their state into the child. "spawn" imports the main
module again in each worker, so a script that verifies guards its entry point
(``if __name__ == "__main__"``), as ``till`` and ``till-headoffice`` do. A public key is
parsed once per worker (``till.fiscal.keys`` keeps parsed keys). Below ``MIN_RECORDS`` records, or on one
core, the checks run in the calling process: starting workers would cost more than it saves.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor

from till.fiscal.keys import verify_digest

__all__ = ["MIN_RECORDS", "SignatureJob", "check_signatures", "cores", "shared_pool", "signature_pool",
           "submit_chunks"]

MIN_RECORDS = 4000
"""Fewer records than this are checked in the calling process (starting workers costs more)."""

SignatureJob = tuple[str, bytes, str]
"""(public key PEM, SHA-256 digest of the signed message, base64url signature)."""


def check_signatures(jobs: list[SignatureJob]) -> list[bool]:
    """The verdict of each job, in order: what a worker runs on one chunk."""
    return [verify_digest(pem, digest, signature) for pem, digest, signature in jobs]


def cores() -> int:
    """The cores this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def signature_pool(records: int, workers: int | None = None) -> Executor | None:
    """A pool of ``workers`` processes (default: one per core) for ``records`` checks, or None
    when they are better checked in the calling process (one worker, or few records).
    The caller shuts it down (``with``)."""
    workers = cores() if workers is None else workers
    if workers < 2 or records < MIN_RECORDS:
        return None
    return _start(workers)


def _start(workers: int) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_watch_parent, initargs=(os.getpid(),))


def _watch_parent(parent: int) -> None:
    """In each worker: leave when the process that started it is gone. A server killed outright
    (SIGKILL, or SIGTERM without a handler) runs no clean-up, and its idle workers would
    otherwise wait for work for ever."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="till-parent-watch", daemon=True).start()


_shared: Executor | None = None


def shared_pool() -> Executor | None:
    """One pool for the life of a long-running server (head office), started on first use:
    its workers then serve every request without starting again. None on one core."""
    global _shared
    if _shared is None and cores() >= 2:
        _shared = _start(cores())
    return _shared


def submit_chunks(pool: Executor, jobs: list[SignatureJob], chunks: int) -> list[Future]:
    """``jobs`` split into about ``chunks`` tasks, submitted in order; their results, read in
    that order and concatenated, are the verdicts of ``jobs`` in order."""
    size = -(-len(jobs) // max(chunks, 1)) or 1
    return [pool.submit(check_signatures, jobs[i:i + size]) for i in range(0, len(jobs), size)]
