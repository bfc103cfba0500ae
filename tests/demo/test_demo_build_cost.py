"""What the demo's build costs the disk: `till demo` must reach its first screen in a few seconds.

The past sales go through the real ticket writer; what the build may batch differently is only
what an interrupted build cannot need (it is refused until ``--reset``): the disk syncs of each
commit and of each tail anchor. Counted here, never timed.
"""

from __future__ import annotations

import os

import peewee
import pytest

from till.config.loader import load
from till.demo.build import build_demo
from till.fiscal.verify import verify_journal
from till.shop.context import TillContext


def _count_fsyncs(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = os.fsync

    def counting(fd):
        calls.append(fd)
        return real(fd)

    monkeypatch.setattr(os, "fsync", counting)
    return calls


def test_the_build_syncs_files_a_bounded_number_of_times_whatever_its_history(tmp_path, monkeypatch):
    """The tail anchors are written once, when the history is complete, not once a day nor once
    per opening-stock movement: the count of file syncs does not grow with the days built."""
    counts = []
    for days in (2, 6):
        calls = _count_fsyncs(monkeypatch)
        build_demo(tmp_path / f"shop-{days}", days=days)
        counts.append(len(calls))
        monkeypatch.undo()
    # The shop's own first records (``init_shop``) have their anchors confirmed in the background,
    # where two confirmations may be coalesced into one: a few syncs either way, never per day.
    assert abs(counts[1] - counts[0]) <= 6, counts
    assert max(counts) <= 40, counts


@pytest.fixture
def statements(monkeypatch) -> list[str]:
    """Every SQL statement the SQLite connections run, in order."""
    seen: list[str] = []
    real = peewee.SqliteDatabase.execute_sql

    def recording(self, sql, params=None, *args, **kwargs):
        seen.append(" ".join(sql.split()))
        return real(self, sql, params, *args, **kwargs)

    monkeypatch.setattr(peewee.SqliteDatabase, "execute_sql", recording)
    return seen


def test_past_sales_are_written_without_waiting_for_the_disk_then_all_is_synced_before_the_marker(
        tmp_path, statements):
    """The history is committed with ``synchronous=OFF``; then ``FULL`` again and a checkpoint that
    syncs the database file, before the setting that marks the demo complete is written: a build
    cut short is refused until ``--reset``, and a finished one is on the disk like any shop."""
    config = build_demo(tmp_path / "shop", days=2)

    def index(predicate, start=0, last=False):
        found = [i for i, sql in enumerate(statements) if i >= start and predicate(sql)]
        assert found, "statement not run"
        return found[-1] if last else found[0]

    first_ticket = index(lambda sql: sql.startswith('INSERT INTO "ticket" '))
    last_ticket = index(lambda sql: sql.startswith('INSERT INTO "ticket" '), last=True)
    relaxed = index(lambda sql: sql.upper() == "PRAGMA SYNCHRONOUS = OFF")
    assert relaxed < first_ticket
    assert not any(sql.upper().startswith("PRAGMA SYNCHRONOUS") for sql in statements[relaxed + 1:last_ticket])
    restored = index(lambda sql: sql.upper() == "PRAGMA SYNCHRONOUS = FULL", last_ticket)
    synced = index(lambda sql: sql.upper().startswith("PRAGMA WAL_CHECKPOINT"), restored)
    marker = index(lambda sql: sql.startswith('INSERT OR REPLACE INTO "setting"'), synced)
    assert restored < synced < marker

    ctx = TillContext.open(load(config.path))
    try:
        assert ctx.database.execute_sql("PRAGMA synchronous").fetchone()[0] == 2  # FULL for live sales
        assert verify_journal(anchors=ctx.sealer.anchors).ok
    finally:
        ctx.close()
