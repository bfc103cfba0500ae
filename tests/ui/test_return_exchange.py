"""An exchange at the return screen: items back and new items in ONE ticket, the difference paid
(cash with change, or card), refunded, or nothing at all.

Each test sells through the domain (``tests.support.shop.sell``), drives the real ``TillApp`` with Pilot
on a real SQLite shop, and reads back what was stored: one EXCHANGE ticket whose returned
lines are negative and point at the sold lines, whose new lines are positive, and its payments.
"""

from __future__ import annotations

from store.models import Ticket, TicketLine
from till.ui.returns.payment import ExchangePaymentScreen
from till.ui.returns.resolution import ResolutionScreen
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, keys, log_in, screen_text, settle, status_text
from tests.support.shop import sell
from tests.support.queries import payments


def exchanges() -> list[Ticket]:
    return list(Ticket.select().where(Ticket.kind == "exchange").order_by(Ticket.id))


def written_tickets() -> int:
    return Ticket.select().where(Ticket.kind.in_(["return", "exchange"])).count()


def lines(ticket: Ticket) -> list[tuple[str, int, bool]]:
    """(sku, quantity, points at a sold line) of each stored line, in ticket order."""
    return [(line.sku, line.quantity, line.origin_line_id is not None)
            for line in TicketLine.select().where(TicketLine.ticket == ticket.id).order_by(TicketLine.position)]


async def take_back_first_line(app, pilot, sale) -> None:
    """Scan the receipt, take all of its first line back, first reason."""
    burst(app, sale.code)
    await settle(pilot)
    assert isinstance(app.screen, ReturnScreen)
    await keys(pilot, "enter", "f3", "enter")
    assert all(pick.reason for pick in app.screen.session.picks)


async def test_exchange_difference_paid_in_cash_with_change(app, shop):
    sale = sell(shop, [("SOA", 1)], cash=350)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await take_back_first_line(app, pilot, sale)

        # WHEN F8, then the new items scanned: two bottles, then "-" gives one back
        await keys(pilot, "f8")
        assert "scan the new items" in status_text(app)
        burst(app, shop.barcodes["WIN"], shop.barcodes["WIN"])
        await settle(pilot)
        await keys(pilot, "minus")
        assert [(line.sku, line.quantity) for line in app.screen.exchange.lines] == [("WIN", 1)]
        shown = screen_text(app)
        assert "Savon de Marseille" in shown and "Côtes du Rhône" in shown
        assert "Back: €3.50   New: €8.95   To pay: €5.45" in shown

        # F2: the payment of the difference; 10 in cash, Enter
        await keys(pilot, "f2")
        assert isinstance(app.screen, ExchangePaymentScreen)
        assert "€5.45" in screen_text(app)
        await pilot.press("1", "0", "enter")
        await settle(pilot)

        # THEN one exchange ticket, the change given back in cash
        assert isinstance(app.screen, SaleScreen), status_text(app)
        [written] = exchanges()
        assert written_tickets() == 1
        assert (written.origin_ticket_id, written.total_cents) == (sale.id, 545)
        assert lines(written) == [("SOA", -1, True), ("WIN", 1, False)]
        assert payments(written) == [("cash", 1000), ("cash", -455)]
        assert f"Exchange {written.code} written" in status_text(app)
        assert "Change: €4.55" in status_text(app)


async def test_exchange_difference_paid_by_card_after_a_decline(app, shop):
    sale = sell(shop, [("BAG", 1)], cash=120)
    terminal = shop.ctx.terminal
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await take_back_first_line(app, pilot, sale)
        await keys(pilot, "f8")
        burst(app, shop.barcodes["COF"])
        await settle(pilot)
        await keys(pilot, "f2")
        assert isinstance(app.screen, ExchangePaymentScreen)

        # the terminal declines: nothing written, the screen stays and says why
        terminal.fail_next = "decline"
        await keys(pilot, "f2")
        assert isinstance(app.screen, ExchangePaymentScreen)
        assert exchanges() == []
        assert "declined" in status_text(app, "#exchange-status")

        # F2 again: approved, written
        await keys(pilot, "f2")
        assert isinstance(app.screen, SaleScreen), status_text(app)
        [written] = exchanges()
        assert terminal.requests[-1][:2] == ("sale", 339)
        assert payments(written) == [("card", 339)]
        assert lines(written) == [("BAG", -1, True), ("COF", 1, False)]


async def test_exchange_difference_refunded_to_the_card(app, shop):
    sale = sell(shop, [("WIN", 1)], card=895)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await take_back_first_line(app, pilot, sale)
        await keys(pilot, "f8")
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        assert "To refund: €5.45" in screen_text(app)

        # F2: the refund screen, as for a return, with both amounts; Enter refunds the card
        await keys(pilot, "f2")
        assert isinstance(app.screen, ResolutionScreen)
        shown = screen_text(app)
        assert "New items" in shown and "€3.50" in shown and "€5.45" in shown
        await keys(pilot, "enter")

        assert isinstance(app.screen, SaleScreen), status_text(app)
        [written] = exchanges()
        assert shop.ctx.terminal.requests[-1][:2] == ("refund", 545)
        assert (written.total_cents, payments(written)) == (-545, [("card", -545)])
        assert lines(written) == [("WIN", -1, True), ("SOA", 1, False)]
        assert f"Exchange {written.code} written, refund Card €5.45" in status_text(app)


async def test_even_exchange_of_the_same_product_pays_nothing(app, shop):
    sale = sell(shop, [("WIN", 2)], cash=1790)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "plus", "f3", "enter")  # one of the two bottles comes back

        # in exchange mode a product of the ticket is a NEW item, not one more taken back
        await keys(pilot, "f8")
        burst(app, shop.barcodes["WIN"])
        await settle(pilot)
        assert {pick.sku: pick.quantity for pick in app.screen.session.picks} == {"WIN": 1}
        assert [(line.sku, line.quantity) for line in app.screen.exchange.lines] == [("WIN", 1)]
        assert "To pay: €0.00" in screen_text(app)

        # F8 again: back in return mode, the same scan takes the second bottle back
        await keys(pilot, "f8")
        burst(app, shop.barcodes["WIN"])
        await settle(pilot)
        assert {pick.sku: pick.quantity for pick in app.screen.session.picks} == {"WIN": 2}
        await keys(pilot, "minus")

        # F2 then Enter: nothing to pay, the exchange is written without a payment
        await keys(pilot, "f2")
        assert isinstance(app.screen, ExchangePaymentScreen)
        assert "Nothing to pay" in status_text(app, "#exchange-status")
        await keys(pilot, "enter")
        assert isinstance(app.screen, SaleScreen), status_text(app)
        [written] = exchanges()
        assert (written.total_cents, payments(written)) == (0, [])
        assert lines(written) == [("WIN", -1, True), ("WIN", 1, False)]
        assert "nothing to pay" in status_text(app)


async def test_exchange_needs_a_ticket_and_esc_writes_nothing(app, shop):
    sale = sell(shop, [("SOA", 1)], cash=350)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await keys(pilot, "f12", "f8")
        assert "Open the ticket first" in status_text(app)
        assert app.screen.exchange is None

        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter", "f3", "enter", "f8")
        burst(app, shop.barcodes["WIN"], "12345678")  # an unknown code changes nothing
        await settle(pilot)
        assert "12345678" in status_text(app)
        assert [line.sku for line in app.screen.exchange.lines] == ["WIN"]
        await keys(pilot, "f2")
        await keys(pilot, "escape")  # the payment: back to the return screen
        assert isinstance(app.screen, ReturnScreen)
        assert "Exchange not written" in status_text(app)
        await keys(pilot, "escape")  # the return screen: back to the sale
        assert isinstance(app.screen, SaleScreen)
        assert written_tickets() == 0


async def test_exchange_difference_split_between_card_and_cash(app, shop):
    sale = sell(shop, [("BAG", 1)], cash=120)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await take_back_first_line(app, pilot, sale)
        await keys(pilot, "f8")
        burst(app, shop.barcodes["COF"])
        await settle(pilot)
        await keys(pilot, "f2")

        # 2 typed, F2: 2.00 on the card (charged when written); Enter: the rest in cash
        await keys(pilot, "2", "f2")
        assert "€1.39" in status_text(app, "#exchange-status")
        assert exchanges() == []
        await keys(pilot, "enter")

        assert isinstance(app.screen, SaleScreen), status_text(app)
        [written] = exchanges()
        assert shop.ctx.terminal.requests[-1][:2] == ("sale", 200)
        assert payments(written) == [("card", 200), ("cash", 139)]
