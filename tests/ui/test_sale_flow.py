"""A cashier sells: scans (as scanner bursts), pays cash, card, both; the ticket is in the database.

The real ``TillApp`` on a real SQLite shop, driven with Pilot. Each test reads back what was
stored (tickets, payments, fiscal records) rather than trusting the screen alone.
"""

from __future__ import annotations

from store.models import FiscalRecord, Payment, Ticket, TicketLine
from till.fiscal.events import LINE_VOID
from till.ui.screens.payment import PaymentScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, log_in, screen_text, settle, status_text


async def test_two_items_paid_cash_with_change(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        assert isinstance(app.screen, SaleScreen)

        # GIVEN two items scanned as bursts (4,59 + 8,95 = 13,54)
        burst(app, shop.barcodes["COF"], shop.barcodes["WIN"])
        await settle(pilot)
        assert [(line.sku, line.quantity) for line in app.screen.basket.lines] == [("COF", 1), ("WIN", 1)]
        assert app.screen.table.row_count == 2

        # WHEN the customer pays 20 in cash
        await pilot.press("f2")
        assert isinstance(app.screen, PaymentScreen)
        await pilot.press("c", "2", "0", "enter")
        await settle(pilot)

        # THEN one ticket, cash 20 and change -6,46, and the change is shown
        assert isinstance(app.screen, SaleScreen)
        ticket = Ticket.get()
        assert ticket.total_cents == 1354 and ticket.line_count == 2
        assert [(line.sku, line.quantity) for line in TicketLine.select().order_by(TicketLine.position)] == [
            ("COF", 1), ("WIN", 1)]
        payments = [(p.means, p.amount_cents) for p in Payment.select().order_by(Payment.position)]
        assert payments == [("cash", 2000), ("cash", -646)]
        assert "€6.46" in status_text(app)
        assert "CHANGE" in screen_text(app)
        # A new, empty basket is ready
        assert app.screen.basket.is_empty and app.screen.table.row_count == 0


async def test_exact_cash_with_empty_amount(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["BAG"])
        await settle(pilot)
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
        assert [(p.means, p.amount_cents) for p in Payment.select()] == [("cash", 120)]


async def test_split_card_then_cash(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"], shop.barcodes["WIN"])  # 13,54
        await settle(pilot)
        await pilot.press("f2")

        # 10,00 by card: type the amount, then F2
        await pilot.press("c", "1", "0", "f2")
        await settle(pilot)
        assert "approved" in status_text(app, "#payment-status")
        assert isinstance(app.screen, PaymentScreen)
        assert Ticket.select().count() == 0  # not paid yet: nothing written

        # the rest (3,54) in cash with a 5 note
        await pilot.press("5", "enter")
        await settle(pilot)

        assert isinstance(app.screen, SaleScreen)
        ticket = Ticket.get()
        payments = [(p.means, p.amount_cents) for p in ticket.payments.order_by(Payment.position)]
        assert payments == [("card", 1000), ("cash", 500), ("cash", -146)]
        assert sum(amount for _means, amount in payments) == ticket.total_cents
        assert shop.ctx.terminal.requests[-1][:2] == ("sale", 1000)


async def test_cash_first_then_card_for_the_rest(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["WIN"])  # 8,95
        await settle(pilot)
        await pilot.press("f2", "c", "5", "enter", "f2")
        await settle(pilot)
        ticket = Ticket.get()
        payments = [(p.means, p.amount_cents) for p in ticket.payments.order_by(Payment.position)]
        assert payments == [("cash", 500), ("card", 395)]


async def test_declined_card_changes_nothing(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"])
        await settle(pilot)
        await pilot.press("f2")
        shop.ctx.terminal.fail_next = "decline"
        await pilot.press("f2")
        await settle(pilot)

        assert isinstance(app.screen, PaymentScreen)
        assert "declined" in status_text(app, "#payment-status").lower()
        assert app.screen.status.has_class("error")
        assert Ticket.select().count() == 0 and Payment.select().count() == 0
        assert app.screen.checkout.tenders == []

        # Esc is allowed (nothing was charged) and the basket is still there
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)
        assert [line.sku for line in app.screen.basket.lines] == ["COF"]


async def test_approved_card_is_refunded_not_abandoned(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["WIN"])
        await settle(pilot)
        await pilot.press("f2", "c", "5", "f2")
        await settle(pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, PaymentScreen)
        assert "approved by card" in status_text(app, "#payment-status")

        # F3 refunds the card through the terminal, then the payment can be left
        await pilot.press("f3")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert app.ctx.terminal.requests[-1][:2] == ("refund", 500)
        assert Ticket.select().count() == 0 and Payment.select().count() == 0
        assert [line.sku for line in app.screen.basket.lines] == ["WIN"]


async def test_ten_scanner_bursts_back_to_back(app, shop):
    """The Textual #6605 race: ten codes and their Enters queued at once, none merged or lost."""
    codes = ["BAG", "COF", "WIN", "SOA", "NEWS", "SAND", "BAG", "3*COF", "WIN", "2*SOA"]
    texts = [code if "*" not in code else code.split("*")[0] + "*" + shop.barcodes[code.split("*")[1]]
             for code in codes]
    texts = [shop.barcodes[t] if t in shop.barcodes else t for t in texts]
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, *texts[:5])
        burst(app, *texts[5:], end="ctrl+j")  # scanners set to send LF
        await settle(pilot)

        lines = app.screen.basket.lines
        assert [(line.sku, line.quantity) for line in lines] == [
            ("BAG", 1), ("COF", 1), ("WIN", 1), ("SOA", 1), ("NEWS", 1),
            ("SAND", 1), ("BAG", 1), ("COF", 3), ("WIN", 1), ("SOA", 2),
        ]
        assert app.screen.table.row_count == 10
        assert app.screen.scan_input.value == ""


async def test_same_item_twice_adds_to_its_line(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"], shop.barcodes["COF"])
        await settle(pilot)
        assert [(line.sku, line.quantity) for line in app.screen.basket.lines] == [("COF", 2)]
        assert app.screen.table.row_count == 1


async def test_unknown_barcode_adds_nothing(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"], "3000000000007")
        await settle(pilot)
        assert [line.sku for line in app.screen.basket.lines] == ["COF"]
        assert "Unknown code 3000000000007" in status_text(app)
        assert app.screen.status.has_class("error")


async def test_invalid_check_digit_is_refused(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        bad = shop.barcodes["COF"][:-1] + str((int(shop.barcodes["COF"][-1]) + 1) % 10)
        burst(app, bad)
        await settle(pilot)
        assert app.screen.basket.is_empty
        assert "check digit" in status_text(app)


async def test_void_line_records_a_technical_event(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["COF"], shop.barcodes["WIN"])
        await settle(pilot)
        await pilot.press("up")  # cursor from WIN (last scanned) to COF
        await pilot.press("f4")
        await pilot.pause()

        assert [line.sku for line in app.screen.basket.lines] == ["WIN"]
        assert app.screen.table.row_count == 1
        events = [r for r in FiscalRecord.select().where(FiscalRecord.chain == "L") if r.kind == LINE_VOID]
        assert len(events) == 1
        assert '"sku":"COF"' in events[0].payload.replace(" ", "")


async def test_void_with_empty_basket_says_so(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await pilot.press("f4")
        assert "Scan an item first" in status_text(app)


async def test_receipt_preview_of_the_last_ticket(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await pilot.press("f8")
        assert "No ticket" in status_text(app)
        burst(app, shop.barcodes["COF"])
        await settle(pilot)
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
        await pilot.press("f8")
        await pilot.pause()
        text = screen_text(app)
        assert "Café moulu 250 g" in text and "4,59" in text
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, SaleScreen)


async def test_outbox_prints_after_the_sale(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
    printed = shop.config.resolve(shop.config.printer.path).read_text(encoding="utf-8")
    assert "Savon de Marseille" in printed


async def test_screen_answers_while_the_terminal_waits(app, shop):
    """The card runs in a thread: keys are still handled, and Esc is refused until it answers."""
    shop.ctx.terminal.delay_s = 0.5
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["BAG"])
        await settle(pilot)
        await pilot.press("f2", "f2")
        await pilot.press("escape")
        assert isinstance(app.screen, PaymentScreen)
        assert "Waiting for the card terminal" in status_text(app, "#payment-status")
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
        assert [(p.means, p.amount_cents) for p in Payment.select()] == [("card", 120)]


async def test_terminal_timeout_charges_nothing(app, shop):
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["BAG"])
        await settle(pilot)
        shop.ctx.terminal.fail_next = "timeout"
        await pilot.press("f2", "f2")
        await settle(pilot)
        assert "nothing was charged" in status_text(app, "#payment-status")
        assert Ticket.select().count() == 0
        # try again: approved this time
        await pilot.press("f2")
        await settle(pilot)
        assert [(p.means, p.amount_cents) for p in Payment.select()] == [("card", 120)]


async def test_f2_on_the_receipt_prints_a_numbered_duplicate_signed_in_chain_c(app, shop):
    """R-DUP: each copy says DUPLICATA n°X, is sealed in chain C and printed from the outbox."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("f2")
        await settle(pilot)
        assert "n°1" in screen_text(app) or "No. 1" in screen_text(app)
        await pilot.press("f2")
        await settle(pilot)
    ticket = Ticket.select().order_by(Ticket.id.desc()).get()
    copies = list(FiscalRecord.select().where(FiscalRecord.chain == "C").order_by(FiscalRecord.sequence))
    assert [(c.sequence, c.ticket_id) for c in copies] == [(1, ticket.id), (2, ticket.id)]
    import json

    assert [json.loads(c.payload)["duplicate"] for c in copies] == [1, 2]
    printed = shop.config.resolve(shop.config.printer.path).read_text(encoding="utf-8")
    assert printed.count("DUPLICATA n°1") == 1 and printed.count("DUPLICATA n°2") == 1
    assert printed.count("Savon de Marseille") == 3  # the receipt and its two copies


async def test_digits_typed_straight_away_on_the_payment_screen_all_count(app, shop):
    """The first digit focuses the amount field; the second must add to it, not replace it."""
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["WIN"])
        await settle(pilot)
        await pilot.press("f2", "2", "0", "enter")
        await settle(pilot)
    assert [(p.means, p.amount_cents) for p in Payment.select().order_by(Payment.position)] == [
        ("cash", 2000), ("cash", -1105)]


async def test_f3_on_the_receipt_emails_it_only_to_a_customer_who_agreed(app, shop):
    """Consent first: without it nothing is queued and the screen says why."""
    from store.models import Customer, OutboxJob

    async with app.run_test(size=SIZE) as pilot:
        await receipt_of_a_customer_sale(pilot, app, shop)
        await pilot.press("f3")
        await settle(pilot)
        assert "e-mailed" in screen_text(app)
        assert OutboxJob.select().where(OutboxJob.kind == "send_email_receipt").count() == 1
        await pilot.press("escape")
        Customer.update(consent_email=False).where(Customer.id == shop.customer.id).execute()
        await pilot.press("f8")
        await pilot.pause()
        await pilot.press("f3")
        await settle(pilot)
        assert "e-mailed" not in screen_text(app) and "agree" in screen_text(app).lower()
    assert OutboxJob.select().where(OutboxJob.kind == "send_email_receipt").count() == 1


async def test_a_printer_that_cannot_print_is_shown_and_selling_goes_on(shop, tmp_path):
    """The receipt waits in the outbox; the screen says why; the next sale is not blocked."""
    import dataclasses

    from till.ui.app import TillApp

    shop.ctx.config = dataclasses.replace(
        shop.ctx.config, printer=dataclasses.replace(shop.ctx.config.printer, path=str(tmp_path)))  # a folder
    app = TillApp(shop.ctx)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
        assert "Printer:" in status_text(app) and "when it is back" in status_text(app)
        burst(app, shop.barcodes["BAG"])
        await settle(pilot)
        await pilot.press("f2", "c", "enter")
        await settle(pilot)
    assert Ticket.select().count() == 2


async def test_f4_on_the_receipt_says_why_no_text_message_is_sent(app, shop):
    from store.models import OutboxJob

    async with app.run_test(size=SIZE) as pilot:
        await receipt_of_a_customer_sale(pilot, app, shop)
        await pilot.press("f4")
        await settle(pilot)
        assert "not configured" in screen_text(app)
    assert OutboxJob.select().where(OutboxJob.kind == "send_sms").count() == 0


async def receipt_of_a_customer_sale(pilot, app, shop) -> None:
    """Log in, sell a soap to Hélène (F7), pay cash, open the receipt preview (F8)."""
    await log_in(pilot)
    burst(app, shop.barcodes["SOA"])
    await settle(pilot)
    await pilot.press("f7", *"helene", "enter")
    await pilot.pause()
    await pilot.press("f2", "c", "enter")
    await settle(pilot)
    await pilot.press("f8")
    await pilot.pause()
