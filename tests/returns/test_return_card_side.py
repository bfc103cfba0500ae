"""The card side of returns and exchanges: the terminal asked for refunds and charges, what a
decline, an unreachable terminal or a failure after the approval leaves (till.returns.card)."""

from __future__ import annotations

import peewee
import pytest

from store.models import Payment, Ticket
from store.models.payments import APPROVED, FAILED, SETTLED, PendingPayment
from till.fiscal.verify import verify_journal
from till.returns.session import ReturnError
from tests.support.queries import payments, row_counts
from tests.support.returns import COUNTED, balanced, exchanging, line_of, session
from tests.support.shop import sell


def test_refund_to_the_original_card_through_the_terminal(shop):
    terminal = shop.ctx.terminal
    sale = sell(shop, [("WIN", 2)], card=1790)
    sale_reference = Payment.get(Payment.ticket == sale.id).reference
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 1, reason="defective")
    assert [(p.means, p.amount_cents, p.reference) for p in s.default_refund()] == [("card", 895, sale_reference)]
    ticket = s.complete()
    assert terminal.requests[-1] == ("refund", 895, sale_reference)
    (payment,) = Payment.select().where(Payment.ticket == ticket.id)
    assert (payment.means, payment.amount_cents) == ("card", -895) and payment.reference.startswith("SIM")
    assert balanced(ticket)


def test_declined_card_refund_writes_nothing_then_cash_instead(shop):
    terminal = shop.ctx.terminal
    sale = sell(shop, [("WIN", 1)], card=895)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 1, reason="defective")
    before, requests = row_counts(*COUNTED), len(terminal.requests)
    terminal.fail_next = "decline"
    with pytest.raises(ReturnError) as error:
        s.complete()
    assert "refusé le remboursement sur carte" in error.value.text("fr")
    assert row_counts(*COUNTED) == before
    assert terminal.requests[requests:] == [("refund", 895, Payment.get(Payment.ticket == sale.id).reference)]
    s.refund_to([("cash", 895)])
    ticket = s.complete()
    assert payments(ticket) == [("cash", -895)]
    assert len(terminal.requests) == requests + 1  # no second terminal request


def test_exchange_with_difference_to_refund_by_card(shop):
    sale = sell(shop, [("WIN", 1)], card=895)
    s = exchanging(shop, sale, "WIN", "not_as_described", "SOA")
    assert s.balance_cents == 350 - 895
    ticket = s.complete()
    assert (ticket.kind, ticket.total_cents) == ("exchange", -545)
    assert payments(ticket) == [("card", -545)]
    assert shop.ctx.terminal.requests[-1][:2] == ("refund", 545)
    assert balanced(ticket)


def test_exchange_paid_by_card_charges_the_terminal(shop):
    sale = sell(shop, [("BAG", 1)])
    s = exchanging(shop, sale, "BAG", "changed_mind", "COF")
    s.pay("card")
    ticket = s.complete()
    assert shop.ctx.terminal.requests[-1][:2] == ("sale", 339)
    assert payments(ticket)[0] == ("card", 339) and balanced(ticket)


def test_terminal_unreachable_writes_nothing(shop):
    sale = sell(shop, [("WIN", 1)], card=895)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 1, reason="defective")
    before = row_counts(*COUNTED)
    shop.ctx.terminal.fail_next = "timeout"  # the simulator's timeout: the request never reached it
    with pytest.raises(ReturnError) as error:
        s.complete()
    assert "rien n'a été envoyé" in error.value.text("fr")
    assert row_counts(*COUNTED) == before
    (row,) = PendingPayment.select().where(PendingPayment.operation == "refund")
    assert row.status == FAILED and row.claim == f"T:{sale.id}"  # failed: its claim is released
    assert s.complete().total_cents == -895  # and the return can be made again


def test_failure_after_card_refund_keeps_the_approval_and_never_refunds_twice(shop, monkeypatch):
    """The terminal approved, then the return could not be written: the approval is kept, the next
    key press writes it without asking the terminal again (it used to refund, then forget)."""
    import till.selling.ticket_writer as writer  # card_settlement imports its writer when it writes

    sale = sell(shop, [("WIN", 1)], card=895)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 1, reason="defective")
    tickets = Ticket.select().count()
    real = writer.write_ticket

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")
    monkeypatch.setattr(writer, "write_ticket", broken)
    with pytest.raises(RuntimeError):
        s.complete()
    assert Ticket.select().count() == tickets
    (row,) = PendingPayment.select().where(PendingPayment.operation == "refund")
    assert row.status == APPROVED and row.ticket_id is None
    other = session(shop)  # meanwhile the sale is claimed: no other return of it
    other.open(sale)
    with pytest.raises(ReturnError) as error:
        other.pick(line_of(other, "WIN").line_id, 1, reason="defective")
        other.complete()
    assert "en cours" in error.value.text("fr")
    monkeypatch.setattr(writer, "write_ticket", real)
    ticket = s.complete()
    assert ticket.total_cents == -895
    assert [r[:2] for r in shop.ctx.terminal.requests if r[0] == "refund"] == [("refund", 895)]
    row = PendingPayment.get_by_id(row.id)
    assert (row.status, row.ticket_id) == (SETTLED, ticket.id)
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_failed_exchange_keeps_the_card_payment_and_writes_it_once(shop, monkeypatch):
    import till.selling.ticket_writer as writer  # card_settlement imports its writer when it writes

    sale = sell(shop, [("BAG", 1)])
    s = exchanging(shop, sale, "BAG", "changed_mind", "WIN")
    s.pay("card")
    real = writer.write_ticket

    def broken(*args, **kwargs):
        raise peewee.OperationalError("database is locked")
    monkeypatch.setattr(writer, "write_ticket", broken)
    before = row_counts(*COUNTED)
    with pytest.raises(ReturnError) as error:
        s.complete()
    assert "pas encore" in error.value.text("fr")
    assert row_counts(*COUNTED) == before
    monkeypatch.setattr(writer, "write_ticket", real)
    ticket = s.complete()
    assert ticket.kind == "exchange"
    assert [r[:2] for r in shop.ctx.terminal.requests[-1:]] == [("sale", 775)]
    assert Payment.get((Payment.ticket == ticket.id) & (Payment.means == "card")).amount_cents == 775


def test_a_plan_that_moves_to_the_card_inside_the_transaction_writes_nothing(shop, monkeypatch):
    """Checked before the transaction, the refund went to cash; inside it, to the card (another
    till's refund changed the caps, say): the return is refused, never written as a card refund
    that no terminal was asked for."""
    sale = sell(shop, [("WIN", 1)], card=895)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 1, reason="defective")
    monkeypatch.setattr(s, "_planned_payments", lambda: [])  # what the check outside saw: no card
    before = row_counts(*COUNTED)
    with pytest.raises(ReturnError) as refused:
        s.complete()
    assert "changed meanwhile" in refused.value.message
    assert row_counts(*COUNTED) == before and [r for r in shop.ctx.terminal.requests if r[0] == "refund"] == []
