"""Store credit (avoirs): codes, issue by a return-like ticket, redemption, refusals, double
spend across tills, accounting, the signed journal and the append-only ledger, on both engines."""

from __future__ import annotations

import datetime as dt
import json
import re
import threading

import peewee
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from store.models import (
    AccountingLine, CreditNote, CreditNoteMovement, FiscalRecord, OutboxJob, Payment, StockMovement, Ticket,
)
from till.credit import notes as credit_notes
from till import scanning
from till.credit.notes import CreditNoteExpired, NotEnoughCredit, UnknownCreditNote, balance, history
from till.note_codes import CROCKFORD, INVALID_CODE, InvalidCreditNoteCode, check_character, make_code, parse_code
from till.fiscal.anchor import AnchorStore
from till.fiscal.chain import Sealer
from till.fiscal.keys import Signer, register_public_key
from till.fiscal.verify import verify_journal
from till.i18n import _catalogue
from till.selling.basket import Basket
from till.selling.checkout import CREDIT_NOTE, Checkout, PaymentError
from till.selling.ticket_writer import DraftLine, DraftPayment, TicketDraft, write_ticket
from tests.support.queries import row_counts

CODE = re.compile(r"AV(-[0-9A-HJKMNP-TV-Z]{4}){4}-[0-9A-HJKMNP-TV-Z]")


# --- Codes -----------------------------------------------------------------------------------


def test_code_format_is_unguessable_and_read_tolerantly():
    codes = {make_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in list(codes)[:50]:
        assert CODE.fullmatch(code), code
        assert parse_code(code) == code
        assert parse_code(code.lower()) == code
        assert parse_code(code.replace("-", "")) == code
        assert parse_code(f"  {code.replace('-', ' ').lower()} ") == code
    # 16 Crockford characters = 80 random bits; every character position varies.
    bodies = [code.replace("-", "")[2:-1] for code in codes]
    assert all(len(body) == 16 for body in bodies)
    assert all(len({body[i] for body in bodies}) > 20 for i in range(16))


def _alter(code: str, index: int, char: str) -> str:
    return code[:index] + char + code[index + 1:]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=CROCKFORD, min_size=16, max_size=16))
def test_check_character_catches_every_single_error_and_adjacent_swap(body):
    compact = "AV" + body + check_character("AV" + body)
    assert parse_code(compact)
    for index in range(2, len(compact)):
        for char in CROCKFORD:
            if char != compact[index]:
                with pytest.raises(InvalidCreditNoteCode):
                    parse_code(_alter(compact, index, char))
    for index in range(2, len(compact) - 1):  # neighbours, the check character included
        a, b = compact[index], compact[index + 1]
        if a != b:
            with pytest.raises(InvalidCreditNoteCode):
                parse_code(compact[:index] + b + a + compact[index + 2:])


@pytest.mark.parametrize("text", ["AV-0000-0000-0000-0000", "AV-UUUU-0000-0000-0000-0", "AVAVAV", "AV-xx", "",
                                  "AV-0000-0000-0000-0000-00", "XV-0000-0000-0000-0000-0"])
def test_malformed_codes_are_refused(text):
    with pytest.raises(InvalidCreditNoteCode):
        parse_code(text)


def test_scanner_recognises_credit_notes_before_skus():
    code = make_code()
    assert scanning.parse(code) == scanning.CreditNoteCode(code)
    assert scanning.parse("]Q1" + code.replace("-", "").lower() + "\r\n") == scanning.CreditNoteCode(code)
    last = code[-1]
    forged = code[:-1] + ("0" if last != "0" else "1")
    with pytest.raises(scanning.ScanError) as caught:
        scanning.parse(forged)
    assert caught.value.message == INVALID_CODE
    assert "valide" in caught.value.text("fr")
    with pytest.raises(scanning.ScanError):
        scanning.parse("2*" + code)
    # Crockford reading: O is 0, I and L are 1.
    if "0" in code or "1" in code:
        assert scanning.parse(code.replace("0", "o").replace("1", "l")) == scanning.CreditNoteCode(code)
    assert scanning.parse("AVOCAT") == scanning.SkuCode("AVOCAT")  # a SKU starting with AV stays a SKU
    assert scanning.parse("avocat-2") == scanning.SkuCode("avocat-2")


def test_every_message_has_a_french_translation():
    french = _catalogue("fr")
    for message in credit_notes.MESSAGES:
        assert message in french and french[message] != message, message


# --- Helpers -----------------------------------------------------------------------------------


COUNTED = (Ticket, Payment, StockMovement, AccountingLine, OutboxJob, CreditNote, CreditNoteMovement)


def refund_into_credit(shop, amount_cents: int = 895, sku: str = "WIN", customer=True,
                       validity_days: int | None = 30, sealer=None) -> Ticket:
    """A return-like ticket: a negative line refunded as store credit (negative credit_note payment)."""
    product = shop.products[sku]
    line = DraftLine(product_id=product.id, sku=sku, label=product.name, quantity=-1, unit="piece",
                     unit_price_cents=amount_cents, discount_cents=0, total_cents=-amount_cents, vat_code="N",
                     vat_rate_bp=2000, reason="changed mind", disposition="restock")
    draft = TicketDraft(kind="return", user_id=shop.cashier.id, operator_name=shop.cashier.name, lines=(line,),
                        payments=(DraftPayment(CREDIT_NOTE, -amount_cents),),
                        customer_id=shop.customer.id if customer else None,
                        customer_name=shop.customer.display_name if customer else None)
    return write_ticket(sealer or shop.ctx.sealer, shop.config.accounts, draft,
                        credit_note_validity_days=validity_days)


def issued_note(ticket: Ticket) -> CreditNote:
    return CreditNote.get(CreditNote.issued_ticket == ticket.id)


def basket_with(shop, *skus: str) -> Basket:
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    for sku in skus:
        basket.add_code(shop.barcodes[sku])
    return basket


def postings(ticket: Ticket) -> list[AccountingLine]:
    return list(AccountingLine.select().where(AccountingLine.ticket == ticket.id))


# --- Issue -------------------------------------------------------------------------------------


def test_a_refund_into_store_credit_issues_a_signed_note(any_shop):
    shop = any_shop
    ticket = refund_into_credit(shop, 895, validity_days=30)
    note = issued_note(ticket)
    today = dt.date.today()
    assert CODE.fullmatch(note.code)
    assert (note.amount_cents, note.customer_id, note.till_id) == (895, shop.customer.id, "01")
    assert note.expires_on in (today + dt.timedelta(days=30), today + dt.timedelta(days=31))  # UTC vs local midnight
    assert balance(note) == 895
    assert [(m.amount_cents, m.ticket_code) for m in history(note.code)] == [(895, ticket.code)]
    # The code is the payment's reference, in the signed payload.
    (payment,) = Payment.select().where(Payment.ticket == ticket.id)
    assert (payment.means, payment.amount_cents, payment.reference) == ("credit_note", -895, note.code)
    record = FiscalRecord.get((FiscalRecord.chain == "T") & (FiscalRecord.ticket_id == ticket.id))
    assert note.code in record.payload
    assert any(note.code in json.dumps(p) for p in json.loads(record.payload)["payments"])
    # Not revenue: the liability 4197 is credited, sales and VAT decrease.
    lines = postings(ticket)
    assert sum(p.debit_cents for p in lines) == sum(p.credit_cents for p in lines) == 895
    assert [(p.debit_cents, p.credit_cents) for p in lines if p.account == "4197"] == [(0, 895)]
    assert {p.account for p in lines if p.debit_cents} == {"707120", "4457120"}
    # The voucher is printed after the commit.
    jobs = {job.kind: json.loads(job.payload) for job in OutboxJob.select()}
    assert jobs["print_credit_note"] == {"credit_note_id": note.id}
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_issue_without_customer_and_default_validity(shop):
    ticket = refund_into_credit(shop, 350, sku="SOA", customer=False, validity_days=None)
    note = issued_note(ticket)
    assert note.customer_id is None
    assert (note.expires_on - dt.date.today()).days in (365, 366)  # config default, UTC vs local midnight


def test_voucher_prints_the_note(shop):
    from till.aftersale.jobs import handlers

    ticket = refund_into_credit(shop, 895)
    note = issued_note(ticket)
    lines = credit_notes.voucher_lines(shop.config, note.id)
    text = "\n".join(lines)
    assert "AVOIR" in text and note.code in text and ticket.code in text
    assert "8,95" in text and note.expires_on.strftime("%d/%m/%Y") in text
    assert max(len(line) for line in lines) <= shop.config.printer.width
    handlers(shop.config)["print_credit_note"]({"credit_note_id": note.id})
    printed = shop.config.resolve(shop.config.printer.path).read_text(encoding="utf-8")
    assert note.code in printed


# --- Redemption ----------------------------------------------------------------------------------


def test_partial_redemptions_across_two_sales(any_shop):
    shop = any_shop
    note = issued_note(refund_into_credit(shop, 1000))
    # Sale 1: 4.59 coffee, all of it from the note (min of balance and due).
    checkout = Checkout(basket_with(shop, "COF"), shop.ctx.terminal)
    tender = checkout.add_credit_note(note.code.lower().replace("-", ""))
    assert (tender.means, tender.amount_cents, tender.reference) == (CREDIT_NOTE, 459, note.code)
    first = checkout.complete().ticket
    assert balance(note) == 541
    # Sale 2: 8.95 wine: the note pays its 5.41, cash the rest.
    checkout = Checkout(basket_with(shop, "WIN"), shop.ctx.terminal)
    assert checkout.add_credit_note(note.code).amount_cents == 541
    assert checkout.due_cents == 354
    checkout.add_cash(400)
    sale = checkout.complete()
    second = sale.ticket
    assert sale.change_cents == 46
    assert balance(note) == 0
    assert [(m.amount_cents, m.ticket_code) for m in history(note.code)] == [
        (1000, note.issued_ticket.code), (-459, first.code), (-541, second.code)]
    # Redemption debits the liability 4197; postings balance.
    lines = postings(second)
    assert sum(p.debit_cents for p in lines) == sum(p.credit_cents for p in lines)
    assert [(p.debit_cents, p.credit_cents) for p in lines if p.account == "4197"] == [(541, 0)]
    # Spent: refused at the checkout, nothing tendered.
    checkout = Checkout(basket_with(shop, "BAG"), shop.ctx.terminal)
    with pytest.raises(NotEnoughCredit) as caught:
        checkout.add_credit_note(note.code)
    assert "entièrement" in caught.value.text("fr")
    assert checkout.tenders == []
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_amounts_above_balance_or_due_are_refused(shop):
    note = issued_note(refund_into_credit(shop, 300))
    checkout = Checkout(basket_with(shop, "WIN"), shop.ctx.terminal)  # 8.95 due
    with pytest.raises(NotEnoughCredit):
        checkout.add_credit_note(note.code, 301)
    with pytest.raises(PaymentError):
        checkout.add_credit_note(note.code, 0)
    checkout.add_credit_note(note.code, 200)
    checkout.add_credit_note(note.code)  # the same note again: only what is left on it
    assert [t.amount_cents for t in checkout.tenders] == [200, 100]
    with pytest.raises(NotEnoughCredit):
        checkout.add_credit_note(note.code)
    small = Checkout(basket_with(shop, "BAG"), shop.ctx.terminal)  # 1.20 due
    with pytest.raises(PaymentError):
        small.add_credit_note(note.code, 250)


def _sale_draft(shop, code: str, amount: int, sku: str = "WIN") -> TicketDraft:
    product = shop.products[sku]
    line = DraftLine(product_id=product.id, sku=sku, label=product.name, quantity=1, unit="piece",
                     unit_price_cents=amount, discount_cents=0, total_cents=amount, vat_code="N", vat_rate_bp=2000)
    return TicketDraft(kind="sale", user_id=shop.cashier.id, operator_name=shop.cashier.name, lines=(line,),
                       payments=(DraftPayment(CREDIT_NOTE, amount, code),))


def test_refusals_write_nothing(any_shop):
    shop = any_shop
    note = issued_note(refund_into_credit(shop, 500))
    old = credit_notes.issue(shop.ctx.sealer, "01", 700, note.issued_ticket_id, None, 10,
                             dt.date.today() - dt.timedelta(days=30))
    unknown = make_code()
    forged = note.code[:-1] + ("0" if note.code[-1] != "0" else "1")
    before = row_counts(*COUNTED, chains=("T",))
    cases = [(note.code, 501, NotEnoughCredit), (old.code, 100, CreditNoteExpired),
             (unknown, 100, UnknownCreditNote), (forged, 100, InvalidCreditNoteCode)]
    for code, amount, error in cases:
        with pytest.raises(error) as caught:
            write_ticket(shop.ctx.sealer, shop.config.accounts, _sale_draft(shop, code, amount))
        assert caught.value.text("fr") != caught.value.text("en")
        assert row_counts(*COUNTED, chains=("T",)) == before, code
        checkout = Checkout(basket_with(shop, "WIN"), shop.ctx.terminal)
        if error is not NotEnoughCredit:
            with pytest.raises(error):
                checkout.add_credit_note(code)
            assert checkout.tenders == []
    assert balance(note) == 500 and balance(old) == 700
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_a_note_spent_elsewhere_after_it_was_tendered_refuses_the_sale(any_shop):
    shop = any_shop
    note = issued_note(refund_into_credit(shop, 895))
    waiting = Checkout(basket_with(shop, "WIN"), shop.ctx.terminal)
    waiting.add_credit_note(note.code)
    assert waiting.is_paid
    # Another sale spends part of the note first.
    write_ticket(shop.ctx.sealer, shop.config.accounts, _sale_draft(shop, note.code, 120, sku="BAG"))
    before = row_counts(*COUNTED, chains=("T",))
    with pytest.raises(NotEnoughCredit) as caught:
        waiting.complete()
    assert note.code in caught.value.text("fr")
    assert row_counts(*COUNTED, chains=("T",)) == before
    assert waiting.tenders == [] and waiting.due_cents == 895  # the cashier chooses again
    waiting.add_credit_note(note.code)
    waiting.add_cash(120)
    waiting.complete()
    assert balance(note) == 0


def test_balance_never_goes_negative(shop):
    note = issued_note(refund_into_credit(shop, 1000))
    database = shop.ctx.database
    ticket_id = note.issued_ticket_id
    today = dt.date.today()
    spend = lambda amount: write_ticket(shop.ctx.sealer, shop.config.accounts,  # noqa: E731
                                        _sale_draft(shop, note.code, amount))
    for amount in (300, 300, 300):  # each redemption on a sealed ticket, as a till writes it
        spend(amount)
    with pytest.raises(NotEnoughCredit):
        spend(101)
    spend(100)
    assert balance(note) == 0
    with pytest.raises(NotEnoughCredit):
        spend(1)
    with pytest.raises(credit_notes.CreditNoteError):
        credit_notes.redeem(note.code, -5, ticket_id, today)
    assert balance(note) == 0
    # The last day is included; the day after is not.
    with pytest.raises(CreditNoteExpired):
        credit_notes.redeem(note.code, 1, ticket_id, note.expires_on + dt.timedelta(days=1))


# --- Two tills, one note ----------------------------------------------------------------------------


def test_double_spend_by_two_tills_at_the_same_moment(any_shop, tmp_path):
    """Two tills (own chains, own connections, own threads) spend one note at once: one wins."""
    shop = any_shop
    database = shop.ctx.database
    signer = Signer.load_or_create(tmp_path / "till02.key")
    with database.atomic():
        register_public_key(signer, "02")
    other = Sealer("02", signer, AnchorStore(shop.ctx.sealer.anchors.folder))
    for _round in range(4):
        note = issued_note(refund_into_credit(shop, 895))
        barrier = threading.Barrier(2)
        outcomes: dict[str, object] = {}

        def spend(sealer: Sealer) -> None:
            try:
                barrier.wait(timeout=10)
                outcomes[sealer.till_id] = write_ticket(sealer, shop.config.accounts,
                                                        _sale_draft(shop, note.code, 895))
            except Exception as error:  # noqa: BLE001 - the outcome is what the test checks
                outcomes[sealer.till_id] = error
            finally:
                database.close()  # this thread's own connection

        threads = [threading.Thread(target=spend, args=(sealer,)) for sealer in (shop.ctx.sealer, other)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        won = [o for o in outcomes.values() if isinstance(o, Ticket)]
        lost = [o for o in outcomes.values() if not isinstance(o, Ticket)]
        assert len(won) == 1 and len(lost) == 1, outcomes
        assert isinstance(lost[0], NotEnoughCredit), lost[0]
        assert balance(note) == 0
        spent = [m.amount_cents for m in CreditNoteMovement.select().where(CreditNoteMovement.credit_note == note.id)]
        assert sorted(spent) == [-895, 895]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


# --- Append-only -------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [CreditNote, CreditNoteMovement], ids=["credit_note", "credit_note_movement"])
def test_the_ledger_refuses_update_and_delete(any_shop, model):
    shop = any_shop
    note = issued_note(refund_into_credit(shop, 895))
    row = model.select().first()
    database = shop.ctx.database
    errors = (peewee.IntegrityError, peewee.InternalError, peewee.OperationalError)
    with pytest.raises(errors), database.atomic():
        model.update({model.amount_cents: 99_999}).where(model.id == row.id).execute()
    with pytest.raises(errors), database.atomic():
        model.delete().where(model.id == row.id).execute()
    assert model.get_by_id(row.id).amount_cents == 895
    assert balance(note) == 895


def test_two_notes_and_cash_on_one_ticket(shop):
    first = issued_note(refund_into_credit(shop, 300))
    second = issued_note(refund_into_credit(shop, 400, sku="SOA"))
    checkout = Checkout(basket_with(shop, "WIN"), shop.ctx.terminal)  # 8.95
    checkout.add_credit_note(second.code)
    checkout.add_credit_note(first.code)
    checkout.add_cash(195)
    ticket = checkout.complete().ticket
    payments = [(p.means, p.amount_cents, p.reference) for p in ticket.payments.order_by(Payment.position)]
    assert payments == [(CREDIT_NOTE, 400, second.code), (CREDIT_NOTE, 300, first.code), ("cash", 195, None)]
    assert balance(first) == balance(second) == 0
    assert [(p.debit_cents, p.credit_cents) for p in postings(ticket) if p.account == "4197"] == [(700, 0)]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok
