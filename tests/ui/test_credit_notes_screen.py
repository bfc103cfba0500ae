"""Credit notes at the real till UI: pay with one (F4), a note spent meanwhile, the balance (F11)."""

from __future__ import annotations


from store.models import Payment, Ticket
from till.credit import notes as credit_notes
from till.selling.ticket_writer import DraftLine, DraftPayment, TicketDraft, write_ticket
from tests.support.credit import issue_note
from tests.support.pilot import SIZE, log_in, settle, status_text


async def type_text(pilot, text: str) -> None:
    await pilot.press(*[{"-": "minus", " ": "space"}.get(char, char) for char in text])


async def test_pay_with_a_credit_note_then_cash(app, shop):
    from till.ui.screens.payment import PaymentScreen
    from till.ui.screens.sale import SaleScreen

    note = issue_note(shop, 500)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await type_text(pilot, shop.barcodes["WIN"])  # 8,95
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f2")
        assert isinstance(app.screen, PaymentScreen)
        await pilot.press("f4")
        await type_text(pilot, note.code.lower())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert app.screen.checkout.due_cents == 395
        assert "credit note" in status_text(app, "#payment-status").lower()
        await pilot.press("c", "enter")  # the rest in cash
        await settle(pilot)
        assert isinstance(app.screen, SaleScreen)
    ticket = Ticket.select().where(Ticket.kind == "sale").get()
    payments = [(p.means, p.amount_cents, p.reference) for p in ticket.payments.order_by(Payment.position)]
    assert payments == [("credit_note", 500, note.code), ("cash", 395, None)]
    assert credit_notes.balance(note) == 0


async def test_a_note_spent_meanwhile_is_refused_on_screen(app, shop):
    from till.ui.screens.payment import PaymentScreen

    note = issue_note(shop, 895)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await type_text(pilot, shop.barcodes["WIN"])
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("f2")
        # Another till spends 1,00 of the note while this one is paying; the checkout already
        # checked the note, so the refusal comes when the ticket is written.
        checkout = app.screen.checkout
        checkout.add_credit_note(note.code)
        other = Payment.select().count()
        product = shop.products["BAG"]
        line = DraftLine(product_id=product.id, sku="BAG", label=product.name, quantity=1, unit="piece",
                         unit_price_cents=100, discount_cents=0, total_cents=100, vat_code="R", vat_rate_bp=550)
        write_ticket(shop.ctx.sealer, shop.config.accounts, TicketDraft(
            kind="sale", user_id=shop.cashier.id, operator_name=shop.cashier.name, lines=(line,),
            payments=(DraftPayment("credit_note", 100, note.code),)))
        assert Payment.select().count() == other + 1
        await pilot.press("c")  # paid already: retries the write
        await settle(pilot)
        assert isinstance(app.screen, PaymentScreen)
        assert note.code in status_text(app, "#payment-status")
        assert checkout.tenders == [] and checkout.due_cents == 895
    assert Ticket.select().where(Ticket.total_cents == 895, Ticket.kind == "sale").count() == 0
    assert credit_notes.balance(note) == 795


async def test_balance_screen_from_the_sale_screen(app, shop):
    from till.ui.screens.credit_note_balance import CreditNoteBalanceScreen

    note = issue_note(shop, 1234)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await type_text(pilot, note.code)  # scanned at the sale screen: shows the note, adds nothing
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CreditNoteBalanceScreen)
        details = str(app.screen.query_one("#credit-note-details").render())
        assert note.code in details and "12.34" in details and note.issued_ticket.code in details
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.basket.is_empty
        await pilot.press("f11")
        await settle(pilot)
        assert isinstance(app.screen, CreditNoteBalanceScreen)
        forged = note.code[:-1] + ("0" if note.code[-1] != "0" else "1")
        await type_text(pilot, forged)
        await pilot.press("enter")
        await settle(pilot)
        assert "not a valid credit note code" in status_text(app)
