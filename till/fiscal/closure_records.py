"""Sealed closures read back from chain G: one closure as a value, and the till's closures by kind.

A closure is never rebuilt from tickets (R-CON-04): the Z report, the verifier, the archive
check, the cascade that closes months and years, and the forced daily closure all read what the
record of chain G sealed. This module is that reading, apart from the rules of when a closure
may be made and how (``till.fiscal.closures``), so a reader needs nothing of the closing.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import peewee

from store.models import FiscalRecord
from till.fiscal.closure_totals import Period, Totals

__all__ = ["CLOSURE_CHAIN", "Closure", "closures", "first_closure", "last_closure", "find_closure"]

CLOSURE_CHAIN = "G"


@dataclass(frozen=True)
class Closure:
    """A sealed closure, read back from its record of chain G."""

    till_id: str
    sequence: int
    kind: str
    period: Period
    totals: Totals
    perpetual_total: int
    perpetual_absolute: int
    payload: dict[str, Any] = field(repr=False)
    signature: str = field(repr=False, default="")
    created_at: dt.datetime | None = None

    @classmethod
    def from_record(cls, record: FiscalRecord | tuple) -> "Closure":
        if isinstance(record, tuple):
            till_id, sequence, kind, payload_text, signature, created_at = record
        else:
            till_id, sequence, kind, payload_text, signature, created_at = (
                record.till_id, record.sequence, record.kind, record.payload, record.signature, record.created_at)
        payload = json.loads(payload_text)
        return cls(till_id, sequence, kind, Period.from_payload(payload["period"]), Totals.from_payload(payload),
                   payload["perpetual_total_cents"], payload["perpetual_absolute_cents"], payload, signature,
                   created_at if not isinstance(created_at, str) else dt.datetime.fromisoformat(created_at))


_COLUMNS = (FiscalRecord.till_id, FiscalRecord.sequence, FiscalRecord.kind, FiscalRecord.payload,
            FiscalRecord.signature, FiscalRecord.created_at)


def _mine(till_id: str) -> peewee.Expression:
    return (FiscalRecord.till_id == till_id) & (FiscalRecord.chain == CLOSURE_CHAIN)


def closures(till_id: str, kind: str | None = None, after_sequence: int = 0) -> list[Closure]:
    """The till's closures (of ``kind``), in sequence order, after record ``after_sequence``."""
    where = _mine(till_id) & (FiscalRecord.sequence > after_sequence)
    if kind is not None:
        where &= FiscalRecord.kind == kind
    return [Closure.from_record(row) for row in
            FiscalRecord.select(*_COLUMNS).where(where).order_by(FiscalRecord.sequence).tuples()]


def last_closure(till_id: str, kind: str) -> Closure | None:
    """The till's latest closure of ``kind`` (closures of a kind are made in date order)."""
    row = (FiscalRecord.select(*_COLUMNS).where(_mine(till_id) & (FiscalRecord.kind == kind))
           .order_by(FiscalRecord.sequence.desc()).limit(1).tuples().first())
    return Closure.from_record(row) if row else None


def first_closure(till_id: str, kind: str) -> Closure | None:
    """The till's earliest closure of ``kind``: where its automatic months (years) start."""
    row = (FiscalRecord.select(*_COLUMNS).where(_mine(till_id) & (FiscalRecord.kind == kind))
           .order_by(FiscalRecord.sequence).limit(1).tuples().first())
    return Closure.from_record(row) if row else None


def find_closure(till_id: str, kind: str, label: str) -> Closure | None:
    """The closure of the period ``label`` (``2026-11-25``, ``2026-11``, ``2026``), if made."""
    needle = json.dumps(label)
    for row in (FiscalRecord.select(*_COLUMNS)
                .where(_mine(till_id) & (FiscalRecord.kind == kind)
                       & FiscalRecord.payload.contains(f'"label":{needle}')).tuples()):
        closure = Closure.from_record(row)
        if closure.period.label == label:
            return closure
    return None
