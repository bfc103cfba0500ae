"""Start-up stays flat in the shop's history: every statement the till runs from launch to the
login screen, and from the login to the first scanned line, is answered through an index.

A shop with a million tickets must start as fast as a new one. SQLite answers a query without a
usable index by reading the whole table (``SCAN``), or by walking the primary key backwards for
``MAX(id)`` / ``ORDER BY id DESC LIMIT 1`` with a filter on another column until a row matches:
when none does, that is the whole table too. So the test captures every statement of the real
start path (``start_till``, the app's mount, the login, the first scan, driven with Pilot) on a
shop with some history, asks SQLite for each one's plan, and fails on a ``SCAN`` of any table
that grows with the shop's history. Plans depend on the indexes, not on the table sizes (the
shop is not ANALYZEd), so a small history is enough.
"""

from __future__ import annotations

from tests.support.pilot import SIZE, burst, log_in, settle
from tests.support.query_plans import capture_statements, unbounded_reads
from tests.support.shop import sell
from till.i18n import set_language
from till.shop.running import start_till


async def test_start_login_and_first_scan_never_scan_a_history_table(make_shop, monkeypatch):
    # GIVEN a shop with some history: sales on past days (closed) and today
    shop = make_shop()
    for days_ago in (3, 2, 1):
        sell(shop, [("BAG", 1), ("COF", 2)], days_ago=days_ago)
    for _ in range(20):
        sell(shop, [("WIN", 1)], card=895)
    config = shop.config
    code = shop.barcodes["COF"]
    shop.ctx.close()
    statements = capture_statements(monkeypatch)

    # WHEN the till starts, a cashier logs in and scans a first item
    from till.ui.app import TillApp  # deferred: Textual loads only for this test's screens

    ctx = start_till(config)
    try:
        set_language("en")
        app = TillApp(ctx)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await log_in(pilot)
            burst(app, code)
            await settle(pilot)
            assert [line.sku for line in app.screen.basket.lines] == ["COF"]
    finally:
        ctx.close()

    # THEN no statement read a table that grows with the history from end to end
    assert statements
    unbounded = unbounded_reads(ctx.database.database, statements)
    assert not unbounded, "\n".join(f"{table}: {why}: {sql}" for table, why, sql in unbounded)


