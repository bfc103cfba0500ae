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
  archive too.

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

from till.fiscal.archive_period import TICKET_CHAINS, parse_utc
from till.fiscal.closure_check import DIFFERS, PARTS_DIFFER, PARTS_LIST, PERPETUAL, _compare, _problem, _text
from till.fiscal.closure_totals import DAY, KINDS, Totals, sum_totals
from till.fiscal.closures import CLOSURE_CHAIN, KIND_NAMES, Closure
from till.fiscal.problems import Problem
from till.i18n import Phrase

__all__ = ["ArchivedClosures", "ArchivedTicket", "tickets_totals"]

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

    def add(self, till_id: str, chain: str, sequence: int, kind: Any, payload: Any, signature: Any) -> None:
        """Keep a record of chain T/X (a ticket not in training) or G (a closure); others are ignored."""
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

    def problems(self, start: dt.datetime, end: dt.datetime) -> list[Problem]:
        """Every difference, for the closures whose period lies inside ``[start, end)``."""
        found: list[Problem] = []
        for till_id in sorted(self.closures):
            found += self._till(till_id, start, end)
        return found

    def _till(self, till_id: str, start: dt.datetime, end: dt.datetime) -> list[Problem]:
        made = sorted(self.closures[till_id], key=lambda c: c.sequence)
        slices = self.tickets.get(till_id, {})
        found: list[Problem] = []
        for closure in made:
            period = closure.period
            if not (start <= period.start and period.end <= end):
                continue
            sealed = closure.payload
            if closure.kind == DAY:
                day = _Sum()
                for start_of_slice, part in slices.items():
                    if period.start <= start_of_slice < period.end:
                        day.merge(part)
                actual = day.totals()
                found += _compare(closure, sealed, actual, DIFFERS)
            else:
                part_kind = KINDS[KINDS.index(closure.kind) - 1]
                parts = [c for c in made if c.kind == part_kind and c.sequence < closure.sequence
                         and period.start <= c.period.start and c.period.end <= period.end]
                found += _compare(closure, sealed, sum_totals(c.totals for c in parts), PARTS_DIFFER,
                                  parts=Phrase(KIND_NAMES[part_kind]))
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
        return found
