"""What the till's day left behind: a day with sales and no closure, card payments whose outcome
nobody knows, after-sale jobs (receipts, drawer, messages) that failed.

Each is something a running till shows to its cashier or manager; a technician reaching the
till over SSH sees it here, with the command that settles it. The functions that decide are
the workflows' own (``require_open_day``, ``card_journal.unresolved``, ``jobs.printer_waiting``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from store.models import OutboxJob
from store.models.base import utcnow
from store.models.outbox import FAILED as JOB_FAILED
from store.models.payments import PENDING as CARD_PENDING
from store.models.payments import PendingPayment
from till.aftersale.jobs import printer_waiting
from till.fiscal.closure_records import last_closure
from till.fiscal.closure_totals import DAY, business_zone
from till.fiscal.closures import DayAlreadyClosed, DayNotClosed, require_open_day
from till.i18n import N_
from till.selling.card_journal import unresolved
from till.shop.doctor.database import shop_database
from till.shop.doctor.findings import FAIL, OK, WARN, Finding

__all__ = ["last_closure_check", "card_outcomes", "outbox_jobs", "MESSAGES"]

CLOSED_UP_TO = N_("closures: last daily closure {day}, no day left open")
NEVER_CLOSED = N_("closures: no daily closure yet, no day left open")
TODAY_CLOSED = N_("closures: today ({day}) is closed already: sales resume tomorrow")
DAY_OPEN = N_("closures: day {day} has sales and no daily closure: the till refuses sales until it is closed "
              "(till close day, or F1 on the sale screen)")
CARDS_OK = N_("card payments: none waiting for a decision")
CARDS_UNKNOWN = N_("card payments with an unknown outcome: {count}, since {since}: a manager checks the terminal's own "
                   "journal, then till card settle ID --approved REF or --declined (list: till card pending)")
CARDS_STALE = N_("card requests with no answer since before {since}: {count}: the till settles them at its next "
                 "start (then till card pending)")
OUTBOX_OK = N_("outbox: none failing (jobs waiting: {count})")
OUTBOX_PRINTER = N_("outbox: print jobs waiting for the printer: {count} ({error}): fix the printer, then "
                    "till outbox run")
OUTBOX_GAVE_UP = N_("outbox: jobs given up: {count} ({error}): once the device or server is back, send them again from "
                    "the manager's closures screen, then till outbox run")
MESSAGES = (CLOSED_UP_TO, NEVER_CLOSED, TODAY_CLOSED, DAY_OPEN, CARDS_OK, CARDS_UNKNOWN, CARDS_STALE, OUTBOX_OK,
            OUTBOX_PRINTER, OUTBOX_GAVE_UP)

STALE_CARD_REQUEST = dt.timedelta(minutes=10)
"""A request older than this with no answer is not a customer typing a PIN any more."""


def last_closure_check(config: Any, now: dt.datetime | None = None) -> Iterable[Finding]:
    """The last daily Z, and an earlier day with sales that none covers (the till refuses sales)."""
    if shop_database(config) is None:
        return
    till_id = config.till.id
    try:
        require_open_day(till_id, now or utcnow(), business_zone(config))
    except DayNotClosed as pending:
        yield Finding(WARN, DAY_OPEN, {"day": str(pending.params.get("day", ""))})
        return
    except DayAlreadyClosed as closed:
        yield Finding(OK, TODAY_CLOSED, {"day": str(closed.params.get("day", ""))})
        return
    last = last_closure(till_id, DAY)
    if last is None:
        yield Finding(OK, NEVER_CLOSED)
    else:
        yield Finding(OK, CLOSED_UP_TO, {"day": last.period.last_day.isoformat()})


def card_outcomes(config: Any, now: dt.datetime | None = None) -> Iterable[Finding]:
    """Card requests the terminal may have approved that nobody settled: money may have moved."""
    if shop_database(config) is None:
        return
    till_id = config.till.id
    waiting = unresolved(till_id)
    if waiting:
        since = min(row.started_at for row in waiting)
        yield Finding(FAIL, CARDS_UNKNOWN, {"count": len(waiting), "since": f"{since:%Y-%m-%d %H:%M} UTC"})
    limit = (now or utcnow()) - STALE_CARD_REQUEST
    stale = (PendingPayment.select().where((PendingPayment.till_id == till_id)
                                           & (PendingPayment.status == CARD_PENDING)
                                           & (PendingPayment.started_at < limit)).count())
    if stale:
        yield Finding(WARN, CARDS_STALE, {"count": stale, "since": f"{limit:%Y-%m-%d %H:%M} UTC"})
    if not waiting and not stale:
        yield Finding(OK, CARDS_OK)


def outbox_jobs(config: Any) -> Iterable[Finding]:
    """Receipts waiting for the printer, and jobs the outbox gave up on."""
    if shop_database(config) is None:
        return
    till_id = config.till.id
    printing = printer_waiting(till_id)
    if printing is not None:
        yield Finding(WARN, OUTBOX_PRINTER, {"count": printing[0], "error": _short(printing[1])})
    failed = list(OutboxJob.select(OutboxJob.last_error)
                  .where((OutboxJob.till_id == till_id) & (OutboxJob.status == JOB_FAILED))
                  .order_by(OutboxJob.id.desc()).tuples())
    if failed:
        yield Finding(WARN, OUTBOX_GAVE_UP, {"count": len(failed), "error": _short(failed[0][0] or "?")})
    if printing is None and not failed:
        waiting = OutboxJob.select().where((OutboxJob.till_id == till_id)
                                           & (OutboxJob.status != JOB_FAILED) & (OutboxJob.done_at.is_null())).count()
        yield Finding(OK, OUTBOX_OK, {"count": waiting})


def _short(text: str, width: int = 80) -> str:
    """The first line of an error, cut to keep the doctor's line on one screen line or two."""
    line = (text or "").strip().splitlines()[0] if (text or "").strip() else "?"
    return line if len(line) <= width else line[:width - 1] + "…"
