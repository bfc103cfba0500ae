"""Money leaves once when the card terminal's answer is lost: returns, exchanges and sales
through the real Concert driver on a pty, the outcome unknown (the terminal took the request and
went silent, or answered after the till stopped waiting), then settled by a manager.

What the cashier must never see is advice to pay or refund another way while the card may
already have moved; what must never happen is a second refund of the same sale meanwhile."""

from __future__ import annotations


import pytest

from store.models import Payment, Ticket, TicketLine
from store.models.payments import APPROVED, DECLINED, SETTLED, UNKNOWN, PendingPayment
from till.selling.card_journal import CARD_OUTCOME_UNKNOWN, CARD_SETTLED
from till.fiscal.chain import current_database
from till.fiscal.verify import verify_journal
from till.returns.card import CardOutcomeUnknown
from till.returns.session import ReturnError, ReturnSession
from till.selling.basket import Basket
from till.selling.checkout import CardOutcomeUnknown as SaleOutcomeUnknown
from till.selling.checkout import Checkout, PaymentError
from tests.support.shop import sell
from tests.support.queries import events


def _return_of(shop, sale, terminal, sku="WIN") -> ReturnSession:
    session = ReturnSession(shop.config, shop.ctx.sealer, shop.cashier, terminal)
    session.open(sale)
    session.pick(next(line for line in session.lines if line.sku == sku).line_id, 1, reason="defective")
    return session


def _unanswered_return(shop, simulator, terminal):
    """A sale paid by card, and its return whose card refund the terminal took and never answered."""
    sale = sell(shop, [("WIN", 1)], card=895)
    simulator.script("timeout")
    session = _return_of(shop, sale, terminal)
    with pytest.raises(CardOutcomeUnknown):
        session.complete()
    return sale, session


def _unanswered_sale(shop, simulator, terminal) -> Checkout:
    """A checkout whose card payment the terminal took and never answered."""
    simulator.script("timeout")
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 1)
    checkout = Checkout(basket, terminal)
    with pytest.raises(SaleOutcomeUnknown) as unknown:
        checkout.pay_card()
    checkout.last_refusal = unknown.value  # what the cashier was told
    return checkout


def _refunds(simulator) -> list[tuple[str, int]]:
    return [r for r in simulator.requests if r[0] == "1"]  # Concert: operation 1 is a credit


@pytest.mark.parametrize("outcome", ["timeout", "late"])
def test_an_unknown_refund_never_advises_cash_and_holds_the_sale(shop, concert, outcome):
    simulator, terminal = concert
    sale = sell(shop, [("WIN", 1), ("SOA", 1)], card=1245)
    if outcome == "late":
        simulator.answer_delay_s = 2.5  # approves after the till stopped waiting (1 s)
    else:
        simulator.script("timeout")
    session = _return_of(shop, sale, terminal)
    with pytest.raises(CardOutcomeUnknown) as unknown:
        session.complete()
    text = unknown.value.text("fr")
    assert "journal du terminal" in text and "responsable" in text
    assert "espèces" not in text and "avoir" not in text
    (row,) = PendingPayment.select().where(PendingPayment.operation == "refund")
    assert (row.status, row.claim, row.ticket_id) == (UNKNOWN, f"T:{sale.id}", None)
    assert [e["details"]["journal_id"] for e in events(CARD_OUTCOME_UNKNOWN)] == [row.id]
    assert Ticket.select().where(Ticket.origin_ticket == sale.id).count() == 0
    # the cashier cannot go round it: not this session, not another return of the sale, by any means
    with pytest.raises(ReturnError):
        session.refund_to([("cash", 895)])
        session.complete()
    other = _return_of(shop, sale, terminal, sku="SOA")
    other.refund_to([("cash", 350)])
    with pytest.raises(ReturnError) as held:
        other.complete()
    assert "responsable doit d'abord trancher" in held.value.text("fr")
    assert len(_refunds(simulator)) == 1


def test_a_manager_settles_an_unknown_refund_as_approved_and_the_return_is_written_once(shop, concert):
    simulator, terminal = concert
    sale, session = _unanswered_return(shop, simulator, terminal)
    with pytest.raises(ReturnError):  # a cashier cannot settle it
        session.settle_card(shop.cashier, approved=True, reference="A-77")
    ticket = session.settle_card(shop.manager, approved=True, reference="A-77", note="seen on the terminal's list")
    assert ticket is not None and session.ticket == ticket and ticket.total_cents == -895
    assert Payment.get(Payment.ticket == ticket.id).reference == "A-77"
    row = PendingPayment.get(PendingPayment.operation == "refund")
    assert (row.status, row.ticket_id, row.settled_by) == (SETTLED, ticket.id, shop.manager.id)
    (settled,) = events(CARD_SETTLED)
    assert settled["user_id"] == shop.manager.id and settled["details"]["decision"] == "approved"
    assert len(_refunds(simulator)) == 1
    again = ReturnSession(shop.config, shop.ctx.sealer, shop.cashier, terminal)
    again.open(sale)
    assert [line.returnable for line in again.lines] == [0]
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_a_manager_settles_an_unknown_refund_as_declined_then_cash_is_allowed(shop, concert):
    simulator, terminal = concert
    sale, session = _unanswered_return(shop, simulator, terminal)
    assert session.settle_card(shop.manager, approved=False) is None
    row = PendingPayment.get(PendingPayment.operation == "refund")
    assert row.status == DECLINED and row.settled_by == shop.manager.id
    session.refund_to([("cash", 895)])
    ticket = session.complete()
    assert [(p.means, p.amount_cents) for p in Payment.select().where(Payment.ticket == ticket.id)] == [("cash", -895)]
    assert len(_refunds(simulator)) == 1


def test_the_terminal_is_asked_with_no_transaction_open(shop, concert):
    """It used to be asked inside the return's transaction: every other till waited on it."""
    simulator, terminal = concert
    sale = sell(shop, [("WIN", 1)], card=895)
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["BAG"], 1)
    seen = []
    driver_refund, driver_sale = terminal.terminal.refund, terminal.terminal.sale

    def watched(real):
        def ask(amount, reference):
            seen.append(current_database().in_transaction())
            return real(amount, reference=reference)
        return ask
    terminal.terminal.refund, terminal.terminal.sale = watched(driver_refund), watched(driver_sale)
    _return_of(shop, sale, terminal).complete()
    exchange = _return_of(shop, sell(shop, [("BAG", 1)]), terminal, sku="BAG")
    big = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    big.add_product(shop.products["WIN"], 1)
    exchange.exchange_with(big)
    exchange.pay("card")
    exchange.complete()
    assert seen == [False, False]
    assert [row.status for row in PendingPayment.select().order_by(PendingPayment.id)][-2:] == [SETTLED, SETTLED]


def test_an_unknown_sale_payment_blocks_the_sale_until_a_manager_settles_it(shop, concert):
    simulator, terminal = concert
    checkout = _unanswered_sale(shop, simulator, terminal)
    said = checkout.last_refusal.text("fr")
    assert "journal du terminal" in said and "réessay" not in said
    for attempt in (lambda: checkout.add_cash(1000), lambda: checkout.pay_card(), lambda: checkout.cancel()):
        with pytest.raises(PaymentError) as blocked:
            attempt()
        assert "responsable" in blocked.value.text("fr")
    tender = checkout.settle_card(shop.manager, approved=True, reference="B-12")
    assert tender.reference == "B-12" and checkout.is_paid
    ticket = checkout.complete().ticket
    row = PendingPayment.get(PendingPayment.operation == "sale")
    assert (row.status, row.ticket_id, row.result_reference) == (SETTLED, ticket.id, "B-12")
    assert len(simulator.requests) == 1


def test_a_sale_settled_as_declined_can_be_paid_again(shop, concert):
    simulator, terminal = concert
    checkout = _unanswered_sale(shop, simulator, terminal)
    assert checkout.settle_card(shop.manager, approved=False) is None
    checkout.pay_card()
    ticket = checkout.complete().ticket
    statuses = [(r.status, r.ticket_id) for r in PendingPayment.select().order_by(PendingPayment.id)]
    assert statuses == [(DECLINED, None), (SETTLED, ticket.id)]


def test_a_ticket_settles_its_own_card_row_in_its_transaction(shop, concert):
    """The row and the ticket commit together: a row is never left approved by a written ticket."""
    simulator, terminal = concert
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["WIN"], 1)
    checkout = Checkout(basket, terminal)
    checkout.pay_card()
    (row,) = PendingPayment.select()
    assert row.status == APPROVED
    ticket = checkout.complete().ticket
    row = PendingPayment.get_by_id(row.id)
    assert (row.status, row.ticket_id) == (SETTLED, ticket.id)
    assert TicketLine.select().where(TicketLine.ticket == ticket.id).count() == 1
