"""Which business period a fiscal record belongs to: the date of what it records.

An archive of a month holds the records of that month's business, not the records sealed
during it: a shop that restores its history, a demo written in one go, a closure of the 31st
sealed on the 1st, all seal records on another day than the one they record. The exporter
(``till.fiscal.archive``) and the archive verifier (``till.fiscal.archive_verify``) both ask this
module, from the record's signed fields alone (no database), so they cannot disagree.

The date that decides, per chain:

- T, X (tickets, training tickets): the ticket's own time (``payload.created_at``), the time
  its closures count it by;
- G (closures): the last instant of the closed period, so a day's closure lands in its day's
  month and a month's closure in that month (a year's in its December);
- C (duplicates), L (technical events), A (archives) and any other chain: the time the record
  was sealed, which is when the copy was printed or the event happened.

Periods are half-open UTC intervals ``[start, end)`` of the shop's calendar (``archive.Period``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

__all__ = ["TICKET_CHAINS", "CLOSURE_CHAIN", "business_time", "parse_utc"]

TICKET_CHAINS = ("T", "X")
CLOSURE_CHAIN = "G"
_INSTANT = dt.timedelta(microseconds=1)


def parse_utc(text: str) -> dt.datetime:
    """``2026-11-03T11:00:00Z`` (with or without microseconds) as a naive UTC datetime."""
    value = dt.datetime.fromisoformat(text.removesuffix("Z"))
    return value.astimezone(dt.timezone.utc).replace(tzinfo=None) if value.tzinfo else value


_KEY = '"created_at":"'


def _top_level_time(text: str) -> dt.datetime | None:
    """A ticket payload's own ``created_at``, read from its signed text without parsing it all.

    An export reads every ticket of a month: parsing each payload would double its time. In the
    canonical text (keys sorted, no spaces) the ticket's time is the first ``"created_at":"`` with
    no object opened before it (a quote inside a string is escaped, so it cannot be mistaken);
    anything else (None) is left to the full parse.
    """
    at = text.find(_KEY)
    if at < 0 or 0 <= text.find("{", 1) < at or 0 <= text.find("[", 1) < at:
        return None
    start = at + len(_KEY)
    end = text.find('"', start)
    try:
        return parse_utc(text[start:end]) if end > 0 else None
    except ValueError:
        return None


def business_time(chain: str, created_at: str, payload: str | dict[str, Any]) -> dt.datetime:
    """The naive UTC instant whose period the record belongs to (see the module docstring).

    ``created_at`` is the record's sealing time as signed; ``payload`` its signed payload (text
    or parsed). A payload without the expected field falls back on the sealing time, so an
    unreadable record is still placed somewhere (and reported by the checks that read it).
    """
    if chain in TICKET_CHAINS and isinstance(payload, str):
        when = _top_level_time(payload)
        if when is not None:
            return when
    if chain in TICKET_CHAINS or chain == CLOSURE_CHAIN:
        data = json.loads(payload) if isinstance(payload, str) else payload
        try:
            if chain == CLOSURE_CHAIN:
                return parse_utc(data["period"]["end"]) - _INSTANT
            return parse_utc(data["created_at"])
        except (KeyError, TypeError, ValueError):
            pass
    return parse_utc(created_at)
