"""A signal of possible return abuse, and how every rule reports one.

Why a type of its own: a signal is an accusation only if it is shown without its grounds. So each
one carries what a manager needs to judge it: whom it is about (a customer, a receipt, a
cashier, a card), the figure measured and the threshold it passed (relative to the shop's own
median where the rule allows), a sentence saying how it was computed, and the evidence: the
tickets and records it was computed from, by code. Signals are shown to a manager, never to a
customer, and never block a sale by themselves; at the return screen a customer or receipt
signal asks for a manager's approval, which is sealed.

Rules are plain functions ``rule(period, settings) -> list[Signal]`` over the store, registered
by the modules of this package (``till.loss.rules_*``); ``till.loss.signals.compute`` runs them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Iterable, Iterator, Mapping

__all__ = ["CUSTOMER", "RECEIPT", "CASHIER", "MEANS", "SUBJECTS", "Period", "Signal", "Thresholds"]

CUSTOMER, RECEIPT, CASHIER, MEANS = "customer", "receipt", "cashier", "means"
SUBJECTS = (CUSTOMER, RECEIPT, CASHIER, MEANS)


@dataclass(frozen=True)
class Period:
    """The business days a computation covers, ``start`` to ``end`` inclusive, in the shop's zone;
    ``since``/``until`` are the same bounds as naive UTC times (``until`` excluded)."""

    start: dt.date
    end: dt.date
    since: dt.datetime
    until: dt.datetime
    zone: dt.tzinfo = dt.timezone.utc
    """The shop's zone: a signal's ``day`` and a weekend are the shop's, not UTC's."""


@dataclass(frozen=True)
class Signal:
    """One signal: ``code`` names the rule (e.g. ``customer_return_rate``), ``subject`` is one of
    ``SUBJECTS`` and ``subject_id`` whom it is about (customer id, receipt code, user login,
    card's last digits and terminal reference), as ``subject_label`` shows it."""

    code: str
    subject: str
    subject_id: str
    subject_label: str
    day: dt.date
    """The business day it fired on (the last record behind it)."""
    value: float | int
    threshold: float | int
    how: str
    """How it was computed, in a sentence with its figures (English message id; ``params``)."""
    params: dict[str, Any] = field(default_factory=dict)
    evidence: tuple[str, ...] = ()
    """Codes of the tickets (``T01-…``) and records (``L01-42``: chain, sequence) behind it."""

    @property
    def key(self) -> str:
        """Stable identity: the same signal computed again has the same key (a dismissal names it)."""
        return f"{self.code}:{self.subject}:{self.subject_id}:{self.day.isoformat()}"


class Thresholds(Mapping[str, float]):
    """The thresholds of ``[loss_prevention]``, read-only: name -> number, and the event dates.

    Why a mapping and not fields: each rule module reads its own names with its own defaults
    (``get(name, default)``), so a module added later (the cashier rules) brings its thresholds
    without this class knowing them; a name the file does not set falls back to the rule's default.
    """

    def __init__(self, values: Mapping[str, float] | None = None, event_dates: Iterable[dt.date] = ()) -> None:
        self._values = MappingProxyType(dict(values or {}))
        self.event_dates: frozenset[dt.date] = frozenset(event_dates)

    def __getitem__(self, name: str) -> float:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get(self, name: str, default: Any = None) -> Any:  # noqa: D102 - Mapping's, typed
        return self._values.get(name, default)
