"""The verifier's signature checks in worker processes change nothing in the report, the
records are streamed (a bounded number of checks is in flight, however long the chain), and
no worker outlives the process that started it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from pathlib import Path

import pytest

from store.models import FiscalRecord, TicketLine
from till.fiscal import record_event, signature_pool
from till.fiscal.events import LOGIN


def _tamper(shop, records) -> None:
    """A payload altered, a wrong signature and a broken link, all in the middle of a page."""
    TicketLine.update(label="Autre").where(TicketLine.ticket == records[7].ticket_id).execute()
    FiscalRecord.update(signature=records[2].signature).where(FiscalRecord.id == records[11].id).execute()
    FiscalRecord.update(previous_signature=records[3].signature).where(FiscalRecord.id == records[15].id).execute()


def test_worker_processes_report_exactly_what_the_calling_process_reports(sqlite_shop, monkeypatch):
    for _ in range(20):
        sqlite_shop.sale()
    records = list(FiscalRecord.select().where(FiscalRecord.chain == "T").order_by(FiscalRecord.sequence))
    sqlite_shop.unprotect()
    _tamper(sqlite_shop, records)
    sqlite_shop.unsealed_ticket(999)  # found by the row checks, which run beside the walk with workers
    alone = sqlite_shop.verify(page_size=6, workers=0)
    pools: list[Executor | None] = []
    made = signature_pool.signature_pool

    def spy(count: int, workers: int | None = None) -> Executor | None:
        pools.append(made(count, workers))
        return pools[-1]

    monkeypatch.setattr(signature_pool, "MIN_RECORDS", 0)
    monkeypatch.setattr(signature_pool, "signature_pool", spy)
    spread = sqlite_shop.verify(page_size=6, workers=2)
    assert len(pools) == 1 and isinstance(pools[0], ProcessPoolExecutor)
    assert spread.lines("en") == alone.lines("en")
    assert [(p.sequence, p.what) for p in spread.problems] == [(p.sequence, p.what) for p in alone.problems]
    found = {(p.sequence, p.what) for p in alone.problems}
    assert (12, "signature is not valid (record altered or forged)") in found
    assert (16, "does not link to the previous record (previous signature differs)") in found
    assert any(p.sequence == 8 and p.what.startswith("payload differs") for p in alone.problems)
    assert any("has no fiscal record" in p.what for p in spread.problems)


def test_the_row_checks_run_beside_the_walk_on_their_own_connection(sqlite_shop, monkeypatch):
    """With workers, the calling process mostly waits for them: the checks of rows against the
    sealed records (closures, credit notes...) run meanwhile in a thread, and say the same."""
    from till.fiscal import verify as verify_module

    for _ in range(3):
        sqlite_shop.sale()
    seen: list[str] = []
    closures = verify_module.check_closures

    def spy():
        seen.append(threading.current_thread().name)
        return closures()

    monkeypatch.setattr(verify_module, "check_closures", spy)
    pool = _Counting()
    monkeypatch.setattr(signature_pool, "signature_pool", lambda count, workers=None: pool)
    assert sqlite_shop.verify(page_size=10, workers=2).ok
    assert sqlite_shop.verify(workers=0).ok
    with sqlite_shop.database.atomic():  # another connection would not see this transaction's rows
        assert sqlite_shop.verify(page_size=10, workers=2).ok
    main = threading.main_thread().name
    assert seen == ["till-verify-rows", main, main]


class _Counting(Executor):
    """Runs each page at once, and counts the records submitted whose verdicts are not read yet."""

    def __init__(self) -> None:
        self.waiting = self.most = self.submitted = 0

    def submit(self, fn, job, /):  # noqa: ANN001 - the pool's own signature
        records = len(job[3]) if isinstance(job, tuple) else len(job)  # a PageJob's records, or a list of checks
        future = _Read(self, records)
        future.set_result(fn(job))
        self.submitted += 1
        self.waiting += records
        self.most = max(self.most, self.waiting)
        return future


class _Read(Future):
    def __init__(self, pool: _Counting, size: int) -> None:
        super().__init__()
        self.pool, self.size = pool, size

    def result(self, timeout=None):  # noqa: ANN001
        if self.size:
            self.pool.waiting -= self.size
            self.size = 0
        return super().result(timeout)


@pytest.mark.parametrize("events", [30, 120])
def test_at_most_two_pages_a_worker_are_in_flight(sqlite_shop, monkeypatch, events):
    for index in range(events):
        record_event(sqlite_shop.sealer, LOGIN, f"login {index}")
    pool = _Counting()
    monkeypatch.setattr(signature_pool, "signature_pool", lambda count, workers=None: pool)
    assert sqlite_shop.verify(page_size=10, workers=2).ok
    assert 0 < pool.most <= 2 * 2 * 10 and pool.waiting == 0


@pytest.mark.parametrize("workers", [2, 3])
def test_each_page_is_one_submission_whatever_the_number_of_workers(sqlite_shop, monkeypatch, workers):
    """Few, large messages between processes: a page of records goes to the workers in one
    submission, not split into one chunk per worker."""
    for index in range(95):
        record_event(sqlite_shop.sealer, LOGIN, f"login {index}")
    for _ in range(5):
        sqlite_shop.sale()
    pool = _Counting()
    monkeypatch.setattr(signature_pool, "signature_pool", lambda count, workers=None: pool)
    report = sqlite_shop.verify(page_size=10, workers=workers)
    assert report.ok
    pages = sum(-(-count // 10) for count in report.counts.values())
    assert pool.submitted == pages


def test_the_workers_leave_when_their_process_is_killed(tmp_path):
    """Head office's pool lives as long as the server: a server killed outright leaves no worker."""
    script = tmp_path / "server.py"
    script.write_text(
        "import sys, time\n"
        "if __name__ == '__main__':\n"
        "    from till.fiscal.signature_pool import check_signatures, shared_pool\n"
        "    pool = shared_pool()\n"
        "    pool.submit(check_signatures, []).result()\n"
        "    print(*[p.pid for p in pool._processes.values()], flush=True)\n"
        "    time.sleep(120)\n")
    root = Path(__file__).resolve().parents[2]
    server = subprocess.Popen([sys.executable, str(script)], cwd=root, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(root)})
    workers = [int(pid) for pid in server.stdout.readline().split()]
    assert workers
    server.send_signal(signal.SIGKILL)
    server.wait()
    deadline = time.monotonic() + 30  # a bound on the wait, not a measure
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except OSError:
        return True
