"""The forced daily closure (R-CON-02): may the till sell now, and which day must close first.

The ticket writer asks ``require_open_day`` before every ticket: a sale is refused while an
earlier business day with tickets has no closure, and on a day already closed. It must stay a
couple of indexed statements whatever the history: the closures covering the till are
remembered while its chain G head does not move (``covered``), and the earliest ticket no
closure covers is one plain statement written once (``first_open_ticket``). The closing job
(``closures``) hands what it sealed to that memory (``remember_covered``).
"""

from __future__ import annotations

import datetime as dt
import weakref
from typing import Callable, Iterable

import peewee

from store.models import ChainHead, Ticket, utcnow
from till.fiscal.chain import current_database
from till.fiscal.closure_errors import DAY_CLOSED, DAY_NOT_CLOSED, DayAlreadyClosed, DayNotClosed
from till.fiscal.closure_records import CLOSURE_CHAIN, Closure, last_closure
from till.fiscal.closure_totals import KINDS, business_day, day_start, naive_utc

__all__ = ["Lookup", "closed_until", "first_open_ticket", "covered", "remember_covered", "require_open_day",
           "day_to_close"]


Lookup = Callable[[str, str], "Closure | None"]
"""``last_closure`` or ``first_closure``, or a closing job's remembered twin (``_Job.last``)."""


def closed_until(till_id: str, kinds: Iterable[str], last: Lookup | None = None) -> Closure | None:
    """Of the latest closures of ``kinds``, the one whose period ends last."""
    last = last or last_closure
    latest = [c for c in (last(till_id, kind) for kind in kinds) if c is not None]
    return max(latest, key=lambda c: c.period.end, default=None)


_FIRST_OPEN_SQL = {
    since: 'SELECT MIN("{1}") FROM "{0}" WHERE "{2}" = ? AND "{3}" = ? AND "{1}" < ?{4}'.format(
        Ticket._meta.table_name, Ticket.created_at.column_name, Ticket.till_id.column_name,
        Ticket.training.column_name, ' AND "{0}" >= ?'.format(Ticket.created_at.column_name) if since else "")
    for since in (False, True)
}
"""``first_open_ticket``'s statement, without and with a start; ``?`` becomes the engine's mark."""


def first_open_ticket(till_id: str, start: dt.datetime | None, end: dt.datetime) -> dt.datetime | None:
    """When the earliest counted ticket of the till in ``[start, end)`` was made, or None.

    Plain SQL, written once, on the index (till, training, created_at): the ticket writer asks
    before every ticket, and building the query with peewee cost several times the statement."""
    database = current_database()
    field = Ticket.created_at
    params = [till_id, Ticket.training.db_value(False), field.db_value(end)]
    if start is not None:
        params.append(field.db_value(start))
    sql = _FIRST_OPEN_SQL[start is not None].replace("?", database.param)
    value = database.execute_sql(sql, params).fetchone()[0]
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value


_covered_cache: "weakref.WeakKeyDictionary[peewee.Database, dict[str, tuple[tuple, Closure | None]]]" = (
    weakref.WeakKeyDictionary())


def covered(till_id: str) -> Closure | None:
    """``closed_until(till_id, KINDS)``, remembered while the till's chain G head does not move.

    The checkout asks at every ticket; reading the head row (one indexed row, plain SQL) is a
    fraction of the three closure lookups, which only run again after a new closure (by this
    process or another: the head is in the database, not in this cache). The head's signature
    is part of the key, so a closure rolled back and another sealed at the same sequence
    cannot be mistaken for each other.
    """
    database = current_database()
    sql = 'SELECT "sequence", "signature" FROM "{0}" WHERE "till_id" = {1} AND "chain" = {1}'.format(
        ChainHead._meta.table_name, database.param)
    head = tuple(database.execute_sql(sql, (till_id, CLOSURE_CHAIN)).fetchone() or ())
    known = _covered_cache.setdefault(database, {})
    cached = known.get(till_id)
    if cached is not None and cached[0] == head:
        return cached[1]
    found = closed_until(till_id, KINDS)
    known[till_id] = (head, found)  # keyed by the head's signature too: a rolled-back closure never matches
    return found


def remember_covered(till_id: str, made: list[Closure], last: Lookup) -> None:
    """After a closing job: what ``covered`` would read again at the next ticket, from what the
    job knows (``made``, its closures; ``last``, its remembered latest closure of each kind).
    Its key is chain G's head as the job left it (its last closure), so it is believed only
    while the database's head is that one: never if the job's transaction rolled back."""
    if made:
        head = made[-1]
        _covered_cache.setdefault(current_database(), {})[till_id] = (
            (head.sequence, head.signature), closed_until(till_id, KINDS, last))


def require_open_day(till_id: str, now: dt.datetime | None, zone: dt.tzinfo) -> None:
    """Refuse a ticket at ``now`` when closures forbid it (R-CON-02); call it before writing one.

    Raises ``DayNotClosed`` when the till has tickets on an earlier business day that no
    closure covers (the message names the day and how a manager closes it), and
    ``DayAlreadyClosed`` when today itself is closed already. Two indexed queries (the chain G
    head and the earliest ticket not closed): cheap enough for every checkout.
    """
    now = utcnow() if now is None else naive_utc(now)
    today = business_day(now, zone)
    covered_by = covered(till_id)
    if covered_by is not None and today <= covered_by.period.last_day:
        raise DayAlreadyClosed(DAY_CLOSED, day=covered_by.period.last_day.isoformat(), till_id=till_id)
    pending = first_open_ticket(till_id, covered_by.period.end if covered_by else None, day_start(today, zone))
    if pending is not None:
        raise DayNotClosed(DAY_NOT_CLOSED, day=business_day(pending, zone), till_id=till_id)


def day_to_close(till_id: str, zone: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    """The day a manager's next day closure is for: the oldest day that must be closed before
    the till may sell again, else today. The closures screen proposes it before closing, so the
    manager reads which day a Z is about to seal."""
    try:
        require_open_day(till_id, now, zone)
    except DayNotClosed as pending:
        return pending.day
    except DayAlreadyClosed:
        pass
    return business_day(utcnow() if now is None else naive_utc(now), zone)
