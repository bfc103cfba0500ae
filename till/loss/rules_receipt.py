"""Receipt signals: a receipt reprinted shortly before it is returned, a receipt returned in many
visits, a sale refunded by the cashier who made it.

Why these: a duplicate printed just before a return is how a receipt found in a bin, or another
customer's, becomes a refund; a receipt returned piece by piece keeps each refund under a
manager's limit; and a cashier refunding their own sale is the one person who needs no
accomplice. Each reads the period's returns once and their originals' duplicates and return
counts with one statement each (indexed on the original ticket).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from store.models import FiscalRecord, Ticket, User
from till.aftersale.duplicates import DUPLICATE_CHAIN
from till.i18n import N_
from till.loss.returns_seen import RETURN_KINDS, ReturnSeen, record_code, returns_seen
from till.loss.signal import RECEIPT, Period, Signal, Thresholds

__all__ = ["RULES", "reprinted_before_return", "returned_in_visits", "refunded_by_seller", "receipt_signals"]

REPRINTED = N_("Receipt reprinted (duplicate {duplicate}) {hours} hours before its return (limit {limit} hours)")
VISITS = N_("Receipt returned in {count} visits (limit {limit})")
SAME_CASHIER = N_("Sale refunded by the cashier who made it ({cashier})")


def _on_receipts(rows: list[ReturnSeen]) -> dict[int, list[ReturnSeen]]:
    out: dict[int, list[ReturnSeen]] = defaultdict(list)
    for row in rows:
        if row.origin_id is not None:
            out[row.origin_id].append(row)
    return out


def reprinted_before_return(period: Period, thresholds: Thresholds, origin_id: int | None = None) -> list[Signal]:
    """A return on a receipt copied (chain C) at most ``reprint_hours`` before the return."""
    hours = thresholds.get("reprint_hours", 24)
    window = dt.timedelta(hours=hours)
    returns = _on_receipts(returns_seen(period.since, period.until, origin_id=origin_id))
    if not returns:
        return []
    copies = (FiscalRecord.select(FiscalRecord.ticket_id, FiscalRecord.till_id, FiscalRecord.sequence,
                                  FiscalRecord.created_at)
              .where((FiscalRecord.chain == DUPLICATE_CHAIN) & (FiscalRecord.ticket_id.in_(list(returns)))
                     & (FiscalRecord.created_at >= period.since - window) & (FiscalRecord.created_at < period.until))
              .order_by(FiscalRecord.created_at).tuples())
    by_receipt: dict[int, list[tuple[str, dt.datetime]]] = defaultdict(list)
    for ticket_id, till_id, sequence, created_at in copies:
        by_receipt[ticket_id].append((record_code(DUPLICATE_CHAIN, till_id, sequence), created_at))
    out: dict[str, Signal] = {}
    for origin, rows in returns.items():
        for row in rows:
            before = [(code, at) for code, at in by_receipt.get(origin, ()) if row.created_at - window <= at <= row.created_at]
            if not before:
                continue
            code, at = before[-1]
            gap = round((row.created_at - at).total_seconds() / 3600, 1)
            signal = Signal("receipt_reprinted", RECEIPT, row.origin_code, row.origin_code, row.day(period.zone), gap,
                            hours, REPRINTED, {"duplicate": code, "hours": gap, "limit": hours},
                            (row.code, row.origin_code, *(c for c, _ in before)))
            out[signal.key] = signal
    return list(out.values())


def returned_in_visits(period: Period, thresholds: Thresholds, origin_id: int | None = None) -> list[Signal]:
    """More than ``receipt_max_visits`` return tickets on one original, one of them in the period."""
    limit = thresholds.get("receipt_max_visits", 2)
    returns = _on_receipts(returns_seen(period.since, period.until, origin_id=origin_id))
    if not returns:
        return []
    visits = (Ticket.select(Ticket.origin_ticket, Ticket.code)
              .where((Ticket.origin_ticket.in_(list(returns))) & (Ticket.kind.in_(RETURN_KINDS))
                     & (Ticket.training == False) & (Ticket.created_at < period.until))  # noqa: E712 - SQL
              .order_by(Ticket.created_at, Ticket.id).tuples())
    codes: dict[int, list[str]] = defaultdict(list)
    for origin, code in visits:
        codes[origin].append(code)
    out = []
    for origin, rows in returns.items():
        found = codes.get(origin, [])
        if len(found) > limit:
            last = rows[-1]
            out.append(Signal("receipt_many_visits", RECEIPT, last.origin_code, last.origin_code, last.day(period.zone),
                              len(found), limit, VISITS, {"count": len(found), "limit": limit},
                              (last.origin_code, *found)))
    return out


def refunded_by_seller(period: Period, thresholds: Thresholds, origin_id: int | None = None) -> list[Signal]:
    """A return written by the cashier who made the sale it returns."""
    rows = [r for r in returns_seen(period.since, period.until, origin_id=origin_id)
            if r.origin_id is not None and r.user_id == r.origin_user_id]
    names = dict(User.select(User.id, User.name).where(User.id.in_({r.user_id for r in rows})).tuples()) if rows else {}
    out: dict[str, Signal] = {}
    for row in rows:
        signal = Signal("receipt_same_cashier", RECEIPT, row.origin_code, row.origin_code, row.day(period.zone), 1, 1,
                        SAME_CASHIER, {"cashier": names.get(row.user_id, str(row.user_id))}, (row.origin_code, row.code))
        out[signal.key] = signal
    return list(out.values())


def receipt_signals(period: Period, thresholds: Thresholds, origin_id: int) -> list[Signal]:
    """Every receipt signal about one receipt (the check at the return screen)."""
    return [*reprinted_before_return(period, thresholds, origin_id), *returned_in_visits(period, thresholds, origin_id),
            *refunded_by_seller(period, thresholds, origin_id)]


RULES = [reprinted_before_return, returned_in_visits, refunded_by_seller]
