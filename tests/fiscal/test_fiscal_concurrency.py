"""Two appends at the same moment, from two connections: no duplicate, no gap.

On PostgreSQL the chain head row is locked with SELECT ... FOR UPDATE; on SQLite the
BEGIN IMMEDIATE transaction lets one writer in at a time. Both must give 1, 2, ... in order,
each record linked to the one committed before it.
"""

from __future__ import annotations

import threading
import time

from store.models import FiscalRecord
from till.fiscal import Sealer, record_event
from till.fiscal.chain import flush_anchors
from till.fiscal.events import LOGIN

TILL = "01"  # the till of the shop fixture (tests/fiscal/conftest.py)


def _race(shop, appends_per_thread: int, hold_s: float) -> list[BaseException]:
    """Two threads, each with its own connection, appending to chain L together."""
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(name: str) -> None:
        sealer = Sealer(TILL, shop.signer, shop.anchors)
        try:
            shop.database.connect(reuse_if_open=True)  # this thread's own connection
            for index in range(appends_per_thread):
                if index == 0:
                    barrier.wait(timeout=10)
                with shop.database.atomic():
                    record_event(sealer, LOGIN, f"{name} {index}")
                    time.sleep(hold_s)  # keep the lock a while: the other thread must wait
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            shop.database.close()

    threads = [threading.Thread(target=work, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_two_concurrent_first_appends_get_sequences_1_and_2(shop):
    assert _race(shop, appends_per_thread=1, hold_s=0.3) == []
    shop.database.connect(reuse_if_open=True)
    records = list(FiscalRecord.select().order_by(FiscalRecord.sequence))
    assert [r.sequence for r in records] == [1, 2]
    assert records[1].previous_signature == records[0].signature
    assert shop.verify().ok


def test_many_concurrent_appends_stay_gap_free_and_linked(shop):
    record_event(shop.sealer, LOGIN, "first")  # the head row exists: the FOR UPDATE path
    assert _race(shop, appends_per_thread=15, hold_s=0.005) == []
    shop.database.connect(reuse_if_open=True)
    records = list(FiscalRecord.select().order_by(FiscalRecord.sequence))
    assert [r.sequence for r in records] == list(range(1, 32))
    assert {r.payload.split('"description":"')[1][0] for r in records[1:]} == {"a", "b"}
    report = shop.verify()
    assert report.ok, report.lines()
    flush_anchors()
    assert shop.anchors.read(TILL, "L").sequence == 31
