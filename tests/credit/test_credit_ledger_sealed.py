"""Every credit note and every movement of its ledger comes from a signed record.

The ledger tables refuse UPDATE and DELETE by trigger, but an INSERT passes: a note added with
two plain INSERTs must neither be spendable at the till nor pass ``till journal verify``; a
top-up, a changed amount or expiry, a deleted redemption (triggers dropped) are reported too.
"""

from __future__ import annotations

import datetime as dt

import pytest

from store.models import CreditNote, CreditNoteMovement, Ticket
from till.credit.notes import CreditNoteError, balance
from till.fiscal.verify import verify_journal
from till.note_codes import make_code
from till.selling.checkout import CREDIT_NOTE
from till.selling.ticket_writer import DraftLine, DraftPayment, TicketDraft, write_ticket
from tests.credit.test_credit_notes import COUNTED, issued_note, refund_into_credit
from tests.support.journal import unprotect
from tests.support.queries import row_counts


@pytest.fixture
def shop(any_shop):
    """Both engines."""
    return any_shop


def _spend(shop, code: str, amount: int, sku: str = "WIN") -> Ticket:
    product = shop.products[sku]
    line = DraftLine(product_id=product.id, sku=sku, label=product.name, quantity=1, unit="piece",
                     unit_price_cents=amount, discount_cents=0, total_cents=amount, vat_code="N", vat_rate_bp=2000)
    draft = TicketDraft(kind="sale", user_id=shop.cashier.id, operator_name=shop.cashier.name, lines=(line,),
                        payments=(DraftPayment(CREDIT_NOTE, amount, code),))
    return write_ticket(shop.ctx.sealer, shop.config.accounts, draft)


def _forge_note(amount: int = 50_000, ticket_id: int | None = None) -> str:
    """A note made the way an attacker with the database file would: two plain INSERTs."""
    code = make_code()
    ticket_id = ticket_id or Ticket.select(Ticket.id).order_by(Ticket.id).first().id
    note = CreditNote.create(code=code, till_id="01", issued_ticket=ticket_id, customer=None, amount_cents=amount,
                             expires_on=dt.date.today() + dt.timedelta(days=365))
    CreditNoteMovement.create(credit_note=note.id, ticket=ticket_id, amount_cents=amount)
    return code


def _problems(report) -> str:
    return "\n".join(p.text("en") for p in report.problems)


def test_a_genuine_ledger_verifies(shop):
    note = issued_note(refund_into_credit(shop, 895))
    _spend(shop, note.code, 300)
    _spend(shop, note.code, 595, sku="SOA")
    assert balance(note) == 0
    report = verify_journal(workers=0)
    assert report.ok, _problems(report)


def test_an_inserted_note_is_reported_by_the_verifier(shop):
    refund_into_credit(shop, 895)
    code = _forge_note()
    report = verify_journal(workers=0)
    assert not report.ok
    assert code in _problems(report)
    assert "no sealed issue" in _problems(report)


def test_an_inserted_note_is_refused_at_the_till_and_nothing_is_written(shop):
    refund_into_credit(shop, 895)
    code = _forge_note()
    before = row_counts(*COUNTED, chains=("T",))
    with pytest.raises(CreditNoteError) as refused:
        _spend(shop, code, 500)
    assert "signed issue" in refused.value.text("en")
    assert "avoir" in refused.value.text("fr").lower()
    assert row_counts(*COUNTED, chains=("T",)) == before


def test_an_inserted_note_spent_anyway_is_reported(shop):
    """Spent while the check was not there (an older till): the spend is sealed, the note is not."""
    refund_into_credit(shop, 895)
    code = _forge_note(500)
    note = CreditNote.get(CreditNote.code == code)
    ticket = refund_into_credit(shop, 100)  # any later ticket to hang a forged redemption on
    CreditNoteMovement.create(credit_note=note.id, ticket=ticket.id, amount_cents=-500)
    report = verify_journal(workers=0)
    assert code in _problems(report)


def test_a_top_up_movement_is_reported(shop):
    note = issued_note(refund_into_credit(shop, 895))
    CreditNoteMovement.create(credit_note=note.id, ticket=note.issued_ticket_id, amount_cents=10_000)
    assert balance(note) == 10_895
    report = verify_journal(workers=0)
    assert not report.ok
    assert "in no sealed record" in _problems(report)
    assert "balance 10895" in _problems(report)


@pytest.mark.parametrize("column, value", [("amount_cents", 89_500), ("expires_on", dt.date(2099, 12, 31))])
def test_a_changed_amount_or_expiry_is_reported_and_refused(shop, column, value):
    note = issued_note(refund_into_credit(shop, 895))
    unprotect(shop.ctx.database)  # an attacker with the database
    CreditNote.update({column: value}).where(CreditNote.id == note.id).execute()
    report = verify_journal(workers=0)
    assert not report.ok
    assert note.code in _problems(report)
    with pytest.raises(CreditNoteError):
        _spend(shop, note.code, 100)


def test_a_deleted_redemption_is_reported(shop):
    note = issued_note(refund_into_credit(shop, 895))
    spent = _spend(shop, note.code, 800)
    unprotect(shop.ctx.database)
    CreditNoteMovement.delete().where(CreditNoteMovement.ticket == spent.id).execute()
    assert balance(note) == 895
    report = verify_journal(workers=0)
    assert not report.ok
    assert "missing from the table" in _problems(report)


def test_a_top_up_movement_cannot_be_spent_at_the_till(shop):
    note = issued_note(refund_into_credit(shop, 895))
    _spend(shop, note.code, 95)  # a genuine redemption first: it stays spendable with it
    CreditNoteMovement.create(credit_note=note.id, ticket=note.issued_ticket_id, amount_cents=10_000)
    before = row_counts(*COUNTED, chains=("T",))
    with pytest.raises(CreditNoteError):
        _spend(shop, note.code, 5_000)
    with pytest.raises(CreditNoteError):
        _spend(shop, note.code, 100)  # not even what the sealed balance would allow: the note is tampered
    assert row_counts(*COUNTED, chains=("T",)) == before


def test_an_archive_carries_the_ledger_and_names_a_note_spent_beyond_its_sealed_amount(shop, tmp_path):
    """An archive holds no tables: its records are the ledger. A till that let a topped-up note
    be spent (as the till did before it proved notes) sealed a redemption above the note's
    amount: the archive verifier, with the database verifier's rules, names it."""
    from till.fiscal.archive import export_archive, parse_period
    from till.fiscal.archive_verify import verify_archive

    note = issued_note(refund_into_credit(shop, 895))
    product = shop.products["WIN"]
    line = DraftLine(product_id=product.id, sku="WIN", label=product.name, quantity=1, unit="piece",
                     unit_price_cents=10_895, discount_cents=0, total_cents=10_895, vat_code="N", vat_rate_bp=2000)
    overspent = write_ticket(shop.ctx.sealer, shop.config.accounts, TicketDraft(
        kind="sale", user_id=shop.cashier.id, operator_name=shop.cashier.name, lines=(line,),
        payments=(DraftPayment(CREDIT_NOTE, 10_895, note.code, redeem_locally=False),)))
    today = dt.date.today()
    period = parse_period(f"{today:%Y-%m}", shop.ctx.sealer.zone)
    report = verify_archive(export_archive(shop.ctx.sealer, period, tmp_path / "month.zip", partial=True).path)
    text = "\n".join(p.text("en") for p in report.problems)
    assert not report.ok
    assert f"credit note {note.code} is spent beyond its sealed amount (10000 too much)" in text
    assert f"{overspent.number}" in text or "record" in text


def test_an_archive_of_a_genuine_ledger_verifies(shop, tmp_path):
    from till.fiscal.archive import export_archive, parse_period
    from till.fiscal.archive_verify import verify_archive

    note = issued_note(refund_into_credit(shop, 895))
    _spend(shop, note.code, 895)
    period = parse_period(f"{dt.date.today():%Y-%m}", shop.ctx.sealer.zone)
    report = verify_archive(export_archive(shop.ctx.sealer, period, tmp_path / "month.zip", partial=True).path)
    assert report.ok, [p.text("en") for p in report.problems]


def test_the_baseline_seals_an_older_loyalty_voucher_but_not_a_forged_note(shop):
    """A reward voucher written before issues were sealed (note, movement and REWARD entry, as
    the loyalty ledger wrote them) becomes spendable once a manager seals the baseline; a note
    nothing vouches for stays refused and reported."""
    from store.models.loyalty import REWARD, LoyaltyEntry
    from till.shop.ledgers import seal_baseline

    sale = refund_into_credit(shop, 100)
    older = _forge_note(500, ticket_id=sale.id)
    note = CreditNote.get(CreditNote.code == older)
    LoyaltyEntry.create(customer=shop.customer.id, ticket=sale.id, kind=REWARD, points=-100, credit_note=note.id)
    forged = _forge_note(800, ticket_id=sale.id)
    with pytest.raises(CreditNoteError):
        _spend(shop, older, 500)
    assert seal_baseline(shop.ctx.sealer)[2] == 1
    _spend(shop, older, 500)
    with pytest.raises(CreditNoteError):
        _spend(shop, forged, 800)
    text = _problems(verify_journal(workers=0))
    assert forged in text and older not in text


def test_the_rules_name_what_sealed_records_alone_get_wrong():
    """No table needed (an archive): an issue sealed twice, an issue its refund payment
    contradicts, a note spent beyond its sealed amount; another shop's note is left alone."""
    import json

    from till.fiscal.credit_ledger import LedgerRules, issue_payload

    def issue(code, amount, ticket_id):
        return json.dumps(issue_payload(code, amount, dt.date(2027, 1, 31), ticket_id, None, "01", "refund"))

    def ticket(*payments):
        return json.dumps({"payments": [{"means": "credit_note", "amount_cents": amount, "reference": code}
                                        for code, amount in payments]})

    rules = LedgerRules()
    rules.add("01", "L", 1, "CREDIT_NOTE_ISSUED", 1, issue("AV-A", 500, 1))
    rules.add("01", "L", 2, "CREDIT_NOTE_ISSUED", 2, issue("AV-A", 500, 2))
    rules.add("01", "L", 3, "CREDIT_NOTE_ISSUED", 3, issue("AV-B", 900, 3))
    rules.add("01", "T", 1, "return", 1, ticket(("AV-A", -500)))
    rules.add("01", "T", 3, "return", 3, ticket(("AV-B", -700)))
    rules.add("01", "T", 4, "sale", 4, ticket(("AV-A", 300), ("AV-OTHER-SHOP", 5000)))
    rules.add("01", "T", 5, "sale", 5, ticket(("AV-A", 300)))
    notes, problems = rules.sealed_problems()
    found = [(p.chain, p.sequence, p.text("en")) for p in problems]
    assert ("L", 2, "chain L of till 01, record 2: credit note AV-A is sealed as issued twice") in found
    assert any(chain == "L" and sequence == 3 and "the ticket's payment says 700" in text
               for chain, sequence, text in found)
    assert ("T", 5, "chain T of till 01, record 5: credit note AV-A is spent beyond its sealed amount (100 too "
            "much)") in found
    assert "AV-OTHER-SHOP" not in notes and len(found) == 3
