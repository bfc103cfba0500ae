"""The cashier signals, on histories written through the real workflows: sales at the checkout,
returns through ``ReturnSession``, logins and logouts through ``till.people.auth``, overrides
through ``ReturnSession.approve``, closures through ``till.fiscal.closures``."""

from __future__ import annotations

import datetime as dt

from store.models import utcnow
from till.fiscal.closure_totals import business_day, day_start
from till.fiscal.closures import close_day
from till.loss.rules_cashier import (
    RULES, cash_for_card, edge_refunds, keyed_returns, refund_rate, same_manager_overrides,
)
from till.loss.signal import CASHIER, Period
from till.people import auth
from till.returns.session import ReturnSession
from tests.support.clock import sealing_at
from tests.support.loss import return_check_quiet
from tests.support.shop import sell

DEFAULTS: dict = {}
"""No threshold configured: every rule uses its default."""


def wide_period(shop, days_back: int = 60) -> Period:
    """From ``days_back`` days ago to tomorrow, business days in the shop's zone (as closures
    date them): every record a test wrote."""
    zone = shop.ctx.sealer.zone
    today = business_day(utcnow(), zone)
    start, end = today - dt.timedelta(days=days_back), today + dt.timedelta(days=1)
    return Period(start, end, day_start(start, zone), day_start(end + dt.timedelta(days=1), zone))


def refund(shop, sale, sku: str, means: str | None = None, user=None, manager=None, keyed=None):
    """One unit of ``sku`` of ``sale`` taken back by ``user`` (the shop's cashier), refunded to
    ``means`` (default: the original means); a breach approved by ``manager``."""
    session = ReturnSession(return_check_quiet(shop.config), shop.ctx.sealer, user or shop.cashier, shop.ctx.terminal)
    session.open(sale)
    line = next(line for line in session.lines if line.sku == sku and line.returnable > 0)
    session.pick(line.line_id, 1, reason="defective")
    if keyed is not None:
        session.entry.note(keyed=keyed)
    if manager is not None:
        session.approve(manager, "customer known")
    if means is not None:
        session.refund_to([(means, session.returned_cents)])
    return session.complete()


def signals_of(shop, rule, thresholds=DEFAULTS):
    return rule(wide_period(shop), thresholds)


def test_a_cashier_refunding_three_found_receipts_for_cash_is_flagged(shop):
    auth.login(shop.ctx.sealer, "cashier", "1111")
    sales = [sell(shop, [("WIN", 1)], card=895) for _ in range(3)]
    returns = [refund(shop, sale, "WIN", means="cash") for sale in sales]

    [signal] = signals_of(shop, cash_for_card)
    assert (signal.code, signal.subject, signal.subject_id) == ("cashier_cash_for_card", CASHIER, "cashier")
    assert signal.subject_label == shop.cashier.name
    assert (signal.value, signal.threshold) == (3, 2)
    assert signal.params["amount_cents"] == 3 * 895
    assert set(signal.evidence) == {ticket.code for ticket in returns}
    assert signal.how.startswith("{count} sales paid by card refunded in cash")


def test_cash_refunds_of_cash_sales_and_card_refunds_of_card_sales_are_not_flagged(shop):
    for _ in range(3):
        refund(shop, sell(shop, [("WIN", 1)], cash=895), "WIN", means="cash")
        refund(shop, sell(shop, [("WIN", 1)], card=895), "WIN")  # back to the card
    assert signals_of(shop, cash_for_card) == []


def test_an_ordinary_cashier_making_one_return_in_a_day_raises_nothing(shop):
    with sealing_at(utcnow() - dt.timedelta(hours=3)):
        auth.login(shop.ctx.sealer, "cashier", "1111")
    sale = sell(shop, [("WIN", 1), ("SOA", 1)], card=895 + 350)
    refund(shop, sale, "SOA", means="cash")
    auth.logout(shop.ctx.sealer, shop.cashier)
    for rule in RULES:
        assert rule(wide_period(shop), DEFAULTS) == [], rule.__name__


def test_refunds_per_hour_worked_against_a_fixed_rate_when_alone(shop):
    with sealing_at(utcnow() - dt.timedelta(hours=1)):
        auth.login(shop.ctx.sealer, "cashier", "1111")
    sale = sell(shop, [("SOA", 3)], cash=1050)
    tickets = [refund(shop, sale, "SOA") for _ in range(3)]
    auth.logout(shop.ctx.sealer, shop.cashier)

    [signal] = signals_of(shop, refund_rate)
    assert signal.subject_id == "cashier" and signal.threshold == 2.0
    assert signal.value > 2.0 and signal.params["refunds"] == 3
    assert {ticket.code for ticket in tickets} <= set(signal.evidence)
    assert any(code.startswith("L01-") for code in signal.evidence)
    assert signal.params["open"] == 0  # the session had its logout
    assert "no colleague" in signal.how


def test_refunds_per_hour_against_the_shops_median(shop):
    """Three cashiers worked; one refunds many times faster than the median: flagged, and only
    them. A session left without logout ends at the user's last record, and says so."""
    sealer = shop.ctx.sealer
    ann = auth.create_user("ann", "Ann Leroy", "cashier", "2222", sealer=sealer)
    bob = auth.create_user("bob", "Bob Petit", "cashier", "3333", sealer=sealer)
    with sealing_at(utcnow() - dt.timedelta(hours=4)):
        for login, pin in (("ann", "2222"), ("bob", "3333")):
            auth.login(sealer, login, pin)
    with sealing_at(utcnow() - dt.timedelta(hours=1)):
        auth.login(sealer, "cashier", "1111")
    sale = sell(shop, [("SOA", 8)], cash=2800)
    refund(shop, sale, "SOA", user=ann)
    refund(shop, sale, "SOA", user=bob)
    for _ in range(4):
        refund(shop, sale, "SOA")
    auth.logout(sealer, ann)
    auth.logout(sealer, bob)  # the cashier never logs out

    [signal] = signals_of(shop, refund_rate)
    assert signal.subject_id == "cashier" and signal.params["cashiers"] == 3
    assert signal.params["refunds"] == 4
    assert signal.threshold == round(3.0 * signal.params["median"], 2)
    assert signal.params["open"] == 1  # the open session is counted, and the sentence says how it ended
    assert signals_of(shop, refund_rate, {"cashier_min_refunds": 5}) == []


def test_voids_count_with_refunds(shop):
    from till.selling.basket import Basket  # deferred: only this test fills a basket

    with sealing_at(utcnow() - dt.timedelta(hours=1)):
        auth.login(shop.ctx.sealer, "cashier", "1111")
    basket = Basket(shop.config, shop.ctx.sealer, shop.cashier)
    for _ in range(2):
        line = basket.add_product(shop.products["SOA"], 1)
        basket.void_line(line.id)
    sale = sell(shop, [("SOA", 2)], cash=700)
    refund(shop, sale, "SOA")
    assert signals_of(shop, refund_rate) == []  # one refund: under the minimum, whatever the rate
    refund(shop, sale, "SOA")
    sale2 = sell(shop, [("SOA", 1)], cash=350)
    refund(shop, sale2, "SOA")
    [signal] = signals_of(shop, refund_rate)
    assert signal.params["voids"] == 2


def test_refunds_right_after_opening_are_flagged_and_not_later_in_the_day(shop):
    sealer = shop.ctx.sealer
    sale = sell(shop, [("SOA", 6)], cash=2100)
    auth.login(sealer, "cashier", "1111")
    returns = [refund(shop, sale, "SOA") for _ in range(3)]
    [signal] = signals_of(shop, edge_refunds)
    assert signal.value == 3 and signal.threshold == 2 and signal.params["minutes"] == 15
    assert {ticket.code for ticket in returns} <= set(signal.evidence)
    assert any(code.startswith("L01-") for code in signal.evidence)  # the login

    assert signals_of(shop, edge_refunds, {"cashier_edge_refunds": 3}) == []


def test_refunds_just_before_the_days_closure_are_flagged(shop):
    sealer = shop.ctx.sealer
    with sealing_at(utcnow() - dt.timedelta(hours=5)):
        auth.login(sealer, "cashier", "1111")
    sale = sell(shop, [("SOA", 6)], cash=2100)
    for _ in range(3):
        refund(shop, sale, "SOA")
    assert signals_of(shop, edge_refunds) == []  # hours after the login, and the day still open
    close_day(sealer, business_day(utcnow(), sealer.zone))
    [signal] = signals_of(shop, edge_refunds)
    assert signal.value == 3
    assert any(code.startswith("G01-") for code in signal.evidence)  # the closure


def test_overrides_from_the_same_manager_again_and_again(shop):
    old = sell(shop, [("SOA", 5)], cash=1750, days_ago=45)  # beyond the return window
    overridden = [refund(shop, old, "SOA", manager=shop.manager) for _ in range(3)]
    assert signals_of(shop, same_manager_overrides) == []  # three: not more than three
    overridden.append(refund(shop, old, "SOA", manager=shop.manager))

    [signal] = signals_of(shop, same_manager_overrides)
    assert (signal.subject_id, signal.value, signal.threshold) == ("cashier", 4, 3)
    assert signal.params["manager"] == shop.manager.name
    assert sum(code.startswith("L01-") for code in signal.evidence) == 4
    assert old.code in signal.evidence


def test_returned_lines_keyed_rather_than_scanned(shop):
    sale = sell(shop, [("SOA", 6)], cash=2100)
    for keyed in (True, True, False):
        refund(shop, sale, "SOA", keyed=keyed)
    [signal] = signals_of(shop, keyed_returns)
    assert (signal.value, signal.params["keyed"], signal.params["lines"]) == (round(2 / 3, 2), 2, 3)
    assert signals_of(shop, keyed_returns, {"cashier_keyed_share": 0.7}) == []


def test_scanned_returns_are_not_flagged(shop):
    sale = sell(shop, [("SOA", 6)], cash=2100)
    for keyed in (False, False, True):
        refund(shop, sale, "SOA", keyed=keyed)
    assert signals_of(shop, keyed_returns) == []


def test_keyed_lines_of_card_refunds_are_sealed_with_them(shop):
    """A card refund is written from the card journal's row after the terminal answered: its
    entry is sealed with it all the same, naming the sale it came from."""
    sales = [sell(shop, [("WIN", 1)], card=895) for _ in range(3)]
    for sale in sales:
        refund(shop, sale, "WIN", keyed=True)  # back to the card, through the terminal
    [signal] = signals_of(shop, keyed_returns)
    assert (signal.value, signal.params["returns"]) == (1.0, 3)
    assert {sale.code for sale in sales} <= set(signal.evidence)


def test_overrides_shared_between_two_managers_are_not_flagged(shop):
    other = auth.create_user("lea", "Léa Moreau", "manager", "8888", sealer=shop.ctx.sealer)
    old = sell(shop, [("SOA", 6)], cash=2100, days_ago=45)  # beyond the return window
    for manager in (shop.manager, other, shop.manager, other, shop.manager, other):
        refund(shop, old, "SOA", manager=manager)
    assert signals_of(shop, same_manager_overrides) == []  # three each: not more than three


def test_a_session_without_logout_ends_at_the_days_closure(shop):
    sealer = shop.ctx.sealer
    today_start = day_start(business_day(utcnow(), sealer.zone), sealer.zone)
    with sealing_at(max(utcnow() - dt.timedelta(hours=1), today_start)):  # the same business day
        auth.login(sealer, "cashier", "1111")
    sale = sell(shop, [("SOA", 3)], cash=1050)
    for _ in range(3):
        refund(shop, sale, "SOA")
    close_day(sealer, business_day(utcnow(), sealer.zone))  # the cashier never logged out

    [signal] = signals_of(shop, refund_rate)
    assert signal.params["open"] == 1
    assert any(code.startswith("G01-") for code in signal.evidence)  # the closure that ended it
