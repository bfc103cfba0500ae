"""Properties of returns over any sequence of sales, returns and exchanges (Hypothesis).

Whatever the order: no line is ever returned beyond what was sold (a request for more is refused
and writes nothing), no line gives back more money than was paid for it, every ticket balances
(lines = payments = total, debits = credits), each stock level is its opening quantity plus the
movements the tickets' lines imply at their disposition's location, and the journal verifies.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, event, given, settings, strategies as st

from store.models import (
    AccountingLine, Payment, StockLevel, StockLocation, StockMovement, Ticket, TicketLine,
)
from till.fiscal.verify import verify_journal
from till.returns.picks import DISPOSITIONS
from till.returns.session import ReturnError
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from tests.support.returns import session as returns_session

SKUS = ["BAG", "COF", "WIN", "SOA", "NEWS"]
OPENING = 50  # pieces per product at the shop's opening (tests/support/shop.py)

sale_op = st.tuples(
    st.just("sell"),
    st.lists(st.tuples(st.sampled_from(SKUS), st.integers(1, 4)), min_size=1, max_size=3, unique_by=lambda t: t[0]),
    st.sampled_from(["cash", "card", "split"]),
    st.integers(0, 300),  # ticket discount in cents (0: none)
)
return_op = st.tuples(
    st.just("return"), st.integers(0, 50), st.integers(0, 5), st.integers(1, 5),
    st.sampled_from(sorted(DISPOSITIONS)), st.sampled_from(["default", "cash"]),
)
exchange_op = st.tuples(
    st.just("exchange"), st.integers(0, 50), st.integers(0, 5), st.integers(1, 3),
    st.sampled_from(SKUS), st.integers(1, 3),
)
operations = st.lists(st.one_of(sale_op, return_op, return_op, exchange_op), min_size=1, max_size=8)

_counter = itertools.count()


def _sell(shop, items, pay, discount):
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    for sku, quantity in items:
        basket.add_product(shop.products[sku], quantity)
    total = basket.totals().total_cents
    if discount and discount * 10 <= total:  # within the cashier's 10 %
        basket.discount_ticket(amount_cents=discount)
    checkout = Checkout(basket, shop.ctx.terminal)
    due = checkout.due_cents
    if pay == "card":
        checkout.pay_card()
    elif pay == "split" and due > 1:
        checkout.pay_card(due // 2)
    if not checkout.is_paid:
        checkout.add_cash(checkout.due_cents + 50)
    return checkout.complete().ticket


def _pick(session, sales, ticket_index, line_index, quantity, disposition="restock"):
    """Open a sale and pick a line; True when written quantities allow it, asserting the refusal."""
    sale = sales[ticket_index % len(sales)]
    session.open(sale)
    line = session.lines[line_index % len(session.lines)]
    if quantity > line.returnable:
        with pytest.raises(ReturnError):
            session.pick(line.line_id, quantity, reason="changed_mind")
        event("more than returnable: refused")
        return False
    session.pick(line.line_id, quantity, reason="changed_mind", disposition=disposition)
    return True


def _check_invariants(shop):
    # no line returned beyond what was sold, nor refunded beyond what was paid for it
    for line in TicketLine.select().where(TicketLine.quantity > 0):
        returns = list(TicketLine.select().where(TicketLine.origin_line == line.id))
        assert -sum(r.quantity for r in returns) <= line.quantity
        assert -sum(r.total_cents for r in returns) <= line.total_cents
        assert all(r.quantity < 0 and r.vat_rate_bp == line.vat_rate_bp
                   and r.unit_price_cents == line.unit_price_cents for r in returns)
    # every ticket balances, in money and in its postings
    for ticket in Ticket.select():
        lines = sum(l.total_cents for l in TicketLine.select().where(TicketLine.ticket == ticket.id))
        paid = sum(p.amount_cents for p in Payment.select().where(Payment.ticket == ticket.id))
        assert lines == paid == ticket.total_cents, ticket.code
        postings = list(AccountingLine.select().where(AccountingLine.ticket == ticket.id))
        assert sum(p.debit_cents for p in postings) == sum(p.credit_cents for p in postings)
    # stock = opening + the movements the ticket lines imply, per location
    expected: dict[tuple[int, str], int] = {}
    for sku in SKUS:
        expected[(shop.products[sku].id, "sellable")] = OPENING
    for line in TicketLine.select().where(TicketLine.product.is_null(False)):
        location = DISPOSITIONS[line.disposition] if line.quantity < 0 else "sellable"
        key = (line.product_id, location)
        expected[key] = expected.get(key, 0) - line.quantity
    levels = {(row.product_id, row.location.code): row.quantity
              for row in StockLevel.select(StockLevel, StockLocation).join(StockLocation)
              if row.product_id in {shop.products[s].id for s in SKUS}}
    assert {k: v for k, v in levels.items() if v or k in expected} == {k: v for k, v in expected.items()
                                                                        if v or k in levels}
    for (product, location), quantity in levels.items():
        moved = sum(m.quantity for m in StockMovement.select().join(StockLocation).where(
            (StockMovement.product == product) & (StockLocation.code == location)))
        assert moved == quantity


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(ops=operations)
def test_any_sequence_keeps_caps_balances_and_stock(shop, ops):
    sales = list(Ticket.select().where(Ticket.kind == "sale").order_by(Ticket.id))
    for op in ops:
        kind = op[0]
        if kind == "sell" or not sales:
            if kind == "sell":
                sales.append(_sell(shop, op[1], op[2], op[3]))
            continue
        session = returns_session(shop)
        if kind == "return":
            _, ticket_index, line_index, quantity, disposition, means = op
            if not _pick(session, sales, ticket_index, line_index, quantity, disposition):
                continue
            if means == "cash":
                session.refund_to([("cash", -session.balance_cents)])
            ticket = session.complete()
            assert ticket.kind == "return"
            event("return written")
        else:
            _, ticket_index, line_index, quantity, sku, new_quantity = op
            if not _pick(session, sales, ticket_index, line_index, quantity):
                continue
            basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
            basket.add_product(shop.products[sku], new_quantity)
            session.exchange_with(basket)
            if session.balance_cents > 0:
                session.pay("cash", session.balance_cents)
            ticket = session.complete()
            assert ticket.kind == "exchange"
            event("exchange written")
    _check_invariants(shop)


def test_journal_verifies_after_a_mixed_day(shop):
    sale = _sell(shop, [("WIN", 3), ("BAG", 2)], "split", 100)
    for quantity in (1, 2):
        session = returns_session(shop)
        session.open(sale)
        session.pick(next(l for l in session.lines if l.sku == "WIN").line_id, quantity, reason="defective",
                     disposition="damaged")
        session.complete()
    session = returns_session(shop)
    session.open(sale)
    session.pick(next(l for l in session.lines if l.sku == "BAG").line_id, 2, reason="changed_mind")
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    basket.add_product(shop.products["COF"], 1)
    session.exchange_with(basket)
    session.pay("card")
    session.complete()
    _check_invariants(shop)
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok
