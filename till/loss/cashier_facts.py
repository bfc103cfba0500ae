"""What the cashier rules read from the store and the journal, gathered once per computation.

Why a module of its own: the five cashier rules look at the same few things (who worked when,
which returns each user wrote, how they were refunded, the day's closures, the overrides), and
each of them read from signed records: chain L for logins, voids, overrides and return
entries, chain G for closures, chain T's tickets for returns. Reading them in one place keeps
the rules short and makes sure two rules never disagree on, say, when a day was closed.

Times are naive UTC, as stored; business days are the sealer zone's, as closures count them.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from store.models import CANCELLATION, EXCHANGE, RETURN, FiscalRecord, Payment, Ticket, User
from till.fiscal.closure_totals import DAY, business_day
from till.fiscal.events import EVENT_CHAIN, LINE_VOID, LOGIN, LOGOUT, MANAGER_OVERRIDE
from till.loss.returns_seen import record_code
from till.loss.signal import Period
from till.means import CARD, CASH

__all__ = ["RETURN_ENTRY", "Event", "Shift", "ReturnFact", "CashierFacts", "gather", "record_code", "shop_zone"]

RETURN_ENTRY = "RETURN_ENTRY"
"""The chain L event a return's entry is sealed as (``till.loss.return_entry``)."""

CLOSURE_CHAIN = "G"
EVENT_KINDS = (LOGIN, LOGOUT, LINE_VOID, MANAGER_OVERRIDE, RETURN_ENTRY)
"""The chain-L events the cashier rules read: a period's other events (stock moved, prices and
staff changed...) say nothing of a cashier's refunds and can be thousands a day."""


@dataclass(frozen=True)
class Event:
    """One record of chain L, its payload read back."""

    code: str
    at: dt.datetime
    user_id: int | None
    details: dict
    evidence: str


@dataclass(frozen=True)
class Shift:
    """A user's stretch at a till: LOGIN to LOGOUT, or to where it visibly ended."""

    user_id: int
    start: dt.datetime
    end: dt.datetime
    ended_by: str
    """``logout``, ``last_record`` (no LOGOUT: the user's last record that day) or ``closure``."""
    evidence: tuple[str, ...]

    @property
    def hours(self) -> float:
        return max((self.end - self.start).total_seconds(), 0.0) / 3600


@dataclass(frozen=True)
class ReturnFact:
    """A return (or exchange) ticket and how it was refunded."""

    code: str
    user_id: int
    at: dt.datetime
    day: dt.date
    refunded_cash_cents: int
    origin_paid_by_card: bool


@dataclass
class CashierFacts:
    """Everything the cashier rules need for one period."""

    zone: dt.tzinfo
    users: dict[int, User] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    shifts: list[Shift] = field(default_factory=list)
    returns: list[ReturnFact] = field(default_factory=list)
    cancellations: list[tuple[int, str, dt.datetime]] = field(default_factory=list)
    closures: dict[dt.date, tuple[dt.datetime, str]] = field(default_factory=dict)

    def day_of(self, when: dt.datetime) -> dt.date:
        return business_day(when, self.zone)

    def of_code(self, code: str) -> list[Event]:
        return [event for event in self.events if event.code == code]

    def login(self, user_id: int) -> str:
        user = self.users.get(user_id)
        return user.login if user is not None else str(user_id)

    def name(self, user_id: int) -> str:
        user = self.users.get(user_id)
        return user.name if user is not None else str(user_id)


def gather(period: Period, zone: dt.tzinfo = dt.timezone.utc) -> CashierFacts:
    """The facts of ``period`` (``since`` included, ``until`` excluded)."""
    facts = CashierFacts(zone=zone, users={user.id: user for user in User.select()})
    in_period = (FiscalRecord.created_at >= period.since) & (FiscalRecord.created_at < period.until)
    for row in (FiscalRecord.select().where(in_period & (FiscalRecord.chain == EVENT_CHAIN)
                                            & FiscalRecord.kind.in_(EVENT_KINDS))
                .order_by(FiscalRecord.created_at, FiscalRecord.sequence)):
        payload = json.loads(row.payload)
        facts.events.append(Event(row.kind, row.created_at, payload.get("user_id"), payload.get("details") or {},
                                  record_code(row.chain, row.till_id, row.sequence)))
    for row in FiscalRecord.select().where(in_period & (FiscalRecord.chain == CLOSURE_CHAIN)
                                           & (FiscalRecord.kind == DAY)):
        label = json.loads(row.payload).get("period", {}).get("label")
        day = dt.date.fromisoformat(label) if label else business_day(row.created_at, zone)
        facts.closures.setdefault(day, (row.created_at, record_code(row.chain, row.till_id, row.sequence)))
    tickets = Ticket.select().where((Ticket.created_at >= period.since) & (Ticket.created_at < period.until)
                                    & (Ticket.training == False))  # noqa: E712
    returns = list(tickets.where(Ticket.kind.in_((RETURN, EXCHANGE))).order_by(Ticket.created_at))
    cash = _cash_refunded([ticket.id for ticket in returns])
    by_card = _paid_by_card([ticket.origin_ticket_id for ticket in returns if ticket.origin_ticket_id])
    for ticket in returns:
        facts.returns.append(ReturnFact(ticket.code, ticket.user_id, ticket.created_at,
                                        business_day(ticket.created_at, zone), cash.get(ticket.id, 0),
                                        ticket.origin_ticket_id in by_card))
    for ticket in tickets.where(Ticket.kind == CANCELLATION):
        facts.cancellations.append((ticket.user_id, ticket.code, ticket.created_at))
    facts.shifts = _shifts(facts)
    return facts


def shop_zone(period: Period) -> dt.tzinfo:
    """The zone the shop counts business days in, read from what it sealed: the newest daily
    closure names it (its period's ``zone``). Why not the configuration: a rule gets only a
    period and thresholds, and the closures are what business days were actually counted by.
    With no closure yet, the offset the period itself implies at its end (``until`` is the local
    midnight after ``end``, in UTC): right for today, whatever the summer time was at its start.
    """
    row = (FiscalRecord.select(FiscalRecord.payload)
           .where((FiscalRecord.chain == CLOSURE_CHAIN) & (FiscalRecord.kind == DAY))
           .order_by(FiscalRecord.id.desc()).first())
    name = json.loads(row.payload).get("period", {}).get("zone") if row is not None else None
    if name:
        try:
            return dt.timezone.utc if name == "UTC" else ZoneInfo(name)
        except (ValueError, ZoneInfoNotFoundError):
            pass
    return dt.timezone(dt.datetime.combine(period.end + dt.timedelta(days=1), dt.time(0)) - period.until)


def _cash_refunded(ticket_ids: list[int]) -> dict[int, int]:
    """Cash refunded by each of ``ticket_ids`` (negative cash payments), in one query per
    thousand tickets rather than one per ticket."""
    out: dict[int, int] = {}
    for chunk in _chunks(ticket_ids):
        for ticket_id, amount in (Payment.select(Payment.ticket, Payment.amount_cents)
                                  .where(Payment.ticket.in_(chunk) & (Payment.means == CASH)
                                         & (Payment.amount_cents < 0)).tuples()):
            out[ticket_id] = out.get(ticket_id, 0) - amount
    return out


def _paid_by_card(ticket_ids: list[int]) -> set[int]:
    """Which of the sales ``ticket_ids`` were paid (in part) by card."""
    found: set[int] = set()
    for chunk in _chunks(sorted(set(ticket_ids))):
        found.update(ticket_id for (ticket_id,) in Payment.select(Payment.ticket).where(
            Payment.ticket.in_(chunk) & (Payment.means == CARD) & (Payment.amount_cents > 0)).tuples())
    return found


def _chunks(ids: list[int], size: int = 1000):
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _shifts(facts: CashierFacts) -> list[Shift]:
    """Pair each LOGIN with the same user's next LOGOUT. A session left open (no LOGOUT: the till
    was switched off, the next user logged in over it) ends at the closure of its day if the day
    was closed after the login, or else at the user's last record before their next login: the
    longer of what the evidence allows, so an open session never raises a cashier's rate. (A
    user's records here are the events of ``EVENT_KINDS`` and the returns they wrote.)"""
    shifts: list[Shift] = []
    open_: dict[int, Event] = {}
    seen: dict[int, list[dt.datetime]] = {}
    for event in facts.events:
        if event.user_id is not None:
            seen.setdefault(event.user_id, []).append(event.at)
    for ret in facts.returns:
        seen.setdefault(ret.user_id, []).append(ret.at)

    def close_open(user_id: int, login: Event, next_login: dt.datetime | None) -> None:
        closure = facts.closures.get(facts.day_of(login.at))
        if closure is not None and closure[0] > login.at and (next_login is None or closure[0] <= next_login):
            shifts.append(Shift(user_id, login.at, closure[0], "closure", (login.evidence, closure[1])))
            return
        last = max((at for at in seen.get(user_id, ()) if at >= login.at and (next_login is None or at < next_login)),
                   default=login.at)
        shifts.append(Shift(user_id, login.at, last, "last_record", (login.evidence,)))

    for event in facts.events:
        if event.user_id is None or event.code not in (LOGIN, LOGOUT):
            continue
        started = open_.pop(event.user_id, None)
        if event.code == LOGIN:
            if started is not None:
                close_open(event.user_id, started, event.at)
            open_[event.user_id] = event
        elif started is not None:
            shifts.append(Shift(event.user_id, started.at, event.at, "logout", (started.evidence, event.evidence)))
    for user_id, started in open_.items():
        close_open(user_id, started, None)
    return shifts


def overrides(facts: CashierFacts) -> list[Event]:
    """MANAGER_OVERRIDE events that name the cashier who asked (``cashier_id``)."""
    return [event for event in facts.of_code(MANAGER_OVERRIDE) if event.details.get("cashier_id") is not None]


def voids(facts: CashierFacts) -> list[Event]:
    return facts.of_code(LINE_VOID)
