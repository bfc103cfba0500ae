"""The till's clock may not go backwards unnoticed (fiscal-fr.md R-CLK).

Every record carries the time it was sealed; a clock set back (by hand, a dead RTC battery on a
Raspberry Pi without network time) would date new tickets before old ones and muddle closures.
So the till remembers the latest time it sealed anything (the *floor*). A ticket written while
the clock reads more than ``TOLERANCE`` before the floor is refused (``ClockWentBackwards``), and
the start of the program records a CLOCK_BACKWARDS event in chain L. Sales resume once a manager
has checked the clock and acknowledged it (``acknowledge``: a CLOCK_ACKNOWLEDGED event); the
floor then counts only what was sealed after that acknowledgement.

A clock that reads far *later* than the floor at start (more than ``[fiscal]
clock_jump_forward_hours``) is sealed as CLOCK_JUMPED_FORWARD and sales go on: a long closure
looks the same, and the event lets an auditor tell which it was (``record_if_jumped``).

Once sealed, CLOCK_BACKWARDS holds sales until the acknowledgement whatever the clock reads
next (events such as a failed login may still be sealed meanwhile, with the clock as it is).

The floor is computed once per process from the latest records of each chain of the till (an
index range of each chain's last ``RECENT`` records) and then kept up to date in memory by
``note_sealed``; the hold is read once too: the check costs nothing per checkout.
"""

from __future__ import annotations

import datetime as dt
import threading
import weakref

import peewee

from store.models import ChainHead, FiscalRecord, User, utcnow
from till.errors import TillError
from till.fiscal.chain import Sealer, current_database
from till.fiscal.events import EVENT_CHAIN, record_event
from till.i18n import N_

__all__ = ["CLOCK_BACKWARDS", "CLOCK_ACKNOWLEDGED", "TOLERANCE", "ClockWentBackwards", "clock_behind",
           "CLOCK_JUMPED_FORWARD", "record_if_jumped", "TICKET_TIME_SLACK", "TicketTimeMismatch", "check_ticket_time", "ticket_time_differs",
           "check_clock", "is_held", "last_sealed", "note_sealed", "acknowledge", "record_if_behind", "forget"]

CLOCK_BACKWARDS = "CLOCK_BACKWARDS"
CLOCK_ACKNOWLEDGED = "CLOCK_ACKNOWLEDGED"
CLOCK_JUMPED_FORWARD = "CLOCK_JUMPED_FORWARD"
TOLERANCE = dt.timedelta(minutes=5)
"""Network time may step the clock by a few seconds; a few minutes back is a clock set wrong."""
TICKET_TIME_SLACK = dt.timedelta(seconds=30)
"""How far a ticket's own time (printed, in its payload) may be from its record's sealing time.
The ticket's time is read before its transaction and the seal is stamped inside it, after the
chain's lock: a commit waiting for another till (the database's busy timeout, 5 s) or a slow SD
card stays well within it, while a ticket dated on another minute than it was signed does not.
Anything further is a backdated or postdated sale: refused at the till, reported by the verifier
(only a history declared by a signed HISTORY_IMPORTED event may be dated earlier,
``till.fiscal.imported_history``)."""
RECENT = 1000
"""How many of each chain's last records the floor is read from."""


class ClockWentBackwards(TillError):
    """The clock reads earlier than the till's last record: selling waits for a manager."""


class TicketTimeMismatch(TillError):
    """A ticket's time is not the time it would be signed: nothing is written."""


def ticket_time_differs(business: dt.datetime, sealed: dt.datetime, imported: bool = False) -> bool:
    """Is a ticket dated ``business`` and sealed at ``sealed`` outside the rule? A ticket of a
    declared imported history (``imported``) may be dated earlier than its seal, never later."""
    if imported:
        return business > sealed + TICKET_TIME_SLACK
    return abs(business - sealed) > TICKET_TIME_SLACK


def check_ticket_time(business: dt.datetime, sealed: dt.datetime, imported: bool = False) -> None:
    """Refuse a ticket dated ``business`` that would be sealed at ``sealed`` (naive UTC)."""
    if ticket_time_differs(business, sealed, imported):
        raise TicketTimeMismatch(
            N_("A ticket is signed now: its time ({time} UTC) is not the till's clock ({now} UTC). "
               "Nothing was recorded"),
            time=business.strftime("%Y-%m-%d %H:%M:%S"), now=sealed.strftime("%Y-%m-%d %H:%M:%S"))


_lock = threading.Lock()
_floors: "weakref.WeakKeyDictionary[peewee.Database, dict[str, dt.datetime | None]]" = weakref.WeakKeyDictionary()
_holds: "weakref.WeakKeyDictionary[peewee.Database, dict[str, bool]]" = weakref.WeakKeyDictionary()


def _database() -> peewee.Database:
    database = current_database()
    return getattr(database, "obj", database)


def _last_acknowledgement(till_id: str) -> int:
    """The id of the till's last CLOCK_ACKNOWLEDGED record (0: none).

    Newest by sequence, not ``MAX(id)``: the (till, chain, kind, sequence) index answers it in
    one probe, where ``MAX(id)`` may have SQLite walk the whole table backwards by id when the
    till was never acknowledged (read at every start)."""
    return (FiscalRecord.select(FiscalRecord.id)
            .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
                   & (FiscalRecord.kind == CLOCK_ACKNOWLEDGED))
            .order_by(FiscalRecord.sequence.desc()).limit(1).scalar()) or 0


def _read_floor(till_id: str) -> dt.datetime | None:
    """The latest sealing time among the recent records of the till's chains sealed after the
    last acknowledgement (a record sealed after the clock went back is earlier than the floor:
    the maximum, not the last record, is the floor)."""
    after = _last_acknowledgement(till_id)
    latest = None
    for chain, sequence in ChainHead.select(ChainHead.chain, ChainHead.sequence).where(
            (ChainHead.till_id == till_id) & (ChainHead.sequence > 0)).tuples():
        value = (FiscalRecord.select(peewee.fn.MAX(FiscalRecord.created_at))
                 .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain)
                        & (FiscalRecord.sequence > sequence - RECENT) & (FiscalRecord.id > after)).scalar())
        if value is None:
            continue
        stamp = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
        latest = stamp if latest is None or stamp > latest else latest
    return latest


def is_held(till_id: str) -> bool:
    """Is a CLOCK_BACKWARDS event waiting for its acknowledgement?"""
    holds = _holds.setdefault(_database(), {})
    if till_id not in holds:
        holds[till_id] = _last_clock_event(till_id) == CLOCK_BACKWARDS
    return holds[till_id]


def _last_clock_event(till_id: str) -> str | None:
    return (FiscalRecord.select(FiscalRecord.kind)
            .where((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == EVENT_CHAIN)
                   & FiscalRecord.kind.in_([CLOCK_BACKWARDS, CLOCK_ACKNOWLEDGED]))
            .order_by(FiscalRecord.sequence.desc()).scalar())


def _floor(till_id: str) -> dt.datetime | None:
    floors = _floors.setdefault(_database(), {})
    if till_id not in floors:
        floors[till_id] = _read_floor(till_id)
    return floors[till_id]


def note_sealed(till_id: str, when: dt.datetime) -> None:
    """A record of ``till_id`` was sealed at ``when``: raise the floor (after its commit)."""
    with _lock:
        floors = _floors.setdefault(_database(), {})
        if till_id in floors and (floors[till_id] is None or when > floors[till_id]):
            floors[till_id] = when


def forget() -> None:
    """Drop what is remembered (a restart; tests that alter records behind the till's back)."""
    _floors.clear()
    _holds.clear()


def last_sealed(till_id: str) -> dt.datetime | None:
    """The floor: the latest time the till sealed a record since the last acknowledgement (None:
    nothing yet), for ``till doctor`` to set beside the clock."""
    return _floor(till_id)


def clock_behind(till_id: str, now: dt.datetime | None = None) -> dt.datetime | None:
    """The floor, if the clock (``now``) reads more than ``TOLERANCE`` before it; else None."""
    floor = _floor(till_id)
    now = now or utcnow()
    if floor is not None and now < floor - TOLERANCE:
        return floor
    return None


def check_clock(till_id: str, now: dt.datetime | None = None) -> None:
    """Refuse a ticket while the clock is behind the till's last record, or a CLOCK_BACKWARDS
    event waits for a manager."""
    floor = clock_behind(till_id, now)
    if floor is None and is_held(till_id):
        raise ClockWentBackwards(N_("The clock went backwards and no manager has acknowledged it yet: nothing was "
                                    "recorded. A manager checks the clock, then acknowledges it "
                                    "(`till clock acknowledge`)"))
    if floor is not None:
        raise ClockWentBackwards(
            N_("The clock reads {now} UTC, before the last record of this till ({floor} UTC): nothing was recorded. "
            "A manager checks the clock, then acknowledges it (`till clock acknowledge`)"),
            now=(now or utcnow()).strftime("%Y-%m-%d %H:%M"), floor=floor.strftime("%Y-%m-%d %H:%M"))


def record_if_behind(sealer: Sealer, now: dt.datetime | None = None) -> bool:
    """At start: seal a CLOCK_BACKWARDS event if the clock is behind (once until acknowledged)."""
    floor = clock_behind(sealer.till_id, now)
    if floor is None:
        return False
    if _last_clock_event(sealer.till_id) != CLOCK_BACKWARDS:
        record_event(sealer, CLOCK_BACKWARDS, "the clock reads earlier than the last record",
                     details={"clock": (now or utcnow()).isoformat(timespec="seconds") + "Z",
                              "last_record": floor.isoformat(timespec="seconds") + "Z"})
    with _lock:
        _holds.setdefault(_database(), {})[sealer.till_id] = True
    return True


def record_if_jumped(sealer: Sealer, hours: int, now: dt.datetime | None = None) -> bool:
    """At start, before anything else is sealed: seal CLOCK_JUMPED_FORWARD when the clock reads
    more than ``hours`` after the till's last record (``[fiscal] clock_jump_forward_hours``).

    A forward jump is written down, never refused: the till cannot tell a shop closed for a
    holiday from a clock set days ahead, but an inspector reading the event can, and every
    ticket sealed after it carries the new time. Backward moves are ``record_if_behind``'s.
    """
    floor = _floor(sealer.till_id)
    now = now or utcnow()
    if floor is None or now - floor <= dt.timedelta(hours=hours):
        return False
    record_event(sealer, CLOCK_JUMPED_FORWARD, "the clock reads far later than the last record",
                 details={"clock": now.isoformat(timespec="seconds") + "Z",
                          "last_record": floor.isoformat(timespec="seconds") + "Z",
                          "hours": int((now - floor).total_seconds() // 3600), "threshold_hours": hours})
    return True


def acknowledge(sealer: Sealer, manager: User, note: str) -> None:
    """A manager checked the clock: seal CLOCK_ACKNOWLEDGED; the floor restarts from there."""
    note = (note or "").strip()
    if not note:
        raise ClockWentBackwards(N_("Say what was checked or fixed on the clock (a note is required)"))
    floor = _floor(sealer.till_id)
    with current_database().atomic():
        record_event(sealer, CLOCK_ACKNOWLEDGED, "clock checked by a manager", user_id=manager.id,
                     details={"note": note[:200], "clock": utcnow().isoformat(timespec="seconds") + "Z",
                              "last_record": floor.isoformat(timespec="seconds") + "Z" if floor else None})
    with _lock:
        _floors.setdefault(_database(), {}).pop(sealer.till_id, None)
        _holds.setdefault(_database(), {})[sealer.till_id] = False
