"""The sale screen's line keys: quantity (F3), discounts (F5/F6, manager above the limit),
customer (F7), cursor moves; and a bug in a handler never reaches the cashier as a traceback."""

from __future__ import annotations

import logging

from store.models import Customer, FiscalRecord, Payment, Ticket
from till.fiscal.events import MANAGER_OVERRIDE
from till.ui.dialogs.customer import CustomerScreen
from till.ui.dialogs.discount import DiscountScreen, parse_discount
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.dialogs.quantity import QuantityScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle, status_text


async def sale_with(pilot, app, *codes):
    await log_in(pilot)
    burst(app, *codes)
    await settle(pilot)


async def test_quantity_of_the_selected_line(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await sale_with(pilot, app, shop.barcodes["COF"], shop.barcodes["WIN"])
        table = app.screen.table
        await pilot.press("up", "f3")
        assert isinstance(app.screen, QuantityScreen)
        await pilot.press("4", "enter")
        await pilot.pause()
        assert [(line.sku, line.quantity) for line in app.screen.basket.lines] == [("COF", 4), ("WIN", 1)]
        assert "18.36" in screen_text(app).replace(" ", "")  # 4 x 4,59 in the table
        assert table.selected_line_id == 1 and table.cursor_row == 0  # same row, same place


async def test_refused_quantity_changes_nothing(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await sale_with(pilot, app, shop.barcodes["COF"])
        await pilot.press("f3", "0", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert app.screen.basket.lines[0].quantity == 1
        assert app.screen.status.has_class("error")


async def test_small_line_discount_needs_no_manager(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await sale_with(pilot, app, shop.barcodes["WIN"])
        await pilot.press("f5")
        assert isinstance(app.screen, DiscountScreen)
        await pilot.press(*"0,50", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert app.screen.basket.totals().total_cents == 845


async def test_large_ticket_discount_asks_a_manager(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await sale_with(pilot, app, shop.barcodes["COF"], shop.barcodes["WIN"])  # 13,54
        await pilot.press("f6", *"20%", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ManagerPinScreen)

        # a wrong PIN is refused in the dialog, which stays open
        await pilot.press(*"1111", "enter")
        assert isinstance(app.screen, ManagerPinScreen)

        await pilot.press(*"9999", "enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        totals = app.screen.basket.totals()
        assert totals.discount_cents == 271 and totals.total_cents == 1083
        assert "Discount applied" in status_text(app)

        # and the sale is paid at the discounted price
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
        assert Ticket.get().total_cents == 1083
        assert [p.amount_cents for p in Payment.select()] == [1083]
    kinds = [r.kind for r in FiscalRecord.select().where(FiscalRecord.chain == "L")]
    assert MANAGER_OVERRIDE in kinds


async def test_manager_refusal_leaves_the_basket_as_it_was(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await sale_with(pilot, app, shop.barcodes["WIN"])
        await pilot.press("f5", *"50%", "enter")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert app.screen.basket.totals().discount_cents == 0
        assert "manager" in status_text(app)


def test_parse_discount():
    assert parse_discount("10 %") == {"percent_bp": 1000}
    assert parse_discount("5,5%") == {"percent_bp": 550}
    assert parse_discount("2,50") == {"amount_cents": 250}


async def test_customer_found_without_accents_and_attached(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await sale_with(pilot, app, shop.barcodes["BAG"])
        await pilot.press("f7")
        assert isinstance(app.screen, CustomerScreen)
        await pilot.press(*"DUPR")  # matches the second word, whatever the case
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert app.screen.basket.customer.id == shop.customer.id
        assert "Hélène Dupré" in str(app.screen.query_one("#sale-info").render())
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
        assert Ticket.get().customer_id == shop.customer.id


async def test_customer_search_finds_nobody(app, shop):
    Customer.create(first_name="Zoé", last_name="Martin", search_key="zoe martin")
    async with app.run_test(size=SIZE) as pilot:
        await sale_with(pilot, app, shop.barcodes["BAG"])
        await pilot.press("f7", *"xyz", "enter")
        assert isinstance(app.screen, CustomerScreen)
        assert "No customer" in status_text(app)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.basket.customer is None


async def test_unexpected_error_is_logged_not_shown(app, shop, monkeypatch, caplog):
    """A bug in the workflow: a short message in red, details in the log, the till still runs."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)

        def broken(code):
            raise RuntimeError("database exploded")

        monkeypatch.setattr(app.screen.basket, "add_code", broken)
        with caplog.at_level(logging.ERROR, logger="till.ui"):
            burst(app, shop.barcodes["BAG"])
            await settle(pilot)
        assert app.is_running
        assert "Unexpected error" in status_text(app)
        assert "exploded" not in screen_text(app)
        assert "database exploded" in caplog.text


async def test_customer_taken_off_the_ticket_only_on_purpose(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await sale_with(pilot, app, shop.barcodes["BAG"])
        await pilot.press("f7", *"helene", "enter")
        await pilot.pause()
        assert app.screen.basket.customer is not None
        # Enter on an empty search removes nothing
        await pilot.press("f7", "enter")
        assert isinstance(app.screen, CustomerScreen)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen.basket.customer is not None
        # "(no customer)", chosen with the arrows, does
        await pilot.press("f7", "down", "enter")
        await pilot.pause()
        assert app.screen.basket.customer is None


async def test_a_decimal_quantity_of_an_item_sold_by_the_piece_is_refused_not_multiplied(app, shop):
    """F3 then "1,5": the field keeps the comma and the basket refuses it (it used to read 15)."""
    async with app.run_test(size=SIZE) as pilot:
        await sale_with(pilot, app, shop.barcodes["COF"])
        await pilot.press("f3", "1", ",", "5")
        assert app.screen.query_one("#quantity").value == "1,5"
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert app.screen.basket.lines[0].quantity == 1
        assert "sold by the piece" in status_text(app)
