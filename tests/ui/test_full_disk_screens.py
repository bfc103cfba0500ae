"""What the cashier and the manager see when the disk is full or the database read-only.

The real ``TillApp`` on a real shop. A read-only card is stood in for by ``PRAGMA query_only``
(what SQLite then refuses is what it refuses on a read-only file system); a full disk by a
floor (``till.min_free_mb``) above what any disk has free. The real small file system is
tests/selling/test_full_disk.py.
"""

from __future__ import annotations

import dataclasses

from store.models import Ticket
from till.ui.app import TillApp
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.screens.closures import ClosuresScreen
from till.ui.screens.payment import PaymentScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, settle, status_text

NO_DISK_IS_THAT_BIG = 2**40  # MB: every disk is "full" under this floor


def with_floor(shop, mb: int) -> TillApp:
    config = dataclasses.replace(shop.config, till=dataclasses.replace(shop.config.till, min_free_mb=mb))
    return TillApp(dataclasses.replace(shop.ctx, config=config))


async def test_a_read_only_database_refuses_the_sale_on_screen_and_keeps_the_basket(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"], shop.barcodes["WIN"])
        await settle(pilot)
        shop.ctx.database.execute_sql("PRAGMA query_only = 1")
        try:
            await pilot.press("f2")
            await settle(pilot)
            assert isinstance(app.screen, SaleScreen)  # no payment was started
            assert "The database cannot be written" in status_text(app)
            assert "nothing was written" in status_text(app)
            assert [line.sku for line in app.screen.basket.lines] == ["COF", "WIN"]
        finally:
            shop.ctx.database.execute_sql("PRAGMA query_only = 0")
        # fixed: the same basket is paid
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
        assert Ticket.select().count() == 1 and Ticket.get().total_cents == 1354


async def test_a_disk_lost_during_the_payment_keeps_what_was_taken_and_writes_it_once_fixed(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"])
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        shop.ctx.database.execute_sql("PRAGMA query_only = 1")  # the card turns read-only now
        try:
            await pilot.press("c", "5", "enter")
            await settle(pilot)
            assert isinstance(app.screen, PaymentScreen)  # the cash taken is still on the screen
            assert "The database cannot be written" in status_text(app)
            assert [(t.means, t.amount_cents) for t in app.screen.checkout.tenders] == [("cash", 500)]
            assert Ticket.select().count() == 0
        finally:
            shop.ctx.database.execute_sql("PRAGMA query_only = 0")
        await pilot.press("enter")  # fixed: Enter writes the sale, the cash counted once
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert Ticket.select().count() == 1 and Ticket.get().total_cents == 459


async def test_a_full_disk_refuses_the_sale_on_screen(shop):
    app = with_floor(shop, NO_DISK_IS_THAT_BIG)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"])
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert "The disk is full" in status_text(app) and "call the technician" in status_text(app).lower()
        assert [line.sku for line in app.screen.basket.lines] == ["COF"]
        assert Ticket.select().count() == 0


async def _to_closures(pilot, app) -> None:
    await log_in(pilot, "manager", "9999")
    await pilot.press("f1")
    await settle(pilot)
    if isinstance(app.screen, ManagerPinScreen):  # F1 asks a manager's PIN of whoever is logged in
        await pilot.press(*"9999", "enter")
        await settle(pilot)
    assert isinstance(app.screen, ClosuresScreen)


async def test_the_managers_screen_says_the_disk_is_low(shop):
    app = with_floor(shop, NO_DISK_IS_THAT_BIG)
    async with app.run_test(size=SIZE) as pilot:
        await _to_closures(pilot, app)
        status = status_text(app, "#closures-status")
        assert "Disk: only" in status and "call the technician" in status


async def test_the_managers_screen_says_the_database_is_read_only(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await _to_closures(pilot, app)
        assert "Disk:" not in status_text(app, "#closures-status")  # all is well: nothing said
        shop.ctx.database.execute_sql("PRAGMA query_only = 1")
        try:
            await pilot.press("f5")  # the X report again, and what the manager should know
            await settle(pilot)
            status = status_text(app, "#closures-status")
        finally:
            shop.ctx.database.execute_sql("PRAGMA query_only = 0")
        assert "Disk: the database cannot be written (the database was opened read-only)" in status
