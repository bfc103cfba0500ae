"""The check at the return screen: the customer and receipt signals about this return, now.

Why its own module: it runs at every return, while the customer waits, so it reads only this
customer's returns and purchases and this receipt's copies and returns (indexed columns: the
ticket's customer and original, the record's ticket), never the whole shop; the one shop-wide
figure, the median customer's share of returns, changes slowly and is kept for the day. The
return being made is not written yet: the receipt rules count it as one more visit, look for a
copy made before now, and compare its cashier with the seller.
"""

from __future__ import annotations

import datetime as dt

from store.models import FiscalRecord, Ticket, User
from store.prepared import PreparedQuery, as_datetime
from till.aftersale.duplicates import DUPLICATE_CHAIN
from till.fiscal.chain import current_database
from till.fiscal.closure_totals import business_day
from till.loss.returns_seen import RETURN_KINDS, record_code
from till.loss.rules_customer import customer_signals, shop_median_share
from till.loss.rules_receipt import REPRINTED, SAME_CASHIER, VISITS
from till.loss.signal import RECEIPT, Period, Signal, Thresholds

__all__ = ["signals_for_return", "forget_medians"]

_MEDIANS: dict[tuple[int, dt.date, int], float] = {}
"""(database, UTC day, history days) -> the shop's median share of returns that day."""


def forget_medians() -> None:
    """Drop the medians kept for the day (a test that rewrites history within a day)."""
    _MEDIANS.clear()


def _median(now: dt.datetime, days: int) -> float:
    key = (id(current_database()), now.date(), days)
    if key not in _MEDIANS:
        _MEDIANS[key] = shop_median_share(now - dt.timedelta(days=days), now)
    return _MEDIANS[key]


def signals_for_return(customer_id: int | None, origin_ticket_id: int | None, cashier_id: int | None,
                       now: dt.datetime, thresholds: Thresholds,
                       zone: dt.tzinfo = dt.timezone.utc) -> list[Signal]:
    """The customer signals about ``customer_id`` over the last ``check_days`` and the receipt
    signals about the return about to be made on ``origin_ticket_id`` by ``cashier_id``."""
    until = now + dt.timedelta(microseconds=1)  # now included
    since = now - dt.timedelta(days=int(thresholds.get("check_days", 90)))
    period = Period(business_day(since, zone), business_day(now, zone), since, until, zone)
    out: list[Signal] = []
    if customer_id is not None:
        median = _median(now, int(thresholds.get("history_days", 365)))
        out.extend(customer_signals(period, thresholds, customer_id, median))
    if origin_ticket_id is not None:
        out.extend(_receipt(origin_ticket_id, cashier_id, now, thresholds, zone))
    return out


_ID, _SINCE, _UNTIL = -1_000_004, dt.datetime(1900, 1, 1, 0, 0, 0, 1), dt.datetime(1900, 1, 1, 0, 0, 0, 2)
_SOLD = PreparedQuery(lambda ticket: (Ticket.select(Ticket.code, Ticket.user, User.name)
                                      .join(User, on=(Ticket.user == User.id)).where(Ticket.id == ticket).limit(1)),
                      _ID)
_EARLIER_RETURNS = PreparedQuery(lambda ticket: Ticket.select(Ticket.code).where(
    (Ticket.origin_ticket == ticket) & (Ticket.kind.in_(RETURN_KINDS))
    & (Ticket.training == False)).order_by(Ticket.id), _ID)  # noqa: E712 - SQL
_LAST_COPY = PreparedQuery(lambda ticket, since, until: (
    FiscalRecord.select(FiscalRecord.till_id, FiscalRecord.sequence, FiscalRecord.created_at)
    .where((FiscalRecord.ticket_id == ticket) & (FiscalRecord.chain == DUPLICATE_CHAIN)
           & (FiscalRecord.created_at >= since) & (FiscalRecord.created_at <= until))
    .order_by(FiscalRecord.created_at.desc()).limit(1)), _ID, _SINCE, _UNTIL)
"""The receipt's three statements, each on its own index (an OR of the first two would scan the
tickets on SQLite), rendered once (``store.prepared``): this runs while the customer waits."""


def _receipt(origin_id: int, cashier_id: int | None, now: dt.datetime, thresholds: Thresholds,
             zone: dt.tzinfo) -> list[Signal]:
    database = current_database()
    origin = _SOLD.rows(database, origin_id)
    if not origin:
        return []
    origin_code, seller, seller_name = origin[0]
    earlier = [code for (code,) in _EARLIER_RETURNS.rows(database, origin_id)]
    day, out = business_day(now, zone), []
    hours = thresholds.get("reprint_hours", 24)
    copy = _LAST_COPY.rows(database, origin_id, now - dt.timedelta(hours=hours), now)
    if copy:
        till_id, sequence, copied_at = copy[0]
        code = record_code(DUPLICATE_CHAIN, till_id, sequence)
        gap = round((now - as_datetime(copied_at)).total_seconds() / 3600, 1)
        out.append(Signal("receipt_reprinted", RECEIPT, origin_code, origin_code, day, gap, hours, REPRINTED,
                          {"duplicate": code, "hours": gap, "limit": hours}, (origin_code, code)))
    limit = thresholds.get("receipt_max_visits", 2)
    if len(earlier) + 1 > limit:  # this visit is one more
        out.append(Signal("receipt_many_visits", RECEIPT, origin_code, origin_code, day, len(earlier) + 1, limit,
                          VISITS, {"count": len(earlier) + 1, "limit": limit}, (origin_code, *earlier)))
    if cashier_id is not None and seller == cashier_id:
        out.append(Signal("receipt_same_cashier", RECEIPT, origin_code, origin_code, day, 1, 1, SAME_CASHIER,
                          {"cashier": seller_name}, (origin_code,)))
    return out
