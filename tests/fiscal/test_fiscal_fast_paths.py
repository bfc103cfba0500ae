"""The sealer's shortcuts stay correct where they could go wrong.

- The head remembered between ``reserve`` and ``append`` (and after an append) is proven by
  the guarded UPDATE: a savepoint that rolled it back, or another sealer that moved the head
  in the same transaction, makes ``append`` read it again instead of sealing on a stale head.
- The tail anchor is written ahead of each record (an intent, before the commit), and confirmed
  once per commit and chain, off the committing thread, coalesced to the newest record, never
  before the commit, and flushed at exit.
- The verifier's workers change nothing in the report.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from store.models import FiscalRecord, Payment, TicketLine
from till.fiscal import Sealer, record_event, seal_ticket
from till.fiscal import chain
from till.fiscal.anchor import AnchorStore
from till.fiscal.chain import flush_anchors
from till.fiscal.events import LOGIN

TILL = "01"  # the till of the shop fixture (tests/fiscal/conftest.py)
ROOT = Path(__file__).resolve().parents[2]


def _chain(chain="T"):
    return [(r.sequence, r.previous_signature, r.signature) for r in
            FiscalRecord.select().where(FiscalRecord.chain == chain).order_by(FiscalRecord.sequence)]


def _linked(records) -> bool:
    return [r[0] for r in records] == list(range(1, len(records) + 1)) and all(
        after[1] == before[2] for before, after in zip(records, records[1:]))


def test_a_head_reserved_in_a_rolled_back_savepoint_is_read_again(shop):
    with shop.database.atomic():
        with pytest.raises(ZeroDivisionError):
            with shop.database.atomic():
                assert shop.sealer.reserve("T") == 1  # makes the head row, then loses it
                1 / 0
        record = seal_ticket(shop.sealer, shop.unsealed_ticket(1))
    assert record.sequence == 1 and _linked(_chain())
    assert shop.verify().ok


def test_a_record_rolled_back_with_its_savepoint_leaves_its_number_to_the_next(shop):
    shop.sale()
    with shop.database.atomic():
        with pytest.raises(ZeroDivisionError):
            with shop.database.atomic():
                seal_ticket(shop.sealer, shop.unsealed_ticket(2))  # remembered head: record 2
                1 / 0
        record = seal_ticket(shop.sealer, shop.unsealed_ticket(3))
    assert record.sequence == 2 and _linked(_chain())
    flush_anchors()
    assert shop.anchors.read(TILL, "T").sequence == 2
    assert shop.verify().ok


def test_another_sealer_moving_the_head_between_reserve_and_append_is_noticed(shop):
    shop.sale()
    other = Sealer(TILL, shop.signer, shop.anchors)
    with shop.database.atomic():
        assert shop.sealer.reserve("T") == 2
        seal_ticket(other, shop.unsealed_ticket(2))  # takes number 2 in the same transaction
        record = seal_ticket(shop.sealer, shop.unsealed_ticket(3))
    assert record.sequence == 3 and _linked(_chain())
    assert shop.verify().ok


def test_the_returned_record_is_the_stored_one(shop):
    shop.sale()
    with shop.database.atomic():
        record = seal_ticket(shop.sealer, shop.unsealed_ticket(2))
    stored = FiscalRecord.get_by_id(record.id)
    assert {k: v for k, v in record.__data__.items() if k != "created_at"} == {
        k: v for k, v in stored.__data__.items() if k != "created_at"}
    assert record.created_at == stored.created_at and not record.is_dirty()


def test_many_records_in_one_commit_write_the_anchor_once(shop, monkeypatch):
    writes = []
    real = shop.anchors.write
    # the confirmations (each record's intent is written ahead, before the commit)
    monkeypatch.setattr(shop.anchors, "write", lambda *a, **k: (
        writes.append(a[2]) if k.get("state") == "confirmed" else None, real(*a, **k))[1])
    with shop.database.atomic():
        for _ in range(5):
            record_event(shop.sealer, LOGIN, "login")
    flush_anchors()
    assert writes == [5]
    with shop.database.atomic():  # a commit with nothing newer writes nothing
        pass
    record_event(shop.sealer, LOGIN, "again")
    flush_anchors()
    assert writes == [5, 6] and shop.anchors.read(TILL, "L").sequence == 6


def test_the_writer_coalesces_to_the_newest_record_and_flush_waits_for_it(shop, monkeypatch):
    record_event(shop.sealer, LOGIN, "first")
    flush_anchors()
    gate, writes = threading.Event(), []
    real = chain._ANCHOR_WRITER.write

    def slow_write(*args):  # the confirmation, held (the intents are written before each commit)
        gate.wait(10)
        writes.append(args[3])
        real(*args)

    monkeypatch.setattr(chain._ANCHOR_WRITER, "write", slow_write)
    for index in range(6):
        record_event(shop.sealer, LOGIN, f"login {index}")  # each commits and returns at once
    assert not flush_anchors(timeout=0.05)  # the writer is held: the anchor is not on disk yet
    gate.set()
    assert flush_anchors(timeout=10)
    assert writes[-1] == 7 and len(writes) <= 2  # the held write, then the newest only
    assert shop.anchors.read(TILL, "L").sequence == 7
    assert shop.verify().ok and not shop.verify().warnings


def test_an_anchor_never_goes_back(shop):
    for _ in range(3):
        shop.sale()
    flush_anchors()
    behind = Sealer(TILL, shop.signer, AnchorStore(shop.anchors.folder))
    behind._write_anchor(shop.database, "T")  # nothing newer than the file: left as it is
    flush_anchors()
    assert shop.anchors.read(TILL, "T").sequence == 3


def test_the_process_exit_flushes_the_anchor(sqlite_url, tmp_path):
    code = (
        "import sys\n"
        "from store import db\nfrom store.models import User\n"
        "from till.fiscal import AnchorStore, Sealer, Signer, record_event\n"
        f"db.open({sqlite_url!r})\n"
        f"signer = Signer.create({str(tmp_path / 'till.pem')!r})\n"
        f"sealer = Sealer('01', signer, AnchorStore({str(tmp_path / 'anchors')!r}))\n"
        "for i in range(20):\n"
        "    record_event(sealer, 'LOGIN', f'login {i}')\n"
    )  # ends right after the last commit: only the exit flush can write anchor 20
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert AnchorStore(tmp_path / "anchors").read("01", "L").sequence == 20


TAMPERING = {
    "clean": lambda shop, records: None,
    "line altered": lambda shop, records: TicketLine.update(label="Autre").where(
        TicketLine.ticket == records[3].ticket_id).execute(),
    "signature altered": lambda shop, records: FiscalRecord.update(signature=records[2].signature).where(
        FiscalRecord.id == records[5].id).execute(),
    "record deleted": lambda shop, records: FiscalRecord.delete().where(FiscalRecord.id == records[4].id).execute(),
    "payment deleted": lambda shop, records: Payment.delete().where(Payment.ticket == records[6].ticket_id).execute(),
    "unknown key": lambda shop, records: FiscalRecord.update(key_id="0" * 32).where(
        FiscalRecord.id == records[1].id).execute(),
}


@pytest.mark.parametrize("name", sorted(TAMPERING))
def test_the_report_is_the_same_with_any_number_of_workers(sqlite_shop, name):
    for _ in range(12):
        sqlite_shop.sale()
    records = list(FiscalRecord.select().order_by(FiscalRecord.sequence))
    sqlite_shop.unprotect()
    TAMPERING[name](sqlite_shop, records)
    reports = [sqlite_shop.verify(page_size=5, workers=workers) for workers in (0, 1, 3)]
    lines = [report.lines("en") for report in reports]
    assert lines[0] == lines[1] == lines[2]
    assert [p.what for p in reports[0].problems] == [p.what for p in reports[2].problems]
    assert reports[0].ok == (name == "clean")
