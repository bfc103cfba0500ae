"""Customer signals: who returns much of what they buy, without receipts, soon after buying, or
around weekends (wardrobing: worn for the occasion, brought back after it).

Each rule reads the period's returns once (``returns_seen``) and the customers' purchases with
one grouped statement; the shop's median share of returns is the yardstick, so a shop where
returns are common (clothing) is not flagged by a number made for a grocery. The ``customer_id``
argument narrows the same computation to one customer for the check at the return screen.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from typing import Iterable

import peewee
from peewee import fn

from store.models import Ticket, TicketLine
from store.models.tickets import SALE
from store.prepared import PreparedQuery
from till.fiscal.chain import current_database
from till.fiscal.closure_totals import business_day
from till.i18n import N_
from till.loss.returns_seen import RETURN_KINDS, ReturnSeen, returns_seen
from till.loss.signal import CUSTOMER, Period, Signal, Thresholds

__all__ = ["RULES", "return_share", "no_receipt_returns", "quick_returns", "wardrobing", "customer_signals",
           "shop_median_share"]

RETURN_SHARE = N_("{returns} returns in the period; {share} per cent of what this customer bought in {days} days "
                  "came back, against {median} per cent for the shop's median customer (limit {limit} per cent)")
NO_RECEIPT = N_("{count} returns without a receipt in the period (limit {limit})")
QUICK = N_("{count} returns within {days} days of the purchase in the period (limit {limit})")
WARDROBING = N_("{count} purchases returned just after a weekend or event day, within {days} days "
                "(limit {limit})")


def _by_customer(rows: Iterable[ReturnSeen]) -> dict[int, list[ReturnSeen]]:
    out: dict[int, list[ReturnSeen]] = defaultdict(list)
    for row in rows:
        if row.customer_id is not None:
            out[row.customer_id].append(row)
    return out


def _signal(code: str, customer_id: int, rows: list[ReturnSeen], period: Period, value, threshold, how: str,
            **params) -> Signal:
    last = rows[-1]
    evidence = []
    for row in rows:
        evidence.append(row.code)
        if row.bought_code and row.bought_code not in evidence:
            evidence.append(row.bought_code)
    return Signal(code, CUSTOMER, str(customer_id), last.customer_name or f"#{customer_id}", last.day(period.zone),
                  value, threshold, how, params, tuple(evidence))


def _seen(period: Period, customer_id: int | None, seen: list[ReturnSeen] | None) -> list[ReturnSeen]:
    """The period's returns (of one customer), read now unless the caller read them already."""
    return seen if seen is not None else returns_seen(period.since, period.until, customer_id)


def _flows_query(since: dt.datetime, until: dt.datetime, customer_id: int | None = None) -> peewee.Query:
    bought = fn.SUM(TicketLine.total_cents).filter(TicketLine.quantity > 0)
    returned = fn.SUM(TicketLine.total_cents).filter(TicketLine.quantity < 0)
    where = ((Ticket.customer.is_null(False)) & (Ticket.training == False)  # noqa: E712 - SQL
             & (Ticket.kind.in_((SALE, *RETURN_KINDS))) & (Ticket.created_at >= since) & (Ticket.created_at < until))
    if customer_id is not None:
        where &= Ticket.customer == customer_id
    return (TicketLine.select(Ticket.customer, bought, returned)
            .join(Ticket).where(where).group_by(Ticket.customer).tuples())


_ONE_CUSTOMER_FLOWS = PreparedQuery(lambda since, until, customer: _flows_query(since, until, customer),
                                    dt.datetime(1900, 1, 1, 0, 0, 0, 1), dt.datetime(1900, 1, 1, 0, 0, 0, 2),
                                    -1_000_003)
"""One customer's flows, for the check at the return screen: rendered once (``store.prepared``)."""


def _flows(since: dt.datetime, until: dt.datetime, customer_id: int | None = None) -> dict[int, tuple[int, int]]:
    """customer -> (bought, returned) in cents over ``[since, until)``, in one grouped statement."""
    database = current_database()
    if customer_id is not None:
        rows = _ONE_CUSTOMER_FLOWS.rows(database, since, until, customer_id)
    else:  # raw rows: a year of a busy shop is a hundred thousand customers, each row converted cost more than SQL
        rows = database.execute_sql(*_flows_query(since, until).sql()).fetchall()
    return {customer: (int(b or 0), -int(r or 0)) for customer, b, r in rows}


def _share_pct(bought: int, returned: int) -> float:
    if bought <= 0:
        return 100.0 if returned > 0 else 0.0
    return round(100 * returned / bought, 1)


def _median_of(flows: dict[int, tuple[int, int]]) -> float:
    shares = [_share_pct(b, r) for b, r in flows.values() if b > 0]
    return round(statistics.median(shares), 1) if shares else 0.0


def shop_median_share(since: dt.datetime, until: dt.datetime) -> float:
    """The median customer's returned share in percent (customers who bought anything)."""
    return _median_of(_flows(since, until))


def return_share(period: Period, thresholds: Thresholds, customer_id: int | None = None,
                 median: float | None = None, seen: list[ReturnSeen] | None = None) -> list[Signal]:
    """Returns above ``customer_min_returns`` in the period AND a returned share of purchases
    (value, over ``history_days``) above ``customer_share_factor`` times the shop's median and
    above ``customer_min_share_pct``."""
    minimum = thresholds.get("customer_min_returns", 3)
    candidates = {c: rows for c, rows in _by_customer(_seen(period, customer_id, seen)).items()
                  if len(rows) >= minimum}
    if not candidates:
        return []
    days = int(thresholds.get("history_days", 365))
    since = period.until - dt.timedelta(days=days)
    flows = _flows(since, period.until, customer_id)
    if median is None:  # every customer's flows were just read, unless the check narrowed them to one
        median = _median_of(flows) if customer_id is None else shop_median_share(since, period.until)
    limit = round(max(thresholds.get("customer_min_share_pct", 30),
                      thresholds.get("customer_share_factor", 2.0) * median), 1)
    out = []
    for customer, rows in sorted(candidates.items()):
        bought, returned = flows.get(customer, (0, 0))
        share = _share_pct(bought, returned)
        if share > limit:
            out.append(_signal("customer_return_share", customer, rows, period, share, limit, RETURN_SHARE,
                               returns=len(rows), share=share, days=days, median=median, limit=limit))
    return out


def no_receipt_returns(period: Period, thresholds: Thresholds, customer_id: int | None = None,
                       seen: list[ReturnSeen] | None = None) -> list[Signal]:
    """At least ``customer_no_receipt_min`` returns without a receipt in the period."""
    limit = thresholds.get("customer_no_receipt_min", 2)
    rows = [r for r in _seen(period, customer_id, seen) if r.no_receipt]
    return [_signal("customer_no_receipt", customer, found, period, len(found), limit, NO_RECEIPT,
                    count=len(found), limit=limit)
            for customer, found in sorted(_by_customer(rows).items()) if len(found) >= limit]


def quick_returns(period: Period, thresholds: Thresholds, customer_id: int | None = None,
                  seen: list[ReturnSeen] | None = None) -> list[Signal]:
    """At least ``quick_return_min`` returns within ``quick_return_days`` of the purchase, here
    or on another shop's receipt this till knows."""
    days, limit = thresholds.get("quick_return_days", 2), thresholds.get("quick_return_min", 3)
    window = dt.timedelta(days=days)
    rows = [r for r in _seen(period, customer_id, seen)
            if r.bought_at is not None and r.created_at - r.bought_at <= window]
    return [_signal("customer_quick_returns", customer, found, period, len(found), limit, QUICK,
                    count=len(found), days=days, limit=limit)
            for customer, found in sorted(_by_customer(rows).items()) if len(found) >= limit]


def _around_day_off(bought: dt.date, returned: dt.date, span: int, events: frozenset[dt.date]) -> bool:
    """Bought and returned within ``span`` days with a weekend day or an event day in between."""
    gap = (returned - bought).days
    if gap < 2 or gap > span:  # a day off strictly between needs two days at least
        return False
    between = (bought + dt.timedelta(days=n) for n in range(1, gap))
    return any(day.weekday() >= 5 or day in events for day in between)


def wardrobing(period: Period, thresholds: Thresholds, customer_id: int | None = None,
               seen: list[ReturnSeen] | None = None) -> list[Signal]:
    """At least ``wardrobing_min`` purchases bought just before and returned just after a weekend
    (or a day of ``event_dates``), within ``wardrobing_span_days``."""
    span, limit = int(thresholds.get("wardrobing_span_days", 4)), thresholds.get("wardrobing_min", 2)
    events = getattr(thresholds, "event_dates", frozenset())
    rows = [r for r in _seen(period, customer_id, seen) if r.bought_at is not None
            and _around_day_off(business_day(r.bought_at, period.zone), r.day(period.zone), span, events)]
    return [_signal("customer_wardrobing", customer, found, period, len(found), limit, WARDROBING,
                    count=len(found), days=span, limit=limit)
            for customer, found in sorted(_by_customer(rows).items()) if len(found) >= limit]


def customer_signals(period: Period, thresholds: Thresholds, customer_id: int,
                     median: float | None = None) -> list[Signal]:
    """Every customer signal about one customer (the check at the return screen): their returns
    are read once for the four rules."""
    seen = returns_seen(period.since, period.until, customer_id)
    if not seen:
        return []
    return [*return_share(period, thresholds, customer_id, median, seen),
            *no_receipt_returns(period, thresholds, customer_id, seen),
            *quick_returns(period, thresholds, customer_id, seen), *wardrobing(period, thresholds, customer_id, seen)]


RULES = [return_share, no_receipt_returns, quick_returns, wardrobing]
