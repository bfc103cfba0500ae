"""Chain P: cash in and out of the drawer without a sale, and payment-means corrections, each a
signed document with its row, its accounting lines and the drawer's job, or refused with nothing
written."""

from __future__ import annotations

import json

import pytest

from store.models import AccountingLine, CashMove, OutboxJob, Payment, Ticket
from till.aftersale import outbox
from till.fiscal.cash_moves import (
    BANK_DEPOSIT, MEANS_CORRECTION, OPENING_FLOAT, PETTY_EXPENSE, WITHDRAWAL, expected_cash, move_payload,
    period_cash_moves,
)
from till.selling.cash_moves import CashMoveError, correct_means, record_cash_move
from tests.support.queries import chain_records, payments, row_counts
from tests.support.shop import sell


def move(shop, kind, amount, reason="counted", **extra):
    return record_cash_move(shop.ctx.sealer, shop.config.accounts, kind, amount, reason, shop.cashier, shop.manager,
                            **extra)


def correct(shop, ticket, amount, source="cash", target="card", reason="card keyed as cash"):
    return correct_means(shop.ctx.sealer, shop.config.accounts, ticket.code, source, target, amount, reason,
                         shop.cashier, shop.manager)


def lines_of(document):
    return sorted((line.account, line.debit_cents, line.credit_cents)
                  for line in AccountingLine.select().where(AccountingLine.cash_move == document.id))


def nothing_written():
    return row_counts(CashMove, AccountingLine, OutboxJob, chains=("P",))


def test_an_opening_float_is_a_signed_document_with_its_lines_and_the_drawer_opens(shop):
    before = expected_cash(shop.ctx.till_id)
    float_in = move(shop, OPENING_FLOAT, 15000, "float for the day")
    (record,) = chain_records("P")
    assert record.kind == OPENING_FLOAT and record.sequence == float_in.number == 1
    payload = json.loads(record.payload)
    assert payload == move_payload(CashMove.get_by_id(float_in.id))
    assert payload["code"] == "P01-000001" and payload["amount_cents"] == 15000 and payload["drawer_cents"] == 15000
    assert payload["operator"] == {"id": shop.cashier.id, "name": shop.cashier.name}
    assert payload["approved_by"] == {"id": shop.manager.id, "name": shop.manager.name}
    assert payload["reason"] == "float for the day" and payload["means"] == "cash"
    assert lines_of(float_in) == [("531", 15000, 0), ("580", 0, 15000)]
    (job,) = OutboxJob.select().where(OutboxJob.kind == outbox.OPEN_DRAWER)
    assert json.loads(job.payload)["code"] == float_in.code
    assert expected_cash(shop.ctx.till_id) == before + 15000


def test_withdrawals_deposits_and_expenses_take_cash_out_and_book_it(shop):
    move(shop, OPENING_FLOAT, 20000)
    withdrawal = move(shop, WITHDRAWAL, 5000)
    deposit = move(shop, BANK_DEPOSIT, 4000)
    expense = move(shop, PETTY_EXPENSE, 1250, "stamps")
    assert lines_of(withdrawal) == [("531", 0, 5000), ("580", 5000, 0)]
    assert lines_of(deposit) == [("531", 0, 4000), ("580", 4000, 0)]
    assert lines_of(expense) == [("531", 0, 1250), ("6068", 1250, 0)]
    assert expected_cash(shop.ctx.till_id) == 20000 - 5000 - 4000 - 1250
    assert [r.sequence for r in chain_records("P")] == [1, 2, 3, 4]


@pytest.mark.parametrize("kind, amount, reason, message", [
    (OPENING_FLOAT, 0, "x", "Type an amount above zero"),
    (OPENING_FLOAT, -500, "x", "Type an amount above zero"),
    (OPENING_FLOAT, 500, "   ", "Give a reason: it is printed and signed with the document"),
    ("gift", 500, "x", "Unknown kind of cash move: gift"),
])
def test_bad_input_is_refused_and_nothing_is_written(shop, kind, amount, reason, message):
    before = nothing_written()
    with pytest.raises(CashMoveError) as refused:
        move(shop, kind, amount, reason)
    assert str(refused.value) == message
    assert refused.value.text("fr") != message  # said in French at a French till
    assert nothing_written() == before


def test_a_cashier_cannot_approve_and_training_mode_records_nothing(shop):
    before = nothing_written()
    with pytest.raises(CashMoveError, match="manager's PIN"):
        record_cash_move(shop.ctx.sealer, shop.config.accounts, OPENING_FLOAT, 500, "x", shop.cashier, shop.cashier)
    with pytest.raises(CashMoveError, match="training"):
        move(shop, OPENING_FLOAT, 500, training=True)
    assert nothing_written() == before


def test_a_withdrawal_above_the_cash_the_drawer_should_hold_is_refused(shop):
    sell(shop, [("WIN", 1)], cash=1000)  # 8,95 in, 1,05 change out: 8,95 in the drawer
    move(shop, OPENING_FLOAT, 5000)
    held = expected_cash(shop.ctx.till_id)
    assert held == 895 + 5000
    before = nothing_written()
    with pytest.raises(CashMoveError) as refused:
        move(shop, WITHDRAWAL, held + 1)
    assert str(refused.value) == "The drawer should hold 58,95 €: 58,96 € cannot be taken out of it"
    assert nothing_written() == before
    move(shop, WITHDRAWAL, held)
    assert expected_cash(shop.ctx.till_id) == 0


def test_a_means_correction_moves_money_between_means_and_never_beyond_what_the_ticket_paid(shop):
    ticket = sell(shop, [("WIN", 1), ("COF", 1)], cash=1354)
    held = expected_cash(shop.ctx.till_id)
    rows_before = payments(ticket)
    correction = correct(shop, ticket, 1000)
    payload = json.loads(chain_records("P")[-1].payload)
    assert payload["kind"] == MEANS_CORRECTION and payload["means"] == "cash" and payload["to_means"] == "card"
    assert payload["origin"] == {"ticket_id": ticket.id, "code": ticket.code,
                                 "signature": chain_records("T")[-1].signature}
    assert payload["drawer_cents"] == -1000
    assert lines_of(correction) == [("5115", 1000, 0), ("531", 0, 1000)]
    assert expected_cash(shop.ctx.till_id) == held - 1000
    assert payments(Ticket.get_by_id(ticket.id)) == rows_before  # the ticket is never touched
    before = nothing_written()
    with pytest.raises(CashMoveError) as refused:
        correct(shop, ticket, 355)  # 13,54 paid in cash, 10,00 corrected already
    assert str(refused.value) == f"Ticket {ticket.code} has 3,54 € paid by cash left to correct: 3,55 € is too much"
    assert nothing_written() == before
    correct(shop, ticket, 354)
    with pytest.raises(CashMoveError):
        correct(shop, ticket, 1)
    correct(shop, ticket, 500, source="card", target="cash")  # back again: only what went to the card
    with pytest.raises(CashMoveError):
        correct(shop, ticket, 1355, source="card", target="cash")


@pytest.mark.parametrize("source, target, code", [
    ("cash", "cash", None), ("credit_note", "cash", None), ("cash", "card", "T01-NOPE"),
])
def test_a_correction_that_cannot_be_right_is_refused(shop, source, target, code):
    ticket = sell(shop, [("WIN", 1)], cash=895)
    before = nothing_written()
    with pytest.raises(CashMoveError):
        correct_means(shop.ctx.sealer, shop.config.accounts, code or ticket.code, source, target, 100, "x",
                      shop.cashier, shop.manager)
    assert nothing_written() == before
    assert Payment.select().count() == 1


def test_a_ticket_of_another_till_is_corrected_at_that_till(shop):
    from till.fiscal.chain import Sealer

    ticket = sell(shop, [("WIN", 1)], cash=895)
    sealer = shop.ctx.sealer
    other = Sealer("02", sealer.signer, None, sealer.zone)
    before = nothing_written()
    with pytest.raises(CashMoveError) as refused:
        correct_means(other, shop.config.accounts, ticket.code, "cash", "card", 100, "x", shop.cashier, shop.manager)
    assert str(refused.value) == f"Ticket {ticket.code} was paid at till 01: correct it there"
    assert nothing_written() == before  # the other till's drawer never held that cash


def test_period_totals_for_the_closure_are_counts_and_sums_per_kind_and_corrections_per_means(shop):
    import datetime as dt

    from store.models import utcnow

    ticket = sell(shop, [("WIN", 1)], card=895)
    move(shop, OPENING_FLOAT, 10000)
    move(shop, WITHDRAWAL, 3000)
    move(shop, WITHDRAWAL, 2000)
    correct(shop, ticket, 895, source="card", target="cash")
    now = utcnow()
    totals = period_cash_moves(shop.ctx.till_id, now - dt.timedelta(hours=1), now + dt.timedelta(hours=1))
    assert totals == {
        "count": 4, "first_number": 1, "last_number": 4, "drawer_cents": 10000 - 5000 + 895,
        "kinds": {OPENING_FLOAT: {"count": 1, "amount_cents": 10000}, WITHDRAWAL: {"count": 2, "amount_cents": 5000},
                  MEANS_CORRECTION: {"count": 1, "amount_cents": 895}},
        "corrections": {"card": -895, "cash": 895},
    }
    assert json.loads(json.dumps(totals)) == totals
    empty = period_cash_moves(shop.ctx.till_id, now - dt.timedelta(days=3), now - dt.timedelta(days=2))
    assert empty == {"count": 0, "first_number": 0, "last_number": 0, "drawer_cents": 0, "kinds": {},
                     "corrections": {}}


def test_the_x_report_shows_corrected_means_the_cash_moves_and_the_cash_expected(shop):
    from reports.xz import x_report

    ticket = sell(shop, [("WIN", 1)], cash=895)
    move(shop, OPENING_FLOAT, 10000)
    move(shop, WITHDRAWAL, 2000)
    correct(shop, ticket, 500)
    lines = x_report(shop.config, width=42)
    assert any(line.startswith("  Carte bancaire") and line.endswith(" 5,00") for line in lines), lines
    assert any(line.startswith("  Espèces") and line.endswith(" 3,95") for line in lines), lines
    assert "Mouvements de caisse" in lines
    assert any(line.startswith("  Fonds de caisse (1)") and line.endswith(" 100,00") for line in lines), lines
    assert any(line.startswith("  Retrait vers le coffre (1)") and line.endswith(" 20,00") for line in lines), lines
    assert any(line.startswith("Espèces attendues") and line.endswith(" 83,95 €") for line in lines), lines


def test_the_document_is_printed_after_the_commit_with_its_signature_extract(shop):
    from till.aftersale.jobs import run_outbox
    from till.fiscal.canonical import signature_extract

    ticket = sell(shop, [("WIN", 1)], cash=895)
    shop.config.resolve(shop.config.printer.path).write_text("", encoding="utf-8")  # only what follows
    correction = correct(shop, ticket, 895, reason="the customer paid by card, keyed as cash")
    run_outbox(shop.config, shop.ctx.sealer)
    printed = shop.config.resolve(shop.config.printer.path).read_text(encoding="utf-8")
    assert "CORRECTION DE MOYEN DE PAIEMENT" in printed and correction.code in printed and ticket.code in printed
    assert "Max Durand" in printed and "8,95" in printed and "keyed as cash" in printed
    assert signature_extract(chain_records("P")[-1].signature) in printed
