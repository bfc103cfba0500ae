"""`till journal verify` proves chain P: every document row against its signed payload, its
accounting lines against the payload, and corrections against what their ticket paid."""

from __future__ import annotations

import pytest

from store.models import AccountingLine, CashMove, utcnow
from till.fiscal.cash_moves import MEANS_CORRECTION, OPENING_FLOAT, WITHDRAWAL, move_code, move_payload
from till.fiscal.chain import current_database
from till.selling.cash_moves import correct_means, record_cash_move
from till.shop.ledgers import seal_baseline
from tests.support.journal import problems_text, unprotect, verify_shop
from tests.support.queries import chain_records
from tests.support.shop import sell


@pytest.fixture
def moved(any_shop):
    """A float, a withdrawal and a correction of a cash sale to card, all verifying (both engines)."""
    shop = any_shop
    seal_baseline(shop.ctx.sealer)
    ticket = sell(shop, [("WIN", 1)], cash=895)
    accounts = shop.config.accounts
    float_in = record_cash_move(shop.ctx.sealer, accounts, OPENING_FLOAT, 10000, "float", shop.cashier, shop.manager)
    record_cash_move(shop.ctx.sealer, accounts, WITHDRAWAL, 2000, "safe", shop.cashier, shop.manager)
    correct_means(shop.ctx.sealer, accounts, ticket.code, "cash", "card", 895, "card keyed as cash", shop.cashier,
                  shop.manager)
    report = verify_shop(shop)
    assert report.ok, problems_text(report)
    assert report.counts[(shop.ctx.till_id, "P")] == 3
    return shop, ticket, float_in


def test_an_altered_document_row_is_reported(moved):
    shop, _ticket, float_in = moved
    unprotect(shop.ctx.database)
    CashMove.update(amount_cents=1000).where(CashMove.id == float_in.id).execute()
    assert (f"chain P of till 01, record 1: payload differs from the row of document {float_in.code}"
            in problems_text(verify_shop(shop)))


def test_a_document_without_a_record_and_a_record_without_its_document_are_reported(moved):
    shop, _ticket, float_in = moved
    CashMove.create(till_id="01", number=9, code=move_code("01", 9), kind=OPENING_FLOAT, user=shop.cashier,
                    operator_name="x", approved_by=shop.manager, approver_name="y", amount_cents=100, means="cash",
                    drawer_cents=100, reason="inserted")
    unprotect(shop.ctx.database)
    AccountingLine.delete().where(AccountingLine.cash_move == float_in.id).execute()
    CashMove.delete().where(CashMove.id == float_in.id).execute()
    text = problems_text(verify_shop(shop))
    assert "document P01-000009 (number 9) has no fiscal record" in text
    assert f"chain P of till 01, record 1: document {float_in.code} it seals no longer exists" in text
    assert f"accounting line of document {float_in.code} sealed in its payload is missing" in text


def test_an_altered_accounting_line_of_a_document_is_reported(moved):
    shop, _ticket, float_in = moved
    unprotect(shop.ctx.database)
    AccountingLine.update(account="6234").where(
        (AccountingLine.cash_move == float_in.id) & (AccountingLine.account == "580")).execute()
    text = problems_text(verify_shop(shop))
    assert f"accounting line of document {float_in.code} is in no sealed record" in text
    assert f"accounting line of document {float_in.code} sealed in its payload is missing" in text


def test_a_correction_beyond_what_the_ticket_paid_is_reported(moved):
    """Sealed past the writer's check (another program with the key): the verifier still sees it."""
    shop, ticket, _float = moved
    signature = next(r.signature for r in chain_records("T") if r.ticket_id == ticket.id)
    with current_database().atomic():
        number = shop.ctx.sealer.reserve("P")
        extra = CashMove.create(till_id="01", number=number, code=move_code("01", number), kind=MEANS_CORRECTION,
                                created_at=utcnow().replace(microsecond=0), user=shop.cashier, operator_name="x",
                                approved_by=shop.manager, approver_name="y", amount_cents=1, means="cash",
                                to_means="card", drawer_cents=-1, reason="again", origin_ticket=ticket.id,
                                origin_reference=ticket.code, origin_signature=signature)
        shop.ctx.sealer.append("P", MEANS_CORRECTION, move_payload(extra))
    text = problems_text(verify_shop(shop))
    assert (f"chain P of till 01, record 4: correction {extra.code} takes 1 from cash of ticket {ticket.code}, which "
            "has only 0 left") in text
