"""The signals engine: every rule of every rule module, over a period.

Why a list of module names (like head office's ``ROUTE_MODULES``): a family of rules is added by
adding its module here, and each module keeps its rules, thresholds and wording together; the
engine knows none of them. Rules are read-only: computing signals writes nothing, so it may run
at any time, on any day, as often as a manager likes.
"""

from __future__ import annotations

import datetime as dt
import importlib
from typing import Callable

from till.config.loss_prevention import LossPreventionSettings
from till.fiscal.closure_totals import day_start
from till.loss.signal import Period, Signal, Thresholds

__all__ = ["RULE_MODULES", "Rule", "rules", "compute", "period_of", "thresholds_of"]

RULE_MODULES: tuple[str, ...] = (
    "till.loss.rules_customer",
    "till.loss.rules_receipt",
    "till.loss.rules_means",
    "till.loss.rules_cashier",
)

Rule = Callable[[Period, Thresholds], list[Signal]]


def rules() -> list[Rule]:
    """Every rule, module by module, in ``RULE_MODULES`` order."""
    return [rule for name in RULE_MODULES for rule in importlib.import_module(name).RULES]


def compute(period: Period, thresholds: Thresholds) -> list[Signal]:
    """All signals of the period, by day, subject and code (one per key)."""
    found: dict[str, Signal] = {}
    for rule in rules():
        for signal in rule(period, thresholds):
            found.setdefault(signal.key, signal)
    return sorted(found.values(), key=lambda s: (s.day, s.subject, s.code, s.subject_id))


def period_of(start: dt.date, end: dt.date, zone: dt.tzinfo = dt.timezone.utc) -> Period:
    """Business days ``start`` to ``end`` (both included) in the shop's ``zone``."""
    return Period(start, end, day_start(start, zone), day_start(end + dt.timedelta(days=1), zone), zone)


def thresholds_of(settings: LossPreventionSettings) -> Thresholds:
    """The thresholds of ``[loss_prevention]`` (``config.loss_prevention``) as the rules read them."""
    return Thresholds(settings.thresholds, settings.event_dates)
