"""The closure verifier: every sealed closure still adds up to the tickets of its period.

``verify_journal`` proves each record of chain G unaltered; this module proves what it says is
true (fiscal-fr.md R-SEC-07: "recompute closure totals from tickets"). For every closure of every
till, in sequence order, it recomputes the totals from the tickets of the closure's period, with
the same aggregate queries the daily closure used (``closures.period_totals``), and reports each
figure that differs: a ticket added, altered or removed after the closure, with the database's
triggers dropped, shows here even when every ticket record still verifies on its own.

It also checks the closures against each other: a month (year) equals the sum of its days'
(months') closures and lists them as its parts, and each perpetual grand total is the previous
closure's of the same kind plus this period's (R-CON-03).
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from store.models import FiscalRecord

from till.fiscal.closure_totals import period_of
from till.fiscal.closures import (
    CLOSURE_CHAIN, DAY, KIND_NAMES, KINDS, YEAR, Closure, Period, Totals, closure_extras, closures, period_totals,
    sum_totals,
)
from till.fiscal.problems import Problem
from till.i18n import N_, Phrase

__all__ = ["check_closures", "expected_fiscal_year", "FIGURES"]

DIFFERS = N_("{kind} closure {period}: {figure} is {sealed} in the closure but {actual} from the tickets")
PARTS_DIFFER = N_("{kind} closure {period}: {figure} is {sealed} in the closure but {actual} from its {parts} closures")
PARTS_LIST = N_("{kind} closure {period}: its parts are records {sealed}, but the {parts} closures in it are {actual}")
PERPETUAL = N_("{kind} closure {period}: {figure} is {sealed} but the previous closure and this period give {actual}")
PREVIOUS = N_("{kind} closure {period}: names record {sealed} as the previous closure, but it is {actual}")
UNREADABLE = N_("closure cannot be read: {error}")
MESSAGES = (DIFFERS, PARTS_DIFFER, PARTS_LIST, PERPETUAL, PREVIOUS, UNREADABLE)

FIGURES = ("ticket_count", "counts", "first_ticket", "last_ticket", "last_ticket_signature", "vat", "payments",
           "sales_cents", "returns_cents", "grand_total_cents", "credit_notes")
"""The sealed figures recomputed from the tickets, in the order findings are reported."""
EXTRAS = ("fiscal_year", "year_to_date", "activity", "non_sale")
"""The figures of payload shape 2 recomputed from the records: the fiscal year the period is
in, the cumulative figures since its start, the counts of duplicates, training tickets and
voided or lowered lines over the sealed sequence ranges. A closure without them (shape 1,
sealed before they existed) is checked as it was."""


def _problem(closure: Closure, message: str, **params: Any) -> Problem:
    params = {"kind": Phrase(KIND_NAMES[closure.kind]), "period": closure.period.label, **params}
    return Problem(closure.till_id, CLOSURE_CHAIN, closure.sequence, message.format(**params), message, params)


def _text(value: Any) -> str:
    """A figure shown in a finding: compact and the same whatever the language."""
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {_text(v)}" for k, v in sorted(value.items())) + "}"
    return "none" if value is None else str(value)


def _compare(closure: Closure, sealed: dict[str, Any], actual: Totals, message: str, **extra: Any) -> list[Problem]:
    rebuilt = actual.payload()
    return [_problem(closure, message, figure=name, sealed=_text(sealed.get(name)), actual=_text(rebuilt[name]),
                     **extra)
            for name in FIGURES if sealed.get(name) != rebuilt[name]]


def _tills() -> list[str]:
    return [till for (till,) in FiscalRecord.select(FiscalRecord.till_id).where(FiscalRecord.chain == CLOSURE_CHAIN)
            .distinct().order_by(FiscalRecord.till_id).tuples()]


def check_closures(till_id: str | None = None) -> list[Problem]:
    """Every difference between the closures of ``till_id`` (default: every till) and their tickets.

    An empty list means each closure's figures are those of its tickets now and the closures
    agree with each other. Findings name the till, chain G, the closure's sequence and the
    figure, in sequence order. One aggregate pass per closure: a year of daily closures on a
    busy shop takes seconds, not minutes.
    """
    problems: list[Problem] = []
    for till in ([till_id] if till_id is not None else _tills()):
        problems.extend(_check_till(till))
    return problems


def _check_till(till_id: str) -> list[Problem]:
    problems: list[Problem] = []
    try:
        made = closures(till_id)
    except (KeyError, TypeError, ValueError) as error:  # a payload that is not a closure's
        return [Problem(till_id, CLOSURE_CHAIN, None, UNREADABLE.format(error=error), UNREADABLE,
                        {"error": str(error)})]
    previous: dict[str, Closure] = {}
    for closure in made:
        sealed = closure.payload
        actual = period_totals(till_id, closure.period.start, closure.period.end)
        problems += _compare(closure, sealed, actual, DIFFERS)
        if "payload_version" in sealed:
            problems += _check_extras(closure, actual, previous.get(closure.kind))
        if closure.kind != DAY:
            part_kind = KINDS[KINDS.index(closure.kind) - 1]
            parts = [c for c in made if c.kind == part_kind and c.sequence < closure.sequence
                     and closure.period.start <= c.period.start and c.period.end <= closure.period.end]
            problems += _compare(closure, sealed, sum_totals(c.totals for c in parts), PARTS_DIFFER,
                                 parts=Phrase(KIND_NAMES[part_kind]))
            listed = [c.sequence for c in parts]
            if sealed.get("parts") != listed:
                problems.append(_problem(closure, PARTS_LIST, sealed=_text(sealed.get("parts")), actual=_text(listed),
                                         parts=Phrase(KIND_NAMES[part_kind])))
        before = previous.get(closure.kind)
        if sealed.get("previous_closure") != (before.sequence if before else None):
            problems.append(_problem(closure, PREVIOUS, sealed=_text(sealed.get("previous_closure")),
                                     actual=_text(before.sequence if before else None)))
        totals = closure.totals
        expected = {
            "perpetual_total_cents": (before.perpetual_total if before else 0) + totals.grand_total,
            "perpetual_absolute_cents": (before.perpetual_absolute if before else 0) + totals.sales + totals.returns,
        }
        for name, value in expected.items():
            if sealed.get(name) != value:
                problems.append(_problem(closure, PERPETUAL, figure=name, sealed=_text(sealed.get(name)),
                                         actual=_text(value)))
        previous[closure.kind] = closure
    return problems


def expected_fiscal_year(closure: Closure) -> Period:
    """The fiscal year a closure of payload shape 2 must seal: the one starting in the sealed
    year's first month that holds the period, in the period's own time zone, so a forged or
    shifted year shows (raises ``KeyError``, ``TypeError``, ``ValueError`` or
    ``ZoneInfoNotFoundError`` on a payload that does not say)."""
    fiscal_year = Period.from_payload(closure.payload["fiscal_year"])
    return period_of(YEAR, closure.period.first_day, ZoneInfo(closure.period.zone), fiscal_year.first_day.month)


def _check_extras(closure: Closure, actual: Totals, before: Closure | None) -> list[Problem]:
    """Payload shape 2: the fiscal year is a true one holding the period (the year itself for a
    yearly closure), the cumulative figures follow from the tickets, the counts from the
    records, each as ``closures.closure_extras`` made them."""
    sealed = closure.payload
    try:
        expected_year = expected_fiscal_year(closure)
        through = sealed["activity"]["through"]
    except (KeyError, TypeError, ValueError, ZoneInfoNotFoundError) as error:
        return [_problem(closure, UNREADABLE, error=str(error))]
    rebuilt = closure_extras(closure.till_id, closure.period, expected_year, actual,
                             before.payload if before else None, through=through)
    rebuilt["fiscal_year"] = expected_year.payload()
    return [_problem(closure, DIFFERS, figure=name, sealed=_text(sealed.get(name)), actual=_text(rebuilt[name]))
            for name in EXTRAS if sealed.get(name) != rebuilt[name]]
