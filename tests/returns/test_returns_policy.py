"""The refund planner (till.returns.refunds) and the policy rules (till.returns.policy), one by one."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from store.models import Category
from till.config.loader import ReturnsConfig
from till.returns.refunds import RefundError, RefundPart, caps, check_choice, plan_refund
from till.returns.policy import (
    customer_breach, final_sale_breach, lowest_recent_price, window_breach, window_days,
)

SPLIT = [("card", 1000, "SIM1"), ("cash", 3000), ("cash", -420, "change")]  # 35.80 paid: card 10 + cash


def parts(plan):
    return [(p.means, p.amount_cents, p.reference) for p in plan]


def test_plan_card_first_then_cash_capped_per_means():
    assert parts(plan_refund(SPLIT, 895)) == [("card", 895, "SIM1")]
    assert parts(plan_refund(SPLIT, 1790)) == [("card", 1000, "SIM1"), ("cash", 790, None)]
    assert parts(plan_refund(SPLIT, 3580)) == [("card", 1000, "SIM1"), ("cash", 2580, None)]
    with pytest.raises(RefundError):
        plan_refund(SPLIT, 3581)


def test_plan_net_of_earlier_refunds():
    earlier = [("card", -1000), ("cash", -790)]
    assert parts(plan_refund(SPLIT, 895, earlier)) == [("cash", 895, None)]
    with pytest.raises(RefundError):
        plan_refund(SPLIT, 1791, earlier)
    # an exchange that made the customer pay more in cash does not raise the cash cap
    assert [c.available_cents for c in caps(SPLIT, [("cash", 500)])] == [1000, 2580]


def test_plan_two_cards_each_with_its_reference_and_credit_note_last():
    paid = [("card", 500, "A"), ("card", 700, "B"), ("credit_note", 300, "AV1"), ("cash", 200)]
    assert parts(plan_refund(paid, 1700)) == [("card", 500, "A"), ("card", 700, "B"), ("cash", 200, None),
                                              ("credit_note", 300, None)]
    assert parts(plan_refund(paid, 600, [("card", -300)])) == [("card", 200, "A"), ("card", 400, "B")]


def test_cashier_choice_checked():
    assert parts(check_choice(SPLIT, [RefundPart("cash", 500), RefundPart("card", 600)], 1100)) == [
        ("card", 600, "SIM1"), ("cash", 500, None)]
    with pytest.raises(RefundError):
        check_choice(SPLIT, [RefundPart("card", 1100)], 1100)  # more than the card paid
    with pytest.raises(RefundError):
        check_choice(SPLIT, [RefundPart("cash", 100)], 1100)  # does not add up
    with pytest.raises(RefundError):
        check_choice(SPLIT, [RefundPart("cash", 1100)], 1100, allowed=("credit_note",))
    with pytest.raises(RefundError):
        check_choice(SPLIT, [RefundPart("cash", -1)], -1)


payments_strategy = st.lists(
    st.tuples(st.sampled_from(["card", "cash", "credit_note"]), st.integers(1, 5000)), min_size=1, max_size=5)


@given(payments_strategy, st.data())
def test_plan_never_exceeds_any_cap_and_sums_exactly(paid, data):
    paid = [(means, amount, f"R{i}") for i, (means, amount) in enumerate(paid)]
    total = sum(amount for _, amount, _ in paid)
    amount = data.draw(st.integers(0, total))
    plan = plan_refund(paid, amount)
    assert sum(p.amount_cents for p in plan) == amount
    for means in ("cash", "credit_note"):
        assert sum(p.amount_cents for p in plan if p.means == means) <= sum(a for m, a, _ in paid if m == means)
    for _, amount_, reference in (p for p in paid if p[0] == "card"):
        assert sum(p.amount_cents for p in plan if p.reference == reference) <= amount_
    # what the plan takes, taken again, leaves exactly the rest
    rest = total - amount
    again = plan_refund(paid, rest, [(p.means, -p.amount_cents) for p in plan])
    assert sum(p.amount_cents for p in again) == rest
    with pytest.raises(RefundError):
        plan_refund(paid, 1, [(p.means, -p.amount_cents) for p in plan + again])


# --- policy rules (on the shop's database) ---------------------------------------------------

def test_window_product_then_category_then_parent_then_config(shop):
    config = ReturnsConfig(window_days=30)
    bread = shop.products["BAG"]
    assert window_days(bread, config) == 30
    parent = Category.create(name="Alimentation", return_days=3)
    category = bread.category
    category.parent = parent
    category.save()
    bread = type(bread).get_by_id(bread.id)
    assert window_days(bread, config) == 3
    category.return_days = 10
    category.save()
    assert window_days(bread, config) == 10
    bread.return_days = 0
    assert window_days(bread, config) == 0
    sold = dt.datetime(2026, 1, 1, 18)
    assert window_breach(bread, "Baguette", sold, dt.datetime(2026, 1, 1, 19), config) is None
    breach = window_breach(bread, "Baguette", sold, dt.datetime(2026, 1, 2, 9), config)
    assert breach.code == "window" and breach.details()["age"] == 1
    # one day, singular; zero days, singular in French; the product's gender never has to agree
    assert breach.error().text("fr") == ("Achat de Baguette il y a 1 jour : les retours sont acceptés "
                                         "pendant 0 jour")
    assert breach.error().text("en") == "Baguette was bought 1 day ago: returns are accepted for 0 days"
    later = window_breach(bread, "Baguette tradition", sold, dt.datetime(2026, 1, 4, 9), config)
    assert later.error().text("fr") == ("Achat de Baguette tradition il y a 3 jours : les retours sont acceptés "
                                        "pendant 0 jour")


def test_final_sale_and_customer_limit_rules(shop):
    sandwich = shop.products["SAND"]
    assert final_sale_breach(sandwich, "x") is None
    sandwich.final_sale = True
    assert final_sale_breach(sandwich, "x").code == "final_sale"
    now = dt.datetime.now()
    assert customer_breach(shop.customer.id, now, ReturnsConfig(customer_max_returns=1)) is None
    assert customer_breach(shop.customer.id, now, ReturnsConfig(customer_max_returns=0)) is None
    assert customer_breach(None, now, ReturnsConfig(customer_max_returns=1)) is None
    assert final_sale_breach(sandwich, "Baguette tradition").error().text("fr") == (
        "Vente sans reprise possible pour Baguette tradition : pas de retour")


def test_lowest_recent_price_falls_back_to_current_price(shop):
    coffee = shop.products["COF"]
    assert lowest_recent_price(coffee, dt.datetime.now(), ReturnsConfig()) == coffee.price_cents
