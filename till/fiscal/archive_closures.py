"""An archive's closures recomputed from the tickets it holds (fiscal-fr.md R-SEC-07, R-ARC-06).

Signatures prove a record unaltered since it was sealed, not that what a closure says is true: a
forger holding the till's key could re-sign a ticket with a lower amount. So the archive
verifier (``till.fiscal.archive_verify``) hands every ticket and closure record it reads to
``ArchivedClosures``, which then checks, with the database verifier's own rules and messages
(``till.fiscal.closure_check``, ``till.fiscal.closure_totals``):

- each daily closure of the period against the totals of the archived tickets of its day;
- each monthly (yearly) closure of the period against the sum of its days' (months') closures
  in the archive, and the list of its parts;
- each perpetual grand total against the previous closure of its kind, when that one is in the
  archive too;
- what a closure of payload shape 2 seals besides its totals (``closures.closure_extras``): its
  fiscal year against its period; its ``year_to_date`` when the previous closure of its kind is
  in the archive too (or it opens its fiscal year, or the archive holds the tickets since the
  year's start); each count of its ``activity`` and its ``non_sale`` section recounted from the
  archived records of chains C, X, L and P, with the database's own rules
  (``closure_totals.count_activity``, ``counted_range``, ``year_to_date_from``,
  ``cash_moves.add_up_moves``), whenever the archive holds every record of the range the
  closure counted. Records are archived by business date, so a range may start or end in
  another period's archive: a figure whose records are not all here is left unchecked, never
  reported.

Only closures whose whole period lies inside the archive's are checked (a year's closure in a
month's archive is not: its other months are elsewhere). The totals of tickets are added up
here from the signed ticket payloads, the same figures ``closure_totals.period_totals`` adds up
from the ticket rows (design.md section 2: closures add up, they never recompute), into the same
``Totals``, compared figure by figure as ``closure_check`` does. Memory stays flat: tickets are
kept as sums per quarter of an hour, not one by one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from zoneinfo import ZoneInfoNotFoundError

from till.fiscal.archive_period import TICKET_CHAINS, parse_utc
from till.fiscal.cash_moves import CASH_MOVE_CHAIN, add_up_moves
from till.fiscal.closure_check import (
    DIFFERS, PARTS_DIFFER, PARTS_LIST, PERPETUAL, UNREADABLE, _compare, _problem, _text, expected_fiscal_year,
)
from till.fiscal.closure_totals import (
    ACTIVITY_CHAINS, ACTIVITY_FIGURES, DAY, KINDS, Period, Totals, count_activity, counted_range, sum_totals,
    year_to_date_from, year_to_date_payload,
)
from till.fiscal.closures import CLOSURE_CHAIN, KIND_NAMES, Closure
from till.fiscal.problems import Problem
from till.i18n import N_, Phrase

__all__ = ["ArchivedClosures", "ArchivedTicket", "tickets_totals", "RECORDS_DIFFER"]

RECORDS_DIFFER = N_("{kind} closure {period}: {figure} is {sealed} in the closure but {actual} from the archived "
                    "records")
MESSAGES = (RECORDS_DIFFER,)

_COUNTED_KINDS = frozenset(kind for _name, _chain, kind in ACTIVITY_FIGURES if kind is not None)

@dataclass(frozen=True)
class ArchivedTicket:
    """What a closure adds up of one ticket, read from its signed payload."""

    when: dt.datetime
    number: int
    kind: str
    signature: str
    vat: tuple[tuple[int, int, int, int], ...]
    payments: tuple[tuple[str, int], ...]
    lines: tuple[int, ...]

    @classmethod
    def from_payload(cls, payload: dict[str, Any], signature: str) -> "ArchivedTicket":
        return cls(parse_utc(payload["created_at"]), int(payload["number"]), str(payload["kind"]), signature,
                   tuple((v["rate_bp"], v["ttc_cents"], v["ht_cents"], v["vat_cents"]) for v in payload["vat"]),
                   tuple((p["means"], p["amount_cents"]) for p in payload["payments"]),
                   tuple(line["total_cents"] for line in payload["lines"]))


@dataclass
class _Sum:
    """Tickets added up as a closure adds them (``period_totals``): merged, then made ``Totals``."""

    tickets: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    vat: dict[int, list[int]] = field(default_factory=dict)
    payments: dict[str, list[int]] = field(default_factory=dict)
    sales: int = 0
    returns: int = 0
    first: int | None = None
    last: tuple[int, str] | None = None

    def add(self, ticket: ArchivedTicket) -> None:
        self.tickets += 1
        self.counts[ticket.kind] = self.counts.get(ticket.kind, 0) + 1
        for rate, *amounts in ticket.vat:
            self.vat[rate] = [a + b for a, b in zip(self.vat.get(rate, [0, 0, 0]), amounts)]
        for means, amount in ticket.payments:
            row = self.payments.setdefault(means, [0, 0, 0])
            row[0] += amount
            row[1 if amount > 0 else 2] += abs(amount)
        self.sales += sum(total for total in ticket.lines if total > 0)
        self.returns += sum(-total for total in ticket.lines if total < 0)
        self.first = ticket.number if self.first is None else min(self.first, ticket.number)
        if self.last is None or ticket.number > self.last[0]:
            self.last = (ticket.number, ticket.signature)

    def merge(self, other: "_Sum") -> None:
        self.tickets += other.tickets
        for kind, n in other.counts.items():
            self.counts[kind] = self.counts.get(kind, 0) + n
        for rate, amounts in other.vat.items():
            self.vat[rate] = [a + b for a, b in zip(self.vat.get(rate, [0, 0, 0]), amounts)]
        for means, amounts in other.payments.items():
            self.payments[means] = [a + b for a, b in zip(self.payments.get(means, [0, 0, 0]), amounts)]
        self.sales += other.sales
        self.returns += other.returns
        if other.first is not None:
            self.first = other.first if self.first is None else min(self.first, other.first)
        if other.last is not None and (self.last is None or other.last[0] > self.last[0]):
            self.last = other.last

    def totals(self) -> Totals:
        if not self.tickets:
            return Totals()
        return Totals(ticket_count=self.tickets, counts=tuple(sorted(self.counts.items())), first_ticket=self.first,
                      last_ticket=self.last[0], last_ticket_signature=self.last[1],
                      vat=tuple((rate, *self.vat[rate]) for rate in sorted(self.vat, reverse=True)),
                      payments=tuple((means, *self.payments[means]) for means in sorted(self.payments)),
                      sales=self.sales, returns=self.returns)


def tickets_totals(tickets: Iterable[ArchivedTicket]) -> Totals:
    """The ``Totals`` of ``tickets`` (training already left out), as ``period_totals`` makes them."""
    total = _Sum()
    for ticket in tickets:
        total.add(ticket)
    return total.totals()


@dataclass
class _Counted:
    """What an archive holds of one chain a closure counts (C, X, L or P): its sequences, as
    runs of consecutive numbers, the sequences of each kind of record counted on their own
    (``ACTIVITY_FIGURES``), and for chain P each document's figures (``add_up_moves``'s rows)."""

    runs: list[list[int]] = field(default_factory=list)
    kinds: dict[str, set[int]] = field(default_factory=dict)
    moves: dict[int, tuple[int, str, int, str, str | None, int]] = field(default_factory=dict)

    def add(self, sequence: int) -> None:
        if self.runs and self.runs[-1][1] + 1 == sequence:
            self.runs[-1][1] = sequence
        else:
            self.runs.append([sequence, sequence])

    def holds(self, after: int, through: int) -> bool:
        """Whether every record numbered in ``(after, through]`` is here."""
        wanted = after + 1
        for first, last in sorted(self.runs):
            if wanted > through:
                break
            if first <= wanted <= last:
                wanted = last + 1
        return wanted > through

    def count(self, after: int, through: int, kind: str | None) -> int:
        """The records numbered in ``(after, through]`` (of ``kind``), all of them here."""
        if kind is None:
            return max(through - after, 0)
        return sum(1 for sequence in self.kinds.get(kind, ()) if after < sequence <= through)


_SLICE = 15 * 60
"""Tickets are added up by quarter of an hour (UTC): every time zone's midnight falls on one, so
a day's closure adds up whole slices, and memory holds 96 sums a day, not every ticket."""


def _slice(when: dt.datetime) -> dt.datetime:
    return when - dt.timedelta(minutes=when.minute % 15, seconds=when.second, microseconds=when.microsecond)


@dataclass
class ArchivedClosures:
    """Tickets and closures gathered while an archive is read, then checked against each other."""

    tickets: dict[str, dict[dt.datetime, _Sum]] = field(default_factory=dict)
    """Per till, the tickets' sums per quarter of an hour (``_SLICE``)."""
    closures: dict[str, list[Closure]] = field(default_factory=dict)
    unreadable: list[Problem] = field(default_factory=list)
    counted: dict[str, dict[str, _Counted]] = field(default_factory=dict)
    """Per till and chain counted by closures (C, X, L, P), what the archive holds of it."""

    def add(self, till_id: str, chain: str, sequence: int, kind: Any, payload: Any, signature: Any) -> None:
        """Keep a record of chain T/X (a ticket not in training) or G (a closure), and the number
        (and what a closure counts) of a record of chain C, X, L or P; others are ignored."""
        if chain in ACTIVITY_CHAINS:
            self._count(till_id, chain, sequence, kind, payload)
        if not isinstance(payload, dict) or (chain not in TICKET_CHAINS and chain != CLOSURE_CHAIN):
            return
        try:
            if chain == CLOSURE_CHAIN:
                if kind in KINDS:
                    self.closures.setdefault(till_id, []).append(Closure.from_record(
                        (till_id, sequence, kind, json.dumps(payload), str(signature), None)))
            elif "lines" in payload and payload.get("training") is not True:
                ticket = ArchivedTicket.from_payload(payload, str(signature))
                self.tickets.setdefault(till_id, {}).setdefault(_slice(ticket.when), _Sum()).add(ticket)
        except (KeyError, TypeError, ValueError):
            pass  # a record that is not what its chain holds: its schema and seal checks report it

    def _count(self, till_id: str, chain: str, sequence: int, kind: Any, payload: Any) -> None:
        held = self.counted.setdefault(till_id, {}).setdefault(chain, _Counted())
        if chain == CASH_MOVE_CHAIN:
            try:  # the row ``counted_cash_moves`` adds up, read from the signed payload
                row = (int(payload["number"]), str(payload["kind"]), int(payload["amount_cents"]),
                       str(payload["means"]), payload["to_means"], int(payload["drawer_cents"]))
            except (KeyError, TypeError, ValueError):
                return  # not counted as held: a closure counting it is left unchecked (its seal fails)
            held.moves[sequence] = row
        held.add(sequence)
        if kind in _COUNTED_KINDS:
            held.kinds.setdefault(kind, set()).add(sequence)

    def problems(self, start: dt.datetime, end: dt.datetime) -> list[Problem]:
        """Every difference, for the closures whose period lies inside ``[start, end)``."""
        found: list[Problem] = []
        for till_id in sorted(self.closures):
            found += self._till(till_id, start, end)
        return found

    def _till(self, till_id: str, start: dt.datetime, end: dt.datetime) -> list[Problem]:
        made = sorted(self.closures[till_id], key=lambda c: c.sequence)
        found: list[Problem] = []
        for closure in made:
            period = closure.period
            if not (start <= period.start and period.end <= end):
                if "payload_version" in closure.payload:
                    found += self._extras(closure, made, closure.totals, start, end)
                continue
            sealed = closure.payload
            if closure.kind == DAY:
                actual = self._tickets(till_id, period.start, period.end)
                found += _compare(closure, sealed, actual, DIFFERS)
            else:
                part_kind = KINDS[KINDS.index(closure.kind) - 1]
                parts = [c for c in made if c.kind == part_kind and c.sequence < closure.sequence
                         and period.start <= c.period.start and c.period.end <= period.end]
                actual = sum_totals(c.totals for c in parts)
                found += _compare(closure, sealed, actual, PARTS_DIFFER, parts=Phrase(KIND_NAMES[part_kind]))
                listed = [c.sequence for c in parts]
                if sealed.get("parts") != listed:
                    found.append(_problem(closure, PARTS_LIST, sealed=_text(sealed.get("parts")),
                                          actual=_text(listed), parts=Phrase(KIND_NAMES[part_kind])))
            before = next((c for c in made if c.sequence == sealed.get("previous_closure")
                           and c.kind == closure.kind), None)
            if before is not None:
                expected = {
                    "perpetual_total_cents": before.perpetual_total + closure.totals.grand_total,
                    "perpetual_absolute_cents": (before.perpetual_absolute + closure.totals.sales
                                                 + closure.totals.returns),
                }
                for name, value in expected.items():
                    if sealed.get(name) != value:
                        found.append(_problem(closure, PERPETUAL, figure=name, sealed=_text(sealed.get(name)),
                                              actual=_text(value)))
            if "payload_version" in sealed:
                found += self._extras(closure, made, actual, start, end)
        return found

    def _tickets(self, till_id: str, start: dt.datetime, end: dt.datetime) -> Totals:
        """The totals of the archived tickets of the till in ``[start, end)``."""
        total = _Sum()
        for start_of_slice, part in self.tickets.get(till_id, {}).items():
            if start <= start_of_slice < end:
                total.merge(part)
        return total.totals()

    def _extras(self, closure: Closure, made: list[Closure], totals: Totals, start: dt.datetime,
                end: dt.datetime) -> list[Problem]:
        """Payload shape 2, as ``closure_check`` checks it, from what the archive holds (``totals``:
        the period's, recomputed when its tickets or parts are here, else as sealed)."""
        sealed = closure.payload
        named = sealed.get("previous_closure")
        before = next((c for c in made if c.sequence == named and c.kind == closure.kind), None)
        known = named is None or before is not None  # the previous closure's payload, if any, is here
        previous = before.payload if before is not None else None
        try:
            fiscal_year = expected_fiscal_year(closure)
            found = []
            if sealed.get("fiscal_year") != fiscal_year.payload():
                found.append(_problem(closure, DIFFERS, figure="fiscal_year", sealed=_text(sealed.get("fiscal_year")),
                                      actual=_text(fiscal_year.payload())))
            found += self._year_to_date(closure, fiscal_year, totals, previous, start, end)
            if known:
                found += self._activity(closure, previous)
        except (AttributeError, KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as error:
            return [_problem(closure, UNREADABLE, error=str(error))]
        return found

    def _year_to_date(self, closure: Closure, fiscal_year: Period, totals: Totals, previous: dict[str, Any] | None,
                      start: dt.datetime, end: dt.datetime) -> list[Problem]:
        """``previous``: the previous closure's payload when it is here. One that is not here ended
        before the archive's period (closures of a kind are made in date order), so when the
        archive starts with the fiscal year that one is in an earlier year and the figures are
        the tickets' since the year's start, as for the database."""
        period = closure.period
        actual = year_to_date_from(period, fiscal_year, totals, previous)
        if actual is None:
            if not (start <= fiscal_year.start and period.end <= end):
                return []  # from a previous closure, or tickets, in other archives
            actual = self._tickets(closure.till_id, fiscal_year.start, period.end)
        rebuilt, sealed = year_to_date_payload(actual), closure.payload.get("year_to_date")
        if sealed == rebuilt:
            return []
        return [_problem(closure, DIFFERS, figure="year_to_date", sealed=_text(sealed), actual=_text(rebuilt))]

    def _activity(self, closure: Closure, previous: dict[str, Any] | None) -> list[Problem]:
        """Each count of ``activity`` and the ``non_sale`` section whose records are all here."""
        sealed = closure.payload
        after, since = counted_range(closure.period, previous)
        if since is not None:
            return []  # counted by sealing time after a closure of shape 1: left to the database's check
        after = after or {}
        through = sealed["activity"]["through"]
        held = self.counted.get(closure.till_id, {})

        def bounds(chain: str) -> tuple[int, int] | None:
            first, last = int(after.get(chain, 0)), int(through.get(chain, 0))
            return (first, last) if chain in held and held[chain].holds(first, last) or last <= first else None

        def count(chain: str, kind: str | None) -> int | None:  # None: not all here, left unchecked
            span = bounds(chain)
            return None if span is None else (held[chain].count(*span, kind) if chain in held else 0)

        found = []
        rebuilt = count_activity(count, through).payload()
        for name, _chain, _kind in ACTIVITY_FIGURES:
            if rebuilt[name] is not None and sealed["activity"].get(name) != rebuilt[name]:
                found.append(_problem(closure, RECORDS_DIFFER, figure=f"activity.{name}",
                                      sealed=_text(sealed["activity"].get(name)), actual=_text(rebuilt[name])))
        span = bounds(CASH_MOVE_CHAIN)
        if span is not None:
            moves = held[CASH_MOVE_CHAIN].moves if CASH_MOVE_CHAIN in held else {}
            non_sale = add_up_moves(row for _sequence, row in sorted(moves.items())
                                    if span[0] < row[0] <= span[1])
            for name, value in non_sale.items():
                if sealed["non_sale"].get(name) != value:
                    found.append(_problem(closure, RECORDS_DIFFER, figure=f"non_sale.{name}",
                                          sealed=_text(sealed["non_sale"].get(name)), actual=_text(value)))
        return found
