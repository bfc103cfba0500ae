"""Store credit over a period: notes issued, redeemed, outstanding at its end, and expired in it.

A note's balance is never stored: it is the sum of its ledger movements (+ issue, - each
redemption), so every figure here is a sum over ``credit_note_movement`` up to a moment. A
note can be spent up to and including its ``expires_on`` day; it has expired in the period
when that day is before the period's last day and something was left on it.
"""

from __future__ import annotations

import datetime as dt

from peewee import fn

from reports.base import Column, ReportPeriod, Table
from store.models import CreditNote, CreditNoteMovement, Ticket

__all__ = ["credit_notes", "BY"]

BY = ("status",)


def _balances(before: dt.datetime) -> dict[int, int]:
    """Each note's balance from its movements made before ``before`` (notes issued by then)."""
    query = (CreditNoteMovement.select(CreditNoteMovement.credit_note, fn.SUM(CreditNoteMovement.amount_cents))
             .where(CreditNoteMovement.created_at < before).group_by(CreditNoteMovement.credit_note).tuples())
    return {note: int(total or 0) for note, total in query}


def credit_notes(period: ReportPeriod, by: str = "status", limit: int | None = None) -> Table:
    """Four rows: issued, redeemed, outstanding (at the period's end) and expired (in it)."""
    in_period = (CreditNote.created_at >= period.start) & (CreditNote.created_at < period.end)
    issued = (CreditNote.select(fn.COUNT(CreditNote.id), fn.SUM(CreditNote.amount_cents))
              .join(Ticket, on=CreditNote.issued_ticket == Ticket.id)
              .where(in_period & (Ticket.training == False)).tuples().first())  # noqa: E712
    redeemed = (CreditNoteMovement.select(fn.COUNT(fn.DISTINCT(CreditNoteMovement.credit_note)),
                                          (0 - fn.SUM(CreditNoteMovement.amount_cents)))
                .where((CreditNoteMovement.amount_cents < 0) & (CreditNoteMovement.created_at >= period.start)
                       & (CreditNoteMovement.created_at < period.end)).tuples().first())
    balances = _balances(period.end)
    expiry = dict(CreditNote.select(CreditNote.id, CreditNote.expires_on)
                  .where(CreditNote.id.in_(list(balances)) if balances else CreditNote.id < 0).tuples())
    outstanding = [0, 0]
    expired = [0, 0]
    for note, left in balances.items():
        if left <= 0:
            continue
        last_day = expiry[note]
        if isinstance(last_day, str):
            last_day = dt.date.fromisoformat(last_day)
        if last_day >= period.last:
            outstanding[0] += 1
            outstanding[1] += left
        elif last_day >= period.first - dt.timedelta(days=1):
            expired[0] += 1
            expired[1] += left
    rows = [("issued", int(issued[0] or 0), int(issued[1] or 0)),
            ("redeemed", int(redeemed[0] or 0), int(redeemed[1] or 0)),
            ("outstanding", *outstanding), ("expired", *expired)]
    return Table("credit-notes", by, period, (Column("status", "text"), Column("notes"),
                                              Column("amount_cents", "cents")), rows)
