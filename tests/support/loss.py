"""Histories of returns for the loss-prevention tests, written through the real workflows."""

from __future__ import annotations

import datetime as dt

from store.models import utcnow
from till.fiscal.closure_totals import business_day
from till.fiscal.closures import business_zone
from till.loss.signal import Period, Thresholds
from till.loss.signals import compute, period_of, thresholds_of
from till.returns.session import ReturnSession


def bought_before(shop, items, days: float, customer=None, card=None):
    """A sale of ``items`` written ``days`` ago through the real checkout, its day left open (as
    ``sell`` does, without closing it: several sales may share a past day, and the first sale or
    return of today closes the days and months over, as the till does). Oldest first."""
    import dataclasses

    from till.selling.ticket_writer import write_ticket
    from tests.support.clock import sealing_at
    from tests.support.shop import paid_draft

    when = utcnow() - dt.timedelta(days=days)
    draft = paid_draft(shop, items, card=card, customer=customer)
    with sealing_at(when):
        close_the_past(shop, when)
        return write_ticket(shop.ctx.sealer, shop.config.accounts, dataclasses.replace(draft, created_at=when))


def close_the_past(shop, now: dt.datetime | None = None) -> None:
    """Close the days before today (``now``'s day), as a manager does before the day's first return (a sale
    would force it); nothing when they are closed already."""
    from till.fiscal.closure_errors import DayAlreadyClosed, PeriodAlreadyClosed
    from till.fiscal.closures import close_day

    zone = business_zone(shop.config)
    try:
        close_day(shop.ctx.sealer, business_day(now or utcnow(), zone) - dt.timedelta(days=1), zone=zone,
                  now=now)
    except (DayAlreadyClosed, PeriodAlreadyClosed):
        pass


def return_all(shop, sale, user=None, customer=None):
    """Take back every line of ``sale`` through a return session, refunded as planned."""
    close_the_past(shop)
    session = ReturnSession.at(shop.ctx, user or shop.cashier)
    session.open(sale)
    for line in session.lines:
        session.pick(line.line_id, line.returnable, reason="defective")
    if customer is not None:
        session.attach_customer(customer)
    return approved(shop, session).complete()


def return_one(shop, sale, sku: str, user=None):
    """Take back one ``sku`` of ``sale``."""
    close_the_past(shop)
    session = ReturnSession.at(shop.ctx, user or shop.cashier)
    session.open(sale)
    line = next(line for line in session.lines if line.sku == sku)
    session.pick(line.line_id, 1, reason="defective")
    return approved(shop, session).complete()


def approved(shop, session: ReturnSession) -> ReturnSession:
    """A return on which a signal asks for a manager (``loss_signal``), approved by the shop's manager,
    as a history of abuse is written: the manager let it through, the signals count it."""
    from till.returns.loss_check import LOSS_SIGNAL

    if any(breach.code == LOSS_SIGNAL for breach in session.unapproved()):
        session.approve(shop.manager, "let through", [LOSS_SIGNAL])
    return session


def return_without_receipt(shop, sku: str, customer):
    """Take back one ``sku`` without a receipt, for ``customer``, refunded as the policy says."""
    close_the_past(shop)
    session = ReturnSession.at(shop.ctx, shop.cashier)
    session.without_receipt()
    session.attach_customer(customer)
    session.pick_product(shop.products[sku], 1, reason="defective")
    for breach in session.unapproved():
        session.approve(shop.manager, "known customer", [breach.code])
    return session.complete()


def terminal_gives_card_digits(shop, digits: str) -> None:
    """The terminal answers with the card's masked digits in its reference, as a real one prints them."""
    import itertools

    simulator = shop.ctx.terminal.terminal
    simulator._authorisations = (f"{n}-****{digits}" for n in itertools.count(200001))


def return_check_quiet(config):
    """``config`` whose return check never asks for a manager: no count of returns, visits or
    quick returns is ever reached, and no copy is recent enough. Histories of returns written
    for other rules (the cashier rules refund one receipt again and again, the policy tests a
    customer's own limit) would otherwise wait for a manager, and each approval is an override
    the cashier rules count."""
    import dataclasses

    settings = config.loss_prevention
    never = {name: 10**6 for name in ("receipt_max_visits", "customer_min_returns", "customer_no_receipt_min",
                                      "quick_return_min", "wardrobing_min")}
    thresholds = {**settings.thresholds, **never, "reprint_hours": 0}
    return dataclasses.replace(config, loss_prevention=dataclasses.replace(settings, thresholds=thresholds))


def today(shop) -> Period:
    """Today, the shop's business day, as a period."""
    zone = business_zone(shop.config)
    day = business_day(utcnow(), zone)
    return period_of(day, day, zone)


def signals_today(shop, thresholds: Thresholds | None = None, code: str | None = None):
    """Today's signals (of rule ``code`` only, when given)."""
    found = compute(today(shop), thresholds if thresholds is not None else thresholds_of(shop.config.loss_prevention))
    return [s for s in found if code is None or s.code == code]


def days_ago(shop, days: int) -> dt.date:
    """The shop's business day ``days`` before now."""
    return business_day(utcnow() - dt.timedelta(days=days), business_zone(shop.config))


def close_today_and_seal_signals(shop):
    """The manager closes today, then the outbox runs as the till runs it after a closure: the
    day's loss-prevention signals are sealed then (``till.fiscal.signals_schedule``)."""
    from till.aftersale.jobs import run_outbox_jobs
    from till.fiscal.closures import close_day

    made = close_day(shop.ctx.sealer, operator="Max Durand")
    run_outbox_jobs(shop.config, shop.ctx.sealer)
    return made
