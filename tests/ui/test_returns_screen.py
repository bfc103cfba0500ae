"""A cashier takes items back: the return screen on the real ``TillApp`` and a real SQLite shop.

Each test first sells through the domain (``tests.support.shop.sell``), then drives the return screen with Pilot, and reads back what was
stored (the return ticket, its lines and payments, the terminal's requests).
"""

from __future__ import annotations

import os

from store.models import FiscalRecord, Ticket, TicketLine
from till.ui.dialogs.credit_note_issued import CreditNoteIssuedScreen
from till.ui.dialogs.manager_pin import ManagerPinScreen
from till.ui.returns.dialogs import ChoiceScreen, NoteScreen
from till.ui.returns.resolution import ResolutionScreen
from till.ui.returns.screen import ReturnScreen
from till.ui.screens.sale import SaleScreen
from tests.support.pilot import SIZE, burst, keys, log_in, option_texts, screen_text, settle, status_text
from tests.support.shop import sell
from tests.support.queries import payments


def returns() -> list[Ticket]:
    return list(Ticket.select().where(Ticket.kind == "return").order_by(Ticket.id))


def taken(app) -> dict[str, int]:
    """What the return screen's session takes back now: sku -> quantity."""
    return {pick.sku: pick.quantity for pick in app.screen.session.picks}


async def test_single_item_card_refund_from_a_scanned_receipt_in_five_keys(app, shop):
    sale = sell(shop, [("WIN", 1)], card=895)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)

        # GIVEN the receipt scanned at the sale screen: the return screen opens on its ticket
        burst(app, sale.code)
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        assert app.screen.session.original.id == sale.id
        assert "Côtes du Rhône" in screen_text(app)

        # WHEN Enter (all of the only line), F3 + Enter (first reason), F2, Enter (default plan)
        count = await keys(pilot, "enter", "f3", "enter", "f2")
        assert isinstance(app.screen, ResolutionScreen)
        assert "Card" in screen_text(app) and "€8.95" in screen_text(app)
        count += await keys(pilot, "enter")

        # THEN at most 6 keys after the scan; the card was refunded and the return written
        assert count <= 6
        assert isinstance(app.screen, SaleScreen)
        assert shop.ctx.terminal.requests[-1][:2] == ("refund", 895)
        [written] = returns()
        assert written.origin_ticket_id == sale.id
        assert payments(written) == [("card", -895)]
        line = TicketLine.get(TicketLine.ticket == written.id)
        assert (line.sku, line.quantity, line.reason) == ("WIN", -1, "wrong_size")
        assert f"Return {written.code} written" in status_text(app) and "€8.95" in status_text(app)


async def test_partial_return_one_of_three_from_f12_and_typed_number(app, shop):
    sale = sell(shop, [("WIN", 3), ("BAG", 2)], cash=5000)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await pilot.press("f12")
        assert isinstance(app.screen, ReturnScreen)

        # the ticket number typed by hand, then + on the first line (3 wine bottles)
        await pilot.press(*str(sale.number), "enter")
        await settle(pilot)
        assert app.screen.session.original is not None, status_text(app)
        await keys(pilot, "plus", "plus", "minus")
        assert taken(app) == {"WIN": 1}
        await keys(pilot, "f3", "down", "enter")  # second reason: defective
        await keys(pilot, "f4", "down", "enter")  # damaged, not back on the shelf
        await keys(pilot, "f2", "enter")

        assert isinstance(app.screen, SaleScreen)
        [written] = returns()
        assert payments(written) == [("cash", -895)]
        line = TicketLine.get(TicketLine.ticket == written.id)
        assert (line.sku, line.quantity, line.reason, line.disposition) == ("WIN", -1, "defective", "damaged")

        # the same ticket again: 1 returned, 2 left; the bags untouched
        await pilot.press("f12")
        burst(app, sale.code)
        await settle(pilot)
        lines = {line.sku: (line.sold, line.returned, line.returnable) for line in app.screen.session.lines}
        assert lines == {"WIN": (3, 1, 2), "BAG": (2, 0, 2)}


async def test_a_scanner_burst_never_lands_in_a_quantity(app, shop):
    sale = sell(shop, [("WIN", 3), ("BAG", 2)], cash=5000)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "plus")
        assert taken(app) == {"WIN": 1}

        # WHEN codes arrive as bursts: the open receipt again (its "-" is part of the code, not
        # "one less"), digits of no product, a product that is not on the ticket, "+1" as text
        burst(app, sale.code, "12345678", shop.barcodes["COF"], "3+1", end="enter")
        burst(app, "0000", end="ctrl+j")
        await settle(pilot)

        # THEN no quantity moved, the field is empty, the ticket is still open
        assert taken(app) == {"WIN": 1}
        assert app.screen.scan_input.value == ""
        assert app.screen.session.original.id == sale.id

        # the fast path: a product of the ticket scanned takes exactly one more of its line
        burst(app, shop.barcodes["BAG"], shop.barcodes["WIN"])
        await settle(pilot)
        assert taken(app) == {"WIN": 2, "BAG": 1}
        burst(app, shop.barcodes["BAG"], shop.barcodes["BAG"])  # only 2 bags were sold
        await settle(pilot)
        assert taken(app) == {"WIN": 2, "BAG": 2}
        assert "Only 2 of Baguette tradition can still be returned" in status_text(app)


async def test_declined_card_refund_keeps_everything_and_offers_cash(app, shop):
    sale = sell(shop, [("COF", 1)], card=459)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter", "f3", "enter", "f2")
        shop.ctx.terminal.fail_next = "decline"
        await keys(pilot, "enter")

        # THEN nothing written, the refund screen stays and says what to do
        assert isinstance(app.screen, ResolutionScreen)
        assert returns() == []
        assert "declined" in status_text(app, "#resolution-status")
        assert "C: cash" in status_text(app, "#resolution-status")

        # cash instead: C, then Enter
        await keys(pilot, "c", "enter")
        assert isinstance(app.screen, SaleScreen)
        [written] = returns()
        assert payments(written) == [("cash", -459)]


async def test_return_outside_the_window_needs_a_manager(app, shop):
    sale = sell(shop, [("SOA", 1)], cash=350, days_ago=60)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter", "f3", "enter")

        # the breach stays in red; F2 is refused
        assert app.screen.session.unapproved()
        assert "F6" in status_text(app)
        await keys(pilot, "f2")
        assert isinstance(app.screen, ReturnScreen)

        # a wrong PIN is refused by the dialog, the manager's 9999 and a note approve
        await keys(pilot, "f6")
        assert isinstance(app.screen, ManagerPinScreen)
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"receipt kept in a drawer", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ReturnScreen)
        assert not app.screen.session.unapproved()

        await keys(pilot, "f2", "enter")
        assert isinstance(app.screen, SaleScreen)
        [written] = returns()
        assert payments(written) == [("cash", -350)]
        # the PIN check and the override (with the manager's note) are sealed in chain L
        overrides = [record.payload for record in FiscalRecord.select().where(
            (FiscalRecord.chain == "L") & (FiscalRecord.kind == "MANAGER_OVERRIDE"))]
        assert len([payload for payload in overrides if "receipt kept in a drawer" in payload]) == 1


async def test_reason_other_asks_a_note_and_esc_leaves_nothing_written(app, shop):
    sale = sell(shop, [("WIN", 1)], cash=895)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter", "f3")
        assert isinstance(app.screen, ChoiceScreen)
        await keys(pilot, "end", "enter")  # "other" is the last reason
        assert isinstance(app.screen, NoteScreen)
        await pilot.press(*"cork", "enter")
        await settle(pilot)
        [pick] = app.screen.session.picks
        assert (pick.reason, pick.note) == ("other", "cork")

        await keys(pilot, "escape")
        assert isinstance(app.screen, SaleScreen)
        assert returns() == []


async def test_return_screens_fit_a_french_console(app, shop):
    from tests.support.pilot import foreign_glyphs
    from till.i18n import set_language

    sale = sell(shop, [("WIN", 1)], card=895, customer=shop.customer)
    set_language("fr")
    shots = {}
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        shots["return"] = screen_text(app)
        await keys(pilot, "enter")
        await keys(pilot, "f3")
        shots["reason"] = screen_text(app)
        await keys(pilot, "enter", "f2")
        shots["refund"] = screen_text(app)

    footer = "\n".join(shots["return"].splitlines()[-2:])  # two rows
    for key in ("+/- Qté", "F2", "F3", "F4", "F5", "F6", "F7", "F10", "Esc Retour"):
        assert key in footer, footer
    assert "Entrée tout" in shots["return"]  # the status line says them too
    assert "Échap retour" in shots["return"]
    refund_footer = "\n".join(shots["refund"].splitlines()[-2:])
    for key in ("Enter", "F1/C", "F3/A", "F4/M", "Esc"):
        assert key in refund_footer, refund_footer
    assert "Hélène" in shots["return"] and "Mauvaise taille" in shots["reason"]
    assert "Carte" in shots["refund"] and "8,95" in shots["refund"]
    if os.environ.get("TILL_SHOW_SCREENS"):  # TILL_SHOW_SCREENS=1 pytest -s, to look at them
        print("\n\n".join(shots.values()))
    for name, text in shots.items():
        assert not foreign_glyphs(text), f"{name}: {sorted(foreign_glyphs(text))}\n{text}"


async def test_ticket_found_among_the_customers_purchases(app, shop):
    older = sell(shop, [("BAG", 1)], cash=120, customer=shop.customer)
    newer = sell(shop, [("COF", 2)], cash=918, customer=shop.customer)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await keys(pilot, "f12", "f7")
        await pilot.press(*"hel")
        await settle(pilot)
        await keys(pilot, "enter")  # the first customer found

        # her purchases, newest first; the customer 360 line is shown
        assert isinstance(app.screen, ChoiceScreen)
        assert newer.code in screen_text(app) and older.code in screen_text(app)
        await keys(pilot, "down", "enter")
        assert isinstance(app.screen, ReturnScreen)
        assert app.screen.session.original.id == older.id
        assert "Hélène Dupré: 2 visits" in screen_text(app)

        await keys(pilot, "enter", "f3", "enter", "f2", "enter")
        [written] = returns()
        assert written.origin_ticket_id == older.id and written.customer_id == shop.customer.id
        assert payments(written) == [("cash", -120)]


async def test_without_receipt_the_refund_is_a_credit_note(app, shop):
    sell(shop, [("SOA", 1)], cash=350)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await keys(pilot, "f12", "f5")
        burst(app, shop.barcodes["SOA"], shop.barcodes["SOA"])
        await settle(pilot)
        assert taken(app) == {"SOA": 2} and app.screen.table.row_count == 1
        await keys(pilot, "minus", "f3", "enter", "f2")
        assert isinstance(app.screen, ResolutionScreen)
        assert [part.means for part in app.screen.parts] == ["credit_note"]

        # cash instead needs a manager (credit note only without a receipt): refused until F6
        await keys(pilot, "c")
        assert [part.means for part in app.screen.parts] == ["cash"]
        assert "credit note only" in status_text(app, "#resolution-status")
        await keys(pilot, "enter")
        assert isinstance(app.screen, ResolutionScreen) and returns() == []
        await keys(pilot, "a", "enter")  # back to a credit note: written, its code shown until closed
        assert isinstance(app.screen, CreditNoteIssuedScreen), status_text(app)
        await keys(pilot, "enter")
        assert isinstance(app.screen, SaleScreen), status_text(app)
        [written] = returns()
        assert written.origin_ticket_id is None
        assert payments(written) == [("credit_note", -350)]


async def test_cash_without_receipt_approved_by_a_manager_at_the_refund(app, shop):
    sell(shop, [("SOA", 1)], cash=350)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        await keys(pilot, "f12", "f5")
        burst(app, shop.barcodes["SOA"])
        await settle(pilot)
        await keys(pilot, "f3", "enter", "f2", "c", "f6")
        assert isinstance(app.screen, ManagerPinScreen)
        await pilot.press(*"9999", "enter")
        await settle(pilot)
        await pilot.press(*"regular customer", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ResolutionScreen)
        assert "Approved by Max Durand" in status_text(app, "#resolution-status")
        await keys(pilot, "enter")

        assert isinstance(app.screen, SaleScreen), status_text(app)
        [written] = returns()
        assert payments(written) == [("cash", -350)]


async def test_a_credit_note_issued_by_a_return_is_shown_with_its_code_amount_and_expiry(app, shop):
    """The voucher may not print or be lost on the counter: its code is on screen until closed."""
    import datetime as dt

    from store.models import CreditNote

    sale = sell(shop, [("WIN", 1)], cash=1000)
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter", "f3", "enter", "f2", "a", "enter")  # all as a credit note
        assert isinstance(app.screen, CreditNoteIssuedScreen), status_text(app)
        note = CreditNote.get()
        shown = screen_text(app)
        assert note.code in shown and "€8.95" in shown
        assert f"Valid until {note.expires_on.strftime('%d/%m/%Y')}" in shown
        assert note.expires_on > dt.date.today()
        await keys(pilot, "enter")
        assert isinstance(app.screen, SaleScreen)
        [written] = returns()
        assert f"Return {written.code} written" in status_text(app)


async def test_a_long_reason_wraps_between_words_in_french_at_80_columns(app, shop):
    """"Abîmé pendant le transport / Abîmé" is wider than the reason column: the row grows to
    two lines, cut between words, never "Abîmé pendant le t"."""
    from till.i18n import set_language

    sale = sell(shop, [("WIN", 1), ("COF", 1)], card=895 + 459)
    set_language("fr")
    async with app.run_test(size=SIZE) as pilot:
        await log_in(pilot)
        burst(app, sale.code)
        await settle(pilot)
        await keys(pilot, "enter", "f3")
        digit = next(text.split()[0] for text in option_texts(app) if "transport" in text)
        await keys(pilot, digit)
        text = screen_text(app)

    words = [word for line in text.splitlines() for word in line.replace("│", " ").split()]
    for word in ("Abîmé", "pendant", "le", "transport", "/"):
        assert word in words, text
    assert not [word for word in words if word in ("t", "tr", "tra", "trans", "transpo")], text
    assert "Café moulu 250 g" in text  # the next line is still there, below the two-line one
