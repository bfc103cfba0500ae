"""A history of past tickets written now, declared as such in the signed journal.

A ticket's time is the time it is signed (``till.fiscal.clock.TICKET_TIME_SLACK``): a sale is
never dated on another day than its seal. The demo shop is the one writer of past tickets: it
builds 90 days of sales in a few seconds, so each of its tickets carries its own business time
(the day it stands for) and is sealed at the real time of the build. Rather than sign those
records at a false time, the demo first seals a HISTORY_IMPORTED event in chain L naming the
first and last ticket numbers it is about to write, the earliest and latest business times,
and why. The ticket writer writes a past ticket only against such a declaration, within it, and
the verifier accepts a ticket dated before its seal only inside a range a signed declaration
names, and never one dated after its seal. An inspector reads the declaration in chain L: the
imported tickets are named, their signing times are true.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any, Iterable

from store.models import ChainHead, FiscalRecord
from till.fiscal.chain import Sealer, current_database, iso_utc
from till.fiscal.clock import ticket_time_differs
from till.fiscal.events import EVENT_CHAIN, record_event
from till.i18n import N_

__all__ = ["HISTORY_IMPORTED", "TICKET_TIME_WRONG", "ImportedHistory", "declare_history", "declared_histories",
           "history_of", "ticket_time_wrong"]

HISTORY_IMPORTED = "HISTORY_IMPORTED"
TICKET_TIME_WRONG = N_("ticket time {ticket_time} is not its signing time {sealed_at}: a backdated or postdated "
                       "ticket")
"""What both verifiers (journal and archive) say of a ticket ``ticket_time_wrong`` refuses."""


@dataclass
class ImportedHistory:
    """The tickets ``first`` to ``last`` of ``chain`` are a past history written now; their
    business times lie between ``earliest`` and ``latest`` (naive UTC)."""

    chain: str
    first: int
    last: int
    earliest: dt.datetime
    latest: dt.datetime
    declared_at: dt.datetime
    """When the declaration was sealed: it covers only tickets sealed after it, never a past sale
    explained afterwards."""

    def covers(self, sequence: int, business: dt.datetime, sealed: dt.datetime) -> bool:
        """Is ticket ``sequence``, dated ``business`` and sealed at ``sealed``, part of it?"""
        return (self.first <= sequence <= self.last and self.earliest <= business <= self.latest
                and business <= sealed and self.declared_at <= sealed)


def _time(value: dt.datetime | str) -> dt.datetime:
    """A timestamp column's value as a datetime (SQLite may give text)."""
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value).rstrip("Z"))


def _naive(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def declare_history(sealer: Sealer, *, count: int, earliest: dt.datetime, latest: dt.datetime, reason: str,
                    chain: str = "T") -> ImportedHistory:
    """Seal HISTORY_IMPORTED for the next ``count`` tickets of ``chain``, dated from ``earliest``
    to ``latest``; the ticket writer accepts their past times only with the object returned."""
    with current_database().atomic():
        head = (ChainHead.select(ChainHead.sequence)
                .where((ChainHead.till_id == sealer.till_id) & (ChainHead.chain == chain)).scalar()) or 0
        history = ImportedHistory(chain, head + 1, head + count, _naive(earliest), _naive(latest), sealer.now())
        details = {"chain": chain, "first": history.first, "last": history.last,
                   "earliest": iso_utc(history.earliest), "latest": iso_utc(history.latest), "reason": reason[:200]}
        record = record_event(sealer, HISTORY_IMPORTED, "past tickets written now, each with its own business time",
                              details=details)
        history.declared_at = _naive(_time(record.created_at))
    return history


def history_of(payload: str | dict[str, Any], created_at: dt.datetime | str) -> ImportedHistory | None:
    """The declaration a HISTORY_IMPORTED record states (its signed payload, as text or parsed,
    and its sealing time), or None when it cannot be read."""
    try:
        details = (json.loads(payload) if isinstance(payload, str) else payload)["details"]
        return ImportedHistory(
            details["chain"], int(details["first"]), int(details["last"]),
            _naive(dt.datetime.fromisoformat(details["earliest"].rstrip("Z"))),
            _naive(dt.datetime.fromisoformat(details["latest"].rstrip("Z"))), _naive(_time(created_at)))
    except (KeyError, TypeError, ValueError, AttributeError):
        return None


def declared_histories(till_id: str) -> list[ImportedHistory]:
    """Every HISTORY_IMPORTED declaration of ``till_id``, as sealed (a record whose signature
    does not hold is reported by the chain check; its declaration is not trusted more)."""
    rows = (FiscalRecord.select(FiscalRecord.payload, FiscalRecord.created_at)
            .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
                   & (FiscalRecord.kind == HISTORY_IMPORTED)).tuples())
    return [history for history in (history_of(payload, created_at) for payload, created_at in rows)
            if history is not None]


def ticket_time_wrong(histories: Iterable[ImportedHistory], sequence: int, business: dt.datetime,
                      sealed: dt.datetime) -> bool:
    """Is ticket ``sequence``, dated ``business`` and sealed at ``sealed`` (naive UTC), outside
    the rule, given the declarations ``histories`` of its till? The one test of a ticket's time,
    for the journal's verifier and the archive's."""
    imported = any(history.covers(sequence, business, sealed) for history in histories)
    return ticket_time_differs(business, sealed, imported)
