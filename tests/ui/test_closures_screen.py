"""The forced daily closure at the till (R-CON-02): the sale screen says the day is not closed,
a manager closes it from F1 (X report, F2 twice for the Z), and selling resumes.

The real ``TillApp`` on a real SQLite shop; a sale of yesterday is written first (through the
real ticket writer, dated yesterday) and left without its closure, as when nobody pressed Z.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from store.models import FiscalRecord, Ticket, utcnow
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.selling.ticket_writer import write_ticket
from tests.support.clock import sealing_at
from till.ui.screens.closures import ClosuresScreen
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle, status_text


def sale_of_yesterday(shop) -> Ticket:
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 1)
    checkout = Checkout(basket, None)
    checkout.add_cash(1000)
    draft = dataclasses.replace(checkout.draft(), created_at=utcnow() - dt.timedelta(days=1))
    with sealing_at(draft.created_at):  # signed yesterday
        return write_ticket(shop.ctx.sealer, shop.config.accounts, draft)


async def test_an_unclosed_day_stops_the_sale_until_a_manager_closes_it_from_f1(app, shop):
    yesterday = sale_of_yesterday(shop)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        assert "is not closed" in status_text(app) and "F1" in status_text(app)
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        await pilot.press("f2", "c", "enter")  # the payment is refused by the ticket writer
        await settle(pilot)
        assert Ticket.select().count() == 1

        # back to the sale, F1: a cashier needs a manager's PIN
        while not isinstance(app.screen, SaleScreen):
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, ManagerPinScreen)
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClosuresScreen)
        assert "X" in screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
        assert "F2 again" in status_text(app)
        assert FiscalRecord.select().where(FiscalRecord.chain == "G").count() == 0  # not yet
        await pilot.press("f2")
        await settle(pilot)
        (closure,) = FiscalRecord.select().where(FiscalRecord.chain == "G")
        payload = json.loads(closure.payload)
        from till.fiscal.closure_totals import business_day

        assert payload["period"]["label"] == business_day(yesterday.created_at, shop.ctx.sealer.zone).isoformat()
        assert (payload["ticket_count"], payload["sales_cents"], payload["last_ticket"]) == (1, 895, yesterday.number)
        assert "closed" in status_text(app)
        await pilot.press("f4")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen) and "not closed" not in status_text(app)
        if app.screen.basket.is_empty:
            burst(app, shop.barcodes["SOA"])
            await settle(pilot)
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
    assert Ticket.select().count() == 2
    printed = shop.config.resolve(shop.config.printer.path).read_text(encoding="utf-8")
    assert "Z" in printed and "Savon de Marseille" in printed


async def test_f7_opens_the_drawer_without_a_sale_and_records_it(app, shop):
    """R-JET: a drawer opened without a sale is a technical event; only a manager may."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot, "manager", "9999")
        await pilot.press("f1")
        await settle(pilot)
        await pilot.press("f7")
        await settle(pilot)
        assert "Drawer opened" in status_text(app)
    (event,) = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == "DRAWER_OPENED"))
    assert json.loads(event.payload)["user_id"] == shop.manager.id
    assert "no sale (manager)" in shop.config.resolve("drawer.log").read_text(encoding="utf-8")
