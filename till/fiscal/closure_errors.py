"""What closures refuse, and how they say it: the refusals of a closure (or of a sale because of
closures) and their messages, shared by the closing (``closures``) and the day check before a
sale (``open_day``)."""

from __future__ import annotations

import datetime as dt

from till.errors import TillError
from till.fiscal.closure_totals import DAY, MONTH, YEAR
from till.i18n import N_

__all__ = [
    "ClosureError", "PeriodAlreadyClosed", "DayNotClosed", "DayAlreadyClosed", "MESSAGES", "KIND_NAMES",
    "ALREADY_CLOSED", "NOT_STARTED", "NOT_OVER", "OUT_OF_ORDER", "DAY_NOT_CLOSED", "DAY_CLOSED", "BAD_PERIOD",
    "NO_CLOSURE",
]

# --- Messages (marked N_ for the catalogues, till/locales) ------------------------------

ALREADY_CLOSED = N_("The {kind} {period} is already closed on till {till_id} (record {sequence} of chain G)")
NOT_STARTED = N_("The day {period} has not started yet: it cannot be closed")
NOT_OVER = N_("The {kind} {period} is not over yet: it can be closed from its last day on")
OUT_OF_ORDER = N_("The {kind} {period} cannot be closed any more: till {till_id} is already closed up to "
                  "{closed_until}")
DAY_NOT_CLOSED = N_("Day {day} is not closed on till {till_id}: a manager closes it (F1 on the sale screen, "
                    "or `till close day --date {day}`) before the next sale")
DAY_CLOSED = N_("Day {day} is already closed on till {till_id}: no sale can be recorded on it; sales "
                "resume on the next day")
BAD_PERIOD = N_("{text} is not a {kind}: write it as {example}")
NO_CLOSURE = N_("Till {till_id} has no closure of the {kind} {period}")
MESSAGES = (ALREADY_CLOSED, NOT_STARTED, NOT_OVER, OUT_OF_ORDER, DAY_NOT_CLOSED, DAY_CLOSED, BAD_PERIOD, NO_CLOSURE)
KIND_NAMES = {DAY: N_("day"), MONTH: N_("month"), YEAR: N_("year")}
"""How a kind is named inside messages (translated on their own: "day" -> "journée")."""


class ClosureError(TillError):
    """A closure, or a sale because of closures, is refused; nothing was written."""


class PeriodAlreadyClosed(ClosureError):
    """The period already has its closure: closures are never made twice nor recomputed."""


class DayNotClosed(ClosureError):
    """The forced daily closure: an earlier day with tickets is not closed yet."""

    def __init__(self, message: str, *, day: dt.date, **params: object) -> None:
        super().__init__(message, day=day.isoformat(), **params)
        self.day = day


class DayAlreadyClosed(ClosureError):
    """Today's business day is closed already: a ticket on it would escape every closure."""
