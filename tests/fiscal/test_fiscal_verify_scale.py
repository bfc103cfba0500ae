"""The verifier streams: memory does not grow with the journal, and it reads pages, not rows."""

from __future__ import annotations

import tracemalloc

from till.fiscal import seal_ticket, verify_journal


def _seal(shop, count: int) -> None:
    with shop.database.atomic():  # one commit: building the journal fast is not what is tested
        for _ in range(count):
            with shop.database.atomic():
                seal_ticket(shop.sealer, shop.unsealed_ticket(shop._next_number))
            shop._next_number += 1


def _peak(shop, page_size: int) -> int:
    tracemalloc.start()
    try:
        report = verify_journal(anchors=shop.anchors, page_size=page_size)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert report.ok, report.lines("en")
    return peak


def test_memory_stays_flat_when_the_journal_grows(sqlite_shop):
    _seal(sqlite_shop, 150)
    small = _peak(sqlite_shop, page_size=50)
    _seal(sqlite_shop, 600)
    large = _peak(sqlite_shop, page_size=50)
    assert verify_journal(page_size=50).counts == {("01", "T"): 750}
    # Five times the records, about the same peak (a list of records would be ~5x).
    assert large < small * 1.5, (small, large)


def test_queries_are_per_page_not_per_record(sqlite_shop, monkeypatch):
    statements = []
    execute_sql = sqlite_shop.database.execute_sql

    def counting(sql, params=None, *args, **kwargs):
        statements.append(sql)
        return execute_sql(sql, params, *args, **kwargs)

    def queries_to_verify() -> int:
        statements.clear()
        monkeypatch.setattr(sqlite_shop.database, "execute_sql", counting)
        assert verify_journal(anchors=sqlite_shop.anchors, page_size=40).ok
        monkeypatch.setattr(sqlite_shop.database, "execute_sql", execute_sql)
        return len(statements)

    _seal(sqlite_shop, 120)
    small = queries_to_verify()
    _seal(sqlite_shop, 120)
    large = queries_to_verify()
    # 120 records more are 3 pages more of chain T, each read with its 4 ticket queries (and the
    # ledger's and derived checks' pages): a few queries per page, none per record; the rest
    # (keys, key chain, anchors, closures, credit notes) is once per journal.
    assert large - small <= 3 * 6, statements
    assert small < 60, statements
