"""Taking back an item with a serial number: the return screen asks for the serial sold.

The soap of the test shop is made serial-tracked and sold with serial ``SN-1`` (written through
the real ticket writer); the real ``TillApp`` is driven with Pilot. The serial is judged by
``ReturnSession.pick``: a wrong one is refused in the status line and changes nothing.
"""

from __future__ import annotations

import dataclasses

from store.models import Ticket, TicketLine
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from till.selling.ticket_writer import write_ticket
from till.ui.returns.dialogs import SerialScreen
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, keys, log_in, screen_text, settle, status_text


def sell_with_serial(shop, serial: str = "SN-1") -> Ticket:
    product = shop.products["SOA"]
    product.serial_tracked = True
    product.save()
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(product, 1)
    checkout = Checkout(basket, None)
    checkout.add_cash(350)
    draft = checkout.draft()
    draft = dataclasses.replace(draft, lines=(dataclasses.replace(draft.lines[0], serial=serial),))
    return write_ticket(shop.ctx.sealer, shop.config.accounts, draft)


def taken(app) -> dict[str, tuple[int, str | None]]:
    return {pick.sku: (pick.quantity, pick.serial) for pick in app.screen.session.picks}


async def open_ticket(app, pilot, sale) -> None:
    burst(app, sale.code)
    await settle(pilot)
    assert isinstance(app.screen, ReturnScreen)


async def test_serial_is_asked_and_esc_takes_nothing(app, shop):
    sale = sell_with_serial(shop)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await open_ticket(app, pilot, sale)
        await keys(pilot, "enter")
        assert isinstance(app.screen, SerialScreen)
        assert "Savon de Marseille: scan or type the serial number sold" in screen_text(app)
        await keys(pilot, "escape")
        assert isinstance(app.screen, ReturnScreen)
        assert taken(app) == {}
        assert "No serial number given" in status_text(app)


async def test_wrong_serial_is_refused_and_changes_nothing(app, shop):
    sale = sell_with_serial(shop)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await open_ticket(app, pilot, sale)
        await keys(pilot, "enter")
        await pilot.press(*"SN-2", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        assert "Serial SN-2 is not the one sold on this ticket" in status_text(app)
        assert taken(app) == {}


async def test_right_serial_scanned_is_taken_back_and_stored(app, shop):
    sale = sell_with_serial(shop)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await open_ticket(app, pilot, sale)

        # the product's own barcode scanned takes its line: the serial is asked, then scanned
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        assert isinstance(app.screen, SerialScreen)
        burst(app, "SN-1")
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        assert taken(app) == {"SOA": (1, "SN-1")}

        await keys(pilot, "f3", "enter", "f2", "enter")
        assert isinstance(app.screen, SaleScreen), status_text(app)
        written = Ticket.get(Ticket.kind == "return")
        line = TicketLine.get(TicketLine.ticket == written.id)
        assert (line.sku, line.quantity, line.serial) == ("SOA", -1, "SN-1")


async def test_without_receipt_each_serial_item_asks_its_serial(app, shop):
    sell_with_serial(shop)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await keys(pilot, "f12", "f5")
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        assert isinstance(app.screen, SerialScreen)
        burst(app, "SN-7")
        await settle(pilot)
        assert [(p.sku, p.quantity, p.serial) for p in app.screen.session.picks] == [("SOA", 1, "SN-7")]

        # a second one has its own serial, on its own row; "+" cannot give it the first one's
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        burst(app, "SN-8")
        await settle(pilot)
        assert sorted(p.serial for p in app.screen.session.picks) == ["SN-7", "SN-8"]
        await keys(pilot, "plus")
        assert "serial number on its own" in status_text(app)
        assert [p.quantity for p in app.screen.session.picks] == [1, 1]
