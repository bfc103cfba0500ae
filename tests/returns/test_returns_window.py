"""The return policy at work in ReturnSession: windows, final sale, per-customer limits,
no-receipt rules, each breach refused unless a manager approves (on a real small shop)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from store.models import FiscalRecord
from till.config.loader import ReturnsConfig
from till.fiscal.verify import verify_journal
from till.returns.session import ReturnError
from till.returns.policy import PolicyBreach, customer_breach
from till.selling.basket import Basket
from till.selling.checkout import Checkout
from tests.support.shop import sell
from tests.support.queries import payments, row_counts, stock_level
from tests.support.returns import COUNTED, line_of, session


# --- policy ----------------------------------------------------------------------------------

def test_outside_window_refused_then_approved_with_manager_override(shop):
    sale = sell(shop, [("WIN", 1)], days_ago=45)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "WIN").line_id, 1, reason="defective")
    before = row_counts(*COUNTED)
    with pytest.raises(PolicyBreach) as error:
        s.complete()
    assert error.value.code == "window"
    assert "acceptés pendant 30 jours" in error.value.text("fr")
    assert row_counts(*COUNTED) == before
    with pytest.raises(ReturnError):
        s.approve(shop.cashier, "ok")  # a cashier cannot approve
    with pytest.raises(ReturnError):
        s.approve(shop.manager, " ")  # a note is required
    events = FiscalRecord.select().where((FiscalRecord.chain == "L") & (FiscalRecord.kind == "MANAGER_OVERRIDE"))
    overrides = events.count()
    assert s.approve(shop.manager, "loyal customer, bottle unopened") == ["window"]
    ticket = s.complete()
    assert ticket.kind == "return"
    assert events.count() == overrides + 1
    payload = json.loads(events.order_by(FiscalRecord.sequence.desc()).first().payload)
    assert payload["user_id"] == shop.manager.id
    assert payload["details"]["breach"] == "window" and payload["details"]["note"].startswith("loyal")
    assert verify_journal(anchors=shop.ctx.sealer.anchors).ok


def test_window_per_product_then_category(shop):
    wine = shop.products["WIN"]
    sale = sell(shop, [("WIN", 1), ("BAG", 1)], days_ago=10)
    category = wine.category
    category.return_days = 7
    category.save()
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "BAG").line_id, 1, reason="defective")
    assert [b.code for b in s.breaches()] == ["window"]  # the category's 7 days
    wine.return_days = 14
    wine.save()
    s.unpick(s.picks[0].key)
    s.pick(line_of(s, "WIN").line_id, 1, reason="defective")
    assert s.breaches() == []  # the product's own 14 days win
    s.complete()


def test_final_sale_refused(shop):
    sandwich = shop.products["SAND"]
    sandwich.final_sale = True
    sandwich.save()
    sale = sell(shop, [("SAND", 1)])
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "SAND").line_id, 1, reason="changed_mind")
    with pytest.raises(PolicyBreach) as error:
        s.complete()
    assert error.value.code == "final_sale"
    assert "sans reprise possible" in error.value.text("fr")


def test_per_customer_limit(shop):
    sale = sell(shop, [("BAG", 10)], customer=shop.customer)
    limit = shop.config.returns.customer_max_returns
    for _ in range(limit):
        s = session(shop)
        s.open(sale)
        s.pick(line_of(s, "BAG").line_id, 1, reason="changed_mind")
        s.complete()
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "BAG").line_id, 1, reason="changed_mind")
    with pytest.raises(PolicyBreach) as error:
        s.complete()
    assert error.value.code == "customer_limit"
    assert error.value.text("fr") == f"Ce client a déjà fait {limit} retours en 30 jours (limite {limit})"
    s.approve(shop.manager, "known customer")
    s.complete()
    # another customer (or none) is not limited by hers
    other = sell(shop, [("BAG", 1)])
    s = session(shop)
    s.open(other)
    s.pick(line_of(s, "BAG").line_id, 1, reason="changed_mind")
    s.complete()


def test_customer_limit_agrees_with_one_return_in_one_day(shop):
    sale = sell(shop, [("BAG", 2)], customer=shop.customer)
    s = session(shop)
    s.open(sale)
    s.pick(line_of(s, "BAG").line_id, 1, reason="changed_mind")
    s.complete()
    breach = customer_breach(shop.customer.id, dt.datetime.now(),
                             ReturnsConfig(customer_max_returns=1, customer_period_days=1))
    assert breach.error().text("fr") == "Ce client a déjà fait 1 retour en 1 jour (limite 1)"
    assert breach.error().text("en") == "This customer already made 1 return in 1 day (limit 1)"


def test_no_receipt_at_lowest_recent_price_credit_note_only(shop):
    coffee = shop.products["COF"]
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    line = basket.add_product(coffee, 1)
    basket.discount_line(line.id, amount_cents=40)  # sold once at 4.19
    checkout = Checkout(basket, None)
    checkout.add_cash(419)
    checkout.complete()
    sell(shop, [("COF", 2)])
    s = session(shop)
    with pytest.raises(ReturnError):
        s.pick_product(coffee, 1)
    s.without_receipt()
    pick = s.pick_product(coffee, 2, reason="changed_mind")
    assert pick.unit_price_cents == 419 and s.balance_cents == -838
    assert [(p.means, p.amount_cents) for p in s.default_refund()] == [("credit_note", 838)]
    s.refund_to([("cash", 838)])
    with pytest.raises(PolicyBreach) as error:
        s.complete()
    assert error.value.code == "no_receipt_credit_note_only"
    with pytest.raises(ReturnError):
        s.refund_to([("card", 838)])


def test_no_receipt_maximum_and_fallback_price(shop):
    wine = shop.products["WIN"]  # never sold: its current price
    s = session(shop)
    s.without_receipt()
    s.pick_product(wine, 6, reason="changed_mind")
    assert s.balance_cents == -6 * 895
    codes = [b.code for b in s.breaches()]
    assert "no_receipt_max" in codes


def test_no_receipt_written_as_credit_note(shop):
    s = session(shop)
    s.without_receipt()
    s.pick_product(shop.products["COF"], 1, reason="changed_mind", disposition="damaged")
    ticket = s.complete()
    assert (ticket.kind, ticket.origin_ticket_id) == ("return", None)
    assert payments(ticket) == [("credit_note", -459)]


def test_no_receipt_with_cash_allowed_by_config_and_manager(shop):
    s = session(shop)
    s.without_receipt()
    s.pick_product(shop.products["COF"], 1, reason="changed_mind", disposition="damaged")
    s.refund_to([("cash", 459)])
    s.approve(shop.manager, "regular customer", codes=["no_receipt_credit_note_only"])
    ticket = s.complete()
    assert payments(ticket) == [("cash", -459)]
    assert stock_level(shop.products["COF"], "damaged") == 1
