"""``[loss_prevention]`` of till.toml: the thresholds of the return-abuse signals (``till.loss``).

Why a section of numbers rather than fields: each rule module reads its own thresholds by name,
so the defaults live here, in one table a technician can read, and the cashier rules bring names
of their own (``cashier_…``), passed through for them to read with their defaults. A signal is
never an automatic decision, so the defaults lean towards few signals: a manager who sees one
every day stops reading them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

from till.i18n import N_

__all__ = ["DEFAULTS", "CASHIER_PREFIX", "LossPreventionSettings", "parse"]

DEFAULTS: Mapping[str, float] = MappingProxyType({
    "customer_min_returns": 3,      # returns in the period before a customer's share is looked at
    "customer_share_factor": 2.0,   # a returned share (value) above this many times the shop's median
    "customer_min_share_pct": 30,   # ...and above this share in percent (a shop's median is often ~0)
    "customer_no_receipt_min": 2,   # returns without a receipt in the period
    "quick_return_days": 2,         # a return this many days or fewer after the purchase is quick...
    "quick_return_min": 3,          # ...and this many quick returns in the period make a signal
    "wardrobing_span_days": 4,      # bought at most this many days before the return, weekend between...
    "wardrobing_min": 2,            # ...this many times in the period
    "reprint_hours": 24,            # a receipt reprinted this many hours or fewer before its return
    "receipt_max_visits": 2,        # more return tickets than this on one original receipt
    "card_max_refunds": 2,          # more refunds than this to one card in the period
    "history_days": 365,            # how far back purchases count for a customer's share
    "check_days": 90,               # the days the check at the return screen looks back over
})
BAD_DAYS = N_("{file}, line {line}: {key} must be a list of days, such as [\"2026-12-24\"]")
BAD_NUMBER = N_("{file}, line {line}: {key} must be a number of zero or more")
UNKNOWN_KEY = N_("{file}, line {line}: unknown key {key}")
CASHIER_PREFIX = "cashier_"
"""Names of the cashier rules' thresholds: accepted as written, read by those rules."""


@dataclass(frozen=True)
class LossPreventionSettings:
    """The thresholds (``DEFAULTS`` overridden by the file) and the shop's event days (sales,
    holidays) that count as a weekend for wardrobing."""

    thresholds: Mapping[str, float] = field(default_factory=lambda: MappingProxyType(dict(DEFAULTS)))
    event_dates: tuple[dt.date, ...] = ()


def parse(values: Mapping[str, Any], fail) -> LossPreventionSettings:
    """The section's keys checked; ``fail(key, message)`` raises the file's error for a key
    (with its line). Every threshold is a number of zero or more."""
    thresholds = dict(DEFAULTS)
    dates: list[dt.date] = []
    for key, value in values.items():
        if key == "event_dates":
            if not isinstance(value, list):
                fail(key, BAD_DAYS)
            for item in value:
                day = item if isinstance(item, dt.date) and not isinstance(item, dt.datetime) else None
                if day is None and isinstance(item, str):
                    try:
                        day = dt.date.fromisoformat(item)
                    except ValueError:
                        day = None
                if day is None:
                    fail(key, BAD_DAYS)
                dates.append(day)
            continue
        if key not in DEFAULTS and not key.startswith(CASHIER_PREFIX):
            fail(key, UNKNOWN_KEY)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            fail(key, BAD_NUMBER)
        thresholds[key] = value
    return LossPreventionSettings(MappingProxyType(thresholds), tuple(sorted(dates)))
