"""What every analytic report shares: its period, its result table, its refusals, SQL helpers.

Reports are read-only aggregate SQL through peewee, the same statements on SQLite and
PostgreSQL; amounts are integer cents from the stored figures (never recomputed, so a report
agrees with the Z to the cent); training tickets never count (they are not sales).

A period is a range of the shop's business days, both ends included, in the shop's time zone,
because that is how a manager thinks ("from the 1st to the 30th"). Grouping by day, week or
month is done in two steps so that one statement runs on both engines: SQL groups by the UTC
hour (a text prefix of the timestamp on SQLite, ``to_char`` on PostgreSQL), then Python folds
the few thousand hours of a year into local days. (Zones with half-hour offsets would need
minute buckets; none is a French shop's.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Iterable

import peewee
from peewee import fn

from store.db import is_postgres
from store.models import Ticket
from till.errors import TillError
from till.fiscal.closure_totals import UTC, business_day, day_start
from till.i18n import N_

__all__ = ["ReportError", "ReportPeriod", "Column", "Table", "MESSAGES", "hour_of", "bucket_of", "counted",
           "TIME_BUCKETS", "parse_day"]

# --- Messages (marked N_ for the catalogues, till/locales) ------------------------------

UNKNOWN_REPORT = N_("Unknown report {name}: choose one of {names}")
UNKNOWN_FIELD = N_("Report {name} cannot be grouped by {field}: choose one of {fields}")
REVERSED = N_("The period is reversed: {start} is after {end}")
NEEDS_PERIOD = N_("Report {name} needs a period: give --from and --to (YYYY-MM-DD)")
BAD_DAY = N_("{text} is not a day: write it as YYYY-MM-DD")
BAD_LIMIT = N_("The limit must be a whole number above zero, not {text}")
MESSAGES = (UNKNOWN_REPORT, UNKNOWN_FIELD, REVERSED, NEEDS_PERIOD, BAD_DAY, BAD_LIMIT)


class ReportError(TillError):
    """A report (or export) was refused: bad name, field, period or year; nothing was written."""


def parse_day(text: str) -> dt.date:
    """A day typed as ``YYYY-MM-DD``; a ``ReportError`` saying how to write it otherwise."""
    try:
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ReportError(BAD_DAY, text=text) from None


@dataclass(frozen=True)
class ReportPeriod:
    """Business days ``first`` to ``last`` (both included) and their UTC half-open bounds."""

    first: dt.date
    last: dt.date
    zone: dt.tzinfo = UTC

    def __post_init__(self) -> None:
        if self.first > self.last:
            raise ReportError(REVERSED, start=self.first.isoformat(), end=self.last.isoformat())

    @property
    def start(self) -> dt.datetime:
        return day_start(self.first, self.zone)

    @property
    def end(self) -> dt.datetime:
        return day_start(self.last + dt.timedelta(days=1), self.zone)


@dataclass(frozen=True)
class Column:
    """A column of a report: its name (``*_cents`` for money) and kind: text, int, cents or bp
    (basis points: 1250 = 12.50 %, kept integer so no float comes near a ratio of money)."""

    name: str
    kind: str = "int"


@dataclass
class Table:
    """A report's result, before rendering: what it is, its columns and its rows (tuples)."""

    report: str
    by: str | None
    period: ReportPeriod | None
    columns: tuple[Column, ...]
    rows: list[tuple] = field(default_factory=list)

    def dicts(self) -> list[dict[str, Any]]:
        names = [c.name for c in self.columns]
        return [dict(zip(names, row)) for row in self.rows]


def counted(period: ReportPeriod | None, model: Any = Ticket) -> peewee.Expression:
    """Tickets that count: not training, made inside ``period`` (all time when None)."""
    where = model.training == False  # noqa: E712 - SQL, not Python truthiness
    if period is not None:
        where &= (model.created_at >= period.start) & (model.created_at < period.end)
    return where


def hour_of(column: peewee.Field) -> peewee.Node:
    """The UTC hour of a timestamp column as ``YYYY-MM-DD HH`` text, on either engine."""

    if is_postgres():
        return fn.to_char(column, "YYYY-MM-DD HH24")
    return fn.substr(column, 1, 13)


TIME_BUCKETS = ("day", "week", "month")


def bucket_of(hour: Any, by: str, zone: dt.tzinfo) -> str:
    """The local day (``2026-11-26``), ISO week (``2026-W48``) or month (``2026-11``) of an hour."""
    when = hour if isinstance(hour, dt.datetime) else dt.datetime.strptime(str(hour)[:13], "%Y-%m-%d %H")
    day = business_day(when, zone)
    if by == "day":
        return day.isoformat()
    if by == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return f"{day.year:04d}-{day.month:02d}"


def fold(rows: Iterable[tuple], width: int, key=lambda row: row[0]) -> dict[Any, list[int]]:
    """Add up the integer columns ``row[1:1+width]`` of rows sharing ``key(row)``, in order."""
    out: dict[Any, list[int]] = {}
    for row in rows:
        sums = out.setdefault(key(row), [0] * width)
        for index in range(width):
            sums[index] += int(row[1 + index] or 0)
    return out


def ratio_bp(part: int, whole: int) -> int:
    """``part / whole`` in basis points, rounded half up, with integers only (0 when no whole)."""
    if whole <= 0:
        return 0
    return (part * 20000 + whole) // (2 * whole)
