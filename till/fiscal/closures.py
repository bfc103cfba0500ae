"""Fiscal closures (chain G): daily, monthly and yearly grand totals, sealed once, never recomputed.

French law asks a till to close every day, every month and every year, each closure keeping the
period's totals and the perpetual grand totals in an inalterable record (fiscal-fr.md R-CON-01
to R-CON-05). Here a closure is ONE record of the till's chain G (``Sealer.append("G", kind,
payload)``, gap-free, signed, linked to the previous closure); its payload is what the Z report
prints, so a Z report is never rebuilt from tickets that could have changed since (R-CON-04).
What a period is and what its totals are lives in ``closure_totals`` (shared with the verifier
and the X report); this module decides when a closure may be made and makes it; the sales that
closures forbid are refused by ``open_day``, and the refusals are in ``closure_errors``.

Rules that keep every ticket in exactly one closure of each kind:

- a daily closure adds up the tickets of its day with a few aggregate queries (a 5,000-ticket day
  closes in well under a second); monthly and yearly closures add up their days' (months')
  closures, which the verifier checks against the tickets;
- closures of a kind are made in date order; closing a period first closes the earlier periods,
  and for a month (year) its days (months), that still have tickets not closed (the cascade);
- a period is closed once: a second closure is refused (``PeriodAlreadyClosed``);
- once a day is closed no ticket may be dated on it or before it, and a sale is refused while a
  previous day with tickets is not closed: ``require_open_day`` (``open_day``, the forced daily
  closure, R-CON-02), which the ticket writer calls before writing;
- training tickets never count (R-CON-05, R-DATA-04);
- a month closes by itself once over and its days closed, and a fiscal year (starting in
  ``shop.fiscal_year_start``) once over and its months closed (``close_due``: at the till's
  start, after each closure, before a sale), so no period stays open after it is over.

Each closure also seals (payload shape 2, ``PAYLOAD_VERSION``) its fiscal year, the figures
since that year's start, what it counted besides tickets (duplicates, training tickets, voided
lines and lowered quantities) and a ``non_sale`` section for movements of money that are not
sales; closures sealed before keep their shape and keep verifying.

All closures of a till run under its chain G head lock (``Sealer.reserve("G")``), so two
processes closing the same day cannot both succeed, and under its chain T head lock, so no sale
of the till commits while a closure adds up its tickets. No Textual import: the CLI, the UI and the
tests call the same functions.
"""

from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, field
from typing import Any

import peewee

from store.models import ChainHead, utcnow
from store.models.payments import UNKNOWN, PendingPayment
from till.fiscal.chain import Sealer, current_database, iso_utc
from till.fiscal.cash_moves import counted_cash_moves
from till.fiscal.closure_records import (
    CLOSURE_CHAIN, Closure, closures, find_closure, first_closure, last_closure,
)
from till.fiscal.closure_totals import (
    CASH_MOVES, DAY, KINDS, MONTH, YEAR, Activity, Period, Totals, business_day, business_zone, chain_tails,
    counted_range,
    fiscal_year_bounds, naive_utc, period_activity, period_of, period_totals, sum_totals, year_to_date,
    year_to_date_payload,
)
from till.fiscal.anchor_check import CLOSURE, require_anchors
from till.fiscal.archive_schedule import queue_month_archive
from till.fiscal.backup_schedule import queue_backup
from till.fiscal.signals_schedule import queue_day_signals
from till.fiscal.events import record_event
from till.fiscal.heads import seal_heads
from till.fiscal.closure_errors import (  # noqa: F401 - the refusals and messages are re-exported
    ALREADY_CLOSED, BAD_PERIOD, KIND_NAMES, MESSAGES, NO_CLOSURE, NOT_OVER, NOT_STARTED,
    OUT_OF_ORDER, ClosureError, DayAlreadyClosed, DayNotClosed, PeriodAlreadyClosed,
)
from till.fiscal.open_day import (  # noqa: F401 - require_open_day and day_to_close are re-exported
    Lookup, closed_until, day_to_close, first_open_ticket, remember_covered, require_open_day,
)
from till.i18n import Phrase

__all__ = [
    "CLOSURE_CHAIN", "DAY", "MONTH", "YEAR", "KINDS", "CLOSURE_EVENT",
    "ClosureError", "PeriodAlreadyClosed", "DayNotClosed", "DayAlreadyClosed",
    "Period", "Totals", "Closure",
    "business_zone", "business_day", "period_of", "parse_period", "period_totals",
    "close_day", "close_month", "close_year", "close", "close_due", "fiscal_year_start", "AUTOMATIC",
    "PAYLOAD_VERSION", "Activity", "closure_extras",
    "closures", "find_closure", "get_closure", "last_closure", "sum_totals", "require_open_day", "day_to_close",
    "MESSAGES",
]

CLOSURE_EVENT = "CLOSURE"
CLOSURE_REFUSED = "CLOSURE_REFUSED"
"""The technical event (chain L) sealed when a closure is asked for and refused, with why."""
"""The technical event (chain L) logged with each closure (R-JET-01 lists day closures)."""
PAYLOAD_VERSION = 2
"""The closure payload's shape: 2 adds ``fiscal_year``, ``year_to_date``, ``activity``,
``non_sale`` and ``automatic``. A payload without ``payload_version`` is shape 1 (sealed before):
it keeps verifying and printing as it was; its fiscal year is the calendar year."""
AUTOMATIC = "automatic"
"""The operator sealed in a closure the till made by itself (``close_due``)."""

_FORMATS = {DAY: ("%Y-%m-%d", "2026-11-25"), MONTH: ("%Y-%m", "2026-11"), YEAR: ("%Y", "2026")}


def fiscal_year_start(sealer: Sealer) -> int:
    """The month the shop's fiscal year starts in (``shop.fiscal_year_start``, which
    ``TillContext.open`` gives the sealer); January for a sealer made without a configuration."""
    return getattr(sealer, "fiscal_year_start", 1) or 1


def parse_period(kind: str, text: str, fiscal_year_start: int = 1) -> dt.date:
    """The first day of the period a technician typed (``2026-11-25``, ``2026-11``, ``2026``).

    A fiscal year is typed as its label (``2026-07/2027-06``) or as the calendar year it ends in
    (``2027`` for that one), as the FEC names it (``reports.fec.fiscal_year``)."""
    pattern, example = _FORMATS[kind]
    if kind == YEAR and fiscal_year_start != 1:
        example = fiscal_year_bounds(dt.date(2026, fiscal_year_start, 1), fiscal_year_start)[2]
    text = text.strip()
    try:
        if kind == YEAR and "/" in text:
            first = dt.datetime.strptime(text.split("/")[0], "%Y-%m").date()
            if fiscal_year_bounds(first, first.month)[2] != text:
                raise ValueError(text)
            return first
        day = dt.datetime.strptime(text, pattern).date()
    except ValueError:
        raise ClosureError(BAD_PERIOD, text=text, kind=Phrase(KIND_NAMES[kind]), example=example) from None
    if kind == YEAR and fiscal_year_start != 1:
        return dt.date(day.year - 1, fiscal_year_start, 1)  # the fiscal year ending in that year
    return day


# --- Closure records ---------------------------------------------------------------------------


def get_closure(till_id: str, kind: str, label: str) -> Closure:
    """``find_closure``, or a ``ClosureError`` naming what is missing (for the Z report)."""
    closure = find_closure(till_id, kind, label)
    if closure is None:
        raise ClosureError(NO_CLOSURE, till_id=till_id, kind=Phrase(KIND_NAMES[kind]), period=label)
    return closure


def month_to_close(zone: dt.tzinfo, now: dt.datetime | None = None) -> dt.date:
    """The last day of the month before the current business month: the month a manager's
    monthly closure is for (a month is closed once it is over)."""
    today = business_day(utcnow() if now is None else naive_utc(now), zone)
    return today.replace(day=1) - dt.timedelta(days=1)


# --- Closing ----------------------------------------------------------------------------------


def close_day(sealer: Sealer, day: dt.date | None = None, *, now: dt.datetime | None = None,
              zone: dt.tzinfo | None = None, user_id: int | None = None, operator: str | None = None) -> list[Closure]:
    """Close business ``day`` (default: today) on the sealer's till; returns the closures made.

    Earlier days with tickets not closed yet are closed first, in order (the cascade), so the
    list ends with ``day``'s closure. A day without tickets closes with zero totals.
    """
    return close(sealer, DAY, day, now=now, zone=zone, user_id=user_id, operator=operator)


def close_month(sealer: Sealer, month: dt.date, *, now: dt.datetime | None = None, zone: dt.tzinfo | None = None,
                user_id: int | None = None, operator: str | None = None) -> list[Closure]:
    """Close the month containing ``month``, closing first its days (and earlier months) not closed."""
    return close(sealer, MONTH, month, now=now, zone=zone, user_id=user_id, operator=operator)


def close_year(sealer: Sealer, year: dt.date, *, now: dt.datetime | None = None, zone: dt.tzinfo | None = None,
               user_id: int | None = None, operator: str | None = None) -> list[Closure]:
    """Close the year containing ``year``, closing first its months (and their days) not closed."""
    return close(sealer, YEAR, year, now=now, zone=zone, user_id=user_id, operator=operator)


def close(sealer: Sealer, kind: str, day: dt.date | None = None, *, now: dt.datetime | None = None,
          zone: dt.tzinfo | None = None, user_id: int | None = None, operator: str | None = None
          ) -> list[Closure]:
    """Close the period of ``kind`` containing ``day``, with its cascade, in one transaction;
    business days in ``zone`` (default: the sealer's, the shop's time zone). The months and
    fiscal years that this closure lets close are closed after it, in the same transaction
    (``close_due``): the list ends with them."""
    require_anchors(sealer, CLOSURE)  # no closure sealed on a cut chain (anchor_check)
    zone = sealer.zone if zone is None else zone
    now = utcnow() if now is None else naive_utc(now)
    if day is None:
        day = business_day(now, zone)
    job = _Job(sealer, now, zone, user_id, operator, fiscal_year_start(sealer))
    try:
        with current_database().atomic():
            sealer.reserve(CLOSURE_CHAIN)  # the till's closures, one process at a time
            # Then its ticket chain: a sale in flight commits before the totals are read, and a
            # new one waits for this commit; if it calls ``require_open_day`` after its own
            # ``reserve("T")`` it then sees this closure. (Always G then T: no deadlock with a
            # sale, which takes T only.)
            sealer.reserve("T")
            job.close(job.period(kind, day))
            job.close_due()
            job.seal_heads()
    except ClosureError as refused:
        _seal_refusal(sealer, kind, day, refused, user_id, operator)
        raise
    remember_covered(job.till_id, job.made, job.last)
    return job.made


def _seal_refusal(sealer: Sealer, kind: str, day: dt.date, refused: ClosureError, user_id: int | None,
                  operator: str | None) -> None:
    """Seal a refused closure and why in chain L (CLOSURE_REFUSED), after its transaction rolled
    back: an inspector reads that a Z was asked for and not made (a period already closed, one
    not over, out of order), not only the closures that were. The reason is kept in English,
    so the journal reads the same whatever the till's language."""
    record_event(sealer, CLOSURE_REFUSED, f"{kind} closure refused", user_id=user_id,
                 details={"kind": kind, "day": day.isoformat(), "operator": operator,
                          "refusal": type(refused).__name__, "reason": refused.text("en")})


def close_due(sealer: Sealer, now: dt.datetime | None = None, zone: dt.tzinfo | None = None) -> list[Closure]:
    """Close, by itself, every month that is over and whose days are closed, then every fiscal
    year likewise (R-CON-01); returns the closures made (none, most of the time).

    Called at the till's start, after each closure (inside ``close``) and before each ticket
    (by the ticket writer, before the ticket's own transaction: a closure takes chain G then T,
    a sale only T). Months run from the month after the last monthly (or yearly) closure, or
    from the month of the till's first daily closure; each one, empty or not, gets its closure,
    so an inspector finds every month of the till's life. A month with a ticket on a day not
    closed waits: the forced daily closure makes a manager close that day first, and that
    closure closes the month. Sealed as any closure, with the operator ``automatic``. Costs
    one indexed read when nothing is due (remembered while chain G and the month do not move).
    """
    zone = sealer.zone if zone is None else zone
    now = utcnow() if now is None else naive_utc(now)
    start = fiscal_year_start(sealer)
    look = _anything_due(sealer.till_id, now, zone, start)
    if look is None:
        return []
    require_anchors(sealer, CLOSURE)
    job = _Job(sealer, now, zone, None, AUTOMATIC, start)
    with current_database().atomic():
        sealer.reserve(CLOSURE_CHAIN)
        sealer.reserve("T")
        job.close_due()
        job.seal_heads()
    remember_covered(job.till_id, job.made, job.last)
    if not job.made:  # a day still open, or a year a technician must decide: not looked at again
        _due_cache.setdefault(current_database(), {})[sealer.till_id] = look  # until chain G moves
    return job.made


_due_cache: "weakref.WeakKeyDictionary[peewee.Database, dict[str, tuple]]" = weakref.WeakKeyDictionary()


def _anything_due(till_id: str, now: dt.datetime, zone: dt.tzinfo, start_month: int) -> tuple | None:
    """What was looked at, when a month or a year might be due; None when nothing is, from
    memory while chain G's head, the business day and the fiscal-year setting are those of
    the last look that found nothing to close."""
    database = current_database()
    sql = 'SELECT "sequence", "signature" FROM "{0}" WHERE "till_id" = {1} AND "chain" = {1}'.format(
        ChainHead._meta.table_name, database.param)
    head = tuple(database.execute_sql(sql, (till_id, CLOSURE_CHAIN)).fetchone() or ())
    if not head:
        return None  # no closure at all: no month to close yet
    look = (head, business_day(now, zone), start_month)
    known = _due_cache.setdefault(database, {})
    if known.get(till_id) == look:
        return None
    month = look[1].replace(day=1)
    next_month = _next_month(till_id, zone)
    due = next_month is not None and next_month < month
    if not due:
        year = _next_year(till_id, zone, start_month)
        due = year is not None and year.last_day < business_day(now, zone)
    if not due:
        known[till_id] = look
        return None
    return look


def _next_month(till_id: str, zone: dt.tzinfo, last: Lookup | None = None,
                first: Lookup | None = None) -> dt.date | None:
    """The first day of the month the till closes next: the one after its last monthly (or
    yearly) closure, else the month of its first daily closure; None before any closure."""
    floor = closed_until(till_id, (MONTH, YEAR), last)
    if floor is not None:
        return floor.period.last_day + dt.timedelta(days=1)
    earliest = (first or first_closure)(till_id, DAY)
    return earliest.period.first_day.replace(day=1) if earliest else None


def _next_year(till_id: str, zone: dt.tzinfo, start_month: int, last: Lookup | None = None,
               first: Lookup | None = None) -> Period | None:
    """The fiscal year the till closes next: the one after its last yearly closure, else the
    one of its first monthly closure; None before any monthly closure."""
    latest = (last or last_closure)(till_id, YEAR)
    if latest is not None:
        return period_of(YEAR, latest.period.last_day + dt.timedelta(days=1), zone, start_month)
    earliest = (first or first_closure)(till_id, MONTH)
    return period_of(YEAR, earliest.period.first_day, zone, start_month) if earliest else None


@dataclass
class _Job:
    """One cascade of closures, inside one transaction holding the chain G head."""

    sealer: Sealer
    now: dt.datetime
    zone: dt.tzinfo
    user_id: int | None
    operator: str | None
    fiscal_year_start: int = 1
    made: list[Closure] = field(default_factory=list)
    automatic: bool = False
    # The latest and the first closure of each kind looked up so far. The job runs inside one
    # transaction holding chain G (``reserve``), so only its own seals change them (``_seal``):
    # a cascade asks a dozen times per closure, each a query and a payload parsed.
    _latest: dict[str, Closure | None] = field(default_factory=dict, repr=False)
    _first: dict[str, Closure | None] = field(default_factory=dict, repr=False)

    def last(self, till_id: str, kind: str) -> Closure | None:
        """``last_closure`` of the job's till, remembered for the job."""
        if kind not in self._latest:
            self._latest[kind] = last_closure(till_id, kind)
        return self._latest[kind]

    def first(self, till_id: str, kind: str) -> Closure | None:
        """``first_closure`` of the job's till, remembered for the job."""
        if kind not in self._first:
            self._first[kind] = first_closure(till_id, kind)
        return self._first[kind]

    @property
    def till_id(self) -> str:
        return self.sealer.till_id

    def period(self, kind: str, day: dt.date) -> Period:
        return period_of(kind, day, self.zone, self.fiscal_year_start)

    def seal_heads(self) -> None:
        """The chain heads as closed, signed: sealed in L, queued for head office, on the Z."""
        if self.made:
            last = self.made[-1]
            seal_heads(self.sealer, last.sequence, last.kind, last.period.label,
                       getattr(self.sealer, "heads_to_headoffice", False))
            days = [c for c in self.made if c.kind == DAY]
            if days and getattr(self.sealer, "backup_after_closure", False):  # made after commit (backup_schedule)
                queue_backup(self.till_id, days[-1].period.label)
            if getattr(self.sealer, "signals_after_closure", False):  # sealed after commit (signals_schedule)
                for closure in days:
                    queue_day_signals(self.till_id, closure.period.label)

    def close_due(self) -> None:
        """The months, then the fiscal years, that are over and whose parts are closed (see
        ``close_due``), oldest first; sealed as made by the till itself."""
        today = business_day(self.now, self.zone)
        self.automatic, kept = True, (self.user_id, self.operator)
        self.user_id, self.operator = None, AUTOMATIC
        try:
            while ((month := _next_month(self.till_id, self.zone, self.last, self.first)) is not None
                   and month < today.replace(day=1)):
                period = self.period(MONTH, month)
                days = closed_until(self.till_id, KINDS, self.last)
                if first_open_ticket(self.till_id, days.period.end if days else None, period.end) is not None:
                    break  # a day of it is not closed yet: its closure will close the month
                self.close(period)
            while (year := _next_year(self.till_id, self.zone, self.fiscal_year_start, self.last,
                                      self.first)) is not None:
                months = closed_until(self.till_id, (MONTH,), self.last)
                years = self.last(self.till_id, YEAR)
                if year.last_day >= today or months is None or months.period.end < year.end:
                    break  # not over, or a month of it still open
                if years is not None and year.start < years.period.end:
                    break  # the fiscal year's start moved inside a closed year: a technician decides
                self.close(year)
        finally:
            self.automatic = False
            self.user_id, self.operator = kept

    def close(self, period: Period) -> Closure:
        kind, till_id = period.kind, self.till_id
        existing = find_closure(till_id, kind, period.label)
        if existing is not None:
            raise PeriodAlreadyClosed(ALREADY_CLOSED, kind=Phrase(KIND_NAMES[kind]), period=period.label,
                                      till_id=till_id, sequence=existing.sequence)
        today = business_day(self.now, self.zone)
        if kind == DAY and period.first_day > today:
            raise ClosureError(NOT_STARTED, period=period.label)
        if kind != DAY and period.last_day > today:
            raise ClosureError(NOT_OVER, kind=Phrase(KIND_NAMES[kind]), period=period.label)
        # Closures of a kind go in date order; a day (month) cannot open inside a closed month (year).
        floor = closed_until(till_id, KINDS[KINDS.index(kind):], self.last)
        if floor is not None and period.start < floor.period.end:
            raise ClosureError(OUT_OF_ORDER, kind=Phrase(KIND_NAMES[kind]), period=period.label, till_id=till_id,
                               closed_until=floor.period.last_day.isoformat())
        # The cascade: earlier periods of this kind with tickets, then this period's parts.
        self._close_open(kind, floor.period.end if floor else None, period.start)
        if kind != DAY:
            part = KINDS[KINDS.index(kind) - 1]
            self._close_open(part, period.start, period.end)
        return self._seal(period)

    def _close_open(self, kind: str, start: dt.datetime | None, end: dt.datetime) -> None:
        """Close, earliest first, each period of ``kind`` with a ticket in ``[start, end)`` not closed."""
        while True:
            floor = closed_until(self.till_id, KINDS[KINDS.index(kind):], self.last)
            since = floor.period.end if floor else None
            if start is not None and (since is None or since < start):
                since = start
            first = first_open_ticket(self.till_id, since, end)
            if first is None:
                return
            self.close(self.period(kind, business_day(first, self.zone)))

    def _seal(self, period: Period) -> Closure:
        kind, till_id = period.kind, self.till_id
        previous = self.last(till_id, kind)
        if kind == DAY:
            totals, parts = period_totals(till_id, period.start, period.end), []
        else:
            part_kind = KINDS[KINDS.index(kind) - 1]
            # All of them, not only those after the previous closure of this kind: a day of
            # November may be closed before the month of October is.
            parts = [c for c in closures(till_id, part_kind)
                     if period.start <= c.period.start and c.period.end <= period.end]
            totals = sum_totals(c.totals for c in parts)
        perpetual = (previous.perpetual_total if previous else 0) + totals.grand_total
        absolute = (previous.perpetual_absolute if previous else 0) + totals.sales + totals.returns
        fiscal_year = period if kind == YEAR else self.period(YEAR, period.first_day)
        payload = {
            "payload_version": PAYLOAD_VERSION,
            "till_id": till_id,
            "period": period.payload(),
            **totals.payload(),
            "perpetual_total_cents": perpetual,
            "perpetual_absolute_cents": absolute,
            "previous_closure": previous.sequence if previous else None,
            "parts": [c.sequence for c in parts],
            "closed_at": iso_utc(self.now.replace(microsecond=0)),
            "operator": {"user_id": self.user_id, "name": self.operator},
            "automatic": self.automatic,
            # card requests still unknown at closure: money that may have moved with no ticket
            "card_outcomes_unknown": card_outcomes_unknown(till_id),
            **closure_extras(till_id, period, fiscal_year, totals, previous.payload if previous else None,
                             self.now),
        }
        record = self.sealer.append(CLOSURE_CHAIN, kind, payload)
        record_event(self.sealer, CLOSURE_EVENT, f"{kind} {period.label} closed", user_id=self.user_id,
                     details={"kind": kind, "period": period.label, "record": record.sequence,
                              "grand_total_cents": totals.grand_total})
        if kind == MONTH:  # its archive, made after commit by the outbox (archive_schedule)
            queue_month_archive(till_id, period.label)
        closure = Closure.from_record(record)
        self.made.append(closure)
        self._latest[kind] = closure
        if kind in self._first and self._first[kind] is None:
            self._first[kind] = closure
        return closure


def closure_extras(till_id: str, period: Period, fiscal_year: Period, totals: Totals,
                   previous: dict[str, Any] | None, now: dt.datetime | None = None,
                   through: dict[str, int] | None = None) -> dict[str, Any]:
    """The figures of payload shape 2 a closure seals besides its totals, from the records as
    they are: at the closure, counted up to the chains' tails at ``now``; by the verifier, up
    to the sealed ``through``, so it recounts the very same ranges:

    - ``fiscal_year``: the fiscal year the period is in (its bounds, as a period);
    - ``year_to_date``: sales, returns, grand total and VAT per rate since its start;
    - ``activity``: duplicates, training tickets, voided lines, lowered quantities (R-CON-03);
    - ``non_sale``: the chain P documents counted (cash in and out of the drawer without a
      sale, means corrections): their count and numbers, per kind, the drawer's net change and
      the net change per means (``till.fiscal.cash_moves.counted_cash_moves``).
    """
    after, start = counted_range(period, previous)
    if through is None:
        through = chain_tails(till_id, period.end, utcnow() if now is None else now)
    activity = period_activity(till_id, through, after, start)
    return {
        "fiscal_year": fiscal_year.payload(),
        "year_to_date": year_to_date_payload(year_to_date(till_id, period, fiscal_year, totals, previous)),
        "activity": activity.payload(),
        "non_sale": counted_cash_moves(till_id, through.get(CASH_MOVES, 0),
                                       None if after is None else after.get(CASH_MOVES, 0), start),
    }


def card_outcomes_unknown(till_id: str) -> int:
    """This till's card requests waiting for a manager (``till.selling.card_journal``), counted on the Z."""
    return PendingPayment.select().where((PendingPayment.till_id == till_id)
                                         & (PendingPayment.status == UNKNOWN)).count()
