"""What a closure adds up, and over which period: business days, periods and totals.

Read-only and shared by the closures (``closures``), their verifier (``closure_check``) and the
X report (``reports.xz``), so the three cannot disagree on what a day is or what a total means.

A business day is counted in the shop's time zone (``business_zone``) and stored as the
half-open UTC interval ``[local midnight, next local midnight)``: timestamp columns hold naive
UTC, and a closure keeps its UTC bounds, so it is recomputed on the very same tickets years
later whatever the configuration says then. Totals are aggregate queries over the stored
ticket figures (design.md section 2: closures add up, they never recompute), training tickets
left out (fiscal-fr.md R-CON-05).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Callable, Iterable
from zoneinfo import ZoneInfo

import peewee
from peewee import Case, fn

from store.models import FiscalRecord, Payment, Ticket, TicketLine, TicketVat
from till.fiscal.chain import iso_utc
from till.means import CREDIT_NOTE

__all__ = [
    "UTC", "DAY", "MONTH", "YEAR", "KINDS", "Period", "Totals",
    "business_zone", "business_day", "day_start", "naive_utc", "period_of", "period_totals", "sum_totals",
    "fiscal_year_bounds", "Activity", "ACTIVITY_CHAINS", "ACTIVITY_FIGURES", "period_activity", "count_activity",
    "counted_range", "chain_tails", "year_to_date", "year_to_date_from",
]

UTC = dt.timezone.utc
DAY, MONTH, YEAR = "day", "month", "year"
KINDS = (DAY, MONTH, YEAR)
"""Finest first: a closure of a kind adds up closures of the kind before it."""

# --- Business days ----------------------------------------------------------------------------


def business_zone(config: Any = None) -> dt.tzinfo:
    """The time zone business days are counted in.

    ``config.shop.timezone`` (an IANA name, "Europe/Paris" by default); UTC without a
    configuration. The till's ``Sealer`` carries it (``TillContext.open``). Each closure stores
    its UTC bounds, so changing the zone later never alters a past closure.
    """
    name = getattr(getattr(config, "shop", None), "timezone", None)
    if not name:
        return UTC

    return ZoneInfo(name)


def _aware(when: dt.datetime) -> dt.datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when


def naive_utc(when: dt.datetime) -> dt.datetime:
    return _aware(when).astimezone(UTC).replace(tzinfo=None)


def business_day(when: dt.datetime, zone: dt.tzinfo = UTC) -> dt.date:
    """The business day of ``when`` (naive means UTC, as the database stores times)."""
    return _aware(when).astimezone(zone).date()


def business_today(zone: dt.tzinfo = UTC) -> dt.date:
    """Today's business day: what a screen dates a report or a closure by, read from the clock
    here so that screens need no clock of their own."""
    return business_day(dt.datetime.now(UTC), zone)


def day_start(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    """Local midnight of ``day`` as a naive UTC datetime (what timestamp columns hold)."""
    return naive_utc(dt.datetime.combine(day, dt.time(0), tzinfo=zone))


@dataclass(frozen=True)
class Period:
    """A closed-to-be period: its kind, label, local first and last days, UTC half-open bounds."""

    kind: str
    label: str
    first_day: dt.date
    last_day: dt.date
    start: dt.datetime
    end: dt.datetime
    zone: str

    def payload(self) -> dict[str, Any]:
        return {"kind": self.kind, "label": self.label, "first_day": self.first_day.isoformat(),
                "last_day": self.last_day.isoformat(), "start": iso_utc(self.start), "end": iso_utc(self.end),
                "timezone": self.zone}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> "Period":
        return cls(data["kind"], data["label"], dt.date.fromisoformat(data["first_day"]),
                   dt.date.fromisoformat(data["last_day"]), _parse_utc(data["start"]), _parse_utc(data["end"]),
                   data.get("timezone", "UTC"))


def _parse_utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.removesuffix("Z"))


def _zone_name(zone: dt.tzinfo) -> str:
    return getattr(zone, "key", None) or str(zone)


def fiscal_year_bounds(day: dt.date, start_month: int = 1) -> tuple[dt.date, dt.date, str]:
    """First day, last day and label of the fiscal year that contains ``day``.

    The fiscal year starts on the first day of ``start_month`` (``shop.fiscal_year_start``).
    Its label is the year ("2026") when it is the calendar year, else its first and last
    months ("2026-07/2027-06"): a label never names two different periods, so closures are
    found by it whatever the setting says later. Closures sealed before the setting existed
    carry no start month: theirs is January.
    """
    if not 1 <= start_month <= 12:
        raise ValueError(f"a fiscal year starts in month 1 to 12, not {start_month}")
    year = day.year if day.month >= start_month else day.year - 1
    first = dt.date(year, start_month, 1)
    after = dt.date(year + 1, start_month, 1)
    last = after - dt.timedelta(days=1)
    if start_month == 1:
        return first, last, f"{year:04d}"
    return first, last, f"{first.year:04d}-{first.month:02d}/{last.year:04d}-{last.month:02d}"


def period_of(kind: str, day: dt.date, zone: dt.tzinfo = UTC, fiscal_year_start: int = 1) -> Period:
    """The period of ``kind`` that contains ``day``; a year is the fiscal year starting in
    month ``fiscal_year_start`` (January: the calendar year)."""
    if kind == DAY:
        first, last, label = day, day, day.isoformat()
    elif kind == MONTH:
        first = day.replace(day=1)
        last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        label = f"{first.year:04d}-{first.month:02d}"
    elif kind == YEAR:
        first, last, label = fiscal_year_bounds(day, fiscal_year_start)
    else:
        raise ValueError(f"unknown closure kind {kind!r}")
    return Period(kind, label, first, last, day_start(first, zone), day_start(last + dt.timedelta(days=1), zone),
                  _zone_name(zone))


# --- Totals -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Totals:
    """What a closure adds up, all integer cents; training tickets are never in it.

    ``vat``: (rate_bp, TTC, HT, VAT) by rate descending; ``payments``: (means, net, in, out) by
    means, ``in`` the positive payments and ``out`` the absolute value of the negative ones
    (change, refunds, store credit issued); ``sales``: the positive lines; ``returns``: the
    absolute value of the negative lines; ``grand_total`` = sales - returns.
    """

    ticket_count: int = 0
    counts: tuple[tuple[str, int], ...] = ()
    first_ticket: int | None = None
    last_ticket: int | None = None
    last_ticket_signature: str | None = None
    vat: tuple[tuple[int, int, int, int], ...] = ()
    payments: tuple[tuple[str, int, int, int], ...] = ()
    sales: int = 0
    returns: int = 0

    @property
    def grand_total(self) -> int:
        return self.sales - self.returns

    def payload(self) -> dict[str, Any]:
        """The totals as they are sealed (keys sorted by the canonical form)."""
        return {
            "ticket_count": self.ticket_count,
            "counts": dict(self.counts),
            "first_ticket": self.first_ticket,
            "last_ticket": self.last_ticket,
            "last_ticket_signature": self.last_ticket_signature,
            "vat": [{"rate_bp": r, "ttc_cents": ttc, "ht_cents": ht, "vat_cents": vat} for r, ttc, ht, vat in self.vat],
            "payments": [{"means": m, "total_cents": net, "in_cents": in_, "out_cents": out}
                         for m, net, in_, out in self.payments],
            "sales_cents": self.sales,
            "returns_cents": self.returns,
            "grand_total_cents": self.grand_total,
            "credit_notes": {"issued_cents": self._means_part(CREDIT_NOTE, 3),
                             "redeemed_cents": self._means_part(CREDIT_NOTE, 2)},
        }

    def _means_part(self, means: str, index: int) -> int:
        return next((row[index] for row in self.payments if row[0] == means), 0)

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> "Totals":
        return cls(
            ticket_count=data["ticket_count"], counts=tuple(sorted(data["counts"].items())),
            first_ticket=data["first_ticket"], last_ticket=data["last_ticket"],
            last_ticket_signature=data["last_ticket_signature"],
            vat=tuple((v["rate_bp"], v["ttc_cents"], v["ht_cents"], v["vat_cents"]) for v in data["vat"]),
            payments=tuple((p["means"], p["total_cents"], p["in_cents"], p["out_cents"]) for p in data["payments"]),
            sales=data["sales_cents"], returns=data["returns_cents"],
        )


def _int(value: Any) -> int:
    """An aggregate as an int: PostgreSQL sums BIGINT into NUMERIC (a ``Decimal``), never a float."""
    if value is None:
        return 0
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ValueError(f"an amount of cents is not whole: {value}")
        return int(value)
    if isinstance(value, float):
        raise TypeError("a float came back from the database where cents were expected")
    return int(value)


def _in_period(till_id: str, start: dt.datetime, end: dt.datetime) -> peewee.Expression:
    return ((Ticket.till_id == till_id) & (Ticket.training == False)  # noqa: E712 - SQL, not Python
            & (Ticket.created_at >= start) & (Ticket.created_at < end))


def period_totals(till_id: str, start: dt.datetime, end: dt.datetime) -> Totals:
    """The totals of the till's tickets (training left out) in ``[start, end)`` (naive UTC).

    Five aggregate queries whatever the number of tickets (design.md section 2: closures add up
    the stored ticket figures, never recompute them). The X report, the daily closure and the
    verifier all use it, so they cannot disagree on what a total means.
    """
    where = _in_period(till_id, start, end)
    counts = sorted((kind, _int(n)) for kind, n in Ticket.select(Ticket.kind, fn.COUNT(Ticket.id))
                    .where(where).group_by(Ticket.kind).tuples())
    if not counts:
        return Totals()
    first, last = (Ticket.select(fn.MIN(Ticket.number), fn.MAX(Ticket.number)).where(where).tuples().get())
    last_signature = (FiscalRecord.select(FiscalRecord.signature)
                      .join(Ticket, on=(FiscalRecord.ticket_id == Ticket.id))
                      .where((FiscalRecord.chain == "T") & (Ticket.till_id == till_id) & (Ticket.number == last))
                      .scalar())
    vat = tuple((_int(rate), _int(ttc), _int(ht), _int(v)) for rate, ttc, ht, v in (
        TicketVat.select(TicketVat.rate_bp, fn.SUM(TicketVat.ttc_cents), fn.SUM(TicketVat.ht_cents),
                         fn.SUM(TicketVat.vat_cents))
        .join(Ticket).where(where).group_by(TicketVat.rate_bp).order_by(TicketVat.rate_bp.desc()).tuples()))
    amount = Payment.amount_cents
    payments = tuple((means, _int(net), _int(in_), _int(out)) for means, net, in_, out in (
        Payment.select(Payment.means, fn.SUM(amount), fn.SUM(Case(None, [(amount > 0, amount)], 0)),
                       fn.SUM(Case(None, [(amount < 0, amount * -1)], 0)))
        .join(Ticket).where(where).group_by(Payment.means).order_by(Payment.means).tuples()))
    total = TicketLine.total_cents
    sales, returns = (TicketLine.select(fn.SUM(Case(None, [(total > 0, total)], 0)),
                                        fn.SUM(Case(None, [(total < 0, total * -1)], 0)))
                      .join(Ticket).where(where).tuples().get())
    return Totals(ticket_count=sum(n for _, n in counts), counts=tuple(counts), first_ticket=_int(first),
                  last_ticket=_int(last), last_ticket_signature=last_signature, vat=vat, payments=payments,
                  sales=_int(sales), returns=_int(returns))


def sum_totals(parts: Iterable[Totals]) -> Totals:
    """The totals of consecutive periods added up (a month from its days, a year from its months)."""
    parts = [p for p in parts]
    counts: dict[str, int] = {}
    vat: dict[int, list[int]] = {}
    payments: dict[str, list[int]] = {}
    first = last = signature = None
    sales = returns = tickets = 0
    for part in parts:
        tickets += part.ticket_count
        sales += part.sales
        returns += part.returns
        for kind, n in part.counts:
            counts[kind] = counts.get(kind, 0) + n
        for rate, *amounts in part.vat:
            vat[rate] = [a + b for a, b in zip(vat.get(rate, [0, 0, 0]), amounts)]
        for means, *amounts in part.payments:
            payments[means] = [a + b for a, b in zip(payments.get(means, [0, 0, 0]), amounts)]
        if part.first_ticket is not None and (first is None or part.first_ticket < first):
            first = part.first_ticket
        if part.last_ticket is not None and (last is None or part.last_ticket > last):
            last, signature = part.last_ticket, part.last_ticket_signature
    return Totals(ticket_count=tickets, counts=tuple(sorted(counts.items())), first_ticket=first, last_ticket=last,
                  last_ticket_signature=signature,
                  vat=tuple((rate, *vat[rate]) for rate in sorted(vat, reverse=True)),
                  payments=tuple((means, *payments[means]) for means in sorted(payments)),
                  sales=sales, returns=returns)


# --- What a Z counts besides tickets -------------------------------------------------------------

DUPLICATES, TRAINING, EVENTS, CASH_MOVES = "C", "X", "L", "P"
ACTIVITY_CHAINS = (DUPLICATES, EVENTS, TRAINING, CASH_MOVES)
"""The chains whose records a closure counts (R-CON-03): duplicates printed, technical events,
training tickets, cash moves and means corrections (chain P). Each closure seals how far it
counted in each (``through``)."""
COUNTED_EVENTS = (("voided_lines", "LINE_VOID"), ("quantities_lowered", "QUANTITY_LOWERED"))
"""Events of chain L a Z counts: lines voided before payment, quantities lowered on a line."""
ACTIVITY_FIGURES = (("duplicates", DUPLICATES, None), ("training_tickets", TRAINING, None),
                    *((name, EVENTS, code) for name, code in COUNTED_EVENTS))
"""Each count of ``Activity``: its name, the chain it counts and the kind of record (None: all)."""


@dataclass(frozen=True)
class Activity:
    """What a closure counts besides its tickets (R-CON-03): duplicates printed (chain C),
    training tickets (chain X), lines voided and quantities lowered (events of chain L).

    Counted by sequence, not by date: a closure counts the records after those the previous
    closure of its kind counted, up to ``through`` (the last sequence of each chain sealed
    before the period's end, or at the closure when the period is not over). A duplicate
    printed after the day's Z counts on the next Z (R-CON-04: a late record counts in the next
    closure of each kind), never twice and never lost; the verifier recounts the same ranges.
    """

    duplicates: int = 0
    training_tickets: int = 0
    voided_lines: int = 0
    quantities_lowered: int = 0
    through: tuple[tuple[str, int], ...] = ()

    def payload(self) -> dict[str, Any]:
        return {"duplicates": self.duplicates, "training_tickets": self.training_tickets,
                "voided_lines": self.voided_lines, "quantities_lowered": self.quantities_lowered,
                "through": dict(self.through)}

    @classmethod
    def from_payload(cls, data: dict[str, Any]) -> "Activity":
        return cls(data["duplicates"], data["training_tickets"], data["voided_lines"],
                   data["quantities_lowered"], tuple(sorted(data["through"].items())))


def chain_tails(till_id: str, end: dt.datetime, now: dt.datetime) -> dict[str, int]:
    """The last sequence of each counted chain sealed before ``end`` (naive UTC); at a closure
    made before ``end`` (today's), simply the chain's last sequence. One query per chain, read
    backwards from the chain's tail along its (till, chain, sequence) index: only the records
    sealed since ``end`` are passed over, however long the chain."""
    tails: dict[str, int] = {}
    for chain in ACTIVITY_CHAINS:
        where = (FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain)
        if now >= end:
            where &= FiscalRecord.created_at < end
        tails[chain] = _int(FiscalRecord.select(FiscalRecord.sequence).where(where)
                            .order_by(FiscalRecord.sequence.desc()).limit(1).scalar())
    return tails


def period_activity(till_id: str, through: dict[str, int], after: dict[str, int] | None,
                    start: dt.datetime | None) -> Activity:
    """The counts of records up to ``through`` and after ``after`` (the previous closure's
    ``through``); without it, those sealed from ``start`` on (the previous closure predates
    these counts), or all of them (``start`` None: the till's first closure of the kind)."""

    def count(chain: str, kind: str | None) -> int:
        where = ((FiscalRecord.till_id == till_id) & (FiscalRecord.chain == chain)
                 & (FiscalRecord.sequence <= through.get(chain, 0)))
        if after is not None:
            where &= FiscalRecord.sequence > after.get(chain, 0)
        elif start is not None:
            where &= FiscalRecord.created_at >= start
        if kind is not None:
            where &= FiscalRecord.kind == kind
        return FiscalRecord.select().where(where).count()

    return count_activity(count, through)


def counted_range(period: Period, previous: dict[str, Any] | None
                  ) -> tuple[dict[str, int] | None, dt.datetime | None]:
    """Where a closure of ``period`` starts counting (``period_activity``'s ``after`` and
    ``start``), from the payload of the previous closure of its kind: after that one's
    ``through``; from the period's start when it predates these counts; from each chain's first
    record (both None) for the till's first closure of the kind."""
    after = ((previous.get("activity") or {}).get("through")) if previous is not None else None
    return after, (period.start if previous is not None and after is None else None)


def count_activity(count: Callable[[str, str | None], int], through: dict[str, int]) -> Activity:
    """The ``Activity`` of the records counted by ``count(chain, kind)`` (kind None: all of the
    chain's) in the closure's ranges, up to ``through``: the one place that says which figure
    counts which records, for the database (``period_activity``) and for an archive
    (``till.fiscal.archive_closures``)."""
    return Activity(**{name: count(chain, kind) for name, chain, kind in ACTIVITY_FIGURES},
                    through=tuple(sorted(through.items())))


# --- Cumulative since the start of the fiscal year --------------------------------------------


def year_to_date_payload(totals: Totals) -> dict[str, Any]:
    """The cumulative figures a closure seals for its fiscal year so far (R-CON-03)."""
    full = totals.payload()
    return {name: full[name] for name in ("sales_cents", "returns_cents", "grand_total_cents", "vat")}


def _year_to_date_totals(data: dict[str, Any]) -> Totals:
    return Totals(vat=tuple((v["rate_bp"], v["ttc_cents"], v["ht_cents"], v["vat_cents"]) for v in data["vat"]),
                  sales=data["sales_cents"], returns=data["returns_cents"])


def year_to_date(till_id: str, period: Period, fiscal_year: Period, totals: Totals,
                 previous: dict[str, Any] | None) -> Totals:
    """Sales, returns, grand total and VAT per rate from the start of ``fiscal_year`` to the end
    of ``period`` (whose own totals are ``totals``).

    The previous closure of the same kind carries the figures up to its end when it is in the
    same fiscal year; every ticket between the two is in this period (closures of a kind leave
    no ticket out), so adding this period is enough. The first closure of a fiscal year that
    does not open it (a till upgraded mid-year) adds up the tickets from the year's start once.
    """
    known = year_to_date_from(period, fiscal_year, totals, previous)
    return known if known is not None else period_totals(till_id, fiscal_year.start, period.end)


def year_to_date_from(period: Period, fiscal_year: Period, totals: Totals, previous: dict[str, Any] | None
                      ) -> Totals | None:
    """``year_to_date`` from the period's totals and the previous closure's payload alone; None
    when it takes the tickets from ``fiscal_year``'s start to the end of ``period`` instead."""
    if period.start <= fiscal_year.start:
        return totals
    if (previous is not None and "year_to_date" in previous
            and (previous.get("fiscal_year") or {}).get("label") == fiscal_year.label):
        return sum_totals([_year_to_date_totals(previous["year_to_date"]), totals])
    return None
