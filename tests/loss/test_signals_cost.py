"""What the signals cost does not grow with the shop's history, by construction (no timing here:
benchmarks/bench_signals.py measures).

- A day's signals read that day's journal through an index: the cashier rules look at a few
  kinds of chain-L events and the day's closures, never at every record the shop ever sealed.
- The five cashier rules of one computation share the facts they read, gathered once.
- The check at the return screen runs statements rendered once: while the customer waits the
  time goes to the database, not to building SQL again at every return.
"""

from __future__ import annotations

import peewee

from store.models import utcnow
from till.fiscal.closure_totals import business_day
from till.fiscal.closures import business_zone
from till.loss import cashier_facts, rules_cashier
from till.loss.return_check import forget_medians, signals_for_return
from till.loss.signals import compute, period_of, thresholds_of
from till.people.customers import create_customer
from tests.support.loss import bought_before, close_the_past, return_one
from tests.support.query_plans import capture_statements, unbounded_reads
from tests.support.shop import sell


def _history(shop):
    """Sales on past days, closed, then today's sales and returns of a customer."""
    customer = create_customer("Lou", "Client")
    for days in (5, 4, 3):
        bought_before(shop, [("BAG", 1), ("COF", 1)], days, customer=customer)
    close_the_past(shop)
    sale = sell(shop, [("BAG", 1), ("COF", 1), ("SOA", 1)], customer=customer)
    for sku in ("BAG", "COF"):
        return_one(shop, sale, sku, user=shop.manager)
    return customer, sale


def test_a_days_signals_never_read_a_history_table_whole(shop, monkeypatch):
    # GIVEN a shop with a few days of history, closed, and returns today
    _history(shop)
    zone = business_zone(shop.config)
    today = business_day(utcnow(), zone)
    statements = capture_statements(monkeypatch)
    shop.ctx.database.close()  # the capture hooks new connections
    shop.ctx.database.connect()

    # WHEN today's signals are computed
    compute(period_of(today, today, zone), thresholds_of(shop.config.loss_prevention))

    # THEN every statement reads through an index, bounded by the day or the customer
    assert statements
    unbounded = unbounded_reads(shop.ctx.database.database, statements)
    assert not unbounded, "\n".join(f"{table}: {why}: {sql}" for table, why, sql in unbounded)


def test_the_cashier_rules_of_one_computation_gather_their_facts_once(shop, monkeypatch):
    _history(shop)
    zone = business_zone(shop.config)
    today = business_day(utcnow(), zone)
    calls = []
    real = cashier_facts.gather
    monkeypatch.setattr(rules_cashier, "gather", lambda *a, **k: calls.append(a) or real(*a, **k))

    compute(period_of(today, today, zone), thresholds_of(shop.config.loss_prevention))
    assert len(calls) == 1

    # a return written since: the next computation reads again
    return_one(shop, sell(shop, [("SOA", 1)]), "SOA", user=shop.manager)
    compute(period_of(today, today, zone), thresholds_of(shop.config.loss_prevention))
    assert len(calls) == 2


def test_the_check_at_the_return_screen_renders_its_sql_once(shop, monkeypatch):
    customer, sale = _history(shop)
    forget_medians()
    thresholds = thresholds_of(shop.config.loss_prevention)
    first = signals_for_return(customer.id, sale.id, shop.cashier.id, utcnow(), thresholds)

    rendered = []  # statements built by the query builder (a prepared statement runs by execute_sql)
    real = peewee.Database.execute
    monkeypatch.setattr(peewee.Database, "execute",
                        lambda self, query, *a, **k: rendered.append(query) or real(self, query, *a, **k))
    again = signals_for_return(customer.id, sale.id, shop.cashier.id, utcnow(), thresholds)

    assert rendered == []
    assert [(s.code, s.value, s.evidence) for s in again] == [(s.code, s.value, s.evidence) for s in first]
    assert {s.code for s in again} >= {"receipt_many_visits"}


def test_the_prepared_check_finds_the_same_signals_on_both_engines(any_shop):
    """Raw rows differ by engine (text or datetime, integer or decimal sums): the check reads both."""
    import datetime as dt

    from till.aftersale.duplicates import make_duplicate
    from tests.support.clock import sealing_at
    from tests.support.loss import return_without_receipt

    shop = any_shop
    forget_medians()
    customer = create_customer("Inès", "Client")
    sale = bought_before(shop, [("WIN", 1)], 2, customer=customer)
    close_the_past(shop)
    with sealing_at(utcnow() - dt.timedelta(hours=1)):
        copy = make_duplicate(shop.ctx.sealer, sale, shop.cashier)
    first = return_without_receipt(shop, "SOA", customer)
    second = return_without_receipt(shop, "BAG", customer)

    found = {s.code: s for s in signals_for_return(customer.id, sale.id, shop.manager.id, utcnow(),
                                                   thresholds_of(shop.config.loss_prevention))}
    assert set(found) == {"customer_no_receipt", "receipt_reprinted"}
    assert found["customer_no_receipt"].evidence == (first.code, second.code)
    assert found["receipt_reprinted"].value == 1.0 and sale.code in found["receipt_reprinted"].evidence
    assert copy is not None


def test_a_prepared_query_refuses_markers_it_cannot_find(shop):
    import pytest

    from store.models import Ticket
    from store.prepared import PreparedQuery

    query = PreparedQuery(lambda ticket: Ticket.select(Ticket.code).where(Ticket.id == 1), -5)
    with pytest.raises(ValueError):
        query.rows(shop.ctx.database, 7)
    codes = PreparedQuery(lambda ticket: Ticket.select(Ticket.code).where(Ticket.id == ticket), -5)
    sale = sell(shop, [("BAG", 1)])
    assert codes.rows(shop.ctx.database, sale.id) == [(sale.code,)]
    assert codes.rows(shop.ctx.database, sale.id + 1000) == []
